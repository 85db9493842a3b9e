"""The contributor's guide, the data version and its changelog, and the edit links on the built site.

CONTRIBUTING.md is written once: Chinese first, English after. The site's contributing page includes
the Chinese part at build time (pymdownx.snippets), so the two never drift apart.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from macros import site
from macros.model import load_dataset

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "CONTRIBUTING.md"
CJK = re.compile(r"[\u4e00-\u9fff]")
START, END = "<!-- --8<-- [start:zh] -->", "<!-- --8<-- [end:zh] -->"


def _guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def _parts() -> tuple[str, str]:
    text = _guide()
    assert text.count(START) == 1 and text.count(END) == 1
    zh = text[text.index(START) + len(START):text.index(END)]
    en = text[text.index(END) + len(END):]
    return zh, en


def _headings(markdown: str) -> list[str]:
    return [line.lstrip("#").strip() for line in markdown.split("\n") if re.match(r"^#{1,6} ", line)]


def _front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        return {}
    return yaml.safe_load(text[4:text.index("\n---", 4)]) or {}


def _html(site_dir: Path, src: str) -> BeautifulSoup:
    """The built page of a docs/ source path (directory URLs)."""
    stem = src[:-3]
    rel = f"{stem[:-5] if stem.endswith('index') else stem + '/'}index.html"
    return BeautifulSoup((site_dir / rel).read_text(encoding="utf-8"), "html.parser")


# ---------------------------------------------------------------------------------------------- the guide


def test_guide_is_chinese_first_then_english() -> None:
    text = _guide()
    headings = _headings(text)
    assert CJK.search(headings[0]), headings[0]
    zh, en = _parts()
    assert text.index(START) < text.index(END)
    assert all(CJK.search(h) for h in _headings(zh)), _headings(zh)
    en_headings = _headings(en)
    assert en_headings and en_headings[0].startswith("Contributing")
    assert not any(CJK.search(h) for h in en_headings), en_headings
    assert len(_headings(zh)) >= 8 and len(en_headings) >= 6


@pytest.mark.parametrize("needed", [
    "数据怎样组织", "编号规则", "出处规则", "修正一个数字", "新增一个地区的实践", "新增一条检查项", "停用一条记录",
    "在本地校验和预览", "命令行", "审核看什么",
    "make serve", "make test", "make validate", "127.0.0.1:8000",
    "python -m macros new practice --district-id DS-XX --name 某某区 --province 某某省",
    "python -m macros new item --dimension decision",
    "python -m macros checklists --roster 花名册.csv --out out/ --pdf",
    "学校编号,学校名称,所属地区,党组织类型,书记校长配备,学段,办学性质", "id,name,district,org_type,mode,stage,ownership",
    "python -m macros rollup", "status: retired", "replaced_by", "CHANGELOG.md", "data_version", "L3-5", "find",
])
def test_chinese_guide_covers(needed: str) -> None:
    zh, _ = _parts()
    assert needed in zh


@pytest.mark.parametrize("needed", [
    "How the data is organised", "IDs and citations", "Fix a figure", "Add a district practice", "Add a checklist item",
    "Retire a record", "make serve", "make test", "make validate", "Command line", "What review looks for",
])
def test_english_guide_covers(needed: str) -> None:
    _, en = _parts()
    assert needed in en


def test_chinese_part_is_safe_to_include_in_the_site() -> None:
    zh, _ = _parts()
    # relative links would point at nothing on the site (and fail the strict build); keep paths as code
    assert not re.search(r"\]\((?!https?://)[^)]*\)", zh)
    assert "--8<--" not in zh


def test_site_page_includes_the_guide_instead_of_copying_it() -> None:
    page = (ROOT / "docs" / "contributing.md").read_text(encoding="utf-8")
    assert _front_matter(ROOT / "docs" / "contributing.md")["title"] == "参与贡献"
    assert '--8<-- "CONTRIBUTING.md:zh"' in page
    # the page is a macros template: the one macro lists the issue forms; the guide itself is not a template
    assert re.findall(r"\{\{.*?\}\}|\{%.*?%\}", page) == ["{{ issue_forms() }}"]
    zh, _ = _parts()
    copied = [line for line in zh.split("\n") if len(line.strip()) > 20 and line.strip() in page]
    assert not copied, copied
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    snippets = config[config.index("- pymdownx.snippets:"):]
    assert re.search(r"check_paths: true", snippets.split("\n  - ")[0])


# ---------------------------------------------------------------------------------------------- data version


def test_changelog_latest_version_is_the_data_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    versions = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", text, re.M)
    assert versions, "no '## [x.y.z] - YYYY-MM-DD' entry"
    meta = yaml.safe_load((ROOT / "data" / "meta.yaml").read_text(encoding="utf-8"))
    assert versions[0][0] == str(meta["data_version"])
    ordered = [tuple(int(n) for n in v.split(".")) for v, _ in versions]
    assert ordered == sorted(ordered, reverse=True), "newest version first"


def test_changelog_first_entry_describes_the_initial_data() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [1.0.0] - 2026-11-23" in text
    for kind in ("sources", "decisions", "checklist", "practices", "districts"):
        assert re.search(rf"{kind}：\d+", text), kind


# ---------------------------------------------------------------------------------------------- built site


@pytest.mark.slow
def test_contributing_page_shows_the_chinese_guide_only(built_site: Path) -> None:
    doc = _html(built_site, "contributing.md")
    article = doc.select_one("article")
    text = article.get_text(" ")
    zh, en = _parts()
    for heading in _headings(zh):
        assert heading in text, heading
    for heading in _headings(en):
        assert heading not in text, heading
    assert "--8<--" not in text and "[start:zh]" not in text
    assert "python -m macros new practice" in text
    assert article.select("table")  # the Markdown of the guide is rendered, not shown as text
    edit = doc.select_one('a.md-content__button[rel="edit"]')
    assert edit is not None and edit["href"].endswith("/edit/main/CONTRIBUTING.md")


@pytest.mark.slow
def test_every_data_page_edit_link_opens_its_yaml_file(built_site: Path) -> None:
    pages: dict[str, str] = {}
    for md in sorted((ROOT / "docs").rglob("*.md")):
        files = _front_matter(md).get("data_files")
        if files:
            pages[md.relative_to(ROOT / "docs").as_posix()] = files if isinstance(files, str) else files[0]
    ds = load_dataset(ROOT)
    generated = site.generated_pages(ds)
    for src, (_content, data_files) in generated.items():
        pages[src] = data_files[0]
    district_pages = {f"practices/{d.slug}.md": d.origin.file for d in ds.districts}
    assert district_pages.items() <= pages.items()
    assert {f"data/practices/{p.name}" for p in (ROOT / "data" / "practices").glob("*.yaml")} == set(
        district_pages.values())
    assert len(pages) >= 10
    for src, data_file in pages.items():
        doc = _html(built_site, src)
        edit = doc.select_one('a.md-content__button[rel="edit"]')
        if data_file.endswith("/"):  # a folder cannot be edited: no edit button, a link to the folder instead
            assert edit is None, src
            assert any(a["href"].endswith(f"/tree/main/{data_file}") for a in doc.select("a[href]")), src
            continue
        assert edit is not None, src
        assert edit["href"].endswith(f"/edit/main/{data_file}"), (src, edit["href"])


@pytest.mark.slow
def test_every_decision_id_is_visible_on_the_decisions_page(built_site: Path) -> None:
    ds = load_dataset(ROOT)
    text = _html(built_site, "decisions.md").select_one("article").get_text(" ")
    ids = [d.id for d in ds.decisions if d.active]
    assert ids
    missing = [i for i in ids if i not in text]
    assert not missing, missing


@pytest.mark.slow
def test_contributing_page_links_every_issue_form(built_site: Path) -> None:
    """Each form in .github/ISSUE_TEMPLATE (config.yml is the chooser, not a form) is a link that opens it."""
    forms = sorted(p for p in (ROOT / ".github" / "ISSUE_TEMPLATE").glob("*.yml") if p.name != "config.yml")
    assert len(forms) >= 3
    repo = yaml.safe_load((ROOT / ".github" / "ISSUE_TEMPLATE" / "config.yml").read_text(encoding="utf-8"))
    base = repo["contact_links"][0]["url"].split("/blob/")[0]
    links = {a["href"]: a.get_text() for a in _html(built_site, "contributing.md").select("article .dz-issue-forms a")}
    assert links == {f"{base}/issues/new?template={p.name}": yaml.safe_load(p.read_text(encoding="utf-8"))["name"]
                     for p in forms}
