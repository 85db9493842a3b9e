"""The built site in headless Chromium: Chinese search, tooltips, navigation, print, accessibility."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import pdftotext

pytestmark = pytest.mark.browser

# query -> pages that treat it (any one of them must be among the first three results)
SEARCHES = {
    "一肩挑": {"setups/", "glossary/"},
    "三重一大": {"decisions/", "glossary/", "responsibilities/"},
    "末位表态": {"meeting-rules/", "glossary/"},
    "议事规则": {"meeting-rules/", "glossary/"},
    "挂包帮": {"practices/qujing/", "glossary/"},
    "书记领雁": {"practices/fenghua/", "glossary/"},
    "组织办": {"setups/", "practices/qujing/", "glossary/"},
    "三分之二": {"meeting-rules/", "glossary/"},
}


def page_text(site: Path, url_path: str) -> str:
    rel = url_path.split("#")[0].strip("/")
    f = site / rel / "index.html" if rel else site / "index.html"
    doc = BeautifulSoup(f.read_text(encoding="utf-8"), "html.parser")
    article = doc.select_one("article") or doc
    return article.get_text()


def search(page, site_url: str, query: str) -> list[str]:
    page.goto(site_url + "/")
    page.click(".md-search__input")
    page.keyboard.type(query)
    page.keyboard.press("End")  # Material listens to keyup; typing CJK sends none
    page.wait_for_selector(".md-search-result__item", timeout=10000)
    links = page.eval_on_selector_all(".md-search-result__item > a.md-search-result__link",
                                      "els => els.map(e => e.getAttribute('href'))")
    pages: list[str] = []
    for link in links:  # one entry per page, in rank order; drop the ?h= highlight parameter and anchors
        path = link.removeprefix(site_url).split("?")[0].split("#")[0].lstrip("./").lstrip("/")
        if path not in pages:
            pages.append(path)
    return pages


@pytest.mark.parametrize("query", sorted(SEARCHES))
def test_chinese_search_finds_the_page_that_treats_the_term(query: str, page, site_url: str, built_site: Path) -> None:
    results = search(page, site_url, query)
    top = [r.split("#")[0] for r in results[:3]]
    assert top, f"no results for {query}"
    assert set(top) & SEARCHES[query], f"{query}: top results {top}"
    for r in results[:3]:
        assert query in page_text(built_site, r), f"{query}: result {r} lacks the term"


def test_glossary_tooltip_shows_definition(page, site_url: str) -> None:
    page.goto(site_url + "/decisions/")
    abbr = page.locator("article abbr", has_text="三重一大").first
    title = abbr.get_attribute("title")
    assert title and title.startswith("三重一大：")
    abbr.hover()
    tip = page.locator(".md-tooltip2, .md-tooltip").filter(has_text=title.split("：", 1)[1][:8]).first
    tip.wait_for(state="visible", timeout=5000)


def test_navigation_reaches_every_section(page, site_url: str) -> None:
    page.goto(site_url + "/")
    page.locator("nav.md-nav--primary a", has_text="决策事项").first.click()
    page.wait_for_url("**/decisions/")
    assert "谁提出" in page.locator("article h1").inner_text()
    page.locator("nav.md-nav--primary a", has_text="曲靖").first.click()
    page.wait_for_url("**/practices/qujing/")
    assert page.locator("article h1").inner_text().startswith("曲靖")
    assert page.outside_requests == []


def test_print_to_pdf_has_table_and_no_navigation(page, site_url: str, tmp_path: Path) -> None:
    page.goto(site_url + "/decisions/")
    page.emulate_media(media="print")
    pdf = tmp_path / "decisions.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    text = pdftotext(pdf)
    assert "谁提出、谁决定、谁执行" in text
    assert "校长办公会议" in text and "党组织会议" in text and "DI-" in text
    for chrome in ("术语表", "参与贡献", "搜索"):
        assert chrome not in text, chrome
    png = tmp_path / "p"
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(png)], check=True)


@pytest.mark.parametrize("path", ["/", "/decisions/", "/practices/qujing/"])
def test_no_serious_accessibility_violations(path: str, page, site_url: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page.goto(site_url + path)
    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not bad, "\n".join(f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} nodes" for v in bad)


def test_home_page_loads_nothing_from_outside(page, site_url: str) -> None:
    page.goto(site_url + "/")
    page.wait_for_load_state("networkidle")
    assert page.outside_requests == []


@pytest.fixture(scope="module")
def offline_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import mkdocs_build

    out = tmp_path_factory.mktemp("offline")
    proc = mkdocs_build(out, env={"OFFLINE": "true", "DIRECTORY_URLS": "false"})
    assert proc.returncode == 0, proc.stderr
    return out


def test_offline_folder_works_from_disk_without_a_server(page, offline_site: Path) -> None:
    page.goto((offline_site / "index.html").as_uri())
    page.locator("nav.md-nav--primary a", has_text="议事规则").first.click()
    page.wait_for_url("**/meeting-rules.html")
    assert "议事规则" in page.locator("article h1").inner_text()
    page.click(".md-search__input")
    page.keyboard.type("末位表态")
    page.keyboard.press("End")
    page.wait_for_selector(".md-search-result__item", timeout=10000)
    first = page.locator(".md-search-result__item a").first.get_attribute("href")
    assert first and ".html" in first
    assert page.outside_requests == []
