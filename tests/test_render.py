"""Rendering functions, called without mkdocs: records in, HTML fragments out, parsed with BeautifulSoup.

Most tests use the small valid fixture (tests/fixtures/valid/data); records are changed one at a time
with dataclasses.replace where a test needs something the fixture does not have. The pure site
functions (generated pages, navigation, search words) are tested here too.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import pytest
from bs4 import BeautifulSoup

from macros import checklist_pages, render, site
from macros.checklist import Profile, select
from macros.model import Breakdown, Dataset, Figure, Origin, Record, Source, load_dataset
from macros.render import Linker, md_escape, page_of, safe_url
from macros.scope import REFERENCE, RULE
from macros.tooltips import _add_tooltips_by_tag, add_tooltips, term_pattern

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "valid" / "data"
SEEDS = ROOT / "tests" / "fixtures" / "seeds"
PAGES = ("index.md", "sources.md", "responsibilities.md", "decisions.md", "meeting-rules.md", "setups.md", "supports.md",
         "variants.md", "glossary.md", "checklist/index.md", "practices/index.md", "plans/index.md", "policy.md")


class DirectoryUrls(dict):
    """src path → URL with directory URLs, for any page (mkdocs' own rule)."""

    def get(self, key: str, default: object = None) -> str:  # type: ignore[override]
        stem = key.removesuffix(".md")
        return "" if stem == "index" else (stem[: -len("index")] if stem.endswith("/index") else stem + "/")


URLS = DirectoryUrls()


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return load_dataset(ROOT, data_dir=FIXTURE, seeds_dir=SEEDS)


def with_records(ds: Dataset, *records: Record, **collections: tuple) -> Dataset:
    """The dataset with some records replaced or added (by ID) and some collections set."""
    by_id = dict(ds.by_id) | {r.id: r for r in records}
    return replace(ds, by_id=MappingProxyType(by_id), **collections)


def soup(markup: object) -> BeautifulSoup:
    return BeautifulSoup(str(markup), "html.parser")


# ---- links -----------------------------------------------------------------------------------------


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


def test_every_record_type_has_a_page(ds: Dataset) -> None:
    for rid, page in [("SRC-A", "sources.md"), ("RS-A", "responsibilities.md"), ("DI-A", "decisions.md"),
                      ("MR-A", "meeting-rules.md"), ("OS-A", "setups.md"), ("SP-A", "supports.md"),
                      ("MS-A", "supports.md"), ("VR-A", "variants.md"), ("GL-A", "glossary.md"),
                      ("CK-A", "checklist/index.md"), ("EV-A", "checklist/index.md"),
                      ("SCH-DEMO-001", "schools/sch-demo-001.md")]:
        assert page_of(rid) == page
    # districts, practices and figures live on the page named after the district's file
    assert page_of("DS-TEST", ds) == page_of("PR-TEST-ALL", ds) == page_of("FG-TEST-BRANCHES", ds) == "practices/test.md"
    with pytest.raises(KeyError):
        page_of("PR-TEST-ALL")  # without the dataset a practice's page is unknown
    with pytest.raises(KeyError):
        page_of("XX-NOTHING", ds)


# ---- pages -----------------------------------------------------------------------------------------


def test_decision_matrix_rows_cells_and_anchors(ds: Dataset) -> None:
    doc = soup(render.decision_matrix(ds, Linker("decisions/", URLS, ds)))
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


def test_meeting_rules_keep_literal_wording(ds: Dataset) -> None:
    rule = replace(ds.get("MR-PARTY-FREQ"), literal="每月召开1次")
    ds2 = with_records(ds, rule, meeting_rules=(rule,))
    node = soup(render.meeting_rules(ds2, Linker("meeting-rules/", URLS, ds2))).find(id="MR-PARTY-FREQ")
    assert node is not None
    assert node.select_one("q.dz-formula").get_text() == "每月召开1次"


def test_responsibilities_grouped_by_holder_then_source(ds: Dataset) -> None:
    doc = soup(render.responsibilities(ds, Linker("responsibilities/", URLS, ds)))
    assert [li["id"] for li in doc.select("li.dz-record")] == [r.id for r in ds.responsibilities if r.active]
    assert [h.get_text() for h in doc.select("h2")] == ["党组织"]


def test_sources_list_backlinks(ds: Dataset) -> None:
    doc = soup(render.sources(ds, Linker("sources/", URLS, ds)))
    for s in ds.sources:
        section = doc.find(id=s.id)
        back = {a.get_text() for a in section.select("details a")}
        assert back == {r.id for r in ds.citing(s.id)}, s.id


def test_sources_page_has_a_badge_for_every_kind_the_schema_allows(ds: Dataset) -> None:
    kinds = json.loads((ROOT / "schemas" / "sources.schema.json").read_text(encoding="utf-8"))
    kinds = kinds["$defs"]["record"]["properties"]["kind"]["enum"]
    base = ds.source("SRC-TEST-DOC")
    made = tuple(replace(base, id=f"SRC-KIND-{k.upper()}", kind=k) for k in kinds)
    ds2 = with_records(ds, *made, sources=made)
    doc = soup(render.sources(ds2, Linker("sources/", URLS, ds2)))
    badges = [doc.find(id=s.id).select_one(".dz-badge").get_text() for s in made]
    assert all(badges) and len(set(badges)) == len(kinds), badges


def test_org_counts_table_and_chart_agree(ds: Dataset) -> None:
    """Figures broken down by org type × mode: the table shows each figure, the bars are proportional."""
    def fig(id_: str, value: int, org: str, mode: str = "", parts: tuple[str, ...] = ()) -> Figure:
        return Figure(id=id_, origin=Origin("f", 1), label=id_, value=value, unit="所",
                      breakdown=Breakdown(org, mode) if org else None, parts=parts)

    figures = (fig("FG-DW-Y", 11, "党委", "一肩挑"), fig("FG-DW-F", 7, "党委", "分设"),
               fig("FG-DW", 18, "党委", "", ("FG-DW-Y", "FG-DW-F")),
               fig("FG-ZB-Y", 290, "党支部", "一肩挑"), fig("FG-ZB-F", 100, "党支部", "分设"),
               fig("FG-ZB", 390, "党支部", "", ("FG-ZB-Y", "FG-ZB-F")),
               fig("FG-ALL", 408, "", "", ("FG-DW", "FG-ZB")))
    practice = replace(ds.practices[0], figures=figures)
    ds2 = with_records(ds, practice, *figures, practices=(practice,))
    doc = soup(render.org_counts_charts(ds2, Linker("setups/", URLS, ds2)))
    assert doc.select_one("svg title").get_text().startswith("测试市")
    rows = [[c.get_text() for c in tr.find_all(["th", "td"])] for tr in doc.select("table tbody tr")]
    assert rows == [["党委", "18所", "11所", "7所"], ["党支部", "390所", "290所", "100所"]]  # no 党总支 row: no figures
    assert [c.get_text() for c in doc.select("table tfoot td")][0] == "408所"
    assert doc.select_one('table a[href$="#FG-ZB-Y"]').get_text() == "290所"
    yjt = [float(b["width"]) for b in doc.select("svg rect.dz-bar-yjt")[1:]]  # [0] is the legend swatch
    fs = [float(b["width"]) for b in doc.select("svg rect.dz-bar-fs")[1:]]
    scale = 440 / 390  # the longest bar (the largest total) is 440 wide
    assert yjt == pytest.approx([11 * scale, 290 * scale], abs=0.06)
    assert fs == pytest.approx([7 * scale, 100 * scale], abs=0.06)
    assert render.org_counts(ds, "DS-TEST") is None  # the fixture's own figures have no breakdown


@pytest.mark.parametrize("hostile", ["<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "{{ 7*7 }}",
                                     "{% include 'x' %}", "**粗体** [链接](javascript:alert(1)) | 分列"])
def test_data_text_is_escaped_never_markup(hostile: str, ds: Dataset) -> None:
    evil = replace(ds.decisions[0], matter=hostile)
    ds2 = with_records(ds, evil, decisions=(evil, *ds.decisions[1:]))
    html = str(render.decision_matrix(ds2, Linker("decisions/", URLS, ds2)))
    doc = soup(html)
    assert doc.find("script") is None and doc.find("img") is None
    assert doc.find(id=evil.id).select_one(".dz-text").get_text() == hostile
    assert "49" not in html


def test_render_output_is_one_markdown_safe_html_block(ds: Dataset) -> None:
    for fn in (render.glossary, render.sources, render.decision_matrix, render.supports):
        html = str(fn(ds, Linker("x/", URLS, ds)))
        assert "\n\n" not in html, fn.__name__
        assert not any(line.startswith("    ") for line in html.splitlines()), fn.__name__


def test_policy_page_lists_the_glossary_principles(ds: Dataset) -> None:
    term = ds.get("GL-YIJIANTIAO")
    plain = soup(render.policy(ds, Linker("policy/", URLS, ds)))
    assert plain.find(id="principles") is None  # no term is a principle yet
    principle = replace(term, principle=True)
    ds2 = with_records(ds, principle, glossary=(principle, *ds.glossary[1:]))
    doc = soup(render.policy(ds2, Linker("policy/", URLS, ds2)))
    dl = doc.find(id="principles").find_next("dl")
    assert [dt.get_text() for dt in dl.find_all("dt")] == ["一肩挑"]
    assert dl.find("dd").get_text() == term.definition
    assert dl.find("a")["href"] == "../glossary/#GL-YIJIANTIAO"


# ---- checklist fragments -----------------------------------------------------------------------------


def test_checklist_rows_are_grouped_by_kind_with_force_labels(ds: Dataset) -> None:
    """A school of DS-TEST: the item on the district's rule is a 规定项 and shows whose rule it is."""
    link = Linker("checklist/", URLS, ds)
    profile = Profile("测试小学", "DS-TEST", "党支部", "一肩挑", "小学", "公办", "SCH-T")
    rows = select(ds, profile)
    ctx = checklist_pages.checklist_context(ds, link, rows, mode="print", profile=profile, heading="测试小学")
    doc = soup(render.render_template("checklist.html", **ctx))
    items = doc.select("tr.dz-item")
    assert [(tr["data-item"], tr["data-kind"]) for tr in items] == [
        ("CK-ORG-TYPE", RULE), ("CK-ORG-SUPERVISION", RULE), ("CK-LOCAL-SUPERVISION", REFERENCE)]
    heads = [th.get_text() for th in doc.select("tbody.dz-kind-head th")]
    assert heads[0].startswith("一、规定项") and heads[1].startswith("二、参考项")
    sup = doc.find(id="CK-ORG-SUPERVISION")
    assert [f.get_text() for f in sup.select(".dz-force")] == ["某区·规定"]
    assert sup.select_one(".dz-kind-note").get_text() == "依据测试市的规定"
    # one label per cited place: the report's 未写明 (binds nobody) and the national 应当 (binds every school)
    assert [f.get_text() for f in doc.find(id="CK-ORG-TYPE").select(".dz-force")] == ["某市·报道·未写明", "全国·应当"]
    boxes = {tr["data-item"]: [b.get_text() for b in tr.select(".dz-box")] for tr in items}
    assert boxes["CK-ORG-SUPERVISION"] == ["☐ 达标", "☐ 基本达标", "☐ 未达标", "☐ 不适用"]
    assert boxes["CK-LOCAL-SUPERVISION"] == ["☐ 已采用", "☐ 未采用", "☐ 不适用"]


def test_a_school_elsewhere_sees_the_district_rule_as_a_reference_item(ds: Dataset) -> None:
    profile = Profile("别处小学", "OTHER", "党支部", "一肩挑", "小学", "公办", "SCH-O")
    rows = select(ds, profile)
    ctx = checklist_pages.checklist_context(ds, None, rows, mode="print", profile=profile, heading="别处小学")
    doc = soup(render.render_template("checklist.html", **ctx))
    assert [(tr["data-item"], tr["data-kind"]) for tr in doc.select("tr.dz-item")] == [
        ("CK-ORG-TYPE", RULE), ("CK-ORG-SUPERVISION", REFERENCE)]
    assert doc.find(id="CK-ORG-SUPERVISION").select_one(".dz-kind-note").get_text() == "参考：某区·规定"
    assert not doc.select("a")  # no site links in print files


def test_blank_pages_one_per_org_type_and_mode_with_schema_slugs(ds: Dataset) -> None:
    pages = checklist_pages.blank_pages(ds)
    assert [(p.org_type, p.mode) for p in pages] == [(o, m) for o in ds.vocab.org_types for m in ds.vocab.modes]
    assert pages[0].path == "checklist/blank/dw-yjt.md" and pages[-1].path == "checklist/blank/dzb-fs.md"
    files = checklist_pages.generated_files(ds)
    assert set(files) == {p.path for p in pages} | {"schools/sch-test-1.md"}
    assert "search:\n  exclude: true" in files["schools/sch-test-1.md"]
    assert '{{ checklist_school("SCH-TEST-1") }}' in files["schools/sch-test-1.md"]


def test_page_data_is_json_that_cannot_end_its_script_element(ds: Dataset) -> None:
    evil = replace(ds.get("CK-ORG-TYPE"), title="</script><script>alert(1)</script>&")
    ds2 = with_records(ds, evil, checklist=(evil, *ds.checklist[1:]))
    text = str(checklist_pages.page_data(ds2))
    assert "<" not in text and ">" not in text and "&" not in text
    data = json.loads(text)
    assert data["notes"]["CK-ORG-SUPERVISION"] == {RULE: "依据测试市的规定", REFERENCE: "参考：某区·规定",
                                                   "maybe": "如学校属测试市，本项为规定项"}
    assert data["items"]["CK-ORG-SUPERVISION"]["binding"] == ["SRC-TEST-B", "SRC-TEST-NAMED"]


# ---- what the site makes from data -------------------------------------------------------------------


def test_a_district_file_and_a_template_with_a_slug_become_pages_in_the_nav(ds: Dataset) -> None:
    """A new district (by its file name) and a new 范文 (by its slug) need no code: pages, nav, search words."""
    tpl = Source(id="SRC-TEST-TPL", origin=Origin("data/sources.yaml", 40), kind="repost", title="某校实施方案范文",
                 short="某校范文", publisher="某网站", level="范文", slug="mouxiao")
    district = replace(ds.districts[0], id="DS-NEW", name="新区", short="新区", slug="xinqu")
    ds2 = with_records(ds, tpl, district, sources=(*ds.sources, tpl), districts=(*ds.districts, district))
    pages = site.generated_pages(ds2)
    assert set(pages) == {"practices/test.md", "practices/xinqu.md", "plans/mouxiao.md"}
    assert pages["plans/mouxiao.md"][0] == '# {{ source_title("SRC-TEST-TPL") }}\n\n{{ plan_page("SRC-TEST-TPL") }}\n'
    assert pages["practices/xinqu.md"][1] == [district.origin.file]
    nav = site.expand_nav([{"首页": "index.md"}, {"地方实践": "practices/index.md"}, {"范文": "plans/index.md"}], ds2)
    assert nav == [{"首页": "index.md"},  # generated pages follow their index, by title (code point order)
                   {"地方实践": ["practices/index.md", {"新区": "practices/xinqu.md"}, {"测试市": "practices/test.md"}]},
                   {"范文": ["plans/index.md", {"某校范文": "plans/mouxiao.md"}]}]
    assert {"新区", "测试市"} <= set(site.search_words(ds2))
    doc = soup(render.district_compare(ds2, Linker("practices/", URLS, ds2)))
    assert [a.get_text() for a in doc.select("tbody th a")] == ["测试市", "新区"]
    assert doc.select("tbody th a")[1]["href"] == "xinqu/"
    plans = soup(render.plans_index(ds2, Linker("plans/", URLS, ds2)))
    assert [a["href"] for a in plans.select("a.dz-card-link")] == ["mouxiao/"]


def test_search_words_keep_glossary_terms_and_skip_unusable_ones(ds: Dataset) -> None:
    words = site.search_words(ds)
    assert {"一肩挑", "书记校长一肩挑", "党组织会议", "全面建立党组织", "测试市"} <= set(words)
    assert words == sorted(words) and all(2 <= len(w) <= 12 for w in words)
    assert site.glossary_terms(ds) == {"一肩挑": "一肩挑：党组织书记和校长由一人担任。",
                                       "书记校长一肩挑": "一肩挑：党组织书记和校长由一人担任。"}  # retired 政治核心 left out


# ---- text helpers ------------------------------------------------------------------------------------


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
    assert out == _add_tooltips_by_tag(html, terms, term_pattern(terms))


def test_tooltips_escape_definitions() -> None:
    out = add_tooltips("<p>一肩挑</p>", {"一肩挑": '"><script>x</script>'})
    assert "<script>" not in out
    assert soup(out).find("abbr")["title"] == '"><script>x</script>'


def test_cross_references_name_their_target_not_its_id() -> None:
    """参见 and other cross-references show the target's term, name, title or the start of its text."""
    real = load_dataset(ROOT)
    doc = soup(render.glossary(real, Linker("glossary/", URLS, real)))
    refs = doc.select("a.dz-ref")
    assert len(refs) >= 50
    ids = {r.id for r in real.by_id.values() if hasattr(r, "id")}
    shown_as_id = [a.get_text() for a in refs if a.get_text() in ids]
    assert not shown_as_id, shown_as_id
    rule = next(a for a in refs if a["href"].endswith("#MR-GEN-PC-QUORUM"))
    statement = real.get("MR-GEN-PC-QUORUM").statement
    assert rule.get_text() == (statement if len(statement) <= render.REF_LABEL_CHARS
                               else statement[:render.REF_LABEL_CHARS - 1] + "…")
