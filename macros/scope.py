"""Force and scope: whom a record binds, and whether a checklist item is a 规定项 for a school.

A record binds a school when its `force` can bind (schema: `x-binding`) and one of its cited
sources binds the school. A source binds by its `level` (schema: `x-binds`): 全国 binds every
school; 省/市/区县 bind the schools of the districts in its `binds`; 学校自定, 范文 and 报道 bind
nobody else. A checklist item is a 规定项 for a school when a record of its basis binds the school;
otherwise it is a 参考项 — good practice, answered 已采用/未采用, never counted as 未达标.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import CheckItem, Dataset, Record, Source, Variant
from .vocab import UNKNOWN

RULE, REFERENCE = "规定项", "参考项"
EVERY_SCHOOL = "*"  # in a set of districts: every school, wherever it is


def source_districts(ds: Dataset, src: Source) -> frozenset[str]:
    """The districts whose schools a source binds: {"*"} for a national one, else its `binds`."""
    reach = ds.vocab.level_binds.get(src.level, "none")
    if reach == "all":
        return frozenset({EVERY_SCHOOL})
    if reach == "listed":
        return frozenset(src.binds)
    return frozenset()


def cited_sources(ds: Dataset, record: Record) -> tuple[str, ...]:
    """The sources through which a record could bind, were they adopted: every source it cites, when
    its force binds (none otherwise — 探索 stays 探索 whoever adopts the document)."""
    if record.force not in ds.vocab.binding_forces:
        return ()
    return tuple(dict.fromkeys(c.src for c in record.cite if isinstance(ds.by_id.get(c.src), Source)))


def binding_sources(ds: Dataset, record: Record) -> tuple[str, ...]:
    """The cited sources through which a record binds someone by the source's own level and `binds`."""
    return tuple(s for s in cited_sources(ds, record) if source_districts(ds, ds.source(s)))


def basis_records(ds: Dataset, item: CheckItem) -> list[Record]:
    """The records an item rests on. A variant (来源分歧) is a question, not a rule: it never makes an
    item binding, even when one of the answers it lists is binding — that record must be in the
    basis itself, so the item's text states that rule and not another side's."""
    return [r for r in (ds.get(rid) for rid in item.basis) if not isinstance(r, Variant)]


@dataclass(frozen=True)
class Binding:
    """Why an item can be a 规定项: the basis records that bind, the sources they bind through by
    level, and every source that would make the item binding if a scoring profile adopted it."""

    records: tuple[str, ...]
    sources: tuple[str, ...]
    cited: tuple[str, ...]

    def districts(self, ds: Dataset) -> frozenset[str]:
        out: set[str] = set()
        for sid in self.sources:
            out |= source_districts(ds, ds.source(sid))
        return frozenset(out)


def item_binding(ds: Dataset, item: CheckItem) -> Binding:
    key = ("binding", item.id)
    if key not in ds.memo:
        ds.memo[key] = _item_binding(ds, item)
    return ds.memo[key]


def _item_binding(ds: Dataset, item: CheckItem) -> Binding:
    records, sources, cited = [], [], []
    for rec in basis_records(ds, item):
        srcs = binding_sources(ds, rec)
        if srcs:
            records.append(rec.id)
            sources.extend(s for s in srcs if s not in sources)
        cited.extend(s for s in cited_sources(ds, rec) if s not in cited)
    return Binding(tuple(records), tuple(sources), tuple(cited))


def school_sources(ds: Dataset, district: str, extra: tuple[str, ...] = ()) -> frozenset[str]:
    """The sources that bind a school of `district`: national ones, that district's, and `extra` (the
    sources its scoring profile adopts, whatever their level)."""
    out = set(extra)
    for src in ds.sources:
        reach = source_districts(ds, src)
        if EVERY_SCHOOL in reach or district in reach:
            out.add(src.id)
    return frozenset(out)


@dataclass(frozen=True)
class Kind:
    """An item's kind for one school; `certain` is False when an unknown district could change it."""

    kind: str
    certain: bool = True


def item_kind(ds: Dataset, item: CheckItem, district: str, extra: tuple[str, ...] = (),
              bound: frozenset[str] | None = None) -> Kind:
    """`bound`: school_sources(ds, district, extra), when the caller has it (select computes it once)."""
    binding = item_binding(ds, item)
    if set(binding.cited) & (bound if bound is not None else school_sources(ds, district, extra)):
        return Kind(RULE)
    if district == UNKNOWN and binding.sources:
        return Kind(REFERENCE, certain=False)  # a local rule: binding only if the school is in that place
    return Kind(REFERENCE)


def scope_label(ds: Dataset, src: Source) -> str:
    """Whose rule: 全国, a place (襄州), or a school's plan, a template or a report by name."""
    if ds.vocab.level_binds.get(src.level) == "all":
        return src.level
    if src.level in ("省", "市", "区县"):
        return src.place or src.label
    return f"{src.place or src.label}·{src.level}"


def force_label(ds: Dataset, record: Record) -> str:
    """The small label a rule carries on the site, e.g. 全国·应当, 襄州·探索, 鹤北小学·学校自定·规定."""
    if not record.force or not record.cite:
        return ""
    src = ds.by_id.get(record.cite[0].src)
    if not isinstance(src, Source):
        return record.force
    return f"{scope_label(ds, src)}·{record.force}"
