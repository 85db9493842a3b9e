"""Drafts of a school's own rules, from data: 党组织会议议事规则, 校长办公会议议事规则, 决策事项清单.

For one kind of school (党组织类型 × 书记校长配备, optionally a scoring profile, which brings its
district, the local sources that bind its schools and its local `parameters`):

* the body is made of binding clauses: records whose force binds and one of whose sources binds the
  school (macros/scope.py) — so a 探索 clause is never in the body;
* every other relevant record is a clause marked 可选, with whose rule it is (襄州·探索, 范文 …);
* local parameters (会议频次, 金额标准) are highlighted blanks, filled from the profile when it has them;
* every clause carries its source, article, the words of its force and its record ID in a footnote.

Meeting rules come by meeting and aspect (vocab order), duties by holder, set-ups by org type and
mode, decisions where the meeting acts on them. Nothing is reworded: a clause is the record's own
statement, summary or matter. The drafts are documents (docx_write) and site pages (templates/rule_drafts.html).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .docx_model import blank, clean, heading, numeral, para, readable_loc, source_title, table, texts, title
from .model import Dataset, Decision, MeetingRule, Record, Responsibility, ScoringProfile, Setup
from .scope import cited_sources, force_label, school_sources
from .vocab import ASPECT_LABELS, UNKNOWN


@dataclass(frozen=True)
class Clause:
    record: str
    text: str
    optional: str  # "" for a binding clause, else whose rule it is (e.g. 襄州·探索)
    note: str  # the footnote: source, article, force, record ID


@dataclass(frozen=True)
class Slot:
    """A local parameter: the profile's value, or "" for a highlighted blank."""

    label: str
    value: str = ""
    note: str = ""


@dataclass(frozen=True)
class Section:
    heading: str
    clauses: tuple[Clause, ...]
    slots: tuple[Slot, ...] = ()


@dataclass(frozen=True)
class Draft:
    key: str
    file: str  # file stem, e.g. 党组织会议议事规则
    title: str
    applies: str
    sections: tuple[Section, ...]
    decisions: tuple[tuple[Clause, str, str], ...] = ()  # (clause, 办理程序, 约束) rows of the 决策事项清单
    empty_body: str = ""  # said when no clause binds


@dataclass(frozen=True)
class Kind:
    """The kind of school a set of drafts is for."""

    org_type: str
    mode: str
    profile: ScoringProfile | None = None

    @property
    def district(self) -> str:
        return self.profile.district if self.profile and self.profile.district else UNKNOWN


def clause(ds: Dataset, record: Record, text: str, bound: frozenset[str]) -> Clause:
    """A record as a clause: binding when its force binds and one of its sources binds the school."""
    t = texts()["rules"]
    binding = bool(set(cited_sources(ds, record)) & bound)
    c = record.cite[0]
    values = {"source": source_title(ds.source(c.src)), "loc": readable_loc(c.loc), "force": force_label(ds, record) or record.force,
              "quote": record.force_quote, "id": record.id}
    note = (t["footnote"] if record.force_quote else t["footnote_no_quote"]).format(**values)
    return Clause(record.id, clean(text), "" if binding else (force_label(ds, record) or record.force or "未写明"), note)


def ordered(clauses: list[Clause]) -> tuple[Clause, ...]:
    """Binding clauses first, then the optional ones, each in data order."""
    return tuple(sorted(clauses, key=lambda c: bool(c.optional)))


def _active(records: Any) -> list[Any]:
    return [r for r in records if r.active and r.cite]


def slots(ds: Dataset, kind: Kind, draft: str, aspect: str) -> tuple[Slot, ...]:
    """The local-parameter blanks of one draft section, filled from the kind's profile where it sets them."""
    t = texts()["rules"]
    params = {p.key: p for p in kind.profile.parameters} if kind.profile else {}
    out = []
    for spec in ds.vocab.parameters:
        if spec.draft != draft or spec.aspect != aspect:
            continue
        p = params.get(spec.key)
        if p is None:
            out.append(Slot(spec.label))
        else:
            assert kind.profile is not None
            out.append(Slot(spec.label, clean(p.value),
                            t["parameter_note"].format(kind.profile.name, kind.profile.version, p.key)))
    return tuple(out)


def meeting_draft(ds: Dataset, kind: Kind, spec: dict[str, Any], bound: frozenset[str]) -> Draft:
    t = texts()["rules"]
    sections: list[Section] = []
    if spec["setups"]:
        setups = [s for s in _active(ds.setups) if isinstance(s, Setup) and s.org_type == kind.org_type
                  and s.mode in ("", kind.mode)]
        if setups:
            sections.append(Section(t["sections"]["setup"],
                                    ordered([clause(ds, s, "；".join(s.rules) + "。" if s.rules else s.summary, bound)
                                             for s in setups])))
    duties = [r for r in _active(ds.responsibilities) if isinstance(r, Responsibility) and r.holder in spec["holders"]]
    if duties:
        sections.append(Section(t["sections"]["duties"], ordered([clause(ds, r, r.summary, bound) for r in duties])))
    matters = [clause(ds, d, matter_line(d), bound) for d in _active(ds.decisions)
               if isinstance(d, Decision) and any(role.body == spec["body"] for role in d.roles)]
    if matters:
        sections.append(Section(t["sections"]["matters"], ordered(matters)))
    rules = [r for r in _active(ds.meeting_rules) if isinstance(r, MeetingRule) and r.body == spec["body"]]
    for aspect in ds.vocab.aspects:
        found = [clause(ds, r, r.statement, bound) for r in rules if r.aspect == aspect]
        extra = slots(ds, kind, spec["key"], aspect)
        if found or extra:
            sections.append(Section(ASPECT_LABELS[aspect], ordered(found), extra))
    return _draft(kind, spec, sections)


def matter_text(d: Decision) -> str:
    tag = texts()["rules"]["sanzhong"]
    return d.matter + (tag if d.sanzhong_yida and "三重一大" not in d.matter else "")


def steps(d: Decision) -> str:
    t = texts()["rules"]
    return t["role_sep"].join(t["role"].format(body=r.body, action=r.action) for r in d.roles)


def matter_line(d: Decision) -> str:
    return texts()["rules"]["matter_line"].format(matter=matter_text(d), roles=steps(d))


def decisions_draft(ds: Dataset, kind: Kind, spec: dict[str, Any], bound: frozenset[str]) -> Draft:
    t = texts()["rules"]
    rows = []
    for d in _active(ds.decisions):
        assert isinstance(d, Decision)
        c = clause(ds, d, matter_text(d), bound)
        rows.append((c, steps(d), t["optional_cell"].format(c.optional) if c.optional else t["binding"]))
    rows.sort(key=lambda row: bool(row[0].optional))
    sections = [Section("", (), slots(ds, kind, "decisions", ""))]
    return _draft(kind, spec, sections, tuple(rows))


def _draft(kind: Kind, spec: dict[str, Any], sections: list[Section],
           decisions: tuple[tuple[Clause, str, str], ...] = ()) -> Draft:
    t = texts()["rules"]
    profile = t["applies_profile"].format(kind.profile.name, kind.profile.id) if kind.profile else ""
    applies = t["applies"].format(org_type=kind.org_type, mode=kind.mode, profile=profile)
    clauses = [c for s in sections for c in s.clauses] + [row[0] for row in decisions]
    empty = t["none_binding"].format(spec["file"]) if clauses and all(c.optional for c in clauses) else ""
    return Draft(spec["key"], spec["file"], spec["title"], applies, tuple(sections), decisions, empty)


def drafts(ds: Dataset, kind: Kind) -> tuple[Draft, ...]:
    """The three drafts for a kind of school."""
    bound = school_sources(ds, kind.district, kind.profile.binding_sources if kind.profile else ())
    out = []
    for spec in texts()["rules"]["drafts"]:
        make = decisions_draft if spec["key"] == "decisions" else meeting_draft
        out.append(make(ds, kind, spec, bound))
    return tuple(out)


# ----------------------------------------------------------------------------------------------
# As a Word document


def _clause_para(n: int, c: Clause) -> dict[str, Any]:
    t = texts()["rules"]
    content: list[Any] = [f"{n}. {c.text}"]
    if c.optional:
        content.append({"text": t["optional"].format(c.optional), "bold": True})
    content.append({"note": c.note})
    return para(*content, indent=True)


def _slot_para(s: Slot) -> dict[str, Any]:
    label = texts()["rules"]["parameter_line"].format(s.label)
    if s.value:
        return para(label, {"text": s.value, "blank": True}, {"note": s.note}, indent=True)
    return para(label, blank(s.label), indent=True)


def draft_model(ds: Dataset, draft: Draft) -> dict[str, Any]:
    """A draft as a document model (official style, footnotes)."""
    t = texts()["rules"]
    version = texts()["data_version"].format(ds.data_version)
    blocks: list[dict[str, Any]] = [title(blank(t["school_blank"]), draft.title.format("")),
                                    para(t["draft"], style="subtitle", align="center"),
                                    para(draft.applies, style="note", align="center"),
                                    para(t["note"].format(version), style="note"),
                                    para(t["procedure"], style="note")]
    if draft.empty_body:
        blocks.append(para(draft.empty_body, style="note"))
    n, section_no = 0, 0
    for s in draft.sections:
        if s.heading:
            section_no += 1
            blocks.append(heading(1, f"{numeral(section_no)}、{s.heading}"))
        blocks.extend(_slot_para(slot) for slot in s.slots)
        for c in s.clauses:
            n += 1
            blocks.append(_clause_para(n, c))
    if draft.decisions:
        rows = [{"cells": [[str(i)], [c.text, {"note": c.note}], [how], [force]]}
                for i, (c, how, force) in enumerate(draft.decisions, start=1)]
        blocks.append(table(t["decision_columns"], t["decision_widths"], rows))
    return {"kind": "rules", "style": "official", "orientation": "portrait", "title": draft.title.format(""),
            "header": [draft.title.format("") + t["draft"] + " · " + version],
            "footer": ["— ", {"field": "PAGE"}, " —"], "blocks": blocks}


def file_name(kind: Kind, draft: Draft) -> str:
    return f"{kind.org_type}-{kind.mode}-{draft.file}（草稿）.docx"
