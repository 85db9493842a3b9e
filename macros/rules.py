"""Cross-file rules: checks that need more than one record or file, each yielding `Problem`s.

Rules read only records whose fields passed their schema (`Context.records`), so they may trust
the shapes they read. A rule is a function of the `Context`; `@rule` registers it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .load import LoadedFile, path_text
from .problems import Problem
from .vocab import load_vocab

SEED_LOC = re.compile(r"^L(\d+)(?:-L?(\d+))?$")


@dataclass(frozen=True)
class RecordRef:
    """A record found in a file, with where it sits (for messages) and what it is."""

    file: LoadedFile
    path: tuple[str | int, ...]
    kind: str  # collection name, e.g. "sources", "figures", "district"
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return self.data.get("id", "")

    @property
    def active(self) -> bool:
        return self.data.get("status", "active") != "retired"

    def where(self, *sub: str | int, key: bool = False) -> tuple[int, int]:
        return self.file.positions.locate((*self.path, *sub), key=key)

    def problem(self, sub: tuple[str | int, ...], message: str) -> Problem:
        line, col = self.where(*sub)
        return Problem(self.file.name, line, col, path_text((*self.path, *sub)), message)


@dataclass
class Context:
    """What the cross-file rules look at.

    `records` holds only records that passed their schema, so rules may trust their shapes;
    `by_id` knows every record with an ID, so a typo in one record does not cascade into
    "unknown ID" problems everywhere it is referenced.
    """

    records: list[RecordRef]
    by_id: dict[str, RecordRef]  # clean records only: safe to read
    seeds_dir: Path
    seed_lines: dict[str, list[str]] | None  # seed file name -> lines; None when seeds are absent
    files: list[LoadedFile]
    dimensions: tuple[str, ...] | None = None  # from meta.yaml, when it declares them
    all_records: list[RecordRef] = field(default_factory=list)  # including records that failed their schema
    known_ids: set[str] = field(default_factory=set)  # every ID in the data, clean or not
    junk: tuple[str, ...] = ()  # web-junk markers (schemas/junk-markers.json)
    schema_dir: Path = Path("schemas")
    complete: bool = True  # False: some data file could not be read, so its records are missing
    unchecked: int = 0  # references not checked because their target may be in an unreadable file

    originals: dict[tuple[int, tuple[str | int, ...]], RecordRef] = field(default_factory=dict, repr=False)

    def damaged(self, r: RecordRef, key: str) -> bool:
        """True when the record's `key` failed its schema (so a rule must not read its absence as a fact)."""
        if key in r.data:
            return False
        if not self.originals:  # by file and place, built once: a scan per call made 100× data quadratic
            self.originals.update(((id(o.file), o.path), o) for o in self.all_records)
        original = self.originals.get((id(r.file), r.path))
        return original is not None and key in original.data


Rule = Callable[[Context], Iterator[Problem]]
RULES: list[Rule] = []


def rule(fn: Rule) -> Rule:
    RULES.append(fn)
    return fn


@rule
def duplicate_ids(ctx: Context) -> Iterator[Problem]:
    first: dict[str, RecordRef] = {}
    for r in ctx.all_records:
        if not isinstance(r.data.get("id"), str) or not r.id:
            continue
        if r.id in first:
            other = first[r.id]
            yield r.problem(("id",), f"ID“{r.id}”重复（已在 {other.file.name}:{other.where('id')[0]} 使用）")
        else:
            first[r.id] = r


def _references(r: RecordRef) -> Iterator[tuple[tuple[str | int, ...], str, tuple[str, ...]]]:
    """Every ID a record points at: (sub-path, id, allowed prefixes; empty means any)."""
    d = r.data
    for i, c in enumerate(d.get("cite") or []):
        if isinstance(c, dict) and isinstance(c.get("src"), str):
            yield ("cite", i, "src"), c["src"], ("SRC",)
    for i, x in enumerate(d.get("basis") or []):
        yield ("basis", i), x, ("RS", "DI", "MR", "OS", "SP", "MS", "PL", "PR", "VR", "GL", "FG", "SRC")
    for i, x in enumerate(d.get("evidence") or []) if r.kind == "checklist" else ():
        yield ("evidence", i), x, ("EV",)
    for i, x in enumerate((d.get("applies") or {}).get("district") or []):
        yield ("applies", "district", i), x, ("DS",)
    for i, v in enumerate(d.get("variants") or []):
        for j, x in enumerate(v.get("records") or [] if isinstance(v, dict) else []):
            yield ("variants", i, "records", j), x, ()
    for i, rel in enumerate(d.get("relates") or []):
        if isinstance(rel, dict) and isinstance(rel.get("ref"), str):
            yield ("relates", i, "ref"), rel["ref"], ()
    for i, x in enumerate(d.get("see") or []):
        yield ("see", i), x, ()
    for i, x in enumerate(d.get("terms") or []):
        yield ("terms", i), x, ("GL",)
    for i, x in enumerate(d.get("parts") or []) if r.kind == "figures" else ():
        yield ("parts", i), x, ("FG",)
    for i, x in enumerate(d.get("based_on") or []):
        yield ("based_on", i), x, ("SRC",)
    if r.kind == "districts":
        for i, x in enumerate(d.get("sources") or []):
            yield ("sources", i), x, ("SRC",)
    if r.kind == "schools" and isinstance(d.get("district"), str) and d["district"] != "OTHER":
        yield ("district",), d["district"], ("DS",)
    if r.kind == "profiles":
        if isinstance(d.get("district"), str):
            yield ("district",), d["district"], ("DS",)
        for i, x in enumerate(d.get("binding_sources") or []):
            yield ("binding_sources", i), x, ("SRC",)
        for key in ("items", "vetoes"):
            for i, entry in enumerate(d.get(key) or []):
                if isinstance(entry, dict) and isinstance(entry.get("item"), str):
                    yield (key, i, "item"), entry["item"], ("CK",)
        for i, param in enumerate(d.get("parameters") or []):
            for j, x in enumerate(param.get("items") or [] if isinstance(param, dict) else []):
                yield ("parameters", i, "items", j), x, ("CK",)
    replaced = (d.get("retired") or {}).get("replaced_by") if isinstance(d.get("retired"), dict) else None
    if isinstance(replaced, str):
        yield ("retired", "replaced_by"), replaced, (r.id.split("-")[0],)


@rule
def references(ctx: Context) -> Iterator[Problem]:
    for r in ctx.records:
        for sub, ref, prefixes in _references(r):
            if not isinstance(ref, str):
                continue
            target = ctx.by_id.get(ref)
            if target is None and ref in ctx.known_ids:
                continue  # the target exists but failed its schema; that problem is reported there
            if target is None and not ctx.complete:
                ctx.unchecked += 1  # perhaps defined in the file that could not be read: one summary line
                continue
            if target is None:
                yield r.problem(sub, f"引用了不存在的 ID“{ref}”")
            elif prefixes and ref.split("-")[0] not in prefixes:
                yield r.problem(sub, f"“{ref}”类型不对（这里应引用 {'/'.join(prefixes)}- 开头的 ID）")
            elif r.active and not target.active and sub[0] != "retired":
                yield r.problem(sub, f"引用了已停用的 ID“{ref}”（请改用替代它的记录）")
            elif ref == r.id:
                yield r.problem(sub, "记录不能引用自己")


def _normalise(s: str) -> str:
    return re.sub(r"\s+", "", s)


@rule
def seed_citations(ctx: Context) -> Iterator[Problem]:
    for r in ctx.records:
        for i, c in enumerate(r.data.get("cite") or []):
            if not isinstance(c, dict):
                continue
            src = ctx.by_id.get(c.get("src", ""))
            if src is None or src.data.get("kind") != "seed":
                continue
            loc = str(c.get("loc", ""))
            m = SEED_LOC.match(loc)
            if not m:
                yield r.problem(("cite", i, "loc"), f"原始文本的位置应写成 L12 或 L3-5，而不是“{loc}”")
                continue
            first, last = int(m.group(1)), int(m.group(2) or m.group(1))
            if last < first:
                yield r.problem(("cite", i, "loc"), f"行号范围“{loc}”倒置")
                continue
            span = src.data.get("lines") or {}
            if span and not (span.get("first", 0) <= first and last <= span.get("last", 10**9)):
                yield r.problem(("cite", i, "loc"),
                                f"{loc} 不在来源 {src.id} 的范围内（第 {span.get('first')}–{span.get('last')} 行）")
                continue
            if ctx.seed_lines is None:
                continue
            lines = ctx.seed_lines.get(src.data.get("seed_file", ""))
            if lines is None:
                continue  # reported once by seed_files
            if last > len(lines):
                yield r.problem(("cite", i, "loc"), f"{loc} 不存在：原始文本只有 {len(lines)} 行")
                continue
            cited = lines[first - 1:last]
            if not any(line.strip() for line in cited):
                yield r.problem(("cite", i, "loc"), f"{loc} 是空行")
                continue
            junk = [mk for mk in ctx.junk for line in cited if mk in line]
            if junk:
                yield r.problem(("cite", i, "loc"), f"{loc} 是网页杂项（“{junk[0]}”），不是来源内容")
                continue
            find = c.get("find")
            if isinstance(find, str) and _normalise(find) not in _normalise("".join(cited)):
                yield r.problem(("cite", i, "find"), f"在 {src.id} 的 {loc} 里找不到“{find}”")


@rule
def seed_files(ctx: Context) -> Iterator[Problem]:
    if ctx.seed_lines is None:
        return
    for r in ctx.records:
        if r.kind != "sources" or r.data.get("kind") != "seed":
            continue
        name = r.data.get("seed_file")
        if not isinstance(name, str):
            continue  # missing or malformed: the schema layer has already said so
        lines = ctx.seed_lines.get(name)
        if lines is None:
            yield r.problem(("seed_file",), f"在 {ctx.seeds_dir} 里找不到原始文本“{name}”")
        elif (r.data.get("lines") or {}).get("last", 0) > len(lines):
            yield r.problem(("lines", "last"), f"原始文本只有 {len(lines)} 行")


@rule
def figure_sums(ctx: Context) -> Iterator[Problem]:
    for r in ctx.records:
        parts = r.data.get("parts")
        if r.kind != "figures" or not isinstance(parts, list):
            continue
        values = [ctx.by_id[p].data.get("value") for p in parts if p in ctx.by_id]
        if len(values) != len(parts) or not all(isinstance(v, (int, float)) for v in values):
            continue
        total = r.data.get("value")
        if isinstance(total, (int, float)) and abs(sum(values) - total) > 1e-9:
            shown = " + ".join(f"{v:g}" for v in values)
            yield r.problem(("value",), f"分项之和 {shown} = {sum(values):g}，与总数 {total:g} 不符")
        units = {str(ctx.by_id[p].data.get("unit")) for p in parts} | {str(r.data.get("unit"))}
        if len(units) > 1:
            yield r.problem(("parts",), f"分项与总数的单位不一致：{'、'.join(sorted(u for u in units if u))}")


FORCE_QUOTE_WEAKER = re.compile(r"探索|可以|提倡|倡导|鼓励|可(?=[列视根委参征请])")


def _sentence_with(text: str, phrase: str) -> str:
    """The sentence of `text` (up to a full stop) that contains `phrase`, whitespace ignored; "" if none.

    Not split at semicolons: a word such as 探索 at the head of a sentence governs the list after it
    (襄州 L43: 探索建立“五项保障”工作机制，即……；……；……。).
    """
    for sentence in re.split(r"[。！？!?]", _normalise(text)):
        if _normalise(phrase) in sentence:
            return sentence
    return ""


def _first_seed_cite(ctx: Context, r: RecordRef) -> tuple[int, dict[str, Any], list[str]] | None:
    """The first citation of a seed source whose lines can be read: (index, cite, cited lines)."""
    if ctx.seed_lines is None:
        return None
    for i, c in enumerate(r.data.get("cite") or []):
        src = ctx.by_id.get(c.get("src", "")) if isinstance(c, dict) else None
        if src is None or src.data.get("kind") != "seed":
            continue
        m = SEED_LOC.match(str(c.get("loc", "")))
        lines = ctx.seed_lines.get(src.data.get("seed_file", ""))
        if not m or lines is None:
            return None
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        return i, c, lines[first - 1:last]
    return None


@rule
def force_quotes(ctx: Context) -> Iterator[Problem]:
    """force_quote occurs on the cited line; a weaker word in its sentence needs a force_note."""
    binding = load_vocab(ctx.schema_dir).binding_forces
    for r in ctx.records:
        quote, force = r.data.get("force_quote"), r.data.get("force")
        if not isinstance(quote, str):
            continue
        found = _first_seed_cite(ctx, r)
        if found is None:
            continue
        i, c, lines = found
        text = "".join(lines)
        if _normalise(quote) not in _normalise(text):
            yield r.problem(("force_quote",), f"在 {c.get('src')} 的 {c.get('loc')} 里找不到“{quote}”")
            continue
        weaker = FORCE_QUOTE_WEAKER.search(_sentence_with(text, quote))
        if force in binding and weaker and not r.data.get("force_note"):
            yield r.problem(("force",), f"所引句子里有“{weaker.group()}”，却记为“{force}”：请改为原文的力度，"
                                        "或用 force_note 说明为什么“" + weaker.group() + "”不管这一句")


@rule
def one_source_per_rule(ctx: Context) -> Iterator[Problem]:
    """A record that states a rule cites one source (plus documents known only through it)."""
    for r in ctx.records:
        if "force" not in r.data:
            continue
        srcs: list[str] = []
        for c in r.data.get("cite") or []:
            if isinstance(c, dict) and isinstance(c.get("src"), str) and c["src"] not in srcs:
                srcs.append(c["src"])
        if len(srcs) < 2:
            continue
        main = srcs[0]
        for other in srcs[1:]:
            if other not in ctx.by_id and (other in ctx.known_ids or not ctx.complete):
                continue  # the source failed its schema or sits in an unreadable file: reported there
            known = (ctx.by_id.get(other).data.get("known_from") or {}) if other in ctx.by_id else {}
            if known.get("src") != main:
                yield r.problem(("cite",), f"规定类记录只能引用一个来源（这里还引用了 {other}）：不同来源的说法请分成不同记录")
                break


@rule
def unused_sources(ctx: Context) -> Iterator[Problem]:
    if not ctx.complete:
        return  # the citing records may be in the file that could not be read
    used: set[str] = set()
    for r in ctx.records:
        for sub, ref, _prefixes in _references(r):
            if isinstance(ref, str) and ref.startswith("SRC-") and sub[0] != "retired":
                used.add(ref)
    for r in ctx.records:
        if r.kind == "sources" and r.active and r.id and r.id not in used:
            yield r.problem(("id",), f"来源“{r.id}”没有被任何记录引用：请引用它，或删除它")


def _strings(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, (*path, i))


@rule
def web_junk(ctx: Context) -> Iterator[Problem]:
    for f in ctx.files:
        for path, s in _strings(f.data, ()):
            hit = next((mk for mk in ctx.junk if mk in s), None)
            if hit:
                line, col = f.positions.locate(path)
                yield Problem(f.name, line, col, path_text(path), f"含有网页杂项“{hit}”：这不是来源内容")


@rule
def local_items(ctx: Context) -> Iterator[Problem]:
    for r in ctx.records:
        if r.kind != "checklist":
            continue
        if ctx.damaged(r, "applies") or ctx.damaged(r, "dimension"):
            continue  # its schema problem is reported; guessing here would report it twice
        local = r.data.get("dimension") == "local"
        has_district = bool((r.data.get("applies") or {}).get("district"))
        if local and not has_district:
            yield r.problem(("applies",), "地方特色（local）检查项必须用 applies.district 限定地区")
        elif has_district and not local:
            yield r.problem(("dimension",), "只适用于某些地区的检查项应归入地方特色（dimension: local）")


@rule
def checklist_dimensions(ctx: Context) -> Iterator[Problem]:
    if ctx.dimensions is None:
        return
    for r in ctx.records:
        if r.kind == "checklist" and r.data.get("dimension") not in ctx.dimensions:
            yield r.problem(("dimension",), f"维度“{r.data.get('dimension')}”没有在 data/meta.yaml 的 dimensions 中列出")


@rule
def school_names(ctx: Context) -> Iterator[Problem]:
    seen: dict[tuple[str, str], RecordRef] = {}
    for r in ctx.records:
        if r.kind != "schools" or not isinstance(r.data.get("name"), str):
            continue
        key = (str(r.data.get("district")), r.data["name"])
        if key in seen:
            yield r.problem(("name",), f"学校“{r.data['name']}”重复（已在第 {seen[key].where('name')[0]} 行）")
        else:
            seen[key] = r


def _adopted(ctx: Context) -> dict[str, set[str]]:
    """Source ID → the districts whose scoring profiles adopt it ("*" for a profile with no district)."""
    out: dict[str, set[str]] = {}
    for r in ctx.records:
        if r.kind == "profiles" and r.active:
            for sid in r.data.get("binding_sources") or []:
                out.setdefault(sid, set()).add(r.data.get("district") or "*")
    return out


def _binding_districts(ctx: Context, rid: str, adopted: dict[str, set[str]]) -> set[str] | None:
    """Where a record can bind: {"*"} everywhere, district IDs, or empty; None when it cannot be read.
    `adopted`: the districts whose scoring profiles adopt each source (_adopted)."""
    vocab = load_vocab(ctx.schema_dir)
    r = ctx.by_id.get(rid)
    if r is None or ctx.damaged(r, "force") or ctx.damaged(r, "cite"):
        return None  # unknown (a problem reported elsewhere)
    if r.kind == "variants":
        return set()  # a question, not a rule (macros/scope.py)
    if r.data.get("force") not in vocab.binding_forces:
        return set()
    out = set()
    for c in r.data.get("cite") or []:
        src = ctx.by_id.get(c.get("src", ""))
        if src is not None and (ctx.damaged(src, "level") or ctx.damaged(src, "binds")):
            return None
        out.update(adopted.get(c.get("src", ""), ()))
        reach = vocab.level_binds.get(src.data.get("level", ""), "none") if src else "none"
        if reach == "all":
            out.add("*")
        elif reach == "listed":
            out.update(src.data.get("binds") or [])
    return out


@rule
def reference_only_items(ctx: Context) -> Iterator[Problem]:
    """An item that can be a 规定项 for no school must not grade 未达标/基本达标 (it is a 参考项 everywhere)."""
    if not ctx.complete:
        return  # the records or sources that make it binding may be in the file that could not be read
    adopted = _adopted(ctx)
    for r in ctx.records:
        if r.kind != "checklist" or not r.active or any(ctx.damaged(r, k) for k in ("basis", "applies", "rubric")):
            continue
        reach: set[str] = set()
        for rid in r.data.get("basis") or []:
            found = _binding_districts(ctx, rid, adopted)
            if found is None:
                break  # a basis record could not be read: reported elsewhere
            reach |= found
        else:
            local = set((r.data.get("applies") or {}).get("district") or [])
            binds_somewhere = "*" in reach or (reach & local if local else reach)
            rubric = r.data.get("rubric") or {}
            graded = [k for k in ("基本达标", "未达标") if k in rubric]
            if not binds_somewhere and graded:
                yield r.problem(("rubric",), "这一项的依据对任何学校都没有约束力（探索、可以、提倡、报道、范文或一所学校自己的方案），"
                                             f"只能作为参考项：请删去评判标准中的“{'”“'.join(graded)}”，或补充有约束力的依据")


@rule
def glossary_names_its_source(ctx: Context) -> Iterator[Problem]:
    """A definition that states a rule only one source states must say whose rule it is."""
    for r in ctx.records:
        if r.kind != "glossary" or "force" not in r.data:
            continue
        srcs = {c.get("src") for c in r.data.get("cite") or [] if isinstance(c, dict)}
        if len(srcs) != 1:
            continue
        src = ctx.by_id.get(next(iter(srcs)))
        if src is None:
            continue
        names = [n for n in (src.data.get("short"), src.data.get("place"), src.data.get("title")) if n]
        definition = r.data.get("definition") or ""
        if names and not any(n in definition for n in names):
            yield r.problem(("definition",), f"这条释义写的是只有 {src.id} 的规定：请在释义中写明“{names[0]}”")


@rule
def profile_consistency(ctx: Context) -> Iterator[Problem]:
    """Grade bands, listed items and vetoes of a scoring profile must fit together."""
    for r in ctx.records:
        if r.kind != "profiles":
            continue
        grades = [g for g in r.data.get("grades") or [] if isinstance(g, dict)]
        names = [g.get("name") for g in grades]
        for i, g in enumerate(grades):
            if names.count(g.get("name")) > 1:
                yield r.problem(("grades", i, "name"), f"等级“{g.get('name')}”重复")
        mins = [g.get("min") for g in grades]
        if grades and 0 not in mins:
            yield r.problem(("grades",), "最低一档的 min 应为 0（每个分数都要落在某一档里）")
        if len(set(mins)) != len(mins):
            yield r.problem(("grades",), "两个等级的最低分相同")
        for i, g in enumerate(grades):
            if isinstance(g.get("min"), (int, float)) and isinstance(r.data.get("total"), (int, float)) and g["min"] > r.data["total"]:
                yield r.problem(("grades", i, "min"), f"最低分 {g['min']} 超过总分 {r.data['total']}")
        seen: dict[str, int] = {}
        for i, entry in enumerate(r.data.get("items") or []):
            item = entry.get("item") if isinstance(entry, dict) else None
            if item in seen:
                yield r.problem(("items", i, "item"), f"检查项 {item} 重复（第 {seen[item] + 1} 条已有）")
            elif isinstance(item, str):
                seen[item] = i
            deduct = entry.get("deduct") if isinstance(entry, dict) else None
            if isinstance(deduct, dict) and isinstance(deduct.get("cap"), (int, float)) and \
                    isinstance(entry.get("points"), (int, float)) and deduct["cap"] > entry["points"]:
                yield r.problem(("items", i, "deduct", "cap"), f"扣分上限 {deduct['cap']} 超过本项分值 {entry['points']}")
        ids: set[str] = set()
        for i, veto in enumerate(r.data.get("vetoes") or []):
            if not isinstance(veto, dict):
                continue
            if veto.get("id") in ids:
                yield r.problem(("vetoes", i, "id"), f"否决项编号“{veto.get('id')}”重复")
            ids.add(veto.get("id"))
            if veto.get("effect") == "cap" and veto.get("grade") not in names:
                yield r.problem(("vetoes", i, "grade"), f"封顶等级“{veto.get('grade')}”不在 grades 中（可选：{'、'.join(map(str, names))}）")
        keys = [p.get("key") for p in r.data.get("parameters") or [] if isinstance(p, dict)]
        for i, key in enumerate(keys):
            if keys.count(key) > 1:
                yield r.problem(("parameters", i, "key"), f"参数“{key}”重复")
