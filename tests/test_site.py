"""The built site, parsed: records on their pages, links and anchors that resolve, no junk, escaping.

These build the real site once per session (conftest `built_site`) and a few variants in temp copies.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, copy_project, mkdocs_build

from macros.model import Dataset, load_dataset
from macros.render import page_of
from macros.validate import junk_markers

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return load_dataset(ROOT)


def html_of(site: Path, src_path: str) -> BeautifulSoup:
    rel = src_path.removesuffix(".md")
    rel = rel.removesuffix("index").rstrip("/")
    path = site / rel / "index.html" if rel else site / "index.html"
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def all_pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if "assets" not in p.parts)


def test_every_record_id_is_on_its_page_as_anchor_and_visible(built_site: Path, ds: Dataset) -> None:
    cache: dict[str, BeautifulSoup] = {}
    missing = []
    for rid, rec in ds.by_id.items():
        if not rec.active or rid.startswith(("EV-", "SCH-")):
            continue
        page = page_of(rid, ds)
        doc = cache.setdefault(page, html_of(built_site, page))
        node = doc.find(id=rid)
        if node is None:
            missing.append(f"{rid} not on {page}")
    assert not missing, "\n".join(missing[:20])


def test_record_ids_are_visible_text(built_site: Path, ds: Dataset) -> None:
    doc = html_of(built_site, "decisions.md")
    text = doc.get_text()
    for d in ds.decisions:
        if d.active:
            assert d.id in text


def test_every_internal_link_and_anchor_resolves(built_site: Path) -> None:
    ids_by_file: dict[Path, set[str]] = {}
    bad = []
    for page in all_pages(built_site):
        doc = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        ids_by_file[page] = {t["id"] for t in doc.find_all(id=True)}
    for page in ids_by_file:
        if page.name == "404.html":
            continue  # mkdocs writes root-absolute links there on purpose (it is served for any path)
        doc = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for a in doc.find_all("a", href=True):
            href = a["href"]
            if urlparse(href).scheme or href.startswith(("mailto:", "javascript:")):
                continue
            target, anchor = urldefrag(href)
            dest = (page.parent / unquote(target)).resolve() if target else page
            if dest.is_dir():
                dest = dest / "index.html"
            if not dest.exists():
                bad.append(f"{page.relative_to(built_site)}: {href} (no file)")
                continue
            if anchor and dest.suffix == ".html" and unquote(anchor) not in ids_by_file.get(dest, set()):
                bad.append(f"{page.relative_to(built_site)}: {href} (no anchor)")
    assert not bad, "\n".join(bad[:30])


def test_citation_links_point_at_source_anchors(built_site: Path, ds: Dataset) -> None:
    doc = html_of(built_site, "meeting-rules.md")
    cites = doc.select("a.dz-cite")
    assert len(cites) >= len([r for r in ds.meeting_rules if r.active])
    for a in cites:
        assert re.fullmatch(r"\.\./sources/#SRC-[A-Z0-9-]+", a["href"]), a["href"]


def test_no_web_junk_anywhere_in_the_site(built_site: Path) -> None:
    for page in all_pages(built_site) + [built_site / "search" / "search_index.json"]:
        text = page.read_text(encoding="utf-8")
        hits = [m for m in junk_markers(ROOT / "schemas") if m in text]
        assert not hits, f"{page.relative_to(built_site)}: {hits}"


def test_nothing_is_loaded_from_outside(built_site: Path) -> None:
    for page in all_pages(built_site):
        doc = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for tag, attr in (("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src")):
            for t in doc.find_all(tag, attrs={attr: True}):
                if tag == "link" and t.get("rel") and set(t["rel"]) & {"canonical", "alternate"}:
                    continue
                assert not urlparse(t[attr]).scheme, f"{page.name}: {tag} {t[attr]}"
    css = "\n".join(p.read_text(encoding="utf-8") for p in built_site.rglob("*.css"))
    assert "fonts.googleapis" not in css and "@import url(http" not in css


def test_chinese_headings_get_readable_stable_slugs(built_site: Path) -> None:
    doc = html_of(built_site, "setups.md")
    ids = [h["id"] for h in doc.select("h2[id]")]
    assert "曲靖市试点学校的实际分布" in ids
    assert not any(re.fullmatch(r"_\d+", i) for i in ids)


def test_data_pages_have_edit_links_to_their_yaml(built_site: Path) -> None:
    for src, yaml in [("decisions.md", "data/decisions.yaml"), ("practices/qujing.md", "data/practices/qujing.yaml"),
                      ("glossary.md", "data/glossary.yaml")]:
        doc = html_of(built_site, src)
        edit = doc.select_one('a.md-content__button[rel="edit"]')
        assert edit is not None and edit["href"].endswith(f"/edit/main/{yaml}"), src


def test_footer_shows_data_version(built_site: Path, ds: Dataset) -> None:
    doc = html_of(built_site, "index.md")
    assert doc.select_one(".dz-data-version").get_text() == ds.data_version


def test_glossary_terms_get_tooltips_in_text(built_site: Path, ds: Dataset) -> None:
    doc = html_of(built_site, "decisions.md")
    abbrs = {a.get_text(): a["title"] for a in doc.select("article abbr[title]")}
    assert "三重一大" in abbrs
    assert abbrs["三重一大"].startswith("三重一大：")


def test_school_and_blank_pages_stay_out_of_nav_and_search(built_site: Path, ds: Dataset) -> None:
    index = (built_site / "search" / "search_index.json").read_text(encoding="utf-8")
    for s in ds.schools:
        assert f"schools/{s.id.lower()}/" not in index
    nav = html_of(built_site, "index.md").select_one("nav.md-nav--primary").get_text()
    assert all(s.name not in nav for s in ds.schools)
    assert "schools/index" not in index and "checklist/blank/dw-fs" not in index


def test_generated_district_and_plan_pages_are_in_the_nav(built_site: Path, ds: Dataset) -> None:
    nav_links = {a["href"] for a in html_of(built_site, "index.md").select("nav.md-nav--primary a[href]")}
    for d in ds.districts:
        assert f"practices/{d.slug}/" in nav_links
    for slug in ("xiangzhou", "school-plan", "hebei-primary"):
        assert f"plans/{slug}/" in nav_links


# ---- variants of the data, built in temp copies -------------------------------------------------


HOSTILE = ["<script>alert('x')</script>", "<img src=x onerror=alert(1)>", "{{ 7*7 }}", "{% include 'mkdocs.yml' %}"]


def test_hostile_data_is_shown_as_text_never_run_or_evaluated(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    path = project / "data" / "decisions.yaml"
    text = path.read_text(encoding="utf-8")
    first_matter = re.search(r"^    matter: (.+)$", text, re.M)
    assert first_matter
    payload = " ".join(HOSTILE)
    text = text.replace(first_matter.group(0), f"    matter: \"{payload.replace(chr(34), chr(39))}\"", 1)
    path.write_text(text, encoding="utf-8")
    glossary = project / "data" / "glossary.yaml"
    g = glossary.read_text(encoding="utf-8")
    m = re.search(r"^    definition: (.+)$", g, re.M)
    g = g.replace(m.group(0), "    definition: \"<script>alert(2)</script> {{ 6*7 }}\"", 1)
    glossary.write_text(g, encoding="utf-8")
    site = tmp_path / "site"
    proc = mkdocs_build(site, root=project)
    assert proc.returncode == 0, proc.stderr
    html = (site / "decisions" / "index.html").read_text(encoding="utf-8")
    doc = BeautifulSoup(html, "html.parser")
    assert not [s for s in doc.find_all("script") if "alert" in (s.string or "")]
    assert not doc.find_all("img", onerror=True)
    cell = doc.select("tbody tr.dz-record .dz-text")[0].get_text()
    assert cell == payload.replace('"', "'")
    assert "49" not in cell and "mkdocs.yml" in cell
    gl = BeautifulSoup((site / "glossary" / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert "{{ 6*7 }}" in gl.get_text() and "42" not in gl.select_one("dd").get_text()


def test_broken_data_stops_the_build_with_the_validator_message_and_writes_nothing(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    path = project / "data" / "decisions.yaml"
    lines = path.read_text(encoding="utf-8").split("\n")
    idx = next(i for i, line in enumerate(lines) if line.startswith("    matter:"))
    lines[idx] = lines[idx].replace("matter:", "mater:")
    path.write_text("\n".join(lines), encoding="utf-8")
    site = tmp_path / "site"
    proc = mkdocs_build(site, root=project)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert f"data/decisions.yaml:{idx + 1}:5: decisions[0].mater: 未知字段“mater”" in out
    assert "Traceback" not in out
    assert not site.exists() or not any(site.iterdir())
