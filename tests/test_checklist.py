"""Applicability, answers, migration and CSV of the checklist core (no mkdocs, no browser)."""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path
from types import MappingProxyType

import pytest
from jsonschema import Draft202012Validator

from macros.checklist import (
    CSV_HEADERS,
    Answer,
    Answers,
    AnswersError,
    Profile,
    answers_csv,
    answers_validator,
    fit,
    migrate,
    parse_answers,
    select,
    summary,
)
from macros.model import Applies, CheckItem, Dataset, Dimension, District, Evidence, Origin, Retirement, load_dataset

ROOT = Path(__file__).resolve().parent.parent
ORIGIN = Origin("data/checklist.yaml", 1)


def item(id_: str, dim: str = "org", retired: bool = False, **applies: tuple[str, ...]) -> CheckItem:
    return CheckItem(id=id_, origin=ORIGIN, dimension=dim, title=id_, check="检查" + id_, basis=("RS-X",), evidence=("EV-A",),
                     rubric=(("达标", "a"), ("基本达标", "b"), ("未达标", "c")), applies=Applies(**applies),
                     status="retired" if retired else "active",
                     retired=Retirement("1.0.0", "split", "CK-ALL") if retired else None)


ITEMS = (
    item("CK-ALL"),
    item("CK-YJT", mode=("一肩挑",)),
    item("CK-FS", mode=("分设",)),
    item("CK-DW", org_type=("党委",)),
    item("CK-BIG-FS", org_type=("党委", "党总支"), mode=("分设",)),
    item("CK-MB", ownership=("民办",)),
    item("CK-PRI", stage=("小学", "九年一贯制学校")),
    item("CK-LOCAL-QJ", dim="local", district=("DS-QJ",)),
    item("CK-OLD", retired=True),
)


def make_dataset(items: tuple[CheckItem, ...] = ITEMS) -> Dataset:
    dims = tuple(Dimension(k, k) for k in ("org", "duty", "decision", "coord", "party", "support", "local"))
    districts = (District(id="DS-QJ", origin=ORIGIN, name="曲靖市", short="曲靖", slug="qujing"),)
    evidence = (Evidence(id="EV-A", origin=ORIGIN, name="会议记录"),)
    by_id = {i.id: i for i in items} | {d.id: d for d in districts} | {e.id: e for e in evidence}
    return Dataset("1.2.0", "t", dims, (), (), (), (), (), (), (), (), (), evidence, items, districts, (), (),
                   MappingProxyType(by_id))


# The oracle, written out by hand: which items each org type × mode sees for a 公办 初中 in another district.
EXPECTED = {
    ("党委", "一肩挑"): {"CK-ALL", "CK-YJT", "CK-DW"},
    ("党委", "分设"): {"CK-ALL", "CK-FS", "CK-DW", "CK-BIG-FS"},
    ("党总支", "一肩挑"): {"CK-ALL", "CK-YJT"},
    ("党总支", "分设"): {"CK-ALL", "CK-FS", "CK-BIG-FS"},
    ("党支部", "一肩挑"): {"CK-ALL", "CK-YJT"},
    ("党支部", "分设"): {"CK-ALL", "CK-FS"},
}


@pytest.mark.parametrize(("org_type", "mode"), sorted(EXPECTED), ids=lambda v: str(v))
def test_each_setup_gets_exactly_its_items(org_type: str, mode: str) -> None:
    profile = Profile("x", "OTHER", org_type, mode, "初中", "公办")
    got = {s.item.id for s in select(make_dataset(), profile)}
    assert got == EXPECTED[(org_type, mode)]


def test_district_ownership_and_stage_add_their_items() -> None:
    profile = Profile("x", "DS-QJ", "党支部", "一肩挑", "小学", "民办")
    got = {s.item.id for s in select(make_dataset(), profile)}
    assert got == {"CK-ALL", "CK-YJT", "CK-MB", "CK-PRI", "CK-LOCAL-QJ"}


def test_unknown_fields_show_every_item_that_could_apply_marked_uncertain() -> None:
    selected = select(make_dataset(), Profile())
    assert [s.item.id for s in selected] == [i.id for i in ITEMS if i.active]
    certain = {s.item.id for s in selected if s.certain}
    assert certain == {"CK-ALL"}


def test_other_district_never_sees_local_items_and_unknown_district_maybe_does() -> None:
    ds = make_dataset()
    local = ds.get("CK-LOCAL-QJ")
    assert fit(local, Profile(district="OTHER")) == "no"
    assert fit(local, Profile(district="DS-KZ")) == "no"
    assert fit(local, Profile(district="未知")) == "maybe"
    assert fit(local, Profile(district="DS-QJ")) == "yes"


def test_retired_items_are_never_selected_and_numbering_is_consecutive() -> None:
    selected = select(make_dataset(), Profile("x", "DS-QJ", "党委", "分设", "小学", "民办"))
    assert "CK-OLD" not in {s.item.id for s in selected}
    assert [s.number for s in selected] == list(range(1, len(selected) + 1))


def test_profile_problems_name_the_bad_field() -> None:
    ds = make_dataset()
    assert Profile("x", "DS-QJ", "党小组", "一肩挑", "小学", "公办").problems(ds) == [
        "党组织类型“党小组”不在允许范围内（可选：党委、党总支、党支部）"]
    assert Profile("x", "DS-ZZ", "党委", "一肩挑", "小学", "公办").problems(ds) == ["所属地区“DS-ZZ”未知"]


def test_migration_keeps_reports_retired_unknown_and_new() -> None:
    ds = make_dataset()
    profile = Profile("x", "OTHER", "党委", "分设", "初中", "公办")
    old = Answers("0.9.0", {"name": "x"}, {
        "CK-ALL": Answer("达标"), "CK-OLD": Answer("未达标", "整改中"), "CK-GONE-99": Answer("达标")})
    m = migrate(ds, old, profile)
    assert set(m.kept) == {"CK-ALL"}
    assert set(m.retired) == {"CK-OLD"} and m.retired["CK-OLD"].note == "整改中"
    assert m.replaced_by == {"CK-OLD": "CK-ALL"}
    assert set(m.unknown) == {"CK-GONE-99"}
    assert m.new == ["CK-FS", "CK-DW", "CK-BIG-FS"]


def test_summary_counts_per_result_dimension_and_unanswered() -> None:
    ds = make_dataset()
    selected = select(ds, Profile("x", "DS-QJ", "党委", "分设", "小学", "民办"))
    s = summary(selected, {"CK-ALL": Answer("达标"), "CK-FS": Answer("未达标"), "CK-LOCAL-QJ": Answer("不适用")})
    assert s["counts"] == {"达标": 1, "基本达标": 0, "未达标": 1, "不适用": 1}
    assert s["unanswered"] == len(selected) - 3
    assert s["per_dimension"]["local"] == {"达标": 0, "基本达标": 0, "未达标": 0, "不适用": 1}


def test_answers_round_trip_through_json_and_schema() -> None:
    validator = answers_validator(ROOT / "schemas")
    a = Answers("1.2.0", {"name": "示例小学", "org_type": "党支部"}, {"CK-ALL": Answer("基本达标", "记录不全", "EV-A 第3页")},
                "2026-11-23T00:00:00Z")
    back = parse_answers(a.to_json(), validator)
    assert back == a


@pytest.mark.parametrize(("text", "message"), [
    ("{", "不是有效的 JSON"),
    ('{"format": "other"}', "不符合答案文件格式"),
    (json.dumps({"format": "dzzld-answers/1", "data_version": "1.0.0", "school": {"name": "x"},
                 "answers": {"ck-lower": {"result": "达标"}}}), "不符合答案文件格式"),
    (json.dumps({"format": "dzzld-answers/1", "data_version": "1.0.0", "school": {"name": "x"},
                 "answers": {"CK-A": {"result": "优秀"}}}), "不符合答案文件格式"),
])
def test_bad_answers_files_are_refused_with_a_message(text: str, message: str) -> None:
    with pytest.raises(AnswersError, match=message):
        parse_answers(text, answers_validator(ROOT / "schemas"))


def test_csv_opens_in_excel_bom_crlf_chinese_headers() -> None:
    ds = make_dataset()
    selected = select(ds, Profile("x", "OTHER", "党支部", "一肩挑", "初中", "公办"))
    raw = answers_csv(ds, selected, {"CK-YJT": Answer("未达标", '未配备, 计划"下学期"', "文件\n第2页")})
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_HEADERS
    assert [r[1] for r in rows[1:]] == ["CK-ALL", "CK-YJT"]
    assert rows[2][7:] == ["未达标", '未配备, 计划"下学期"', "文件\n第2页"]


def test_answers_schema_is_a_valid_2020_12_schema() -> None:
    schema = json.loads((ROOT / "schemas" / "answers.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)


# ---- the real data -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real() -> Dataset:
    return load_dataset(ROOT)


def test_real_profiles_differ_by_setup(real: Dataset) -> None:
    sets = {}
    for org, mode in itertools.product(("党委", "党总支", "党支部"), ("一肩挑", "分设")):
        sets[(org, mode)] = frozenset(s.item.id for s in select(real, Profile("x", "OTHER", org, mode, "初中", "公办")))
    assert len(set(sets.values())) >= 4, "set-ups should see different items"
    for (org, mode), ids in sets.items():
        for i in ids:
            it = real.get(i)
            assert not it.applies.org_type or org in it.applies.org_type
            assert not it.applies.mode or mode in it.applies.mode
            assert not it.applies.district


def test_real_local_items_only_for_their_district(real: Dataset) -> None:
    for d in real.districts:
        got = {s.item.id for s in select(real, Profile("x", d.id))}  # other fields unknown: all that could apply
        local = {i.id for i in real.active_checklist() if i.dimension == "local"}
        mine = {i.id for i in real.active_checklist() if d.id in i.applies.district}
        assert mine, f"{d.id} has no local items"
        assert got & local == mine
