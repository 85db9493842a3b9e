"""The district loop, end to end (issue 13): a roster as officers keep it → the batch forms → the QR
code's link opened on a phone (375 × 667, WeChat's user agent is not needed: the phone's browser) →
answers tapped in → exported → the roll-up counts each school by its code.

The roster is a GBK CSV (Chinese Excel's default "CSV（逗号分隔）") with short forms (中职, 九年一贯制)
and county names (麒麟区) under `--district DS-QJ`. One school returns the page's JSON after correcting
its name on the page (第6 → 第六: only the code can match it); the other returns the page's CSV. What
the roll-up must count is what was tapped, item by item, nothing computed by the code under test.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from openpyxl import load_workbook

from macros.checklist import Profile, select
from macros.cli import main
from macros.form_link import qr_svg
from macros.model import load_dataset

pytestmark = pytest.mark.browser

PHONE_UA = ("Mozilla/5.0 (Linux; Android 12; M2012K11AC) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/107.0.5304.141 Mobile Safari/537.36")
ROSTER = ("学校编号,学校名称,所属地区,党组织类型,书记校长配备,学段,办学性质\r\n"
          "QL-006,麒麟区第6学校,麒麟区,党支部,一肩挑,九年一贯制,公办\r\n"
          "QL-ZZ1,麒麟区职业中学,麒麟区,党总支,分设,中职,公办\r\n")
CODES = {"QL-006": ("麒麟区第6学校", "九年一贯制学校"), "QL-ZZ1": ("麒麟区职业中学", "中等职业学校")}
TAPS = {"规定项": ("达标", "未达标", "基本达标"), "参考项": ("已采用", "未采用")}


class LinkBlock(HTMLParser):
    """The batch form's link block: the printed code, the plain address and the QR code's SVG."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # inside <section class="dz-form-link">
        self.qr_depth = 0
        self.text: list[str] = []
        self.svg: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        cls = dict(attrs).get("class") or ""
        if tag == "section" and "dz-form-link" in cls:
            self.depth = 1
        elif self.depth:
            self.depth += tag not in ("path", "rect")

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag not in ("path", "rect"):
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.text.append(data)


def link_block(html: str) -> tuple[str, str]:
    """(the block's text, its inline SVG) of a batch form."""
    parser = LinkBlock()
    parser.feed(html)
    svg = re.search(r'<section class="dz-form-link".*?(<svg.*?</svg>)', html, re.S)
    assert svg, "no QR code on the form"
    return "".join(parser.text), svg.group(1)


def qr_url(svg: str, site_url: str, code: str) -> str:
    """The link the QR code holds: the one among the candidate links whose code is this SVG, exactly."""
    from urllib.parse import urlencode

    name, stage = CODES[code]
    candidates = [f"{site_url}/checklist/?" + urlencode({"code": code, "name": name, "org_type": org, "mode": mode,
                                                          "stage": stage, "ownership": "公办", "district": "DS-QJ"})
                  for org, mode in (("党支部", "一肩挑"), ("党总支", "分设"))]
    found = [u for u in candidates if str(qr_svg(u)).strip() == svg]
    assert len(found) == 1, "the QR code is none of the expected links"
    return found[0]


def tap_answers(page: Any, ds: Any, profile: Profile) -> dict[str, str]:
    """Tap an answer on the first rule and reference items, as a finger would (the card's buttons)."""
    rows = select(ds, profile)
    tapped: dict[str, str] = {}
    for kind, results in TAPS.items():
        for s, result in zip([r for r in rows if r.kind.kind == kind], results, strict=False):
            label = page.locator(f'tr[data-item="{s.item.id}"] label.dz-choice:has(input[value="{result}"])')
            label.scroll_into_view_if_needed()
            box = label.bounding_box()
            assert box and box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= 375, (s.item.id, box)
            label.tap()
            assert page.is_checked(f'input[name="r-{s.item.id}"][value="{result}"]')
            tapped[s.item.id] = result
    return tapped


@pytest.mark.slow
def test_roster_to_batch_to_phone_to_rollup_by_code(built_site: Path, site_url: str, browser: Any,
                                                     tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ds = load_dataset(ROOT)
    roster = tmp_path / "花名册.csv"
    roster.write_bytes(ROSTER.encode("gbk"))

    # 1. The batch reads the officers' roster and prints each form with its code and QR code.
    forms = tmp_path / "forms"
    assert main(["--root", str(ROOT), "checklists", "--roster", str(roster), "--district", "DS-QJ", "--out",
                 str(forms), "--site-url", site_url, "--quiet", "--no-xlsx"]) == 0
    out = capsys.readouterr()
    assert "GBK" in out.err or "GB18030" in out.err, "the encoding is announced"
    pages = {p.name.split("-", 2)[0] + "-" + p.name.split("-", 2)[1]: p for p in (forms / "html").glob("*.html")}
    assert sorted(pages) == ["ql-006", "ql-zz1"], sorted(pages)

    returns = tmp_path / "returns"
    returns.mkdir()
    expected: dict[str, Counter[str]] = {}
    for code, fmt in (("QL-006", "json"), ("QL-ZZ1", "csv")):
        text, svg = link_block(pages[code.lower()].read_text(encoding="utf-8"))
        assert f"学校编号：{code}" in text and f"{site_url}/checklist/" in text and "交回" in text
        url = qr_url(svg, site_url, code)

        # 2. The link opened on a phone: the school is filled in, the answers are tapped in.
        context = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True,
                                      user_agent=PHONE_UA, locale="zh-CN", accept_downloads=True)
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector(".dz-checklist[data-dz-ready]", state="attached")
        name, stage = CODES[code]
        assert page.input_value("input[name=name]") == name and page.input_value("input[name=id]") == code
        assert page.input_value("select[name=stage]") == stage and page.input_value("select[name=district]") == "DS-QJ"
        profile = Profile(name, "DS-QJ", page.input_value("select[name=org_type]"), page.input_value("select[name=mode]"),
                          stage, "公办", code)
        if fmt == "json":  # the school corrects its name on the page; only the code can still match it
            page.fill("input[name=name]", "麒麟区第六学校")
        tapped = tap_answers(page, ds, profile)
        expected[code] = Counter(tapped.values())

        # 3. Exported as the school would, into the folder the district collects.
        with page.expect_download() as dl:
            page.locator(f"button[data-action=export-{fmt}]").first.click()
        dl.value.save_as(returns / dl.value.suggested_filename)
        context.close()

    saved = json.loads(next(returns.glob("*.json")).read_text(encoding="utf-8"))
    assert saved["school"]["id"] == "QL-006" and saved["school"]["name"] == "麒麟区第六学校"

    # 4. The roll-up matches both by code and counts what was tapped.
    report = tmp_path / "rollup"
    code = main(["--root", str(ROOT), "rollup", "--answers", str(returns), "--roster", str(roster), "--district",
                 "DS-QJ", "--out", str(report)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "不在花名册中" not in err
    table = list(load_workbook(report / "report.xlsx")["汇总"].iter_rows(values_only=True))
    at = next(i for i, r in enumerate(table) if r[:3] == ("序号", "学校编号", "学校名称"))
    header, rows = table[at], {r[1]: r for r in table[at + 1:] if r[1]}
    for sid, counts in expected.items():
        row = rows[sid]
        assert row[header.index("提交状态")] == "已提交", sid
        for kind, results in TAPS.items():
            for result in results:
                assert row[header.index(f"{kind}·{result}")] == counts[result], (sid, kind, result)
