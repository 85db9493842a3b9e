"""The built site in headless Chromium: Chinese search, tooltips, navigation, the 404 page, print, no request
outside loopback, no console errors at desktop and phone widths, accessibility, the offline folder, and
hostile data that must never run."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from built_html import html_files, soup
from conftest import ROOT, mkdocs_build, pdftotext, serve_dir
from site_variant import (
    DISTRICT_SLUG,
    HOSTILE_DECISION,
    HOSTILE_SCHOOL_ID,
    HOSTILE_SCHOOL_NAME,
    PRACTICE_NAME,
    Variant,
    build_variant,
)

from macros.model import Dataset, load_dataset

pytestmark = pytest.mark.browser

# query -> pages that treat it (one of them must be among the first three results)
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
WIDTHS = {"desktop": 1366, "phone": 375}


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return load_dataset(ROOT)


@pytest.fixture(scope="module")
def variant(tmp_path_factory: pytest.TempPathFactory) -> Variant:
    return build_variant(tmp_path_factory.getbasetemp() / "variant")


def article_text(site: Path, url_path: str) -> str:
    doc = soup(site, url_path)
    return (doc.select_one("article") or doc).get_text()


def search(page, query: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Type a query into the search box of the page that is open; the result pages in rank order."""
    box = page.locator(".md-search__input")
    box.click()
    box.fill("")
    page.keyboard.press("End")  # Material listens to keyup; typing CJK sends none
    page.wait_for_selector(".md-search-result__item", state="detached")  # the previous query's results are gone
    # The whole query at once: typed key by key, each prefix is searched (site.js searches on every input)
    # and the first results to appear can be a prefix's.
    box.fill(query)
    page.keyboard.press("End")
    page.wait_for_selector(".md-search-result__item", timeout=10000)
    links = page.eval_on_selector_all(".md-search-result__item > a.md-search-result__link",
                                      "els => els.map(e => e.getAttribute('href'))")
    pages: list[str] = []
    for link in links:  # one entry per page, in rank order; drop the ?h= highlight parameter and anchors
        path = re.sub(r"^https?://[^/]+", "", link).split("?")[0].split("#")[0].lstrip("./").lstrip("/")
        if path not in pages:
            pages.append(path)
    return pages


def test_chinese_search_finds_the_page_that_treats_the_term(page, site_url: str, built_site: Path) -> None:  # type: ignore[no-untyped-def]
    """Each query (one page load for all): a page that treats it among the first three results, and each of
    those three contains the query."""
    page.goto(site_url + "/")
    wrong = []
    for query, treating in SEARCHES.items():
        assert any(query in article_text(built_site, p) for p in treating), f"no page treats {query} any more"
        top = search(page, query)[:3]
        if not set(top) & treating:
            wrong.append(f"{query}: top results {top}")
        wrong += [f"{query}: result {r} lacks the term" for r in top if query not in article_text(built_site, r)]
    assert not wrong, "\n".join(wrong)


def test_search_finds_a_district_added_by_data(page, variant: Variant) -> None:  # type: ignore[no-untyped-def]
    page.goto(serve_dir(variant.site) + "/")
    results = search(page, PRACTICE_NAME)
    assert f"practices/{DISTRICT_SLUG}/" in results[:3], results


def test_glossary_tooltip_shows_definition(page, site_url: str, dataset: Dataset) -> None:  # type: ignore[no-untyped-def]
    term = next(t for t in dataset.glossary if t.term == "三重一大")
    page.goto(site_url + "/decisions/")
    abbr = page.locator("article abbr", has_text="三重一大").first
    assert abbr.get_attribute("title") == f"三重一大：{term.definition}"
    abbr.hover()
    tip = page.locator(".md-tooltip2, .md-tooltip").filter(has_text=term.definition[:8]).first
    tip.wait_for(state="visible", timeout=5000)


def test_navigation_reaches_every_section(page, site_url: str, dataset: Dataset) -> None:  # type: ignore[no-untyped-def]
    page.goto(site_url + "/")
    page.locator("nav.md-nav--primary a", has_text="决策事项").first.click()
    page.wait_for_url("**/decisions/")
    assert "谁提出" in page.locator("article h1").inner_text()
    district = dataset.districts[0]
    page.locator("nav.md-nav--primary a", has_text=district.name).first.click()
    page.wait_for_url(f"**/practices/{district.slug}/")
    assert page.locator("article h1").inner_text().startswith(district.name)
    assert page.outside_requests == []


def test_the_404_page_is_chinese_and_its_links_work(page, site_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(site_url + "/404.html")
    assert "找不到这个页面" in page.locator("article h1").inner_text()
    assert page.evaluate("() => document.documentElement.lang") == "zh"
    assert not re.search(r"not found", page.locator("body").inner_text(), re.I)
    page.locator("article a", has_text="在线自查").click()
    page.wait_for_url("**/checklist/")
    page.wait_for_selector(".dz-checklist[data-dz-ready]", state="attached")
    page.goto(site_url + "/404.html")
    page.locator("article a", has_text="首页").click()
    page.wait_for_url(site_url + "/")
    assert page.locator(".md-search__input").get_attribute("placeholder") == "搜索"


def test_no_page_makes_a_request_outside_loopback(page, site_url: str, built_site: Path) -> None:  # type: ignore[no-untyped-def]
    """Every page but the roster and blank tables (one of each is visited: they are alike)."""
    pages = [f for f in html_files(built_site) if not re.search(r"/(schools|checklist/blank)/[^/]+/index\.html$",
                                                                   f.as_posix())]
    pages += sorted(built_site.glob("schools/*/index.html"))[:1] + sorted(built_site.glob("checklist/blank/*/index.html"))[:1]
    seen = []
    page.on("requestfinished", lambda r: seen.append(r.url))
    for f in pages:
        rel = f.relative_to(built_site).as_posix().removesuffix("index.html")
        page.goto(f"{site_url}/{rel}", wait_until="load")
    assert len(seen) > len(pages), "requests were recorded"
    assert page.outside_requests == []


@pytest.mark.parametrize("width", sorted(WIDTHS))
@pytest.mark.parametrize("which", ["checklist", "school"])
def test_no_console_errors_at_desktop_and_phone_width(browser, site_url: str, dataset: Dataset, which: str,
                                                      width: str) -> None:  # type: ignore[no-untyped-def]
    school = next(s for s in dataset.schools if s.active)
    path = "/checklist/" if which == "checklist" else f"/schools/{school.id.lower()}/"
    context = browser.new_context(locale="zh-CN", viewport={"width": WIDTHS[width], "height": 800})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console.{m.type}: {m.text}") if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    try:
        page.goto(site_url + path)
        page.wait_for_selector(".dz-checklist[data-dz-ready]", state="attached")
        if which == "checklist":
            page.select_option("select[name=org_type]", "党支部")
            page.fill("input[name=name]", "宽度测试学校")
        first = page.locator("tr.dz-item:not([hidden]) label.dz-choice:visible input").first
        first.check()
        assert page.locator("tr.dz-item:not([hidden])").first.is_visible()
        # The page itself never scrolls sideways; wide tables scroll inside their own frame.
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{overflow}px wider than the {WIDTHS[width]}px window"
    finally:
        context.close()
    assert not problems, problems


def test_print_to_pdf_has_the_table_and_no_navigation(page, site_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
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
    assert list(tmp_path.glob("p*.png"))


@pytest.mark.parametrize("path", ["/", "/decisions/", "/meeting-rules/", "/responsibilities/", "/glossary/", "/sources/",
                                  "/variants/", "/practices/", "/schools/", "/contributing/", "/rules/"])
def test_no_serious_accessibility_violations(path: str, page, site_url: str) -> None:  # type: ignore[no-untyped-def]
    from axe_playwright_python.sync_playwright import Axe

    page.goto(site_url + path)
    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not bad, "\n".join(f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} nodes: "
                              + "; ".join(n["html"][:120] for n in v["nodes"][:3]) for v in bad)


def test_hostile_data_never_runs_in_the_browser(page, variant: Variant) -> None:  # type: ignore[no-untyped-def]
    url = serve_dir(variant.site)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{url}/decisions/")
    assert "<script>alert('x')</script>" in page.locator(f"[id='{HOSTILE_DECISION}'] .dz-text").inner_text()
    page.goto(f"{url}/schools/{HOSTILE_SCHOOL_ID.lower()}/")
    page.wait_for_selector(".dz-checklist[data-dz-ready]", state="attached")
    assert page.input_value("input[name=name]") == HOSTILE_SCHOOL_NAME
    page.locator("tr.dz-item label.dz-choice:visible input").first.check()  # saved under the school's ID
    page.goto(f"{url}/schools/")
    assert page.locator("article a", has_text="{{ 5*5 }}").count() == 1
    assert dialogs == []
    assert not page.evaluate("() => [...document.images].some(i => i.getAttribute('src') === 'x')")


@pytest.fixture(scope="module")
def offline_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("offline")
    proc = mkdocs_build(out, env={"OFFLINE": "true", "DIRECTORY_URLS": "false"})
    assert proc.returncode == 0, proc.stderr
    return out


def test_offline_folder_works_from_disk_without_a_server(page, offline_site: Path) -> None:  # type: ignore[no-untyped-def]
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
    page.goto((offline_site / "checklist" / "index.html").as_uri())
    page.wait_for_selector(".dz-checklist[data-dz-ready]", state="attached")
    assert page.outside_requests == []
