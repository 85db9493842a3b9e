"""Tests of the typed data model (macros/model.py) built from the valid fixture."""

from __future__ import annotations

import dataclasses
import shutil
from types import MappingProxyType

import pytest
from validation_helpers import GOLDEN_DATA, GOLDEN_EXPECTED, ROOT, SEEDS, VALID_DATA, apply_edit, copy_valid

from macros.model import (
    Applies,
    CheckItem,
    Cite,
    DataError,
    Dataset,
    Decision,
    Dimension,
    District,
    Figure,
    KnownFrom,
    LineSpan,
    Origin,
    Post,
    Practice,
    Retirement,
    Role,
    School,
    Source,
    Support,
    Term,
    VariantOption,
    dataset_from_result,
    load_dataset,
)
from macros.validate import validate
from macros.vocab import load_vocab

VALID_REL = VALID_DATA.relative_to(ROOT).as_posix()


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return load_dataset(ROOT, data_dir=VALID_DATA, seeds_dir=SEEDS)


def test_metadata(ds):
    assert ds.data_version == "1.0.0"
    assert ds.title == "测试数据集"
    assert ds.dimensions == (
        Dimension("org", "组织设置与班子配备"),
        Dimension("local", "地方特色", "只适用于某一地区的做法。"),
    )
    assert ds.dimension("local").name == "地方特色"


def test_collections_are_tuples_in_data_order(ds):
    for f in dataclasses.fields(Dataset):
        if f.name not in ("data_version", "title", "by_id", "vocab", "schema_dir", "memo"):
            assert type(getattr(ds, f.name)) is tuple, f.name
    assert [s.id for s in ds.sources] == ["SRC-TEST-A", "SRC-TEST-B", "SRC-TEST-DOC", "SRC-TEST-NAMED"]
    assert [t.id for t in ds.glossary] == ["GL-YIJIANTIAO", "GL-HEXIN"]
    assert [d.id for d in ds.districts] == ["DS-TEST"]
    assert [s.id for s in ds.schools] == ["SCH-TEST-1"]
    assert [f.id for f in ds.figures()] == ["FG-TEST-ORGS", "FG-TEST-COMMITTEES", "FG-TEST-GENERAL", "FG-TEST-BRANCHES"]


def test_records_are_frozen(ds):
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.title = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.sources[0].title = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.practices[0].figures[0].value = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.checklist[0].applies.district = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        ds.checklist[0].rubric["达标"] = "x"  # type: ignore[index]
    with pytest.raises(TypeError):
        ds.by_id["X"] = ds.sources[0]  # type: ignore[index]


def test_nested_lists_are_tuples(ds):
    item = ds.get("CK-ORG-TYPE")
    assert isinstance(item, CheckItem)
    assert item.basis == ("OS-BRANCH", "RS-PARTY-LEAD")
    assert item.evidence == ("EV-MINUTES",)
    assert item.rubric == (("达标", item.rubric[0][1]), ("基本达标", item.rubric[1][1]), ("未达标", item.rubric[2][1]))
    assert dict(item.rubric) == {"达标": "类型相符并经批准。", "基本达标": "类型相符但未经批准。", "未达标": "类型不符。"}
    assert item.applies == Applies()
    local = ds.get("CK-LOCAL-SUPERVISION")
    assert local.applies == Applies(district=("DS-TEST",))
    assert ds.get("GL-YIJIANTIAO").aliases == ("书记校长一肩挑",)
    assert ds.get("RS-PARTY-LEAD").terms == ("GL-YIJIANTIAO",)
    assert ds.district("DS-TEST").sources == ("SRC-TEST-A",)


def test_typed_nested_values(ds):
    decision = ds.get("DI-BUDGET")
    assert isinstance(decision, Decision)
    assert decision.roles == (Role("校长办公会议", "研究提出"), Role("党组织会议", "讨论决定"))
    assert decision.sanzhong_yida is True
    assert ds.get("OS-BRANCH").posts == (Post("书记", 1),)
    assert ds.get("VR-MEETING-PREP").variants == (
        VariantOption("会前沟通", ("MR-PARTY-FREQ",)),
        VariantOption("会上讨论", ("DI-BUDGET",)),
    )
    assert ds.get("MR-PARTY-FREQ").cite == (Cite("SRC-TEST-A", "L4", find="每月召开1次"),)
    practice = ds.get("PR-TEST-ALL")
    assert isinstance(practice, Practice)
    assert practice.district == "DS-TEST"
    assert [(r.ref, r.rel) for r in practice.relates] == [("OS-BRANCH", "exemplifies")]
    assert ds.get("FG-TEST-ORGS").parts == ("FG-TEST-COMMITTEES", "FG-TEST-GENERAL", "FG-TEST-BRANCHES")
    school = ds.get("SCH-TEST-1")
    assert isinstance(school, School)
    assert (school.members, school.fictional, school.stage) == (12, True, "小学")


def test_sources(ds):
    a = ds.source("SRC-TEST-A")
    assert isinstance(a, Source)
    assert a.lines == LineSpan(1, 7)
    assert (a.kind, a.seed_file, a.verified, a.date) == ("seed", "000_0123456789abcdef.txt", False, "2022")
    assert a.label == "某市报道"
    assert ds.source("SRC-TEST-B").label == "某区议事规则示范文本"  # no short name: the title
    assert ds.source("SRC-TEST-DOC").lines is None


def test_sources_carry_level_place_binds_and_known_from(ds):
    assert [(s.id, s.level, s.place, s.binds) for s in ds.sources] == [
        ("SRC-TEST-A", "报道", "某市", ()),
        ("SRC-TEST-B", "区县", "某区", ("DS-TEST",)),
        ("SRC-TEST-DOC", "全国", "", ()),
        ("SRC-TEST-NAMED", "区县", "某区", ("DS-TEST",)),
    ]
    assert ds.source("SRC-TEST-NAMED").known_from == KnownFrom("SRC-TEST-B", "L4")
    assert ds.source("SRC-TEST-B").known_from is None


def test_records_carry_force_quote_and_note(ds):
    sp = ds.get("SP-SUPERVISION")
    assert isinstance(sp, Support)
    assert (sp.force, sp.force_quote) == ("规定", "每学期开展一次专项督查")
    assert sp.force_note.startswith("“探索”只管后半句")
    assert [c.src for c in sp.cite] == ["SRC-TEST-B", "SRC-TEST-NAMED"]
    assert (ds.get("RS-PARTY-LEAD").force, ds.get("RS-PARTY-LEAD").force_quote) == ("应当", "把方向、管大局")
    assert (ds.get("OS-BRANCH").force, ds.get("OS-BRANCH").force_quote) == ("未写明", "")
    assert ds.get("MR-PARTY-FREQ").force == ""  # no force given: the default, not a made-up one


def test_vocabulary_is_the_schemas(ds):
    assert ds.vocab == load_vocab(ROOT / "schemas")
    assert ds.schema_dir == ROOT / "schemas"


def test_by_id_and_get(ds):
    assert isinstance(ds.by_id, MappingProxyType)
    assert len(ds.by_id) == 24  # 23 active records + 1 retired
    assert ds.get("OS-BRANCH") is ds.setups[0]
    assert ds.get("FG-TEST-COMMITTEES") is ds.practices[0].figures[1]
    assert ds.get("DS-TEST") is ds.districts[0]
    with pytest.raises(KeyError, match="unknown record ID 'NOPE'"):
        ds.get("NOPE")


def test_district(ds):
    district = ds.district("DS-TEST")
    assert isinstance(district, District)
    assert (district.name, district.short, district.level) == ("测试市", "测试", "市")
    assert district.slug == "test"  # not one of the three known districts: the file name


def test_origins_point_at_the_record(ds):
    assert ds.get("MR-PARTY-FREQ").origin == Origin(f"{VALID_REL}/meeting-rules.yaml", 3)
    assert ds.get("GL-HEXIN").origin == Origin(f"{VALID_REL}/glossary.yaml", 11)
    assert ds.get("DS-TEST").origin == Origin(f"{VALID_REL}/practices/test.yaml", 3)
    assert ds.get("FG-TEST-COMMITTEES").origin == Origin(f"{VALID_REL}/practices/test.yaml", 26)


def test_retired_records(ds):
    term = ds.get("GL-HEXIN")
    assert isinstance(term, Term)
    assert term.active is False
    assert term.retired == Retirement("1.0.0", "已被新表述取代", "GL-YIJIANTIAO")
    assert ds.get("GL-YIJIANTIAO").active is True
    assert ds.get("GL-YIJIANTIAO").retired is None


def test_checklist_order_and_active(ds):
    # by meta dimension order, then `order`
    assert [i.id for i in ds.checklist] == ["CK-ORG-TYPE", "CK-ORG-SUPERVISION", "CK-LOCAL-SUPERVISION"]
    assert ds.active_checklist() == ds.checklist


def test_citing_backlinks(ds):
    assert [r.id for r in ds.citing("SRC-TEST-A")] == [
        "MR-PARTY-FREQ", "OS-BRANCH", "PR-TEST-ALL",
        "FG-TEST-ORGS", "FG-TEST-COMMITTEES", "FG-TEST-GENERAL", "FG-TEST-BRANCHES",
    ]
    assert [r.id for r in ds.citing("SRC-TEST-B")] == ["SP-SUPERVISION", "VR-MEETING-PREP"]
    assert [r.id for r in ds.citing("SRC-TEST-NAMED")] == ["SP-SUPERVISION"]
    assert [r.id for r in ds.citing("SRC-TEST-DOC")] == [
        "RS-PARTY-LEAD", "DI-BUDGET", "MS-ALL-2023", "GL-YIJIANTIAO",  # retired GL-HEXIN is not a backlink
    ]
    assert ds.citing("SRC-NONE") == []


@pytest.mark.parametrize(
    ("value", "unit", "qualifier", "expected"),
    [
        (485, "所", "", "485所"),
        (20, "万元", "余", "20余万元"),
        (485, "个", "以上", "485个以上"),
        (95.6, "%", "", "95.6%"),
        (12.0, "个", "", "12个"),
        (3000, "人", "约", "约3000人"),
        (1, "名", "至少", "至少1名"),
        (90, "%", "达", "达90%"),
        (2, "次", "不低于", "不低于2次"),
    ],
)
def test_figure_shown(value, unit, qualifier, expected):
    fig = Figure(id="FG-X", origin=Origin("f", 1), value=value, unit=unit, qualifier=qualifier)
    assert fig.shown == expected


def test_figure_shown_from_data(ds):
    orgs = ds.get("FG-TEST-ORGS")
    assert orgs.shown == "485个"
    assert dataclasses.replace(orgs, qualifier="余").shown == "485余个"
    assert dataclasses.replace(orgs, qualifier="以上").shown == "485个以上"


def test_bad_data_raises_data_error_with_every_problem():
    """The error a build or a command shows is what `validate` prints: same order, same summary line."""
    with pytest.raises(DataError) as info:
        load_dataset(ROOT, data_dir=GOLDEN_DATA, seeds_dir=SEEDS)
    expected = GOLDEN_EXPECTED.read_text(encoding="utf-8").splitlines()
    assert info.value.report().splitlines() == expected
    assert str(info.value) == f"{len(expected) - 1} problem(s) in data"  # the last line is the summary
    assert info.value.summary == expected[-1:]
    assert info.value.problems[0].file.endswith("decisions.yaml")  # a file that cannot be read comes first


def test_one_bad_value_raises_data_error(tmp_path):
    data = copy_valid(tmp_path)
    apply_edit(data, {"file": "setups.yaml", "replace": [["org_type: 党支部", "org_type: 党小组"]]})
    result = validate(ROOT, data_dir=data, seeds_dir=SEEDS)
    with pytest.raises(DataError) as info:
        dataset_from_result(result, ROOT / "schemas")
    assert [(p.line, p.column, p.field) for p in info.value.problems] == [(4, 15, "setups[0].org_type")]


# ------------------------------------------------------------------------------------------------
# Regression tests for bugs found in macros/model.py (fixed)


def test_metadata_found_whatever_the_data_folder_is_called(tmp_path):
    data = tmp_path / "snapshot"
    shutil.copytree(VALID_DATA, data)
    ds = load_dataset(ROOT, data_dir=data, seeds_dir=SEEDS)
    assert (ds.data_version, ds.title) == ("1.0.0", "测试数据集")


def test_checklist_dimension_missing_from_meta_is_a_data_error(tmp_path):
    data = copy_valid(tmp_path)
    apply_edit(data, {"file": "checklist.yaml", "replace": [["    dimension: org\n    title: 党组织类型",
                                                              "    dimension: duty\n    title: 党组织类型"]]})
    with pytest.raises(DataError) as info:
        load_dataset(ROOT, data_dir=data, seeds_dir=SEEDS)
    assert info.value.report() == (f"{data.as_posix()}/checklist.yaml:4:16: checklist[0].dimension: "
                                   "维度“duty”没有在 data/meta.yaml 的 dimensions 中列出")


def test_figure_shown_large_value():
    fig = Figure(id="FG-X", origin=Origin("f", 1), value=1234567, unit="元")
    assert fig.shown == "1234567元"


def test_check_items_are_hashable(ds):
    assert len(set(ds.checklist)) == 3
