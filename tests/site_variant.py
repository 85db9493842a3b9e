"""A copy of the project with a fourth district and a fourth 范文 added by data alone, built once per session.

The copy (conftest.copy_project) gets, with no change to code, templates or docs:

- a district 襄州区 (`data/practices/xiangzhou.yaml`, DS-XZ) with one practice citing its own report
  (SRC-XZ-RPT, level 报道, a seed text from tests/fixtures/seeds);
- a 范文 with its own page (SRC-FW-TEST, `slug: test-fanwen`, level 范文, a seed text from
  tests/fixtures/seeds) and one glossary term citing it;
- `binds: [DS-XZ]` on the 襄州 district plan (SRC-XZ-PLAN, level 区县): its binding rules become
  规定项 for 襄州 schools only, so a school's district decides an item's kind (the bundled data has
  no such source yet);
- a roster school in 襄州 (a 党总支, where such a rule applies);
- hostile text in data: a decision's matter, a glossary definition and a school's name carry markup
  and template syntax, which must be shown as text, never run or evaluated.

tests/test_site.py checks the district and the 范文 reach navigation, comparison page and search;
the browser and parity tests use the same build for district-dependent kinds.
"""

from __future__ import annotations

import functools
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml
from conftest import ROOT, copy_project, mkdocs_build

from macros.model import Dataset, load_dataset
from macros.validate import default_seeds_dir

FIXTURE_SEEDS = ROOT / "tests" / "fixtures" / "seeds"

DISTRICT_ID, DISTRICT_NAME, DISTRICT_SLUG = "DS-XZ", "襄州区", "xiangzhou"
REPORT_ID = "SRC-XZ-RPT"
PRACTICE_ID, PRACTICE_NAME = "PR-XZ-SFWB", "印发议事规则示范文本"
PLAN_ID, PLAN_SLUG, PLAN_LABEL = "SRC-FW-TEST", "test-fanwen", "测试范文"
PLAN_TITLE = "某市中小学校党组织领导的校长负责制实施方案（测试范文）"
TERM_ID, TERM = "GL-TEST-ZJZC", "召集并主持"
BINDING_SOURCE = "SRC-XZ-PLAN"  # the 襄州 district plan (level 区县): now binds DS-XZ
SCHOOL_ID, SCHOOL_NAME = "SCH-XZ-001", "襄州示例中学（虚构）"

HOSTILE = "<script>alert('x')</script> <img src=x onerror=alert(1)> {{ 7*7 }} {% include 'mkdocs.yml' %}"
HOSTILE_DECISION = "DI-MH-CHARTER"  # its matter becomes HOSTILE
HOSTILE_TERM = "GL-LDHX"  # its definition becomes HOSTILE_DEFINITION
HOSTILE_DEFINITION = "<script>alert(2)</script> {{ 6*7 }}"
HOSTILE_SCHOOL_ID, HOSTILE_SCHOOL_NAME = "SCH-XZ-002", "<img src=x onerror=alert(3)>{{ 5*5 }}学校"

PRACTICE_FILE = f"""# yaml-language-server: $schema=../../schemas/practice-file.schema.json
district:
  id: {DISTRICT_ID}
  name: {DISTRICT_NAME}
  short: 襄州
  province: 湖北省
  level: 区
  summary: 测试用的第四个地区：印发议事规则示范文本，各校对照修订。
  sources: [{REPORT_ID}]

practices:
  - id: {PRACTICE_ID}
    name: {PRACTICE_NAME}
    summary: 区里印发议事规则示范文本，各校对照修订本校的议事规则。
    cite:
      - {{src: {REPORT_ID}, loc: L2, find: 印发议事规则示范文本}}
"""


@dataclass(frozen=True)
class Variant:
    root: Path  # the copied project
    site: Path  # its built site
    seeds: Path  # the seed folder the build used (absent when the bundled seed texts are: lines not checked)

    def dataset(self) -> Dataset:
        return _dataset(self.root, self.seeds)


@functools.cache
def _dataset(root: Path, seeds: Path) -> Dataset:
    return load_dataset(root, seeds_dir=seeds)


def _seeds(dst: Path) -> Path:
    """The bundled seed texts plus the fixture ones; a folder that does not exist when the bundled ones are
    absent (the build then skips the line check, as it does for the bundled data)."""
    shared = default_seeds_dir(ROOT)
    if not shared.is_dir():
        return dst.with_name("no-seeds")
    dst.mkdir()
    for folder in (shared, FIXTURE_SEEDS):
        for f in folder.glob("*.txt"):
            shutil.copy(f, dst / f.name)
    return dst


def _edit_yaml(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    text = path.read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    change(doc)
    first = text.split("\n", 1)[0]  # the editor's schema comment, which the validator requires
    path.write_text(first + "\n" + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")


def add_district_and_plan(project: Path) -> None:
    """The data changes described in the module docstring (nothing else)."""
    data = project / "data"
    assert not (data / "practices" / f"{DISTRICT_SLUG}.yaml").exists(), "the data has this district now: pick another"
    (data / "practices" / f"{DISTRICT_SLUG}.yaml").write_text(PRACTICE_FILE, encoding="utf-8")

    def sources(doc: dict) -> None:
        ids = [s["id"] for s in doc["sources"]]
        assert BINDING_SOURCE in ids and REPORT_ID not in ids and PLAN_ID not in ids
        plan = doc["sources"][ids.index(BINDING_SOURCE)]
        assert plan["level"] == "区县", plan
        plan["binds"] = [DISTRICT_ID]
        doc["sources"].append({
            "id": REPORT_ID, "kind": "seed", "level": "报道", "place": "襄州", "title": "某区印发议事规则示范文本（测试报道）",
            "short": "襄州报道", "publisher": "测试用报道", "date": "2024", "seed_file": "001_fedcba9876543210.txt",
            "lines": {"first": 2, "last": 4}, "region": "湖北省襄阳市襄州区", "summary": "测试用的地区报道。",
            "verified": False})
        doc["sources"].append({
            "id": PLAN_ID, "kind": "seed", "slug": PLAN_SLUG, "level": "范文", "place": PLAN_LABEL, "title": PLAN_TITLE,
            "short": PLAN_LABEL, "publisher": "测试用范文", "seed_file": "000_0123456789abcdef.txt",
            "lines": {"first": 1, "last": 6}, "summary": "测试用的第四篇范文。", "verified": False})

    _edit_yaml(data / "sources.yaml", sources)
    def glossary(doc: dict) -> None:
        doc["glossary"].append({"id": TERM_ID, "term": TERM, "definition": "测试用术语：会议由谁召集、由谁主持。",
                                "cite": [{"src": PLAN_ID, "loc": "L6", "find": "校长召集并主持"}]})
        by_id(doc["glossary"], HOSTILE_TERM)["definition"] = HOSTILE_DEFINITION

    _edit_yaml(data / "glossary.yaml", glossary)
    _edit_yaml(data / "decisions.yaml", lambda doc: by_id(doc["decisions"], HOSTILE_DECISION).update(matter=HOSTILE))
    _edit_yaml(data / "schools" / "demo.yaml", lambda doc: doc["schools"].extend([
        {"id": SCHOOL_ID, "name": SCHOOL_NAME, "district": DISTRICT_ID, "org_type": "党总支", "mode": "分设",
         "stage": "初中", "ownership": "公办", "fictional": True},
        {"id": HOSTILE_SCHOOL_ID, "name": HOSTILE_SCHOOL_NAME, "district": "OTHER", "org_type": "党支部",
         "mode": "一肩挑", "stage": "小学", "ownership": "公办", "fictional": True}]))


def by_id(records: list[dict], rid: str) -> dict:
    found = [r for r in records if r["id"] == rid]
    assert len(found) == 1, f"{rid} is not in the data any more: pick another record for the test"
    return found[0]


@functools.cache
def build_variant(base: Path) -> Variant:
    """Copy, change and build once per session (`base`: an empty temporary folder)."""
    shutil.rmtree(base, ignore_errors=True)  # a failed attempt (not cached) may have left a copy
    base.mkdir(parents=True)
    project = copy_project(base / "project")
    add_district_and_plan(project)
    seeds = _seeds(base / "seeds")
    env = {"DZZLD_SEEDS": str(seeds)}
    site = base / "site"
    proc = mkdocs_build(site, root=project, env=env)
    assert proc.returncode == 0, f"the variant did not build:\n{proc.stdout}\n{proc.stderr}"
    return Variant(project, site, seeds)
