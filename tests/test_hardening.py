"""Hardening: the validator never crashes, whatever the data, and hostile files stop the build cleanly.

* Property-based: records generated from our JSON Schemas (hypothesis-jsonschema) and random
  mutations of the bundled YAML files always give a list of problems with file, line and column —
  never an exception.
* Hostile files (alias bomb, 20 MB, 10,000-deep nesting, GBK, NUL, BOM, CRLF, tabs, empty, a list
  instead of a mapping, a symlink out of the repository): each gets a clear message at the right
  line, in bounded memory (and within a generous timeout: a hang fails), and a build over such data
  fails with that message and writes no site. How fast is measured by `make bench`, not asserted here.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, copy_project, mkdocs_build
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from macros.problems import Problem
from macros.validate import Result, validate

NO_SEEDS = ROOT / "tests" / "no-such-seeds-dir"  # absent: seed checks are skipped, quickly
SCHEMAS = ROOT / "schemas"
MEMORY_LIMIT_MB = 300


def _check(result: Result) -> None:
    """What every validation result must look like, whatever the input.

    Problems of files that could not be read come first, then the others; each group by file and line.
    """
    problems = result.problems
    unreadable = {f.name for f in result.files if f.data is None or f.problems}
    assert problems == sorted(problems, key=lambda p: (p.file not in unreadable, p))
    assert bool(result.summary) == bool(unreadable)
    for p in problems:
        assert isinstance(p, Problem)
        assert isinstance(p.file, str) and p.file
        assert isinstance(p.line, int) and p.line >= 0
        assert isinstance(p.column, int) and p.column >= 0
        assert isinstance(p.message, str) and p.message.strip()
        assert str(p).startswith(p.file)


def _schema_line(schema: str, depth: int) -> str:
    return f"# yaml-language-server: $schema={'../' * depth}schemas/{schema}.schema.json\n"


def _write_yaml(path: Path, schema: str, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    depth = 2 if path.parent.name in ("practices", "schools") else 1
    path.write_text(_schema_line(schema, depth) + yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")


# ---- records from the schemas ------------------------------------------------------------------

def _hypothesis_jsonschema() -> Any:
    """hypothesis_jsonschema.from_schema, adapted to this Hypothesis.

    hypothesis-jsonschema 0.23 drives Hypothesis' private `many` helper with its old `.more()` loop;
    newer Hypothesis only offers `with many(...) as m: for _ in m:`. The shim gives the old interface
    over the new one, for hypothesis-jsonschema only.
    """
    import hypothesis_jsonschema._from_schema as hjs
    from hypothesis.internal.conjecture import utils as cu
    from hypothesis_jsonschema import from_schema

    if not hasattr(cu.many, "more"):
        class _Many:
            def __init__(self, data: Any, **kw: Any) -> None:
                self._many = cu.many(data, **kw)
                self._many.__enter__()
                self._it = iter(self._many)

            def more(self) -> bool:
                try:
                    next(self._it)
                    return True
                except StopIteration:
                    self._many.__exit__(None, None, None)
                    return False

            def reject(self, why: str | None = None) -> None:
                self._many.reject(why)

        class _Utils(types.ModuleType):
            def __getattr__(self, name: str) -> Any:
                return getattr(cu, name)

        shim = _Utils("hypothesis_jsonschema_cu")
        shim.many = _Many  # type: ignore[attr-defined]
        hjs.cu = shim
    return from_schema


_DOCS = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in SCHEMAS.glob("*.schema.json")}
# Conditionals make hypothesis-jsonschema filter most draws away; the records need not all be valid.
_DROP = {"$id", "$schema", "$defs", "$comment", "description", "title", "examples", "if", "then", "else", "not",
         "uniqueItems"}


def resolve(node: Any, doc: str) -> Any:
    """A schema with every $ref (to common.schema.json, to another file, or local) written out."""
    if isinstance(node, list):
        return [resolve(v, doc) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    if "$ref" in node:
        target, _, pointer = node["$ref"].partition("#")
        target = target or doc
        sub: Any = _DOCS[target]
        for part in filter(None, pointer.split("/")):
            sub = sub[part]
        out.update(resolve(sub, target))
    for key, value in node.items():
        if key in _DROP or key == "$ref":
            continue
        if key in ("enum", "const", "required"):
            out[key] = value
        elif key in ("properties", "patternProperties"):
            out[key] = {k: resolve(v, doc) for k, v in value.items()}
        else:
            out[key] = resolve(value, doc)
    return out


def _record_cases() -> list[tuple[str, str, str, Any]]:
    """(data file, schema, collection key, record schema) for every record type."""
    cases = []
    for name, doc in sorted(_DOCS.items()):
        schema = name.removesuffix(".schema.json")
        props = doc.get("properties", {})
        if "record" in doc.get("$defs", {}) and len(props) == 1:
            (key,) = props
            cases.append((f"{schema}.yaml", schema, key, resolve(doc["$defs"]["record"], name)))
    cases.append(("schools/generated.yaml", "roster", "schools", resolve(_DOCS["roster.schema.json"]["$defs"]["school"],
                                                                         "roster.schema.json")))
    return cases


RECORD_CASES = _record_cases()


def test_every_record_schema_is_covered() -> None:
    covered = {c[1] for c in RECORD_CASES}
    assert covered >= {"sources", "decisions", "checklist", "glossary", "meeting-rules", "roster"}
    assert len(RECORD_CASES) >= 12


@pytest.mark.slow  # hypothesis-jsonschema needs seconds per schema to build its strategy
@pytest.mark.parametrize("case", RECORD_CASES, ids=[c[0] for c in RECORD_CASES])
def test_records_generated_from_the_schemas_never_crash_the_validator(case: tuple[str, str, str, Any]) -> None:
    file, schema, key, record_schema = case
    from_schema = _hypothesis_jsonschema()
    work = Path(tempfile.mkdtemp(prefix="dz-hyp-"))
    data = work / "data"
    data.mkdir()
    shutil.copy(ROOT / "data" / "meta.yaml", data / "meta.yaml")

    @settings(max_examples=6, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    @given(st.lists(from_schema(record_schema), min_size=1, max_size=2))
    def run(records: list[dict[str, Any]]) -> None:
        _write_yaml(data / file, schema, {key: records})
        result = validate(ROOT, data_dir=data, seeds_dir=NO_SEEDS)
        _check(result)

    try:
        run()
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.mark.slow
def test_practice_files_generated_from_the_schema_never_crash_the_validator() -> None:
    from_schema = _hypothesis_jsonschema()
    doc = _DOCS["practice-file.schema.json"]
    props = resolve(doc, "practice-file.schema.json")["properties"]
    work = Path(tempfile.mkdtemp(prefix="dz-hyp-"))
    data = work / "data"
    (data / "practices").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "meta.yaml", data / "meta.yaml")
    strategy = st.fixed_dictionaries({"district": from_schema(props["district"]),
                                      "practices": st.lists(from_schema(props["practices"]["items"]), min_size=1,
                                                            max_size=2)})

    @settings(max_examples=6, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    @given(strategy)
    def run(content: dict[str, Any]) -> None:
        _write_yaml(data / "practices" / "generated.yaml", "practice-file", content)
        _check(validate(ROOT, data_dir=data, seeds_dir=NO_SEEDS))

    try:
        run()
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---- random mutations of valid files -----------------------------------------------------------

MUTATED = ("decisions.yaml", "checklist.yaml", "meta.yaml", "sources.yaml", "glossary.yaml", "practices/fenghua.yaml",
           "schools/demo.yaml")
TRICKY = [":", "-", "- ", "#", "&a ", "*a", "!", "!!int ", "|", ">", "'", '"', "{", "}", "[", "]", ",", "?", "%", "@",
          "`", "\t", " ", "  ", "\u3000", "\x00", "\ufeff", "\r", "\x85", "\u2028", "\x1b", "中", "：", "<<: ", "~",
          "\\", "\ud800", "0x1F", "1e5", "yes", "2026-01-01"]


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(MUTATED))
    lines = (ROOT / "data" / name).read_text(encoding="utf-8").split("\n")
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            lines = [""]
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(("delete", "duplicate", "swap", "insert", "indent", "dedent", "truncate")))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            k = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:k] + draw(st.sampled_from(TRICKY)) + lines[i][k:]
        elif op == "indent":
            lines[i] = " " * draw(st.integers(1, 5)) + lines[i]
        elif op == "dedent":
            lines[i] = lines[i][draw(st.integers(1, 4)):]
        else:
            lines = lines[:i]
    text = "\n".join(lines)
    raw = text.encode("utf-8", errors="surrogatepass")
    if draw(st.booleans()) and draw(st.booleans()):  # now and then, damage the bytes themselves
        k = draw(st.integers(0, len(raw)))
        raw = raw[:k] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xe4\xb8", b"\x00", b"\xef\xbb\xbf", b"\r"])) + raw[k:]
    return name, raw


@pytest.fixture(scope="module")
def mini_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small data folder (meta and sources) that each mutated file joins, so cross-file rules run too."""
    data = tmp_path_factory.mktemp("mut") / "data"
    data.mkdir()
    for name in ("meta.yaml", "sources.yaml"):
        shutil.copy(ROOT / "data" / name, data / name)
    return data


def test_mutated_yaml_never_crashes_the_validator(mini_data: Path) -> None:
    originals = {n: (mini_data / n).read_bytes() for n in ("meta.yaml", "sources.yaml")}

    @settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(mutations())
    def run(mutation: tuple[str, bytes]) -> None:
        name, raw = mutation
        target = mini_data / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(raw)
        try:
            result = validate(ROOT, data_dir=mini_data, seeds_dir=NO_SEEDS)
            _check(result)
        finally:
            target.unlink()
            for n, content in originals.items():
                (mini_data / n).write_bytes(content)

    run()


# ---- hostile files -----------------------------------------------------------------------------

DECISIONS_HEAD = _schema_line("decisions", 1)
VALID_DECISIONS = (ROOT / "data" / "decisions.yaml").read_text(encoding="utf-8")


def _symlink_out(data: Path) -> None:
    (data / "practices").mkdir(exist_ok=True)
    os.symlink("/etc/passwd", data / "practices" / "outside.yaml")


# name -> (file under data/, its bytes or a function that makes it, text every report must contain)
HOSTILE: dict[str, tuple[str, bytes | Callable[[Path], None], str]] = {
    "alias-bomb": ("decisions.yaml", (DECISIONS_HEAD + "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a]\n"
                                      "c: &c [*b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n").encode(),
                   "数据文件不允许使用锚点或别名（& 或 *）"),
    "20-mb": ("decisions.yaml", DECISIONS_HEAD.encode() + b"decisions:\n" + b"  - matter: " + b"x" * (20 * 1024 * 1024)
              + b"\n", "文件过大（20,971,"),
    "deep-nesting": ("decisions.yaml", (DECISIONS_HEAD + "decisions: " + "[" * 10_000 + "]" * 10_000 + "\n").encode(),
                     "嵌套层级过深（超过 40 层）"),
    "gbk": ("decisions.yaml", (DECISIONS_HEAD + "decisions:\n  - matter: 党组织会议议事规则\n").encode("gbk"),
            "文件不是 UTF-8 编码（看起来是 GBK/GB18030 编码"),
    "nul": ("decisions.yaml", (DECISIONS_HEAD + "decisions:\n  - matter: 议事\x00规则\n").encode(), "文件包含 NUL 空字节"),
    "bom": ("decisions.yaml", b"\xef\xbb\xbf" + VALID_DECISIONS.encode(), "文件以 BOM（字节顺序标记）开头"),
    "tabs": ("decisions.yaml", (DECISIONS_HEAD + "decisions:\n\t- matter: 议事规则\n").encode(),
             "缩进里有制表符（Tab）：YAML 只能用空格缩进"),
    "empty": ("decisions.yaml", b"", "文件为空"),
    "list-not-mapping": ("decisions.yaml", (DECISIONS_HEAD + "- matter: 议事规则\n- matter: 决策\n").encode(),
                         "应为映射（键: 值），实际是列表"),
    "symlink-outside": ("practices/outside.yaml", _symlink_out, "符号链接指向数据目录之外：不读取"),
}
# Where each message must point (line of the report for data/<file>), when it is not line 0.
HOSTILE_LINES = {"alias-bomb": 2, "deep-nesting": 2, "gbk": 3, "nul": 3, "bom": 1, "tabs": 3, "empty": 1}
UNREADABLE = {*HOSTILE_LINES, "20-mb"}  # cases whose file cannot be read at all (the others are read)


def _place(data: Path, case: str) -> Path:
    file, content, _ = HOSTILE[case]
    if callable(content):
        content(data)
    else:
        (data / file).parent.mkdir(parents=True, exist_ok=True)
        (data / file).write_bytes(content)
    return data / file


@pytest.fixture(scope="module")
def hostile_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """For each hostile case, a small data folder (meta, sources) with that file added."""
    out = {}
    for case in HOSTILE:
        data = tmp_path_factory.mktemp(case) / "data"
        data.mkdir()
        for name in ("meta.yaml", "sources.yaml"):
            shutil.copy(ROOT / "data" / name, data / name)
        _place(data, case)
        out[case] = data
    return out


_MEMORY_PROBE = """
import json, sys, time
from pathlib import Path
from macros.validate import validate
t = time.monotonic()
result = validate(Path(sys.argv[1]), data_dir=Path(sys.argv[2]), seeds_dir=Path(sys.argv[3]))
seconds = time.monotonic() - t
# VmHWM: this process's own peak (ru_maxrss would include the parent's memory from before exec)
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "peak_kb": hwm, "problems": [str(p) for p in result.problems]}))
"""


@pytest.fixture(scope="module")
def hostile_probes(hostile_dirs: dict[str, Path]) -> dict[str, dict[str, Any]]:
    """Each case validated in its own process: messages, seconds and peak memory."""
    def probe(case: str) -> dict[str, Any]:
        proc = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, str(ROOT), str(hostile_dirs[case]), str(NO_SEEDS)],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        return dict(zip(HOSTILE, pool.map(probe, HOSTILE), strict=True))


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_file_gets_a_clear_message_first(case: str, hostile_dirs: dict[str, Path]) -> None:
    file, _, message = HOSTILE[case]
    result = validate(ROOT, data_dir=hostile_dirs[case], seeds_dir=NO_SEEDS)
    _check(result)
    mine = [p for p in result.problems if p.file.endswith(file)]
    assert any(message in p.message for p in mine), [str(p) for p in result.problems][:10]
    if case in UNREADABLE:
        assert result.problems[0].file.endswith(file), "the file that cannot be read is reported first"
        assert len(result.summary) == 1
    if case in HOSTILE_LINES:
        assert any(p.line == HOSTILE_LINES[case] for p in mine if message in p.message), [str(p) for p in mine]


@pytest.mark.slow  # one process per case, to measure its own peak memory
@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_file_is_handled_in_bounded_memory(case: str, hostile_probes: dict[str, dict[str, Any]]) -> None:
    probe = hostile_probes[case]
    assert any(HOSTILE[case][2] in p for p in probe["problems"])
    assert probe["peak_kb"] < MEMORY_LIMIT_MB * 1024, f"{case}: {probe['peak_kb'] / 1024:.0f} MB"


def test_deep_block_nesting_under_the_size_limit_is_refused() -> None:
    text = DECISIONS_HEAD + "decisions:\n" + "".join("  " * i + "-\n" for i in range(1, 700))
    work = Path(tempfile.mkdtemp(prefix="dz-deep-"))
    try:
        (work / "data").mkdir()
        (work / "data" / "decisions.yaml").write_text(text, encoding="utf-8")
        problems = validate(ROOT, data_dir=work / "data", seeds_dir=NO_SEEDS).problems
        assert any("嵌套层级过深" in p.message for p in problems)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_a_symlinked_folder_pointing_outside_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.yaml").write_text(_schema_line("practice-file", 2) + "district: {}\n", encoding="utf-8")
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    shutil.rmtree(data / "practices")
    os.symlink(outside, data / "practices")
    result = validate(ROOT, data_dir=data, seeds_dir=NO_SEEDS)
    _check(result)
    problems = result.problems
    assert any(p.file.endswith("practices") and "符号链接指向数据目录之外" in p.message for p in problems)
    assert not any("x.yaml" in p.file for p in problems)


def test_crlf_line_ends_are_accepted_and_lines_are_right(tmp_path: Path) -> None:
    """The same file with CRLF gives the same problems, at the same lines, as with LF."""
    lines = VALID_DECISIONS.split("\n")
    idx = next(i for i, line in enumerate(lines) if line.startswith("    matter:"))
    lines[idx] = lines[idx].replace("matter:", "mater:")
    found = {}
    for ending in ("\n", "\r\n"):
        data = tmp_path / repr(ending) / "data"
        shutil.copytree(ROOT / "data", data)
        (data / "decisions.yaml").write_bytes(ending.join(lines).encode("utf-8"))
        result = validate(ROOT, data_dir=data, seeds_dir=NO_SEEDS)
        _check(result)
        found[ending] = [(p.line, p.column, p.field, p.message) for p in result.problems]
    assert found["\r\n"] == found["\n"]
    assert any((line, col, field) == (idx + 1, 5, "decisions[0].mater") and message.startswith("未知字段“mater”")
               for line, col, field, message in found["\r\n"])


# ---- a build over hostile data -----------------------------------------------------------------

BUILD_CASES = ("alias-bomb", "20-mb", "deep-nesting", "gbk", "nul", "bom", "tabs", "empty", "list-not-mapping",
               "symlink-outside")


@pytest.fixture(scope="module")
def hostile_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[subprocess.CompletedProcess[str], Path]]:
    """One build per case, a few at a time: a copy of the project whose data holds the hostile file."""
    def build(case: str) -> tuple[subprocess.CompletedProcess[str], Path]:
        base = tmp_path_factory.mktemp(f"build-{case}")
        project = copy_project(base / "p")
        _place(project / "data", case)
        site = base / "site"
        return mkdocs_build(site, root=project, env={"DZZLD_SEEDS": str(NO_SEEDS)}), site

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        return dict(zip(BUILD_CASES, pool.map(build, BUILD_CASES), strict=True))


@pytest.mark.slow
@pytest.mark.parametrize("case", BUILD_CASES)
def test_build_over_hostile_data_fails_cleanly_and_writes_no_site(
        case: str, hostile_builds: dict[str, tuple[subprocess.CompletedProcess[str], Path]]) -> None:
    proc, site = hostile_builds[case]
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert HOSTILE[case][2] in out, out[-3000:]
    assert HOSTILE[case][0] in out
    assert "Traceback" not in out, out[-3000:]
    assert not site.exists() or not any(site.iterdir())


# ---- the build's fast paths give exactly what the plain paths give ------------------------------

_TOOLTIP_TERMS = {"党委": "党委：定义", "党委会": "党委会：x", "校长": '校长："<y>"', "A&B": "amp"}
_HTML_ATOMS = ["党委", "校长", "党委会", "A&amp;B", "A&B", "文字", " ", "\n", "<p>", "</p>", "<a href='x'>", "</a>", "< a>",
               "</ A>", "<abbr>", "</abbr>", "<abbrx>", "<ahref>", "<a/>", "<br/>", "<th>", "</th >", "<summary>",
               "</summary>", "<label title='党委'>", '<p title="校长>">', "<input value=党委>", "<", ">",
               "<script>if(a<b)党委</script>", "<!-- 党委 -->", "<h2 id=x>", "</h2>"]


@settings(max_examples=250, deadline=None, database=None)
@given(st.lists(st.sampled_from(_HTML_ATOMS), max_size=40))
def test_tooltips_fast_path_equals_the_tag_by_tag_path(parts: list[str]) -> None:
    from macros import tooltips

    page = "".join(parts)
    pattern = tooltips.term_pattern(_TOOLTIP_TERMS)
    assert tooltips.add_tooltips(page, _TOOLTIP_TERMS, pattern) == tooltips._add_tooltips_by_tag(page, _TOOLTIP_TERMS,
                                                                                                   pattern)


_NAME, _ID = "\ue000n\ue001", "\ue000i\ue001"
_SCHOOL_TEMPLATE = (f'<div data-p-name="{_NAME}"><hgroup><h1>自查表</h1><p>{_NAME}</p></hgroup>'
                    f'<label>编号<output>{_ID}</output></label><p>党委会和校长的职责。党委会</p></div>')


@pytest.mark.parametrize("first_only", [False, True])
def test_tooltips_shared_by_school_pages_equal_each_pages_own(first_only: bool) -> None:
    """Pages that differ only by a school's name and ID share one tooltip pass, with the same result."""
    from macros import tooltips

    cache = tooltips.TooltipCache(_TOOLTIP_TERMS)
    names = ["党委会学校", '校长<&>"\'学校', "A&B 党委", "普通学校"]
    for n, name in enumerate(names):
        fills = {_NAME: str(escape(name)), _ID: f"SCH-{n}"}
        direct = tooltips.add_tooltips(tooltips.fill(_SCHOOL_TEMPLATE, fills), _TOOLTIP_TERMS)
        if first_only:
            direct = tooltips.first_tooltips_only(direct)
        assert cache.apply(_SCHOOL_TEMPLATE, fills, first_only=first_only) == direct, name
    assert cache.verified is True and len(cache.done) == 1  # one pass for four schools


def test_tooltips_are_not_shared_when_a_name_sits_in_page_text() -> None:
    """A template that puts the name where tooltips act is caught on its first page; each page is then its own."""
    from macros import tooltips

    template = _SCHOOL_TEMPLATE.replace("<p>党委会和", f"<p>{_NAME}：党委会和")
    cache = tooltips.TooltipCache(_TOOLTIP_TERMS)
    for name in ("普通学校", "党委学校"):
        fills = {_NAME: name, _ID: "SCH-1"}
        got = cache.apply(template, fills, first_only=False)
        assert got == tooltips.add_tooltips(tooltips.fill(template, fills), _TOOLTIP_TERMS)
    assert cache.verified is False and not cache.done
    assert '<abbr title="党委：定义">党委</abbr>学校：' in got


class _DirectoryUrls(dict):
    """src path → URL as mkdocs gives it with directory URLs, for any page."""

    def get(self, key: str, default: Any = None) -> str:  # type: ignore[override]
        stem = key.removesuffix(".md")
        return "" if stem == "index" else (stem[: -len("index")] if stem.endswith("/index") else stem + "/")


def test_school_pages_from_the_cache_equal_direct_rendering() -> None:
    """Roster school pages reuse one rendering per set-up; each must equal rendering that school directly."""
    from dataclasses import replace
    from types import MappingProxyType

    from datasets import real

    from macros.checklist import Profile
    from macros.checklist_pages import SchoolPages, _render_school
    from macros.model import Origin, School
    from macros.render import Linker
    from macros.rollup.synthetic import synthetic_roster

    ds = real()
    profiles = [r.profile for r in synthetic_roster(ds, 10, seed=5)]
    odd = profiles[0]
    profiles.append(Profile('三重一大<&>"\'学校', odd.district, odd.org_type, odd.mode, odd.stage, odd.ownership,
                            "SCH-ODD-1"))
    profiles.append(Profile("党委书记学校", odd.district, odd.org_type, odd.mode, odd.stage, odd.ownership, "SCH-ODD-2"))
    schools = tuple(School(id=p.school_id, origin=Origin("data/schools/x.yaml", 1), name=p.name, district=p.district,
                           org_type=p.org_type, mode=p.mode, stage=p.stage, ownership=p.ownership) for p in profiles)
    ds = replace(ds, schools=schools, by_id=MappingProxyType(dict(ds.by_id) | {s.id: s for s in schools}))
    cache = SchoolPages()
    for p in profiles:
        link = Linker(f"schools/{p.school_id.lower()}/", _DirectoryUrls(), ds)
        assert cache.render(ds, link, p.school_id) == _render_school(ds, link, p), p.name
    assert cache.verified is True
    assert len(cache.fragments) < len(profiles)
