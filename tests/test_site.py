"""The built site, parsed: records on their pages, links that resolve, Chinese chrome, the checklist pages,
a district and a 范文 added by data alone, hostile data shown as text.

The bundled site is built once per session (conftest `built_site`) and the variant of
tests/site_variant.py once per session; each page is parsed once per session (tests/built_html.py).
Expectations come from the data and the schemas through an independent oracle
(tests/checklist_oracle.py), never from the functions that render the pages.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import checklist_oracle as oracle
import pytest
from built_html import html_files, page_file, scan, soup, soup_of_file
from conftest import ROOT, copy_project, mkdocs_build
from site_variant import (
    DISTRICT_ID,
    DISTRICT_NAME,
    DISTRICT_SLUG,
    HOSTILE,
    HOSTILE_DECISION,
    HOSTILE_DEFINITION,
    HOSTILE_SCHOOL_ID,
    HOSTILE_SCHOOL_NAME,
    HOSTILE_TERM,
    PLAN_ID,
    PLAN_LABEL,
    PLAN_SLUG,
    PLAN_TITLE,
    PRACTICE_ID,
    PRACTICE_NAME,
    SCHOOL_ID,
    TERM_ID,
    Variant,
    build_variant,
)

from macros.model import Dataset, School, load_dataset
from macros.render import page_of
from macros.validate import junk_markers

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return load_dataset(ROOT)


@pytest.fixture(scope="module")
def variant(tmp_path_factory: pytest.TempPathFactory) -> Variant:
    return build_variant(tmp_path_factory.getbasetemp() / "variant")


def text(node) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", node.get_text(" ")).strip()


def nav_links(site: Path) -> dict[str, str]:
    """Primary navigation of the home page: href → title."""
    return {a["href"]: text(a) for a in soup(site, "/").select("nav.md-nav--primary a[href]")}


def search_docs(site: Path) -> list[dict]:
    docs = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    for d in docs:  # the index separates segmented words with zero-width spaces
        d["title"], d["text"] = d["title"].replace("\u200b", ""), d["text"].replace("\u200b", "")
    return docs


# ---- records and links -------------------------------------------------------------------------


def test_every_active_record_has_its_anchor_on_its_page(built_site: Path, ds: Dataset) -> None:
    missing, unlabelled = [], []
    for rid, rec in ds.by_id.items():
        if not rec.active or rid.startswith(("EV-", "SCH-")):
            continue
        page = page_of(rid, ds)
        node = soup(built_site, page).find(id=rid)
        if node is None:
            missing.append(f"{rid} not on {page}")
        elif not rid.startswith(("GL-", "DS-")) and rid not in node.get_text():
            unlabelled.append(f"{rid} on {page} does not show its ID")
    assert not missing, "\n".join(missing[:20])
    assert not unlabelled, "\n".join(unlabelled[:20])
    for t in ds.glossary:  # a term's anchor is its <dt>, which shows the term
        if t.active:
            assert text(soup(built_site, "glossary.md").find(id=t.id).select_one("dfn")) == t.term


def test_every_internal_link_and_anchor_resolves(built_site: Path) -> None:
    files = html_files(built_site)
    bad, checked = [], 0
    for f in files:
        if f.name == "404.html":
            continue  # served for any path, so mkdocs writes root-absolute links there (checked below)
        for a in scan(f).find("a", href=True):
            href = a.attrs["href"]
            if urlparse(href).scheme or href.startswith(("mailto:", "javascript:")):
                continue
            target, anchor = urldefrag(href)
            dest = (f.parent / unquote(target)).resolve() if target else f
            if dest.is_dir():
                dest = dest / "index.html"
            checked += 1
            if not dest.exists():
                bad.append(f"{f.relative_to(built_site)}: {href} (no file)")
            elif anchor and dest.suffix == ".html" and unquote(anchor) not in scan(dest).ids:
                bad.append(f"{f.relative_to(built_site)}: {href} (no anchor)")
    assert checked > 1000
    assert not bad, "\n".join(bad[:30])


def test_citations_link_to_their_source_on_the_sources_page(built_site: Path, ds: Dataset) -> None:
    sources_page = built_site / "sources" / "index.html"
    active = {s.id for s in ds.sources if s.active}
    seen = set()
    for f in html_files(built_site):
        for a in scan(f).find("a", cls="dz-cite"):
            target, anchor = urldefrag(a.attrs["href"])
            assert (f.parent / target / "index.html").resolve() == sources_page.resolve(), (f, a.attrs["href"])
            assert anchor in active and anchor in scan(sources_page).ids, a.attrs["href"]
            assert a.attrs["title"] == ds.source(anchor).title
            seen.add(anchor)
    cited = {c.src for r in ds.by_id.values() if r.active for c in r.cite}
    assert seen and seen <= cited


def test_no_web_junk_anywhere_in_the_site(built_site: Path) -> None:
    markers = junk_markers(ROOT / "schemas")
    assert markers
    for f in [*html_files(built_site), built_site / "search" / "search_index.json"]:
        raw = f.read_text(encoding="utf-8")
        hits = [m for m in markers if m in raw]
        assert not hits, f"{f.relative_to(built_site)}: {hits}"


def test_nothing_is_loaded_from_outside(built_site: Path) -> None:
    for f in html_files(built_site):
        for tag, attr in (("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"), ("source", "src")):
            for t in scan(f).find(tag, **{attr: True}):
                if tag == "link" and set(t.attrs.get("rel", "").split()) & {"canonical", "alternate"}:
                    continue
                url = t.attrs[attr]
                assert not urlparse(url).scheme and not url.startswith("//"), f"{f.name}: {tag} {url}"
    css = "\n".join(p.read_text(encoding="utf-8") for p in built_site.rglob("*.css"))
    assert "fonts.googleapis" not in css and not re.search(r"@import\s+url\(\s*['\"]?(https?:)?//", css)


# ---- Chinese chrome ----------------------------------------------------------------------------


def slug(heading: str) -> str:
    """pymdownx.slugs.slugify(case=lower), restated: drop punctuation, keep CJK, spaces become '-'."""
    return re.sub(r"[^\w\- ]", "", heading).strip().lower().replace(" ", "-")


def test_headings_have_chinese_ids_and_permalinks_titled_本节链接(built_site: Path) -> None:
    links = 0
    for f in html_files(built_site):
        if not scan(f).find("a", cls="headerlink"):
            continue
        for a in soup_of_file(f).select("a.headerlink"):
            heading = a.parent
            assert heading.name in ("h1", "h2", "h3", "h4", "h5", "h6"), f.name
            assert a.get("title") == "本节链接", f"{f.relative_to(built_site)}: {a}"
            assert a["href"] == f"#{heading['id']}"
            words = heading.get_text().replace(a.get_text(), "").strip()
            assert not re.fullmatch(r"_\d+", heading["id"]), f"{f.name}: {words} got {heading['id']}"
            assert re.sub(r"_\d+$", "", heading["id"]) == slug(words), f"{f.relative_to(built_site)}: {words}"
            links += 1
    assert links >= 20
    titles = {t.attrs.get("title") for f in html_files(built_site) for t in scan(f).find("a", cls="headerlink")}
    assert titles == {"本节链接"}


def test_the_404_page_is_chinese_and_leads_home(built_site: Path) -> None:
    doc = soup_of_file(built_site / "404.html")
    assert doc.html["lang"] == "zh"
    article = doc.select_one("article")
    assert "找不到这个页面" in text(article.h1)
    assert not re.search(r"not found", doc.get_text(), re.I)
    hrefs = {text(a): a["href"] for a in article.select("a[href]")}
    assert hrefs["首页"].rstrip(".") == "/" and hrefs["在线自查"] == "/checklist/"
    assert (built_site / "checklist" / "index.html").exists()
    assert doc.select_one(".md-search__input")["placeholder"] == "搜索"


def test_data_pages_have_edit_links_to_their_yaml(built_site: Path, ds: Dataset) -> None:
    pages = {"decisions.md": "data/decisions.yaml", "glossary.md": "data/glossary.yaml"}
    pages |= {f"practices/{d.slug}.md": d.origin.file for d in ds.districts}
    pages |= {f"plans/{s.slug}.md": s.origin.file for s in ds.sources if s.active and s.slug}
    for page, data_file in pages.items():
        edit = soup(built_site, page).select_one('a.md-content__button[rel="edit"]')
        assert edit is not None and edit["href"].endswith(f"/edit/main/{data_file}"), page


def test_every_page_shows_the_data_version(built_site: Path, ds: Dataset) -> None:
    for f in html_files(built_site):
        if f.name != "404.html":
            shown = re.findall(r'<span class="dz-data-version">([^<]*)</span>', f.read_text(encoding="utf-8"))
            assert shown == [ds.data_version], f


def test_glossary_terms_get_tooltips_in_text(built_site: Path, ds: Dataset) -> None:
    term = next(t for t in ds.glossary if t.term == "三重一大")
    abbrs = {text(a): a["title"] for a in soup(built_site, "decisions.md").select("article abbr[title]")}
    assert abbrs["三重一大"] == f"三重一大：{term.definition}"


def test_school_and_blank_pages_stay_out_of_nav_and_search(built_site: Path, ds: Dataset) -> None:
    locations = {d["location"].split("#")[0] for d in search_docs(built_site)}
    schools = [s for s in ds.schools if s.active]
    assert schools
    for s in schools:
        assert f"schools/{s.id.lower()}/" not in locations
        assert page_file(built_site, f"schools/{s.id.lower()}/").exists()
    assert not {loc for loc in locations if loc.startswith("checklist/blank/") and loc != "checklist/blank/"}
    nav = nav_links(built_site)
    assert not [h for h in nav if h.startswith("schools/") and h != "schools/"]
    assert all(s.name not in " ".join(nav.values()) for s in schools)


def test_generated_district_and_plan_pages_are_in_the_nav(built_site: Path, ds: Dataset) -> None:
    nav = nav_links(built_site)
    for d in ds.districts:
        assert nav.get(f"practices/{d.slug}/") == d.name
    plans = [s for s in ds.sources if s.active and s.slug]
    assert plans
    for s in plans:
        assert nav.get(f"plans/{s.slug}/") == (s.short or s.title)


# ---- the checklist pages -----------------------------------------------------------------------


def item_rows(doc) -> list:  # type: ignore[no-untyped-def]
    return doc.select(".dz-cl-table tr.dz-item")


def test_checklist_page_groups_rule_items_then_reference_items_by_dimension(built_site: Path, ds: Dataset) -> None:
    doc = soup(built_site, "checklist/index.md")
    root = doc.select_one(".dz-checklist[data-mode=app]")
    expected = oracle.rows(ds, {})  # every profile field 未知: every item that could apply
    rows = item_rows(root)
    assert [r["data-item"] for r in rows] == [e.id for e in expected]
    assert [text(r.select_one(".dz-no")) for r in rows] == [str(e.number) for e in expected]
    dims = [d.key for d in ds.dimensions]
    bodies = root.select(".dz-cl-table tbody")
    # 一、规定项 then its dimension groups, 二、参考项 then its dimension groups (all groups present, empty ones hidden).
    layout = [(b.get("data-kind"), b.get("data-dimension")) for b in bodies]
    assert layout == [(oracle.RULE, None), *((oracle.RULE, d) for d in dims),
                      (oracle.REFERENCE, None), *((oracle.REFERENCE, d) for d in dims)]
    assert text(bodies[0]).startswith(f"一、{oracle.RULE}") and text(bodies[len(dims) + 1]).startswith(f"二、{oracle.REFERENCE}")
    by_id = {e.id: e for e in expected}
    for b in root.select("tbody.dz-dim"):
        ids = [r["data-item"] for r in b.select("tr.dz-item")]
        assert b.has_attr("hidden") == (not ids)
        orders = [int(r["data-order"]) for r in b.select("tr.dz-item")]
        assert orders == sorted(orders)
        for i in ids:
            assert by_id[i].kind == b["data-kind"] and ds.get(i).dimension == b["data-dimension"]
    # Every row carries each answer once; a label says which kinds take it, and each kind's answers come
    # in that kind's own order (the order of the schema, the blank tables and the CSV).
    results = {kind: oracle.results(ds, kind) for kind in (oracle.RULE, oracle.REFERENCE)}
    for r in rows:
        labels = r.select("label.dz-choice")
        values = [lab.input["value"] for lab in labels]
        assert sorted(values) == sorted({v for res in results.values() for v in res}), r["data-item"]
        for kind, res in results.items():
            assert [lab.input["value"] for lab in labels if kind in lab["data-for"].split()] == res
        for lab in labels:
            assert set(lab["data-for"].split()) == {k for k, res in results.items() if lab.input["value"] in res}
        assert r.select_one(".dz-other-kind").has_attr("hidden")
        assert r["data-kind"] == by_id[r["data-item"]].kind
    # Summary: one line per kind; the 达标率 on the 规定项 line only.
    lines = {p["data-summary-kind"]: p for p in root.select("[data-summary-kind]")}
    assert list(lines) == [oracle.RULE, oracle.REFERENCE]
    for kind, line in lines.items():
        assert text(line.select_one("[data-count=total]")) == str(sum(e.kind == kind for e in expected))
        assert [s["data-count"] for s in line.select("[data-count]")][1:-1 if kind == oracle.RULE else None] == [
            *oracle.results(ds, kind), "未填"]
    assert lines[oracle.RULE].select("[data-count=compliance]") and not lines[oracle.REFERENCE].select(
        "[data-count=compliance]")
    # The district list offers every district of the data, 未知 and 其他地区.
    options = [o["value"] for o in root.select("select[name=district] option")]
    assert options == ["未知", *(d.id for d in ds.districts), "OTHER"]


def test_school_pages_show_the_schools_own_checklist(built_site: Path, ds: Dataset) -> None:
    schools = [s for s in ds.schools if s.active]
    assert len(schools) >= 2
    for s in schools:
        page = scan(page_file(built_site, f"schools/{s.id.lower()}/"))
        root, = page.find("div", cls="dz-checklist")
        assert root.attrs["data-mode"] == "school"
        expected = oracle.rows(ds, oracle.school_profile(s))
        rows = page.find("tr", cls="dz-item")
        assert [(r.attrs["data-item"], r.attrs["data-kind"]) for r in rows] == [(e.id, e.kind) for e in expected], s.id
        assert not page.find(cls="dz-maybe"), "a roster school's profile is fully known"
        assert root.attrs["data-school-id"] == s.id and root.attrs["data-p-name"] == s.name
        assert [root.attrs[f"data-p-{k}"] for k in oracle.KEYS] == [getattr(s, k) for k in oracle.KEYS]
        name, = page.find("input", name="name")
        assert name.attrs["value"] == s.name and "readonly" in name.attrs
        assert page.find("script", cls="dz-checklist-data")
        # Only the groups that have rows are on a school's page, 规定项 first.
        kinds = [b.attrs["data-kind"] for b in page.find("tbody", cls="dz-dim")]
        assert kinds == sorted(kinds, key=lambda k: k != oracle.RULE)
        assert "hidden" not in {k for b in page.find("tbody", cls="dz-dim") for k in b.attrs}
        # The school's name heads the page as the title's subtitle: never a glossary tooltip in a name.
        sub = soup(built_site, f"schools/{s.id.lower()}/").select_one("article hgroup > p.dz-cl-sub")
        assert sub is not None and sub.get_text() == s.name and not sub.find("abbr")


def test_schools_index_lists_every_school_with_its_item_count(built_site: Path, ds: Dataset) -> None:
    doc = soup(built_site, "schools/index.md")
    links = {a["href"]: a for a in doc.select("article a[href]")}
    for s in ds.schools:
        if s.active:
            a = links[f"{s.id.lower()}/"]
            assert text(a) == s.name
            cells = [text(td) for td in a.find_parent("tr").select("td")]
            assert cells[-1] == str(len(oracle.rows(ds, oracle.school_profile(s))))
            assert cells[1:3] == [s.org_type, "" if s.members is None else str(s.members)]  # type, then 党员人数


def test_blank_pages_print_only_their_kinds_answers(built_site: Path, ds: Dataset) -> None:
    common = json.loads((ROOT / "schemas" / "common.schema.json").read_text(encoding="utf-8"))["$defs"]
    slugs = {**common["org_type"]["x-slugs"], **common["mode"]["x-slugs"]}
    pages = 0
    for org in oracle.enum(ds, "org_type"):
        for mode in oracle.enum(ds, "mode"):
            doc = soup(built_site, f"checklist/blank/{slugs[org]}-{slugs[mode]}/")
            root = doc.select_one(".dz-checklist[data-mode=blank]")
            assert root.select_one("script.dz-checklist-data") is None, "blank tables need no script"
            expected = oracle.rows(ds, {"org_type": org, "mode": mode})
            rows = item_rows(root)
            assert [(r["data-item"], r["data-kind"]) for r in rows] == [(e.id, e.kind) for e in expected]
            for r in rows:
                boxes = [text(b).removeprefix("☐ ") for b in r.select(".dz-box")]
                assert boxes == oracle.results(ds, r["data-kind"]), r["data-item"]
                assert not r.select("input, textarea")
            assert "党组织书记（签字）" in text(root) and f"数据版本 {ds.data_version}" in text(root)
            pages += 1
    assert pages == len(oracle.enum(ds, "org_type")) * len(oracle.enum(ds, "mode"))


# ---- a variant of the data, built in a copy (tests/site_variant.py) ---------------------------


def test_a_fourth_district_and_a_fourth_plan_by_data_alone(variant: Variant) -> None:
    site, ds = variant.site, variant.dataset()
    # Only data changed: code, templates, docs and configuration are the bundled ones.
    for part in ("macros", "docs", "overrides", "schemas"):
        for f in (ROOT / part).rglob("*"):
            if f.is_file() and "__pycache__" not in f.parts:
                assert (variant.root / f.relative_to(ROOT)).read_bytes() == f.read_bytes(), f
    assert (variant.root / "mkdocs.yml").read_bytes() == (ROOT / "mkdocs.yml").read_bytes()
    bundled = load_dataset(ROOT)
    assert len(ds.districts) == len(bundled.districts) + 1
    assert len([s for s in ds.sources if s.slug]) == len([s for s in bundled.sources if s.slug]) + 1

    nav = nav_links(site)
    assert nav.get(f"practices/{DISTRICT_SLUG}/") == DISTRICT_NAME
    assert nav.get(f"plans/{PLAN_SLUG}/") == PLAN_LABEL
    for d in bundled.districts:  # the others are still there
        assert nav.get(f"practices/{d.slug}/") == d.name

    compare = soup(site, "practices/index.md").select_one(".dz-compare")
    row = next(tr for tr in compare.select("tbody tr") if tr.select_one(f'a[href="{DISTRICT_SLUG}/"]'))
    assert text(row.th.a) == DISTRICT_NAME and PRACTICE_NAME in text(row)
    assert len(compare.select("tbody tr")) == len(ds.districts)
    card = soup(site, "plans/index.md").select_one(f'a.dz-card-link[href="{PLAN_SLUG}/"]')
    assert card is not None and PLAN_LABEL in text(card) and PLAN_TITLE in text(card)

    district_page = soup(site, f"practices/{DISTRICT_SLUG}/")
    assert text(district_page.select_one("article h1")).startswith(DISTRICT_NAME)
    assert district_page.find(id=PRACTICE_ID) is not None and district_page.find(id=DISTRICT_ID) is not None
    plan_page = soup(site, f"plans/{PLAN_SLUG}/")
    assert PLAN_TITLE in text(plan_page.select_one("article h1"))
    assert plan_page.select_one(f'a[href$="#{TERM_ID}"]') is not None
    assert soup(site, "sources.md").find(id=PLAN_ID) is not None

    docs = {d["location"]: d for d in search_docs(site)}
    assert DISTRICT_NAME in docs[f"practices/{DISTRICT_SLUG}/"]["title"]
    assert any(loc.startswith(f"practices/{DISTRICT_SLUG}/") and PRACTICE_NAME in d["title"] + d["text"]
               for loc, d in docs.items())
    assert PLAN_TITLE in docs[f"plans/{PLAN_SLUG}/"]["title"]
    # The checklist knows the district: offered in the form, bound by its own plan.
    root = soup(site, "checklist/index.md").select_one(".dz-checklist[data-mode=app]")
    assert DISTRICT_ID in [o["value"] for o in root.select("select[name=district] option")]
    spec = json.loads(root.select_one("script.dz-checklist-data").string)
    assert spec["districts"][DISTRICT_ID] == DISTRICT_NAME


def test_a_districts_own_rule_is_a_rule_item_for_its_schools_only(variant: Variant) -> None:
    site, ds = variant.site, variant.dataset()
    school = ds.get(SCHOOL_ID)
    assert isinstance(school, School)
    local = {e.id for e in oracle.rows(ds, oracle.school_profile(school)) if e.kind == oracle.RULE}
    elsewhere = {e.id for e in oracle.rows(ds, {**oracle.school_profile(school), "district": "OTHER"})
                 if e.kind == oracle.RULE}
    assert local - elsewhere, "the variant's binding plan makes some item a 规定项 in its district only"
    root = soup(site, f"schools/{SCHOOL_ID.lower()}/").select_one(".dz-checklist")
    kinds = {r["data-item"]: r["data-kind"] for r in item_rows(root)}
    for i in local - elsewhere:
        assert kinds[i] == oracle.RULE
        body = root.find(id=i).find_parent("tbody")
        assert body["data-kind"] == oracle.RULE
    # On the interactive page (district 未知) such an item is a 参考项 that says where it would be a 规定项.
    app = soup(site, "checklist/index.md")
    for i in local - elsewhere:
        row = app.find(id=i)
        assert row["data-kind"] == oracle.REFERENCE
        assert DISTRICT_NAME in text(row.select_one(".dz-kind-note"))


def test_hostile_data_is_shown_as_text_never_run_or_evaluated(variant: Variant) -> None:
    site = variant.site
    for f in html_files(site):  # escaped everywhere it appears (tables, tooltips, lists, school pages)
        raw = f.read_text(encoding="utf-8")
        assert "<script>alert" not in raw and "<img src=x" not in raw and "site_name:" not in raw, f
    decisions = soup(site, "decisions.md")
    row = decisions.find(id=HOSTILE_DECISION)
    assert text(row.select_one(".dz-text")) == HOSTILE
    assert not [s for s in decisions.find_all("script") if "alert" in (s.string or "")]
    assert not decisions.find_all(attrs={"onerror": True})
    glossary = soup(site, "glossary.md")
    dd = glossary.find(id=HOSTILE_TERM).find_next_sibling("dd")  # the definition that was changed, not the first
    assert text(dd.select_one(".dz-text")) == HOSTILE_DEFINITION
    term = next(t for t in variant.dataset().glossary if t.id == HOSTILE_TERM)
    tooltips = [a["title"] for a in soup(site, "setups.md").select("abbr[title]") if text(a) == term.term]
    assert tooltips and all(t == f"{term.term}：{HOSTILE_DEFINITION}" for t in tooltips)
    school = soup(site, f"schools/{HOSTILE_SCHOOL_ID.lower()}/").select_one(".dz-checklist")
    assert school["data-p-name"] == HOSTILE_SCHOOL_NAME
    assert school.select_one("input[name=name]")["value"] == HOSTILE_SCHOOL_NAME
    assert "25" not in HOSTILE_SCHOOL_NAME and "{{ 5*5 }}" in text(soup(site, "schools/index.md").select_one("article"))


def test_broken_data_stops_the_build_with_the_validators_message_and_writes_nothing(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    path = project / "data" / "decisions.yaml"
    lines = path.read_text(encoding="utf-8").split("\n")
    idx = next(i for i, line in enumerate(lines) if line.startswith("    matter:"))
    lines[idx] = lines[idx].replace("matter:", "mater:")
    path.write_text("\n".join(lines), encoding="utf-8")
    records_before = sum(1 for line in lines[:idx] if line.startswith("  - id:")) - 1
    site = tmp_path / "site"
    proc = mkdocs_build(site, root=project)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert f"data/decisions.yaml:{idx + 1}:5: decisions[{records_before}].mater: 未知字段“mater”" in out
    assert "Traceback" not in out
    assert not site.exists() or not any(site.iterdir())
