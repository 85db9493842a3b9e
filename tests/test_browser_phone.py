"""The site on phones (issue 13): 320–414 px wide, inside WeChat, in headless Chromium.

No page may scroll sideways; the checklist is a column of cards whose answer controls fit the screen
and are at least 44 px tall; progress and "下一未答" stay in view; messages show where the user is;
inside WeChat the page says how to get out and copies the answers instead of downloading them; search
reacts to a pasted query, lands on the matching record and shows excerpts without record IDs.

The expected item sets and kinds come from the Python rules (`macros.checklist.select`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from macros.checklist import Profile, answers_validator, select
from macros.checklist_pages import blank_pages
from macros.model import load_dataset

pytestmark = pytest.mark.browser

WECHAT_UA = ("Mozilla/5.0 (Linux; Android 12; M2012K11AC Build/SKQ1.211006.001; wv) AppleWebKit/537.36 "
             "(KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5061 "
             "MMWEBSDK/20230504 MMWEBID/2585 MicroMessenger/8.0.37.2380(0x2800253D) WeChat/arm64 Weixin "
             "NetType/WIFI Language/zh_CN ABI/arm64")
PHONE_UA = ("Mozilla/5.0 (Linux; Android 12; M2012K11AC) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/107.0.5304.141 Mobile Safari/537.36")
WIDTHS = (320, 375, 414)
MIN_TARGET = 44  # px, the smallest comfortable touch target
FIRST_ITEMS = 12  # items checked one by one for the size and place of their controls
RECORD_ID = re.compile(r"(?<![A-Za-z0-9-])[A-Z]{2,3}(?:-[A-Z0-9]+)+(?![A-Za-z0-9-])")  # GL-221, MR-NAT-03 …


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(ROOT)


class Phone:
    """A fresh browser context (empty storage) of a given width and user agent, and its page."""

    def __init__(self, browser: Any, width: int, ua: str, *, height: int = 667, clipboard_origin: str = "") -> None:
        mobile = width < 600
        self.context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=mobile,
                                           has_touch=mobile, user_agent=ua, locale="zh-CN", accept_downloads=True)
        if clipboard_origin:
            self.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=clipboard_origin)
        self.page = self.context.new_page()
        self.outside: list[str] = []
        self.downloads: list[str] = []
        self.page.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:"))
                     else self.outside.append(r.url))
        self.page.on("download", lambda d: self.downloads.append(d.suggested_filename))


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """phone(width, ua) → Page; every context opened is closed after the test."""
    opened: list[Phone] = []

    def make(width: int = 375, ua: str = WECHAT_UA, **kw: Any) -> Any:
        p = Phone(browser, width, ua, **kw)
        opened.append(p)
        p.page.phone = p  # type: ignore[attr-defined]
        return p.page

    yield make
    for p in opened:
        assert p.outside == [], f"requests left the site: {p.outside[:5]}"
        p.context.close()


def open_checklist(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(".dz-checklist[data-dz-ready].dz-js", state="attached")


def nav_paths(page: Any, site_url: str) -> list[str]:
    page.goto(site_url + "/")
    paths = page.eval_on_selector_all("nav.md-nav--primary a.md-nav__link[href]",
                                      "els => [...new Set(els.map(e => new URL(e.href).pathname))]")
    assert len(paths) >= 15, paths
    return paths


def in_viewport(page: Any, selector: str) -> bool:
    return page.eval_on_selector(selector, """el => { const r = el.getBoundingClientRect();
        return r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth; }""")


# --- no page scrolls sideways ---------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways(width: int, phone, site_url: str, dataset) -> None:
    page = phone(width)
    school = next(s for s in dataset.schools if s.active)
    blank = ["/" + p.path.removesuffix(".md") + "/" for p in blank_pages(dataset)]
    paths = nav_paths(page, site_url) + [f"/schools/{school.id.lower()}/", *blank, "/404.html"]
    too_wide = {}
    for path in paths:
        page.goto(site_url + path)
        page.wait_for_load_state("load")
        sw, vw = page.evaluate("[document.scrollingElement.scrollWidth, document.documentElement.clientWidth]")
        if sw > vw:
            too_wide[path] = sw
    assert vw == width
    assert not too_wide, f"pages wider than {width} px: {too_wide}"


@pytest.mark.parametrize("path", ["/checklist/", "/meeting-rules/", "/decisions/"])
def test_wide_tables_scroll_in_their_own_box_with_a_hint(path: str, phone, site_url: str) -> None:
    page = phone(375)
    page.goto(site_url + path)
    page.wait_for_load_state("load")
    page.wait_for_function("document.querySelector('.dz-table-wrap.dz-scrolling')")
    boxes = page.evaluate("""() => [...document.querySelectorAll('.dz-table-wrap')]
        .filter(b => b.scrollWidth > b.clientWidth + 1 && b.offsetParent !== null).map(b => {
          const hint = b.previousElementSibling;
          const r = hint ? hint.getBoundingClientRect() : null;
          return {hint: hint && hint.classList.contains('dz-scroll-hint') ? hint.textContent : null,
                  shown: !!r && r.height > 0 && !hint.hidden, scrolling: b.classList.contains('dz-scrolling'),
                  focusable: b.tabIndex >= 0, right: b.getBoundingClientRect().right};
        })""")
    assert boxes, f"{path}: expected a table wider than the screen"
    for box in boxes:
        assert box["scrolling"] and box["shown"] and "左右滑动" in (box["hint"] or ""), box
        assert box["focusable"], "a box that scrolls must be reachable by keyboard"
        assert box["right"] <= 375


# --- the checklist as cards -----------------------------------------------------------------------


CONTROLS_JS = """ids => ids.map(id => {
  const row = document.getElementById(id);
  row.scrollIntoView({block: 'start'});
  const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const controls = [...row.querySelectorAll('.dz-choice, textarea, input[type=text], input[type=number]')].filter(shown);
  return {id, display: getComputedStyle(row).display,
    choices: [...row.querySelectorAll('.dz-choice')].filter(shown).map(l => l.querySelector('input').value),
    controls: controls.map(el => { const r = el.getBoundingClientRect();
      return {what: el.className || el.name, left: r.left, right: r.right, top: r.top, bottom: r.bottom, height: r.height}; })};
})"""


@pytest.mark.parametrize("width", WIDTHS)
def test_answer_controls_fit_the_screen_and_are_big_enough(width: int, phone, site_url: str, dataset) -> None:
    page = phone(width)
    open_checklist(page, f"{site_url}/checklist/")
    selected = select(dataset, Profile())[:FIRST_ITEMS]
    ids = [s.item.id for s in selected]
    page.check(f'input[name="r-{ids[1]}"][value="不适用"]')  # shows the reason field too
    rule = next((s for s in selected if s.kind.kind == "规定项"), None)
    if rule is not None:
        page.check(f'input[name="r-{rule.item.id}"][value="基本达标"]')  # enables the score field
    rows = page.evaluate(CONTROLS_JS, ids)
    results = {"规定项": dataset.vocab.rule_results, "参考项": dataset.vocab.reference_results}
    for s, row in zip(selected, rows, strict=True):
        assert row["display"] == "block", f"{s.item.id} is not a card at {width} px"
        assert row["choices"] == list(results[s.kind.kind]), (s.item.id, row["choices"])
        kinds = {c["what"] for c in row["controls"]}
        assert {"dz-choice", f"note-{s.item.id}", f"evidence-{s.item.id}"} <= kinds, kinds
        if s.item.id == ids[1]:
            assert "dz-na" in kinds, "the reason field of 不适用"
        for c in row["controls"]:
            where = f"{s.item.id} {c['what']} at {width} px"
            assert c["left"] >= 0 and c["right"] <= width, f"{where}: {c['left']:.0f}–{c['right']:.0f} px"
            assert c["height"] >= MIN_TARGET, f"{where}: {c['height']:.0f} px tall"
    # A tap on the middle of a choice button answers the item.
    label = page.locator(f'#{ids[2]} .dz-choice:visible').nth(1)
    label.scroll_into_view_if_needed()
    label.tap()
    value = label.locator("input").get_attribute("value")
    assert page.is_checked(f'input[name="r-{ids[2]}"][value="{value}"]')


def test_desktop_keeps_the_table_and_phones_get_cards(phone, site_url: str) -> None:
    wide = phone(1366, PHONE_UA.replace("Mobile ", ""), height=900)
    open_checklist(wide, f"{site_url}/checklist/")
    assert wide.eval_on_selector("table.dz-cl-table", "t => getComputedStyle(t).display") == "table"
    assert wide.is_visible("table.dz-cl-table thead")
    # The reviewer's column is for paper: hidden on the interactive page's screen, printed, shown on blank tables.
    assert not wide.is_visible("table.dz-cl-table th.dz-c-review")
    wide.emulate_media(media="print")
    assert wide.is_visible("table.dz-cl-table th.dz-c-review")
    wide.emulate_media(media="screen")
    # The score box stays inside its cell.
    row = wide.locator("tr.dz-item[data-kind='规定项']").first
    cell, score = row.locator("td.dz-result").bounding_box(), row.locator(".dz-self-score input").bounding_box()
    assert cell and score and cell["x"] <= score["x"] and score["x"] + score["width"] <= cell["x"] + cell["width"] + 1
    wide.goto(f"{site_url}/checklist/blank/dzb-yjt/")
    assert wide.is_visible("table.dz-cl-table th.dz-c-review")

    narrow = phone(375)
    open_checklist(narrow, f"{site_url}/checklist/")
    assert narrow.eval_on_selector("table.dz-cl-table", "t => getComputedStyle(t).display") == "block"
    assert not narrow.is_visible("table.dz-cl-table thead")
    # 依据 is folded on phones and unfolds on a tap.
    first = narrow.locator("tr.dz-item").first
    link = first.locator("td.dz-c-basis a").first
    assert not link.is_visible()
    toggle = first.locator("td.dz-c-basis button.dz-fold-toggle")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.tap()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert link.is_visible()


SPEC_RE = re.compile(r'(<script type="application/json" class="dz-checklist-data">)(.*?)(</script>)', re.S)


def test_cards_move_with_the_district(phone, site_url: str, dataset) -> None:
    """A card moves to its new kind's group when the district makes it a 规定项.

    No item of the bundled data changes kind with the district, so the page's rules (the JSON spec the
    script reads) are given one extra source that binds the first district only and makes one 参考项
    binding there."""
    item = next(s.item for s in select(dataset, Profile()) if s.kind.kind == "参考项")
    district = dataset.districts[0].id

    def patched(route: Any) -> None:
        body = route.fetch().text()
        m = SPEC_RE.search(body)
        assert m, "the checklist page carries its rules as JSON"
        spec = json.loads(m.group(2))
        spec["items"][item.id]["binding"] = ["SRC-TEST-LOCAL"]
        spec["district_sources"][district] = [*spec["district_sources"][district], "SRC-TEST-LOCAL"]
        text = json.dumps(spec, ensure_ascii=False).replace("<", "\\u003c")
        route.fulfill(body=body[:m.start(2)] + text + body[m.end(2):], content_type="text/html; charset=utf-8")

    page = phone(375)
    page.route(f"{site_url}/checklist/", patched)
    open_checklist(page, f"{site_url}/checklist/")
    row = f"#{item.id}"
    assert page.eval_on_selector(row, "r => r.parentElement.dataset.kind") == "参考项"
    page.select_option("select[name=district]", district)
    info = page.eval_on_selector(row, """row => ({kind: row.dataset.kind, group: row.parentElement.dataset.kind,
        display: getComputedStyle(row).display, width: row.getBoundingClientRect().right <= innerWidth,
        before_reference_items: !!(row.compareDocumentPosition(document.querySelector('tbody.dz-kind-head[data-kind="参考项"]'))
          & Node.DOCUMENT_POSITION_FOLLOWING),
        choices: [...row.querySelectorAll('.dz-choice')].filter(l => l.getClientRects().length).map(l => l.textContent)})""")
    assert info == {"kind": "规定项", "group": "规定项", "display": "block", "width": True, "before_reference_items": True,
                    "choices": list(dataset.vocab.rule_results)}
    page.select_option("select[name=district]", "OTHER")
    assert page.eval_on_selector(row, "r => [r.dataset.kind, r.parentElement.dataset.kind]") == ["参考项", "参考项"]


# --- progress, next unanswered, messages ----------------------------------------------------------


def progress(page: Any) -> tuple[int, int]:
    done = page.text_content('.dz-progress [data-progress="done"]')
    total = page.text_content('.dz-progress [data-progress="total"]')
    return int(done or -1), int(total or -1)


def top_item_in_view(page: Any, item: str) -> bool:
    """The item's top edge is on screen, below the site's header."""
    return page.evaluate("""id => { const r = document.getElementById(id).getBoundingClientRect();
        const h = document.querySelector('.md-header').getBoundingClientRect().bottom;
        return r.top >= h - 1 && r.top < innerHeight - 100; }""", item)


def test_progress_stays_in_view_and_next_unanswered_goes_there(phone, site_url: str, dataset) -> None:
    page = phone(375)
    open_checklist(page, f"{site_url}/checklist/")
    ids = [s.item.id for s in select(dataset, Profile())]
    page.fill("input[name=name]", "测试市第一小学")
    assert progress(page) == (0, len(ids))
    assert in_viewport(page, ".dz-progress")
    for item in ids[:2]:
        page.locator(f"#{item} .dz-choice:visible").first.tap()
    assert progress(page) == (2, len(ids))
    page.evaluate("id => document.getElementById(id).scrollIntoView()", ids[len(ids) // 2])
    assert in_viewport(page, ".dz-progress"), "the progress bar stays on screen while scrolling"

    page.evaluate("window.scrollTo(0, 0)")
    page.tap("button[data-action=next-unanswered]")
    page.wait_for_function("id => document.activeElement && document.activeElement.name === 'r-' + id", arg=ids[2])
    assert top_item_in_view(page, ids[2])
    page.keyboard.press("Space")  # answers the focused first choice
    assert progress(page) == (3, len(ids))

    # Answered items are skipped; 不适用 without a reason is still open and its reason field gets the focus.
    page.locator(f"#{ids[4]} .dz-choice:visible").first.tap()
    page.check(f'input[name="r-{ids[3]}"][value="不适用"]')
    assert progress(page) == (4, len(ids))
    page.evaluate("window.scrollTo(0, 0)")
    page.tap("button[data-action=next-unanswered]")
    page.wait_for_function("id => document.activeElement && document.activeElement.name === 'na-' + id", arg=ids[3])
    assert top_item_in_view(page, ids[3])
    page.keyboard.type("本校没有该机构")
    assert progress(page) == (5, len(ids))
    page.tap("button[data-action=next-unanswered]")
    page.wait_for_function("id => document.activeElement && document.activeElement.name === 'r-' + id", arg=ids[5])
    assert top_item_in_view(page, ids[5])


def test_messages_show_where_the_user_is(phone, site_url: str, dataset) -> None:
    page = phone(375)
    open_checklist(page, f"{site_url}/checklist/")
    item = select(dataset, Profile())[9].item.id
    page.evaluate("id => document.getElementById(id).scrollIntoView()", item)
    page.locator(f"#{item} .dz-choice:visible").first.tap()
    assert "请先填写学校名称" in (page.text_content(".dz-messages") or "")
    assert in_viewport(page, ".dz-messages"), "the prompt must be on screen, not at the top of the page"
    page.tap(".dz-message-action")  # 填写学校名称
    page.wait_for_function("document.activeElement && document.activeElement.name === 'name'")
    assert in_viewport(page, "input[name=name]")
    page.tap("button[data-action=dismiss]")
    assert not page.is_visible(".dz-messages")


# --- WeChat ----------------------------------------------------------------------------------------


def test_wechat_banner_only_inside_wechat(phone, site_url: str) -> None:
    plain = phone(375, PHONE_UA)
    open_checklist(plain, f"{site_url}/checklist/")
    assert not plain.is_visible(".dz-wechat")
    wx = phone(375, WECHAT_UA)
    open_checklist(wx, f"{site_url}/checklist/")
    assert wx.is_visible(".dz-wechat")
    text = wx.text_content(".dz-wechat") or ""
    assert "在浏览器打开" in text and "复制答案" in text and ".json" in text


def test_wechat_export_copies_the_answers(phone, site_url: str, dataset) -> None:
    page = phone(375, WECHAT_UA, clipboard_origin=site_url)
    open_checklist(page, f"{site_url}/checklist/")
    ids = [s.item.id for s in select(dataset, Profile())]
    page.fill("input[name=name]", "微信里的学校")
    page.locator(f"#{ids[0]} .dz-choice:visible").first.tap()
    page.fill(f'textarea[name="note-{ids[1]}"]', "在微信里填写的整改措施")

    page.locator(".dz-wechat button[data-action=copy-json]").tap()
    page.wait_for_function("(document.querySelector('.dz-messages').textContent || '').includes('已复制')")
    copied = json.loads(page.evaluate("navigator.clipboard.readText()"))
    assert not list(answers_validator(dataset.schema_dir).iter_errors(copied))
    assert copied["school"]["name"] == "微信里的学校"
    assert copied["answers"][ids[0]]["result"] and copied["answers"][ids[1]]["note"] == "在微信里填写的整改措施"
    assert list(copied["answers"]) == ids

    # 导出 JSON inside WeChat: no download (WeChat blocks it); the text is shown to long-press and copy.
    page.tap("button[data-action=export-json]")
    assert page.is_visible(".dz-export textarea")
    shown = json.loads(page.input_value(".dz-export textarea"))
    assert shown["answers"] == copied["answers"]
    assert "微信" in (page.text_content(".dz-messages") or "")
    assert page.phone.downloads == []  # type: ignore[attr-defined]


# --- search -----------------------------------------------------------------------------------------


def open_search(page: Any, site_url: str) -> None:
    page.goto(site_url + "/")
    page.wait_for_load_state("load")
    page.tap("label.md-header__button[for=__search]")
    page.wait_for_selector(".md-search__input", state="visible")
    page.focus(".md-search__input")


def paste_query(page: Any, site_url: str, query: str) -> None:
    """Put the query into the search field as a paste does: an input event, no key events at all."""
    open_search(page, site_url)
    page.keyboard.insert_text(query)
    page.wait_for_selector(".md-search-result__item", timeout=15000)


def test_pasted_query_searches_at_once(phone, site_url: str) -> None:
    page = phone(375)
    paste_query(page, site_url, "三重一大")
    assert page.locator(".md-search-result__item").count() >= 3
    assert page.input_value(".md-search__input") == "三重一大"


def record_text(page: Any, anchor: str) -> str:
    """The text of the record an anchor points at (a glossary term's <dt> together with its <dd>)."""
    return page.evaluate("""id => { const el = document.getElementById(id);
        let text = el.textContent;
        if (el.tagName === 'DT' && el.nextElementSibling) text += el.nextElementSibling.textContent;
        return text; }""", anchor)


def test_search_lands_on_the_record_that_contains_the_term(phone, site_url: str) -> None:
    page = phone(375)
    paste_query(page, site_url, "到会人数")
    first = page.locator(".md-search-result__item").first
    assert "#" in (first.locator("a.md-search-result__link").nth(1).get_attribute("href") or ""), \
        "the first result should offer the matching record, not only the top of its page"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"#"))
    anchor = page.url.split("#", 1)[1]
    assert RECORD_ID.fullmatch(anchor), page.url
    page.wait_for_load_state("load")
    assert "到会人数" in record_text(page, anchor)
    page.wait_for_function("""id => { const r = document.getElementById(id).getBoundingClientRect();
        return r.top >= 0 && r.top < innerHeight; }""", arg=anchor)


@pytest.mark.parametrize("query", ["到会人数", "三重一大", "一肩挑", "议事规则", "末位表态"])
def test_search_excerpts_have_no_record_ids_and_contain_the_term(query: str, phone, site_url: str,
                                                                  built_site: Path) -> None:
    page = phone(414)
    paste_query(page, site_url, query)
    items = page.locator(".md-search-result__item")
    texts = [items.nth(i).inner_text() for i in range(min(3, items.count()))]
    for text in texts:
        assert not RECORD_ID.search(text), f"{query}: a record ID in the excerpt: {RECORD_ID.search(text)}"
    # Hidden-query quality: every one of the top three results contains the term.
    links = page.eval_on_selector_all(".md-search-result__item a.md-search-result__link",
                                      "els => els.map(e => e.getAttribute('href'))")
    pages: list[str] = []
    for link in links:
        path = link.removeprefix(site_url).split("?")[0].split("#")[0].strip("/")
        if path not in pages:
            pages.append(path)
    for path in pages[:3]:
        html = (built_site / path / "index.html") if path else built_site / "index.html"
        text = re.sub(r"<[^>]+>", "", html.read_text(encoding="utf-8"))
        assert query in text, f"{query}: result {path or '/'} lacks the term"


def test_search_index_has_an_entry_per_record_without_ids(built_site: Path, dataset) -> None:
    """The built index: records are entries of their own at page#ID, and no entry's text shows a record ID."""
    index = json.loads((built_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    docs = index["docs"]
    by_location = {d["location"]: d for d in docs}
    for d in docs:
        assert not RECORD_ID.search(d["text"]) and not RECORD_ID.search(d["title"]), d["location"]
        assert "<script" not in d["text"] and "<a " not in d["text"], d["location"]
    term = next(t for t in dataset.glossary if t.term == "到会人数")
    entry = by_location.get(f"glossary/#{term.id}")
    assert entry is not None, "the glossary term has its own entry"
    assert entry["title"].replace("\u200b", "") == "到会人数"
    assert "实际出席会议" in entry["text"].replace("\u200b", "")
    # The page's own entry leaves its records out, so a term is not found as "somewhere on the glossary".
    assert "实际出席会议" not in by_location["glossary/"]["text"].replace("\u200b", "")
    # Every record entry's anchor is on its page; a page's entries stay together, after the page's own
    # (Material's search takes a page's first entry as the page and the others as its sections).
    seen: list[str] = []
    for d in docs:
        page, _, anchor = d["location"].partition("#")
        if not seen or seen[-1] != page:
            assert page not in seen, f"entries of {page} are split"
            seen.append(page)
        if anchor and RECORD_ID.fullmatch(anchor):
            html = (built_site / page / "index.html").read_text(encoding="utf-8")
            assert f'id="{anchor}"' in html, d["location"]
