"""Scoring profiles as typed objects (data/profiles/*.yaml): points, deductions, vetoes, grades."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # model.py imports this module; the annotation is only a name here
    from .model import Origin


@dataclass(frozen=True)
class Deduct:
    per: float
    what: str
    cap: float | None = None


@dataclass(frozen=True)
class ItemPoints:
    item: str
    points: float
    method: str = ""
    deduct: Deduct | None = None


@dataclass(frozen=True)
class Veto:
    id: str
    item: str
    results: tuple[str, ...]
    effect: str  # fail | cap
    label: str
    grade: str = ""


@dataclass(frozen=True)
class Grade:
    name: str
    min: float


@dataclass(frozen=True)
class Parameter:
    key: str
    label: str
    value: str
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScoringProfile:
    """A district's way of scoring (data/profiles/*.yaml)."""

    id: str
    origin: Origin
    name: str
    issuer: str
    version: str
    example: bool
    note: str
    total: float
    partial_share: float
    default_points: float
    grades: tuple[Grade, ...]  # highest first
    district: str = ""
    binding_sources: tuple[str, ...] = ()
    items: tuple[ItemPoints, ...] = ()
    vetoes: tuple[Veto, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    status: str = "active"

    def points(self, item_id: str) -> ItemPoints:
        for p in self.items:
            if p.item == item_id:
                return p
        return ItemPoints(item_id, self.default_points)


def profile_from(data: Mapping[str, Any], origin: Origin) -> ScoringProfile:
    items = tuple(ItemPoints(i["item"], i["points"], i.get("method", ""),
                             Deduct(**i["deduct"]) if i.get("deduct") else None) for i in data.get("items", ()))
    vetoes = tuple(Veto(v["id"], v["item"], tuple(v["results"]), v["effect"], v["label"], v.get("grade", ""))
                   for v in data.get("vetoes", ()))
    grades = tuple(sorted((Grade(g["name"], g["min"]) for g in data["grades"]), key=lambda g: -g.min))
    params = tuple(Parameter(p["key"], p["label"], p["value"], tuple(p.get("items", ()))) for p in data.get("parameters", ()))
    return ScoringProfile(data["id"], origin, data["name"], data["issuer"], data["version"], data["example"], data["note"],
                          data["total"], data["partial_share"], data["default_points"], grades, data.get("district", ""),
                          tuple(data.get("binding_sources", ())), items, vetoes, params)
