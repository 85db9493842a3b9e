"""Rendering functions, called without mkdocs: given records, check the HTML structure they produce."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from macros import render
from macros.model import Dataset, load_dataset
from macros.render import Linker, add_tooltips, md_escape, page_of, safe_url

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "valid" / "data"
SEEDS = ROOT / "tests" / "fixtures" / "seeds"

URLS = {p: p.removesuffix(".md").removesuffix("index").rstrip("/") + "/" if p != "index.md" else "" for p in (
    "index.md", "sources.md", "responsibilities.md", "decisions.md", "meeting-rules.md", "setups.md", "supports.md",
    "variants.md", "glossary.md", "checklist/index.md", "practices/index.md", "plans/index.md",
)}


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return load_dataset(ROOT, data_dir=FIXTURE, seeds_dir=SEEDS)


@pytest.fixture(scope="module")
def urls(ds: Dataset) -> dict[str, str]:
    out = dict(URLS)
    for d in ds.districts:
        out[f"practices/{d.slug}.md"] = f"practices/{d.slug}/"
    return out


def soup(markup: str) -> BeautifulSoup:
    return BeautifulSoup(str(markup), "html.parser")


def test_linker_relative_urls_for_directory_and_file_urls() -> None:
    served = Linker("decisions/", {"sources.md": "sources/", "index.md": "", "practices/qujing.md": "practices/qujing/"})
    assert served.to("sources.md", "SRC-A") == "../sources/#SRC-A"
    assert served.to("index.md") == "../"
    assert served.to("practices/qujing.md") == "../practices/qujing/"
    home = Linker("", {"sources.md": "sources/"})
    assert home.to("sources.md") == "sources/"
    offline = Linker("practices/qujing.html", {"sources.md": "sources.html", "index.md": "index.html"})
    assert offline.to("sources.md", "X") == "../sources.html#X"
    assert offline.to("index.md") == "../index.html"
    with pytest.raises(KeyError):
        served.to("missing.md")


def test_every_record_type_has_a_page() -> None:
    for rid, page in [("SRC-A", "sources.md"), ("RS-A", "responsibilities.md"), ("DI-A", "decisions.md"),
                      ("MR-A", "meeting-rules.md"), ("OS-A", "setups.md"), ("SP-A", "supports.md"),
                      ("MS-A", "supports.md"), ("VR-A", "variants.md"), ("GL-A", "glossary.md"),
                      ("CK-A", "checklist/index.md"), ("SCH-DEMO-001", "schools/sch-demo-001.md")]:
        assert page_of(rid) == page


def test_decision_matrix_rows_cells_and_anchors(ds: Dataset, urls: dict[str, str]) -> None:
    html = render.decision_matrix(ds, Linker("decisions/", urls, ds))
    doc = soup(html)
    rows = doc.select("tbody tr.dz-record")
    assert [r["id"] for r in rows] == [d.id for d in ds.decisions if d.active]
    headers = [th.get_text() for th in doc.select("thead th")]
    assert headers[0] == "事项" and headers[-1] == "来源"
    first = ds.decisions[0]
    cells = rows[0].find_all("td")
    for step, role in enumerate(first.roles, start=1):
        col = headers.index(role.body)
        assert f"{step}. {role.action}" in cells[col - 1].get_text()
    cite = rows[0].select_one("a.dz-cite")
    assert cite["href"] == f"../sources/#{first.cite[0].src}"


def test_meeting_rules_keep_literal_wording(ds: Dataset, urls: dict[str, str]) -> None:
    doc = soup(render.meeting_rules(ds, Linker("meeting-rules/", urls, ds)))
    for r in ds.meeting_rules:
        node = doc.find(id=r.id)
        assert node is not None, r.id
        if r.literal:
            assert node.select_one("q.dz-formula").get_text() == r.literal


def test_responsibilities_grouped_by_holder_then_source(ds: Dataset, urls: dict[str, str]) -> None:
    doc = soup(render.responsibilities(ds, Linker("responsibilities/", urls, ds)))
    ids = [li["id"] for li in doc.select("li.dz-record")]
    assert sorted(ids) == sorted(r.id for r in ds.responsibilities if r.active)
    assert doc.select_one("h2").get_text() in {r.holder for r in ds.responsibilities}


def test_sources_list_backlinks(ds: Dataset, urls: dict[str, str]) -> None:
    doc = soup(render.sources(ds, Linker("sources/", urls, ds)))
    for s in ds.sources:
        section = doc.find(id=s.id)
        back = {a.get_text() for a in section.select("details a")}
        assert back == {r.id for r in ds.citing(s.id)}


def test_org_counts_table_and_chart_agree(urls: dict[str, str]) -> None:
    ds = load_dataset(ROOT)  # the real Qujing counts: 485 = 18 + 77 + 390, each split by 一肩挑/分设
    district = ds.district("DS-QJ")
    urls = urls | {f"practices/{d.slug}.md": f"practices/{d.slug}/" for d in ds.districts}
    html = render.qujing_counts(ds, Linker("setups/", urls, ds), district.id)
    doc = soup(html)
    assert doc.select_one("svg title").get_text().startswith(district.name)
    table = doc.select_one("table").get_text()
    for shown in ("485所", "18所", "11所", "7所", "77所", "64所", "13所", "390所", "290所", "100所"):
        assert shown in table
    # one legend swatch + one bar per org type, widths proportional to the counts
    bars = doc.select("svg rect.dz-bar-yjt")[1:]
    widths = [float(b["width"]) for b in bars]
    assert len(widths) == 3 and widths[2] / widths[1] == pytest.approx(290 / 64, rel=1e-2)


@pytest.mark.parametrize("hostile", ["<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "{{ 7*7 }}",
                                     "{% include 'x' %}", "**粗体** [链接](javascript:alert(1)) | 分列"])
def test_data_text_is_escaped_never_markup(hostile: str, ds: Dataset, urls: dict[str, str]) -> None:
    from dataclasses import replace
    from types import MappingProxyType

    d0 = ds.decisions[0]
    evil = replace(d0, matter=hostile)
    by_id = dict(ds.by_id) | {evil.id: evil}
    evil_ds = replace(ds, decisions=(evil, *ds.decisions[1:]), by_id=MappingProxyType(by_id))
    html = str(render.decision_matrix(evil_ds, Linker("decisions/", urls, evil_ds)))
    doc = soup(html)
    assert doc.find("script") is None and doc.find("img") is None
    assert doc.find(id=d0.id).select_one(".dz-text").get_text() == hostile
    assert "49" not in html


def test_render_output_is_one_markdown_safe_html_block(ds: Dataset, urls: dict[str, str]) -> None:
    html = str(render.glossary(ds, Linker("glossary/", urls, ds)))
    assert "\n\n" not in html
    assert not any(line.startswith("    ") for line in html.splitlines())


def test_safe_url_refuses_other_schemes() -> None:
    assert safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    assert safe_url("javascript:alert(1)") == ""
    assert safe_url("http://x.org/\"onmouseover=") == ""
    assert safe_url("data:text/html,x") == ""


def test_md_escape_neutralises_markdown_and_html() -> None:
    assert md_escape("<b>*x*</b> [a](b)") == "&lt;b&gt;\\*x\\*&lt;/b&gt; \\[a\\]\\(b\\)"


def test_tooltips_wrap_terms_in_text_only() -> None:
    terms = {"三重一大": "重大事项……", "一肩挑": "书记校长由一人担任", "书记": "党组织书记"}
    html = ('<p>落实三重一大，书记校长一肩挑。</p><h2>三重一大</h2><a href="#">一肩挑</a>'
            '<p title="三重一大">x</p><code>一肩挑</code><abbr title="y">书记</abbr>')
    out = add_tooltips(html, terms)
    doc = soup(out)
    p = doc.find("p")
    assert [a.get_text() for a in p.find_all("abbr")] == ["三重一大", "书记", "一肩挑"]
    assert p.find("abbr")["title"] == "重大事项……"
    assert doc.find("h2").find("abbr") is None
    assert doc.find("a").find("abbr") is None
    assert doc.find("code").find("abbr") is None
    assert doc.find_all("p")[1]["title"] == "三重一大"


def test_tooltips_escape_definitions() -> None:
    out = add_tooltips("<p>一肩挑</p>", {"一肩挑": '"><script>x</script>'})
    assert "<script>" not in out
    assert soup(out).find("abbr")["title"] == '"><script>x</script>'
