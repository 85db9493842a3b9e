"""Frozen dataclasses for every record type, built from data that has already passed validation.

The rest of the code (render, checklist, roll-up) only ever sees these objects, never raw dicts.
`load_dataset` is the single entry point: validate, then build, or raise `DataError` with every problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from .problems import DataError
from .scoring_profile import ScoringProfile, profile_from
from .validate import Result, validate
from .vocab import Vocab, load_vocab

Cls = TypeVar("Cls")


@dataclass(frozen=True)
class Origin:
    """Where a record is defined: for edit links and messages."""

    file: str
    line: int


@dataclass(frozen=True)
class Cite:
    src: str
    loc: str
    find: str = ""
    note: str = ""
    url: str = ""  # the copy actually read, when it is not the source's own URL


@dataclass(frozen=True)
class Retirement:
    since: str
    reason: str
    replaced_by: str = ""


@dataclass(frozen=True)
class Record:
    """Fields every record has."""

    id: str
    origin: Origin
    status: str = "active"
    retired: Retirement | None = None
    cite: tuple[Cite, ...] = ()
    force: str = ""  # records that state a rule: how strongly, in the cited wording's own terms
    force_quote: str = ""
    force_note: str = ""

    @property
    def active(self) -> bool:
        return self.status != "retired"


@dataclass(frozen=True)
class LineSpan:
    first: int
    last: int


@dataclass(frozen=True)
class KnownFrom:
    src: str
    loc: str


@dataclass(frozen=True)
class Source(Record):
    kind: str = ""
    title: str = ""
    short: str = ""
    publisher: str = ""
    date: str = ""
    date_note: str = ""
    doc_no: str = ""
    url: str = ""
    seed_file: str = ""
    lines: LineSpan | None = None
    region: str = ""
    summary: str = ""
    verified: bool = False
    note: str = ""
    based_on: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()
    level: str = ""
    place: str = ""
    binds: tuple[str, ...] = ()
    known_from: KnownFrom | None = None
    doc_no_verified: bool = False
    slug: str = ""  # sources with a page of their own under plans/

    @property
    def label(self) -> str:
        return self.short or self.title


@dataclass(frozen=True)
class Responsibility(Record):
    holder: str = ""
    order: int = 0
    summary: str = ""
    formula: str = ""
    terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Role:
    body: str
    action: str
    note: str = ""


@dataclass(frozen=True)
class Decision(Record):
    matter: str = ""
    category: str = ""
    sanzhong_yida: bool = False
    roles: tuple[Role, ...] = ()
    escalates: bool = False


@dataclass(frozen=True)
class MeetingRule(Record):
    body: str = ""
    aspect: str = ""
    statement: str = ""
    literal: str = ""
    fraction: str = ""
    comparator: str = ""
    base: str = ""
    applies_when: str = ""
    per: str = ""
    count: int | None = None


@dataclass(frozen=True)
class Post:
    post: str
    count: int
    note: str = ""


@dataclass(frozen=True)
class Setup(Record):
    org_type: str = ""
    mode: str = ""
    scope: str = ""
    summary: str = ""
    posts: tuple[Post, ...] = ()
    rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class Support(Record):
    kind: str = ""
    scope: str = ""
    summary: str = ""
    amount: float | None = None
    unit: str = ""
    literal: str = ""
    who: str = ""
    frequency: str = ""


@dataclass(frozen=True)
class Milestone(Record):
    scope: str = ""
    when: str = ""
    sort_key: str = ""
    target: str = ""
    percent: float | None = None
    count: int | None = None
    unit: str = ""


@dataclass(frozen=True)
class PartyRule(Record):
    topic: str = ""
    statement: str = ""
    literal: str = ""
    applies_when: str = ""


@dataclass(frozen=True)
class VariantOption:
    label: str
    records: tuple[str, ...]


@dataclass(frozen=True)
class Variant(Record):
    topic: str = ""
    question: str = ""
    variants: tuple[VariantOption, ...] = ()
    comment: str = ""


@dataclass(frozen=True)
class Term(Record):
    term: str = ""
    aliases: tuple[str, ...] = ()
    definition: str = ""
    search_terms: tuple[str, ...] = ()
    see: tuple[str, ...] = ()
    principle: bool = False  # one of the principles the policy page lists


@dataclass(frozen=True)
class Evidence(Record):
    name: str = ""
    description: str = ""


@dataclass(frozen=True)
class Applies:
    """Which school profiles an item applies to; an empty tuple means every value."""

    org_type: tuple[str, ...] = ()
    mode: tuple[str, ...] = ()
    stage: tuple[str, ...] = ()
    ownership: tuple[str, ...] = ()
    district: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckItem(Record):
    dimension: str = ""
    title: str = ""
    check: str = ""
    basis: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    rubric: tuple[tuple[str, str], ...] = ()  # (level, text) in the order 达标, 基本达标, 未达标, 不适用
    applies: Applies = Applies()
    order: int = 0


@dataclass(frozen=True)
class Breakdown:
    org_type: str = ""
    mode: str = ""


@dataclass(frozen=True)
class Figure(Record):
    label: str = ""
    value: float = 0
    unit: str = ""
    qualifier: str = ""
    literal: str = ""
    breakdown: Breakdown | None = None
    parts: tuple[str, ...] = ()
    note: str = ""

    @property
    def shown(self) -> str:
        """The value as a reader expects it: 485所, 20余万元, 95.6%."""
        v = _number(self.value)
        if self.qualifier == "余":
            return f"{v}余{self.unit}"
        prefix = {"约": "约", "至少": "至少", "达": "达", "不低于": "不低于"}.get(self.qualifier, "")
        suffix = "以上" if self.qualifier == "以上" else ""
        return f"{prefix}{v}{self.unit}{suffix}"


def _number(value: float) -> str:
    """485 → '485', 95.6 → '95.6', 1234567 → '1234567' (never scientific notation)."""
    if float(value).is_integer():
        return str(int(value))
    return format(value, "f").rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Relation:
    ref: str
    rel: str


@dataclass(frozen=True)
class Practice(Record):
    district: str = ""
    name: str = ""
    summary: str = ""
    figures: tuple[Figure, ...] = ()
    relates: tuple[Relation, ...] = ()
    terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class District(Record):
    name: str = ""
    short: str = ""
    province: str = ""
    level: str = ""
    summary: str = ""
    sources: tuple[str, ...] = ()
    slug: str = ""


@dataclass(frozen=True)
class School(Record):
    name: str = ""
    district: str = ""
    org_type: str = ""
    mode: str = ""
    stage: str = ""
    ownership: str = ""
    members: int | None = None
    fictional: bool = False


@dataclass(frozen=True)
class Dimension:
    key: str
    name: str
    description: str = ""


# ----------------------------------------------------------------------------------------------
# Building objects from validated dicts

_NESTED: dict[str, Any] = {
    "cite": lambda v: tuple(Cite(**c) for c in v),
    "retired": lambda v: Retirement(**v),
    "lines": lambda v: LineSpan(**v),
    "roles": lambda v: tuple(Role(**r) for r in v),
    "posts": lambda v: tuple(Post(**p) for p in v),
    "variants": lambda v: tuple(VariantOption(label=o["label"], records=tuple(o["records"])) for o in v),
    "applies": lambda v: Applies(**{k: tuple(x) for k, x in v.items()}),
    "relates": lambda v: tuple(Relation(**r) for r in v),
    "breakdown": lambda v: Breakdown(**v),
    "known_from": lambda v: KnownFrom(**v),
    "rubric": lambda v: tuple((k, v[k]) for k in ("达标", "基本达标", "未达标", "不适用") if k in v),
}


def build(cls: type[Cls], data: Mapping[str, Any], origin: Origin, **extra: Any) -> Cls:
    """Make a `cls` from a validated mapping: nested values typed, lists frozen as tuples."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {"origin": origin, **extra}
    for key, value in data.items():
        if key in kwargs:
            continue
        if key not in names:  # the schema allows a field the model does not know: a bug, never drop data
            raise TypeError(f"{cls.__name__} has no field {key!r} (add it to macros/model.py)")
        if key in _NESTED:
            value = _NESTED[key](value)
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[key] = value
    return cls(**kwargs)


_CLASSES: dict[str, type[Record]] = {
    "sources": Source, "responsibilities": Responsibility, "decisions": Decision, "meeting_rules": MeetingRule,
    "setups": Setup, "supports": Support, "milestones": Milestone, "variants": Variant, "glossary": Term,
    "evidence": Evidence, "checklist": CheckItem, "schools": School, "party_rules": PartyRule,
}

@dataclass(frozen=True)
class Dataset:
    """Everything in data/, typed and indexed. Built once per build or command run."""

    data_version: str
    title: str
    vocab: Vocab
    schema_dir: Path  # the schemas the data was checked against (the answers schema lives there too)
    dimensions: tuple[Dimension, ...]
    sources: tuple[Source, ...]
    responsibilities: tuple[Responsibility, ...]
    decisions: tuple[Decision, ...]
    meeting_rules: tuple[MeetingRule, ...]
    setups: tuple[Setup, ...]
    supports: tuple[Support, ...]
    milestones: tuple[Milestone, ...]
    party_rules: tuple[PartyRule, ...]
    variants: tuple[Variant, ...]
    glossary: tuple[Term, ...]
    evidence: tuple[Evidence, ...]
    checklist: tuple[CheckItem, ...]
    districts: tuple[District, ...]
    practices: tuple[Practice, ...]
    schools: tuple[School, ...]
    profiles: tuple[ScoringProfile, ...]
    by_id: Mapping[str, Record]
    # Values derived from this (immutable) data and kept with it, e.g. each item's binding (scope.py).
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def get(self, record_id: str) -> Record:
        try:
            return self.by_id[record_id]
        except KeyError:
            raise KeyError(f"unknown record ID {record_id!r}") from None

    def source(self, source_id: str) -> Source:
        src = self.get(source_id)
        assert isinstance(src, Source)
        return src

    def citing(self, source_id: str) -> list[Record]:
        """Every record that cites a source (backlinks), in data order."""
        return [r for r in self.by_id.values() if r.active and any(c.src == source_id for c in r.cite)]

    def dimension(self, key: str) -> Dimension:
        return next(d for d in self.dimensions if d.key == key)

    def district(self, district_id: str) -> District:
        d = self.get(district_id)
        assert isinstance(d, District)
        return d

    def profile(self, profile_id: str) -> ScoringProfile:
        for p in self.profiles:
            if p.id == profile_id:
                return p
        raise KeyError(f"unknown profile {profile_id!r}")

    def default_profile(self, district: str) -> ScoringProfile | None:
        """The profile a school of `district` uses unless it picks another: its district's, else the national one."""
        own = [p for p in self.profiles if p.district == district]
        general = [p for p in self.profiles if not p.district]
        return (own or general or [None])[0]

    def active_checklist(self) -> tuple[CheckItem, ...]:
        return tuple(i for i in self.checklist if i.active)

    def figures(self) -> list[Figure]:
        return [f for p in self.practices for f in p.figures]


def dataset_from_result(result: Result, schema_dir: Path) -> Dataset:
    """Build the typed dataset from a validation result that has no problems."""
    if result.problems:
        raise DataError(result.problems, result.summary)
    groups: dict[str, list[Any]] = {k: [] for k in (*_CLASSES, "districts", "practices", "profiles")}
    meta: dict[str, Any] = {}
    current_district: dict[str, str] = {}
    for ref in result.records:
        origin = Origin(ref.file.name, ref.where()[0])
        if ref.kind == "districts":
            # A district's page is named after its file: data/practices/<slug>.yaml → practices/<slug>/.
            groups["districts"].append(build(District, ref.data, origin, slug=Path(ref.file.name).stem))
            current_district[ref.file.name] = ref.id
        elif ref.kind == "practices":
            figs = tuple(build(Figure, f, Origin(ref.file.name, ref.where("figures", i)[0]))
                         for i, f in enumerate(ref.data.get("figures") or []))
            groups["practices"].append(build(Practice, ref.data, origin, figures=figs,
                                             district=current_district.get(ref.file.name, "")))
        elif ref.kind == "profiles":
            groups["profiles"].append(profile_from(ref.data, origin))
        elif ref.kind in _CLASSES:
            groups[ref.kind].append(build(_CLASSES[ref.kind], ref.data, origin))
    for f in result.files:
        if result.schemas.get(f.name) == "meta":
            meta = f.data
    by_id: dict[str, Record] = {}
    for kind, items in groups.items():
        for item in items:
            if kind != "profiles":
                by_id[item.id] = item
            for fig in getattr(item, "figures", ()):
                by_id[fig.id] = fig
    dims = tuple(Dimension(**d) for d in meta.get("dimensions", ()))
    dim_order = {d.key: n for n, d in enumerate(dims)}
    groups["checklist"].sort(key=lambda i: (dim_order.get(i.dimension, len(dim_order)), i.order, i.id))
    return Dataset(
        data_version=meta["data_version"], title=meta["title"], vocab=load_vocab(schema_dir), schema_dir=schema_dir,
        dimensions=dims,
        by_id=MappingProxyType(by_id), **{k: tuple(v) for k, v in groups.items()},
    )


def load_dataset(root: Path, **kwargs: Any) -> Dataset:
    """Validate everything under `root`, then build the typed dataset; raise DataError on any problem."""
    return dataset_from_result(validate(root, **kwargs), root.resolve() / "schemas")


__all__ = ["Dataset", "load_dataset", "dataset_from_result", "DataError"]
