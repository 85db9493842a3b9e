"""The contribution scaffold (`python -m macros new …`) and a whole simulated contribution.

Unit tests work on a copy of the small valid fixture; the end-to-end test copies the real project
(data, schemas, docs, overrides, macros, mkdocs.yml) into a temporary folder, scaffolds a district
through the command line, fills it in, validates and builds it, then breaks it on purpose.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import copy_project, mkdocs_build
from validation_helpers import ROOT, SEEDS, copy_valid

from macros import scaffold
from macros.cli import main
from macros.validate import default_seeds_dir, validate

SCHEMA_LINE = "# yaml-language-server: $schema=../../schemas/practice-file.schema.json"
REAL_SEEDS = default_seeds_dir(ROOT)  # $DZZLD_SEEDS or ../shared/seeds; the build checks lines only if present


def _new(data: Path, **kw: str) -> scaffold.Created:
    args = {"district_id": "DS-ZY", "name": "志愿区", "province": "某某省", **kw}
    return scaffold.new_practice(ROOT, data_dir=data, year=2026, **args)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------- IDs


def test_free_id_takes_the_base_or_the_first_free_suffix() -> None:
    assert scaffold.free_id("SRC-ZY-2026", {"SRC-QJ-2022"}) == "SRC-ZY-2026"
    assert scaffold.free_id("SRC-ZY-2026", {"SRC-ZY-2026"}) == "SRC-ZY-2026-2"
    assert scaffold.free_id("SRC-ZY-2026", {"SRC-ZY-2026", "SRC-ZY-2026-2"}) == "SRC-ZY-2026-3"


def test_next_numbered_id_follows_the_highest_number() -> None:
    assert scaffold.next_numbered_id("CK-DEC", set()) == "CK-DEC-01"
    assert scaffold.next_numbered_id("CK-DEC", {"CK-DEC-01", "CK-DEC-09", "CK-DEC-X", "CK-DECO-12"}) == "CK-DEC-10"
    assert scaffold.next_numbered_id("CK-LOCAL-QJ", {"CK-LOCAL-QJ-05", "CK-LOCAL-KZ-07"}) == "CK-LOCAL-QJ-06"


@pytest.mark.parametrize("bad", ["DS-", "ds-zy", "DS_ZY", "SRC-ZY", "DS-ZY-", "DS-中文"])
def test_district_ids_must_follow_the_schema(bad: str) -> None:
    with pytest.raises(scaffold.ScaffoldError, match="格式不对"):
        scaffold.district_code(bad)


@pytest.mark.parametrize("value", ["某某区", "宁波市奉化区", "yes", "123", "a: b", "#x", "- x", "说“三力”", "true"])
def test_yaml_scalars_read_back_unchanged(value: str) -> None:
    import yaml

    assert yaml.safe_load(f"k: {scaffold.yaml_scalar(value)}") == {"k": value}


# ---------------------------------------------------------------------------------------------- new practice


def test_new_practice_writes_the_stub_with_the_schema_line_first_and_free_ids(tmp_path: Path) -> None:
    data = copy_valid(tmp_path)
    created = _new(data)
    assert created.path == (data / "practices" / "zy.yaml").resolve()
    text = created.path.read_text(encoding="utf-8")
    assert text.split("\n", 1)[0] == SCHEMA_LINE
    assert (created.source_id, created.practice_id) == ("SRC-ZY-2026", "PR-ZY-01")
    assert "id: DS-ZY" in text and "name: 志愿区" in text and "province: 某某省" in text
    assert "sources: [SRC-ZY-2026]" in text and "{src: SRC-ZY-2026, loc: \"\"}" in text
    # every required field is there, each blank one with a 必填 comment on the line above
    lines = text.split("\n")
    blanks = [i for i, line in enumerate(lines) if line.rstrip().endswith('""') or line.rstrip().endswith('loc: ""}')]
    assert len(blanks) == 7
    for i in blanks:
        assert "必填" in lines[i - 1], lines[i]


def test_new_practice_picks_free_ids_when_the_obvious_ones_are_taken(tmp_path: Path) -> None:
    data = copy_valid(tmp_path)
    other = data / "practices" / "test.yaml"
    text = other.read_text(encoding="utf-8").replace("id: PR-TEST-ALL", "id: PR-ZY-01")
    other.write_text(text, encoding="utf-8")
    (data / "sources.yaml").write_text((data / "sources.yaml").read_text(encoding="utf-8").replace(
        "sources:\n", "sources:\n  - {id: SRC-ZY-2026, kind: repost, title: 占位, publisher: 占位}\n", 1), encoding="utf-8")
    created = _new(data)
    assert created.source_id == "SRC-ZY-2026-2"
    assert created.practice_id == "PR-ZY-02"


def test_new_practice_refuses_to_overwrite_a_file(tmp_path: Path) -> None:
    data = copy_valid(tmp_path)
    before = (data / "practices" / "test.yaml").read_text(encoding="utf-8")
    with pytest.raises(scaffold.ScaffoldError, match="已存在"):
        _new(data, slug="test")
    assert (data / "practices" / "test.yaml").read_text(encoding="utf-8") == before


def test_new_practice_refuses_a_district_id_already_used(tmp_path: Path) -> None:
    data = copy_valid(tmp_path)
    with pytest.raises(scaffold.ScaffoldError, match="DS-TEST 已被使用"):
        _new(data, district_id="DS-TEST", slug="other")
    assert not (data / "practices" / "other.yaml").exists()


def test_new_practice_refuses_bad_names_and_slugs(tmp_path: Path) -> None:
    data = copy_valid(tmp_path)
    with pytest.raises(scaffold.ScaffoldError, match="文件名"):
        _new(data, slug="Zhi Yuan")
    with pytest.raises(scaffold.ScaffoldError, match="地区名称"):
        _new(data, name=" ")
    assert sorted(p.name for p in (data / "practices").iterdir()) == ["test.yaml"]


def test_the_unfilled_stub_fails_validation_at_each_blank(tmp_path: Path) -> None:
    data = copy_valid(tmp_path)
    created = _new(data)
    result = validate(ROOT, data_dir=data, seeds_dir=SEEDS)
    assert not result.ok
    lines = created.path.read_text(encoding="utf-8").split("\n")
    mine = [p for p in result.problems if p.file.endswith("practices/zy.yaml")]
    assert mine and len(mine) == len(result.problems), [str(p) for p in result.problems]
    for p in mine:
        assert '""' in lines[p.line - 1], str(p)  # file:line points at the blank to fill
    fields = {p.field for p in mine}
    assert {"district.summary", "sources[0].kind", "sources[0].title", "sources[0].publisher", "practices[0].name",
            "practices[0].summary", "practices[0].cite[0].loc"} <= fields


def test_cli_new_practice_reports_what_it_made_and_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = copy_valid(tmp_path)
    args = ["--root", str(ROOT), "new", "practice", "--district-id", "DS-ZY", "--name", "志愿区", "--province", "某某省",
            "--data", str(data)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "zy.yaml" in out and "SRC-ZY-" in out and "PR-ZY-01" in out
    assert "make validate" in out and "make serve" in out
    assert main(args) == 1
    assert "已存在" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------- new item


def test_new_item_prints_a_stub_with_the_next_free_id_that_fails_until_filled(tmp_path: Path) -> None:
    data = copy_valid(tmp_path)
    stub = scaffold.new_item(ROOT, dimension="org", data_dir=data)
    assert "- id: CK-ORG-01" in stub and "dimension: org" in stub
    checklist = data / "checklist.yaml"
    checklist.write_text(checklist.read_text(encoding="utf-8") + "\n" + stub, encoding="utf-8")
    result = validate(ROOT, data_dir=data, seeds_dir=SEEDS)
    fields = {p.field for p in result.problems}
    assert {"checklist[3].title", "checklist[3].check", "checklist[3].basis", "checklist[3].evidence",
            "checklist[3].rubric.达标", "checklist[3].rubric.基本达标", "checklist[3].rubric.未达标"} == fields
    filled = stub.replace('title: ""', "title: 党组织会议有记录").replace('check: ""', "check: 查看党组织会议记录本。")
    filled = filled.replace("basis: []", "basis: [RS-PARTY-LEAD]").replace("evidence: []", "evidence: [EV-MINUTES]")
    filled = filled.replace('达标: ""', "达标: 有记录。").replace('基本达标: ""', "基本达标: 部分有记录。")
    filled = filled.replace('未达标: ""', "未达标: 没有记录。")
    checklist.write_text(checklist.read_text(encoding="utf-8").replace(stub, filled), encoding="utf-8")
    result = validate(ROOT, data_dir=data, seeds_dir=SEEDS)
    assert result.ok, [str(p) for p in result.problems]
    assert scaffold.new_item(ROOT, dimension="org", data_dir=data).count("- id: CK-ORG-02") == 1


def test_new_item_on_the_real_data_continues_the_numbering() -> None:
    result = validate(ROOT)
    numbers = [int(m.group(1)) for r in result.records if (m := re.fullmatch(r"CK-DEC-(\d+)", r.id))]
    stub = scaffold.new_item(ROOT, dimension="decision")
    assert f"- id: CK-DEC-{max(numbers, default=0) + 1:02d}" in stub


def test_new_item_local_needs_a_known_district(tmp_path: Path) -> None:
    data = copy_valid(tmp_path)
    stub = scaffold.new_item(ROOT, dimension="local", district_id="DS-TEST", data_dir=data)
    assert "- id: CK-LOCAL-TEST-01" in stub and "applies: {district: [DS-TEST]}" in stub
    with pytest.raises(scaffold.ScaffoldError, match="--district"):
        scaffold.new_item(ROOT, dimension="local", data_dir=data)
    with pytest.raises(scaffold.ScaffoldError, match="找不到地区"):
        scaffold.new_item(ROOT, dimension="local", district_id="DS-NONE", data_dir=data)
    with pytest.raises(scaffold.ScaffoldError, match="维度"):
        scaffold.new_item(ROOT, dimension="budget", data_dir=data)
    with pytest.raises(scaffold.ScaffoldError, match="维度“decision”不存在"):  # not declared in this meta.yaml
        scaffold.new_item(ROOT, dimension="decision", data_dir=data)


# ---------------------------------------------------------------------------------------------- end to end

SLUG = "zhiyuan"
TERM = "星火夜校"  # a word that appears nowhere else in the data
FILL = {  # whole lines (a leading newline), so the district's summary is not the practice's
    '\n  summary: ""': "\n  summary: 志愿区以“星火夜校”轮训学校党组织书记，把议事规则落实情况纳入年度考核。",
    '\n    kind: ""': "\n    kind: repost\n    url: https://example.org/news/zhiyuan.html",
    '\n    title: ""': "\n    title: 志愿区推进党组织领导的校长负责制工作综述",
    '\n    publisher: ""': "\n    publisher: 网络转载（原发布机构未注明）",
    '\n    name: ""': "\n    name: 星火夜校书记轮训",
    '\n    summary: ""': "\n    summary: 每学期为全区中小学校党组织书记举办星火夜校，讲授议事规则和“三重一大”决策程序。",
    'loc: ""}': "loc: 第二段}\n      - {src: SRC-FANWEN-XH, loc: 一}",
}
FANWEN_SLUG = "xinghuo-fanwen"
FANWEN = f"""
  - id: SRC-FANWEN-XH
    kind: repost
    level: 范文
    title: 星火中学党组织领导的校长负责制实施方案（范文）
    short: 星火范文
    publisher: 网络转载（原发布机构未注明）
    url: https://example.org/fanwen/xinghuo.html
    slug: {FANWEN_SLUG}
"""


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DZZLD_SEEDS": str(REAL_SEEDS if REAL_SEEDS.is_dir() else root / "no-seeds")}
    return subprocess.run([sys.executable, "-m", "macros", "--root", str(root), *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_a_simulated_contribution_from_scaffold_to_built_page(tmp_path: Path) -> None:
    repo = copy_project(tmp_path / "repo")
    assert TERM not in "".join(p.read_text(encoding="utf-8") for p in (repo / "data").rglob("*.yaml"))

    made = _cli(repo, "new", "practice", "--district-id", "DS-ZHIYUAN", "--name", "志愿区", "--province", "某某省",
                "--slug", SLUG)
    assert made.returncode == 0, made.stderr
    path = repo / "data" / "practices" / f"{SLUG}.yaml"
    assert f"data/practices/{SLUG}.yaml" in made.stdout
    assert _cli(repo, "validate").returncode == 1  # the stub as generated does not pass

    text = path.read_text(encoding="utf-8")
    for blank, value in FILL.items():
        assert text.count(blank) == 1, blank
        text = text.replace(blank, value)
    assert not [line for line in text.split("\n") if '""' in line and not line.lstrip().startswith("#")]
    path.write_text(text, encoding="utf-8")
    sources = repo / "data" / "sources.yaml"  # a 范文 with a slug: a page of its own under plans/
    sources.write_text(sources.read_text(encoding="utf-8").rstrip("\n") + "\n" + FANWEN, encoding="utf-8")
    ok = _cli(repo, "validate")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert re.search(r"地区 districts\s+4", ok.stdout)

    site = tmp_path / "site"
    env = {"DZZLD_SEEDS": str(REAL_SEEDS)} if REAL_SEEDS.is_dir() else {}
    built = mkdocs_build(site, env=env, root=repo)
    assert built.returncode == 0, built.stdout + built.stderr
    from bs4 import BeautifulSoup

    page = site / "practices" / SLUG / "index.html"
    assert page.is_file()
    assert TERM in page.read_text(encoding="utf-8")
    home = BeautifulSoup((site / "index.html").read_text(encoding="utf-8"), "html.parser")
    nav = {a["href"]: a.get_text(" ", strip=True) for a in home.select("nav.md-nav a[href]")}
    assert "志愿区" in nav.get(f"practices/{SLUG}/", ""), "the new district is not in the navigation"
    assert "星火范文" in nav.get(f"plans/{FANWEN_SLUG}/", ""), "the new 范文 is not in the navigation"
    compare = BeautifulSoup((site / "practices" / "index.html").read_text(encoding="utf-8"), "html.parser")
    row = next(tr for tr in compare.select(".dz-compare tbody tr") if tr.th.a.get_text() == "志愿区")
    assert row.th.a["href"] == f"{SLUG}/" and "星火夜校书记轮训" in row.get_text()
    plan = BeautifulSoup((site / "plans" / FANWEN_SLUG / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert plan.h1.get_text(strip=True).startswith("星火中学党组织领导的校长负责制实施方案")
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    hits = [d["location"] for d in index["docs"] if TERM in d["text"].replace("\u200b", "")]
    assert any(loc.startswith(f"practices/{SLUG}/") for loc in hits), hits
    assert any(d["location"].startswith(f"plans/{FANWEN_SLUG}/") for d in index["docs"])

    # The same file with a misspelled key: --github points at the file and the line of the typo.
    lines = text.split("\n")
    typo_line = next(i for i, line in enumerate(lines, 1) if line.startswith("    summary:"))
    lines[typo_line - 1] = lines[typo_line - 1].replace("summary:", "sumary:")
    path.write_text("\n".join(lines), encoding="utf-8")
    broken = _cli(repo, "validate", "--github")
    assert broken.returncode == 1
    annotations = [line for line in broken.stdout.splitlines() if line.startswith("::error ")]
    assert f"::error file=data/practices/{SLUG}.yaml,line={typo_line},col=5::practices[0].sumary: 未知字段“sumary”" in \
        "\n".join(annotations), broken.stdout
    assert all(a.startswith(f"::error file=data/practices/{SLUG}.yaml,line=") for a in annotations), annotations
