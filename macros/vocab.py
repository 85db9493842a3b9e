"""Closed vocabularies: the values come from the JSON Schemas, only order-free labels live here.

Every allowed value (党组织类型, 学段, 议事规则的方面, 约束力 …) is written once, in
`schemas/common.schema.json` (or the answers schema), in display order. `load_vocab` reads them;
this module adds the Chinese labels for values that are codes (aspects, support kinds, relations)
and the labels of the profile fields. `tests/test_vocab.py` checks that every label table covers
exactly the schema's values, both ways.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

UNKNOWN = "未知"  # a profile field the school has not given: widens the checklist
OTHER_DISTRICT = "OTHER"  # a school in a district the data has no record of
OTHER_DISTRICT_LABEL = "其他地区"

# The fields that describe a school, in form order, with the labels used on pages, in CSV headers
# and in messages.
PROFILE_LABELS: Mapping[str, str] = MappingProxyType({
    "id": "学校编号", "name": "学校名称", "district": "所属地区", "org_type": "党组织类型", "mode": "书记校长配备",
    "stage": "学段", "ownership": "办学性质",
})
PROFILE_KEYS = ("org_type", "mode", "stage", "ownership", "district")  # the fields that decide applicability

ASPECT_LABELS: Mapping[str, str] = MappingProxyType({
    "status": "定位", "convener": "召集主持", "delegate": "委托主持", "members": "参加人员", "sit_in": "列席",
    "agenda": "议题确定", "advance_notice": "会前送达", "prior_communication": "会前沟通", "frequency": "召开频次",
    "quorum": "到会人数", "item_by_item": "一事一议", "speaking_order": "表态顺序", "vote": "表决规则",
    "decision": "决定方式", "deferral": "暂缓与缓议", "escalation": "提交党组织会议", "consultation": "听取意见与论证",
    "roles": "监督员与记录员", "records": "会议记录",
})
SUPPORT_LABELS: Mapping[str, str] = MappingProxyType({
    "organisation": "组织领导", "posts": "职数与岗位", "staffing": "人员配备", "funding": "经费保障",
    "training": "培训", "allowance": "津贴", "facility": "阵地", "incentive": "激励", "supervision": "督查与考核",
})
RELATION_LABELS: Mapping[str, str] = MappingProxyType({
    "exemplifies": "示例", "stricter": "更严", "variant": "另一种做法", "conflicts": "与之不同",
})
SOURCE_KIND_LABELS: Mapping[str, str] = MappingProxyType({
    "seed": "原始材料（转载网页）", "official": "官方发布", "repost": "公开转载", "named": "仅被提及，本项目未读到原文",
})
MEETING_BODIES = ("党组织会议", "校长办公会议")  # the two meetings the rules page compares side by side


@dataclass(frozen=True)
class ParameterSpec:
    """A local parameter a scoring profile may set (会议频次, 金额标准 …) and where rule drafts use it."""

    key: str
    label: str
    draft: str  # pc | pm | decisions
    aspect: str  # the meeting-rule aspect it belongs under ("" for the decision list)


@dataclass(frozen=True)
class Vocab:
    """Every closed vocabulary, in the schemas' order."""

    org_types: tuple[str, ...]
    modes: tuple[str, ...]
    stages: tuple[str, ...]
    ownerships: tuple[str, ...]
    holders: tuple[str, ...]
    bodies: tuple[str, ...]
    actions: tuple[str, ...]
    aspects: tuple[str, ...]
    support_kinds: tuple[str, ...]
    relations: tuple[str, ...]
    source_kinds: tuple[str, ...]
    party_topics: tuple[str, ...]
    ledger_statuses: tuple[str, ...]
    dimensions: tuple[str, ...]
    forces: tuple[str, ...]
    binding_forces: frozenset[str]
    levels: tuple[str, ...]
    level_binds: Mapping[str, str]  # level → all | listed | none
    rule_results: tuple[str, ...]  # answers to a 规定项
    reference_results: tuple[str, ...]  # answers to a 参考项
    slugs: Mapping[str, str]  # org type and mode → ASCII name for page paths (blank tables)
    parameters: tuple[ParameterSpec, ...]  # profile parameters (schemas/profile.schema.json)

    def choices(self, key: str) -> tuple[str, ...]:
        """Allowed values of a profile field (org_type, mode, stage, ownership)."""
        return {"org_type": self.org_types, "mode": self.modes, "stage": self.stages,
                "ownership": self.ownerships}[key]

    @property
    def results(self) -> tuple[str, ...]:
        """Every answer value, 规定项 ones first, each once."""
        return tuple(dict.fromkeys((*self.rule_results, *self.reference_results)))


def _consts(node: Mapping[str, Any]) -> tuple[str, ...]:
    if "enum" in node:
        return tuple(node["enum"])
    return tuple(o["const"] for o in node["oneOf"])


@cache
def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def load_vocab(schema_dir: Path) -> Vocab:
    """The vocabularies of `schemas/common.schema.json` under `schema_dir`."""
    defs = _read((schema_dir / "common.schema.json").resolve())["$defs"]
    practice = _read((schema_dir / "practice-file.schema.json").resolve())
    rel = practice["properties"]["practices"]["items"]["properties"]["relates"]["items"]["properties"]["rel"]
    return Vocab(
        org_types=_consts(defs["org_type"]), modes=_consts(defs["mode"]), stages=_consts(defs["stage"]),
        ownerships=_consts(defs["ownership"]), holders=_consts(defs["holder"]), bodies=_consts(defs["body"]),
        actions=_consts(defs["action"]), aspects=_consts(defs["aspect"]), support_kinds=_consts(defs["support_kind"]),
        relations=_consts(rel), dimensions=_consts(defs["dimension"]), party_topics=_consts(defs["party_topic"]),
        ledger_statuses=_consts(defs["ledger_status"]),
        source_kinds=_consts(_read((schema_dir / "sources.schema.json").resolve())["$defs"]["record"]["properties"]["kind"]),
        forces=_consts(defs["force"]),
        binding_forces=frozenset(o["const"] for o in defs["force"]["oneOf"] if o["x-binding"]),
        levels=_consts(defs["level"]),
        level_binds=MappingProxyType({o["const"]: o["x-binds"] for o in defs["level"]["oneOf"]}),
        rule_results=_consts(defs["result"]), reference_results=_consts(defs["reference_result"]),
        slugs=MappingProxyType({**defs["org_type"]["x-slugs"], **defs["mode"]["x-slugs"]}),
        parameters=tuple(ParameterSpec(o["const"], o["title"], o["x-draft"], o["x-aspect"]) for o in
                         _read((schema_dir / "profile.schema.json").resolve())["$defs"]["parameter"]["properties"]["key"]["oneOf"]),
    )
