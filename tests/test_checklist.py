"""The checklist core: which items apply (fit), which are 规定项 or 参考项 (force × scope), answers,
migration, the summary the page shows, the CSV, and the JSON spec the page's script receives.

A small dataset is built here by hand (sources of every reach, basis records of binding and
non-binding force, a variant) so each expectation below is written out as a table, not computed by
the code under test. A few tests then run the same rules over the real data with a short oracle.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path
from types import MappingProxyType

import pytest
from answers_csv import answers_csv
from jsonschema import Draft202012Validator

from macros.checklist import (
    ANSWERS_FORMAT,
    UNANSWERED,
    Answer,
    Answers,
    AnswersError,
    Profile,
    answers_schema,
    answers_validator,
    csv_headers,
    fit,
    migrate,
    parse_answers,
    results_for,
    select,
    spec,
    summary,
)
from macros.model import (
    Applies,
    CheckItem,
    Cite,
    Dataset,
    Dimension,
    District,
    Evidence,
    Origin,
    Responsibility,
    Retirement,
    Source,
    Variant,
    VariantOption,
    load_dataset,
)
from macros.scope import REFERENCE, RULE, force_label, item_binding, item_kind, scope_label, source_districts
from macros.scope import Kind as ScopeKind
from macros.validate import inline_refs
from macros.vocab import UNKNOWN, load_vocab
from macros.workbook import csv_unescape

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
ORIGIN = Origin("data/x.yaml", 1)
RULE_RESULTS = ("达标", "基本达标", "未达标", "不适用")  # schemas/common.schema.json: result
REF_RESULTS = ("已采用", "未采用", "不适用")  # …: reference_result


def src(id_: str, level: str, binds: tuple[str, ...] = (), place: str = "") -> Source:
    return Source(id=id_, origin=ORIGIN, kind="official", title=id_, publisher="p", level=level, binds=binds,
                  place=place)


def rec(id_: str, force: str, source: str) -> Responsibility:
    return Responsibility(id=id_, origin=ORIGIN, holder="党组织", summary=id_, force=force,
                          force_quote="x" if force and force != "未写明" else "", cite=(Cite(source, "一"),))


def item(id_: str, dim: str, basis: tuple[str, ...], retired: bool = False, **applies: tuple[str, ...]) -> CheckItem:
    return CheckItem(id=id_, origin=ORIGIN, dimension=dim, title="标题" + id_, check="检查" + id_, basis=basis,
                     evidence=("EV-A",), rubric=(("达标", "a"), ("基本达标", "b"), ("未达标", "c")),
                     applies=Applies(**applies), status="retired" if retired else "active",
                     retired=Retirement("1.0.0", "split", "CK-ALL") if retired else None)


SOURCES = (
    src("SRC-NAT", "全国"),
    src("SRC-QJ", "市", ("DS-QJ",), "曲靖"),
    src("SRC-TPL", "范文", place="某范文"),
    src("SRC-RPT", "报道", place="某报"),
    src("SRC-NOLEVEL", ""),
)
RECORDS = (
    rec("RS-NAT-MUST", "必须", "SRC-NAT"),
    rec("RS-NAT-MAY", "可以", "SRC-NAT"),
    rec("RS-QJ-SHALL", "应当", "SRC-QJ"),
    rec("RS-TPL-SHALL", "应当", "SRC-TPL"),
    rec("RS-RPT-TANSUO", "探索", "SRC-RPT"),
    rec("RS-NOFORCE", "", "SRC-NAT"),
    rec("RS-NOLEVEL", "必须", "SRC-NOLEVEL"),
)
VARIANT = Variant(id="VR-X", origin=ORIGIN, topic="meeting", question="?", cite=(Cite("SRC-TPL", "一"),),
                  variants=(VariantOption("曲靖", ("RS-QJ-SHALL",)), VariantOption("范文", ("RS-TPL-SHALL",))))
ITEMS = (
    item("CK-ALL", "org", ("RS-NAT-MUST",)),
    item("CK-YJT", "org", ("RS-NAT-MAY",), mode=("一肩挑",)),
    item("CK-FS", "org", ("RS-QJ-SHALL",), mode=("分设",)),
    item("CK-DW", "duty", ("RS-TPL-SHALL", "RS-RPT-TANSUO"), org_type=("党委",)),
    item("CK-BIG-FS", "duty", ("RS-NOFORCE", "RS-NAT-MUST"), org_type=("党委", "党总支"), mode=("分设",)),
    item("CK-MB", "decision", ("VR-X", "RS-QJ-SHALL"), ownership=("民办",)),
    item("CK-PRI", "decision", ("RS-NOLEVEL",), stage=("小学", "九年一贯制学校")),
    item("CK-LOCAL-QJ", "local", ("RS-QJ-SHALL",), district=("DS-QJ",)),
    item("CK-OLD", "org", ("RS-NAT-MUST",), retired=True),
)
DISTRICTS = (District(id="DS-QJ", origin=ORIGIN, name="曲靖市", short="曲靖", slug="qujing"),
             District(id="DS-KZ", origin=ORIGIN, name="开州区", short="开州", slug="kaizhou"))

# The oracle, written out by hand: the kind of each item for a school of each district.
# 规定项 needs a basis record of binding force citing a source that binds the school's district.
KIND = {
    "CK-ALL": {"DS-QJ": RULE, "DS-KZ": RULE, "OTHER": RULE},  # 全国 · 必须
    "CK-YJT": {"DS-QJ": REFERENCE, "DS-KZ": REFERENCE, "OTHER": REFERENCE},  # 全国 · 可以
    "CK-FS": {"DS-QJ": RULE, "DS-KZ": REFERENCE, "OTHER": REFERENCE},  # 曲靖 · 应当
    "CK-DW": {"DS-QJ": REFERENCE, "DS-KZ": REFERENCE, "OTHER": REFERENCE},  # 范文 · 应当; 报道 · 探索
    "CK-BIG-FS": {"DS-QJ": RULE, "DS-KZ": RULE, "OTHER": RULE},  # one of two records binds
    "CK-MB": {"DS-QJ": RULE, "DS-KZ": REFERENCE, "OTHER": REFERENCE},  # through its 曲靖 record, not the variant
    "CK-PRI": {"DS-QJ": REFERENCE, "DS-KZ": REFERENCE, "OTHER": REFERENCE},  # a source without a level binds nobody
    "CK-LOCAL-QJ": {"DS-QJ": RULE},
}


def make_dataset(items: tuple[CheckItem, ...] = ITEMS) -> Dataset:
    dims = tuple(Dimension(k, k) for k in ("org", "duty", "decision", "coord", "party", "support", "local"))
    evidence = (Evidence(id="EV-A", origin=ORIGIN, name="会议记录"),)
    records = (*SOURCES, *RECORDS, VARIANT, *items, *DISTRICTS, *evidence)
    return Dataset(data_version="1.2.0", title="t", vocab=load_vocab(SCHEMAS), schema_dir=SCHEMAS, dimensions=dims,
                   sources=SOURCES, responsibilities=RECORDS, decisions=(), meeting_rules=(), setups=(), supports=(),
                   milestones=(), variants=(VARIANT,), glossary=(), evidence=evidence, checklist=items,
                   districts=DISTRICTS, practices=(), schools=(), party_rules=(), profiles=(),
                   by_id=MappingProxyType({r.id: r for r in records}))


DS = make_dataset()

# Which items each org type × mode sees for a 公办 初中 in another district (hand-written).
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
    got = {s.item.id for s in select(DS, profile)}
    assert got == EXPECTED[(org_type, mode)]


def test_district_ownership_and_stage_add_their_items() -> None:
    got = {s.item.id for s in select(DS, Profile("x", "DS-QJ", "党支部", "一肩挑", "小学", "民办"))}
    assert got == {"CK-ALL", "CK-YJT", "CK-MB", "CK-PRI", "CK-LOCAL-QJ"}


@pytest.mark.parametrize("district", ["DS-QJ", "DS-KZ", "OTHER"])
def test_each_item_is_a_rule_or_a_reference_item_as_force_and_scope_say(district: str) -> None:
    got = {}
    for mode in ("一肩挑", "分设"):  # together, the two set-ups see every item of the district
        profile = Profile("x", district, "党委", mode, "小学", "民办")
        got |= {s.item.id: s.kind.kind for s in select(DS, profile)}
        assert all(s.kind.certain for s in select(DS, profile))
    want = {i: k[district] for i, k in KIND.items() if district in k}
    assert got == want


def test_rule_items_come_first_then_reference_items_each_in_checklist_order_numbered_1_to_n() -> None:
    selected = select(DS, Profile("x", "DS-QJ", "党委", "分设", "小学", "民办"))
    order = [i.id for i in ITEMS]
    rules = [s.item.id for s in selected if s.kind.kind == RULE]
    refs = [s.item.id for s in selected if s.kind.kind == REFERENCE]
    assert [s.item.id for s in selected] == rules + refs
    assert rules == sorted(rules, key=order.index) and refs == sorted(refs, key=order.index)
    assert rules == ["CK-ALL", "CK-FS", "CK-BIG-FS", "CK-MB", "CK-LOCAL-QJ"]
    assert [s.number for s in selected] == list(range(1, len(selected) + 1))


def test_unknown_district_makes_local_rules_uncertain_reference_items() -> None:
    selected = {s.item.id: s for s in select(DS, Profile())}
    assert selected["CK-ALL"].kind.kind == RULE and selected["CK-ALL"].kind.certain
    for local_rule in ("CK-FS", "CK-MB", "CK-LOCAL-QJ"):  # a rule only if the school is in 曲靖
        assert selected[local_rule].kind.kind == REFERENCE and selected[local_rule].kind.certain is False
    assert selected["CK-YJT"].kind.certain is True  # binds nowhere: a reference item wherever the school is


def test_unknown_fields_show_every_item_that_could_apply_marked_uncertain() -> None:
    selected = select(DS, Profile())
    assert {s.item.id for s in selected} == {i.id for i in ITEMS if i.active}
    assert {s.item.id for s in selected if s.certain} == {"CK-ALL"}


def test_fit_other_district_never_sees_local_items_and_unknown_district_maybe_does() -> None:
    local = DS.get("CK-LOCAL-QJ")
    assert fit(local, Profile(district="OTHER")) == "no"
    assert fit(local, Profile(district="DS-KZ")) == "no"
    assert fit(local, Profile(district="未知")) == "maybe"
    assert fit(local, Profile(district="DS-QJ")) == "yes"
    both = DS.get("CK-BIG-FS")
    assert fit(both, Profile(org_type="党委", mode="一肩挑")) == "no"  # one mismatch is enough
    assert fit(both, Profile(org_type="党委")) == "maybe"


def test_retired_items_are_never_selected() -> None:
    for profile in (Profile(), Profile("x", "DS-QJ", "党委", "分设", "小学", "民办")):
        assert "CK-OLD" not in {s.item.id for s in select(DS, profile)}


def test_scope_sources_binding_and_labels() -> None:
    assert source_districts(DS, DS.source("SRC-NAT")) == {"*"}
    assert source_districts(DS, DS.source("SRC-QJ")) == {"DS-QJ"}
    assert source_districts(DS, DS.source("SRC-TPL")) == set()
    assert source_districts(DS, DS.source("SRC-NOLEVEL")) == set()
    b = item_binding(DS, DS.get("CK-MB"))
    assert (b.records, b.sources) == (("RS-QJ-SHALL",), ("SRC-QJ",))
    assert item_binding(DS, DS.get("CK-DW")).sources == ()
    assert item_kind(DS, DS.get("CK-FS"), "DS-KZ", extra=("SRC-QJ",)).kind == RULE  # a source named for the school
    assert item_binding(DS, DS.get("CK-DW")).cited == ("SRC-TPL",)  # not SRC-RPT: its record says 探索


def test_a_profile_can_adopt_a_source_of_any_level_but_not_raise_a_force() -> None:
    """A district's scoring profile adopting a template makes the template's 应当 bind its schools; the
    探索 of a report stays 参考 whoever adopts it; and an unknown district cannot change a template item."""
    dw = DS.get("CK-DW")
    assert item_kind(DS, dw, "DS-KZ").kind == REFERENCE
    assert item_kind(DS, dw, "DS-KZ", extra=("SRC-TPL",)).kind == RULE
    assert item_kind(DS, dw, "DS-KZ", extra=("SRC-RPT",)).kind == REFERENCE
    assert item_kind(DS, dw, UNKNOWN) == ScopeKind(REFERENCE, certain=True)
    assert item_kind(DS, DS.get("CK-FS"), UNKNOWN) == ScopeKind(REFERENCE, certain=False)  # 曲靖 could bind it
    assert item_kind(DS, DS.get("CK-PRI"), "DS-QJ", extra=("SRC-NOLEVEL",)).kind == RULE
    assert scope_label(DS, DS.source("SRC-NAT")) == "全国"
    assert scope_label(DS, DS.source("SRC-QJ")) == "曲靖"
    assert scope_label(DS, DS.source("SRC-TPL")) == "某范文·范文"
    assert force_label(DS, DS.get("RS-QJ-SHALL")) == "曲靖·应当"
    assert force_label(DS, DS.get("RS-RPT-TANSUO")) == "某报·报道·探索"
    assert force_label(DS, DS.get("RS-NOFORCE")) == ""


def test_profile_problems_name_the_bad_field() -> None:
    assert Profile("x", "DS-QJ", "党小组", "一肩挑", "小学", "公办").problems(DS) == [
        "党组织类型“党小组”不在允许范围内（可选：党委、党总支、党支部）"]
    assert Profile("x", "DS-ZZ", "党委", "一肩挑", "小学", "公办").problems(DS) == ["所属地区“DS-ZZ”未知"]
    assert Profile("x", "OTHER").problems(DS) == [] and Profile().problems(DS) == []


def test_results_for_each_kind() -> None:
    assert results_for(DS, RULE) == RULE_RESULTS
    assert results_for(DS, REFERENCE) == REF_RESULTS


# ---- answers ---------------------------------------------------------------------------------------

QJ_ALL = Profile("x", "DS-QJ", "党委", "未知", "小学", "民办")  # mode unknown: sees both modes' items


def test_migration_keeps_reports_retired_unknown_new_and_answers_of_the_other_kind() -> None:
    profile = Profile("x", "OTHER", "党委", "分设", "初中", "公办")
    old = Answers("0.9.0", {"name": "x"}, {
        "CK-ALL": Answer("达标"), "CK-OLD": Answer("未达标", "整改中"), "CK-GONE-99": Answer("达标"),
        "CK-FS": Answer("未达标", "FS 原是规定项"),  # 曲靖's rule: a reference item for a school elsewhere
        "CK-BIG-FS": Answer("已采用"),  # a rule item answered as a reference item
        "CK-DW": Answer("已采用", "范文做法"),
    })
    m = migrate(DS, old, profile)
    assert set(m.kept) == {"CK-ALL", "CK-FS", "CK-BIG-FS", "CK-DW"}
    assert m.kept["CK-ALL"] == Answer("达标") and m.kept["CK-DW"] == Answer("已采用", "范文做法")
    assert m.kept["CK-FS"] == Answer("", "FS 原是规定项")  # result cleared, note kept
    assert m.other_kind == {"CK-FS": Answer("未达标", "FS 原是规定项"), "CK-BIG-FS": Answer("已采用")}
    assert set(m.retired) == {"CK-OLD"} and m.retired["CK-OLD"].note == "整改中"
    assert m.replaced_by == {"CK-OLD": "CK-ALL"}
    assert set(m.unknown) == {"CK-GONE-99"}
    assert m.new == []


def test_migration_lists_new_items_in_checklist_order() -> None:
    m = migrate(DS, Answers("1.2.0", {"name": "x"}, {"CK-ALL": Answer("达标")}), QJ_ALL)
    assert m.new == [s.item.id for s in select(DS, QJ_ALL) if s.item.id != "CK-ALL"]


def test_summary_counts_per_kind_and_result_and_never_counts_a_wrong_kind() -> None:
    selected = select(DS, QJ_ALL)  # rules: ALL FS BIG-FS MB LOCAL-QJ; references: YJT DW PRI
    answers = {"CK-ALL": Answer("达标"), "CK-FS": Answer("未达标"), "CK-BIG-FS": Answer("不适用", na_reason="无分设"),
               "CK-MB": Answer("已采用"),  # wrong kind: unanswered
               "CK-YJT": Answer("已采用"), "CK-DW": Answer("达标"),  # wrong kind: unanswered
               "CK-PRI": Answer("不适用", na_reason="非小学"), "CK-GONE": Answer("达标")}
    s = summary(DS, selected, answers)
    assert s["total"] == 8
    assert s[RULE] == {"total": 5, "counts": {"达标": 1, "基本达标": 0, "未达标": 1, "不适用": 1}, UNANSWERED: 2}
    assert s[REFERENCE] == {"total": 3, "counts": {"已采用": 1, "未采用": 0, "不适用": 1}, UNANSWERED: 1}
    assert s["compliance"] == pytest.approx(1 / 4)  # 达标 among the 5 rules less the 1 不适用
    assert s["per_dimension"]["local"][RULE]["counts"]["达标"] == 0 and s["per_dimension"]["local"][RULE][UNANSWERED] == 1
    assert s["per_dimension"]["duty"][REFERENCE][UNANSWERED] == 1  # CK-DW answered 达标
    assert set(s["per_dimension"]) == {"org", "duty", "decision", "local"}


def test_summary_without_rule_items_has_no_compliance() -> None:
    only_refs = [s for s in select(DS, QJ_ALL) if s.kind.kind == REFERENCE]
    assert summary(DS, only_refs, {})["compliance"] is None


def answers_doc(answers: dict, **extra: object) -> str:
    return json.dumps({"format": ANSWERS_FORMAT, "data_version": "1.2.0", "school": {"name": "示例小学"},
                       "answers": answers, **extra}, ensure_ascii=False)


def test_answers_parse_both_kinds_of_result_and_keep_every_field() -> None:
    text = answers_doc({"CK-ALL": {"result": "基本达标", "note": "记录不全", "evidence": "EV-A 第3页"},
                        "CK-YJT": {"result": "已采用"}, "CK-DW": {"result": ""}}, exported_at="2026-11-23T00:00:00Z")
    a = parse_answers(text, answers_validator(SCHEMAS))
    assert a == Answers("1.2.0", {"name": "示例小学"}, {"CK-ALL": Answer("基本达标", "记录不全", "EV-A 第3页"),
                                                    "CK-YJT": Answer("已采用"), "CK-DW": Answer()},
                        "2026-11-23T00:00:00Z")


@pytest.mark.parametrize(("text", "message"), [
    ("{", "不是有效的 JSON（第 1 行第 2 列）"),
    ('{"format": "other"}', "不符合答案文件格式（(根)：缺少必填字段（data_version、school、answers））"),
    (answers_doc({"ck-lower": {"result": "达标"}}), "answers：“ck-lower”格式不对"),
    (answers_doc({"CK-A": {"result": "优秀"}}), "answers/CK-A/result：取值“优秀”不在允许范围内"),
    (answers_doc({"CK-A": {"result": "达标", "points": 1}}), "answers/CK-A：多出未知字段（points）"),
    ("[" * 100_000 + "]" * 100_000, "JSON 嵌套层级过深"),
])
def test_bad_answers_files_are_refused_with_a_message(text: str, message: str) -> None:
    with pytest.raises(AnswersError) as info:
        parse_answers(text, answers_validator(SCHEMAS))
    assert message in str(info.value)


def test_answers_schema_is_valid_and_the_inlined_copy_has_no_refs() -> None:
    Draft202012Validator.check_schema(json.loads((SCHEMAS / "answers.schema.json").read_text(encoding="utf-8")))
    inlined = answers_schema(SCHEMAS)
    Draft202012Validator.check_schema(inlined)
    assert '"$ref"' not in json.dumps(inlined) and inlined == inline_refs(SCHEMAS, "answers")


# ---- CSV -------------------------------------------------------------------------------------------


def test_csv_opens_in_excel_and_carries_school_kind_and_formula_safe_text() -> None:
    profile = Profile("示例=学校", "OTHER", "党支部", "一肩挑", "初中", "公办", "SCH-9")
    selected = select(DS, profile)
    answers = {"CK-YJT": Answer("已采用", '=HYPERLINK("http://x","点我")', "文件\n第2页"),
               "CK-ALL": Answer("未达标", '未配备, 计划"下学期"', "@SUM(A1)")}
    raw = answers_csv(DS, profile, selected, answers)
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == csv_headers()
    col = {h: i for i, h in enumerate(rows[0])}
    assert [r[col["编号"]] for r in rows[1:]] == ["CK-ALL", "CK-YJT"]  # the rule item first
    assert [r[col["类别"]] for r in rows[1:]] == [RULE, REFERENCE]
    assert [r[col["序号"]] for r in rows[1:]] == ["1", "2"]
    assert all(r[col["学校编号"]] == "SCH-9" and r[col["学校名称"]] == "示例=学校" for r in rows[1:])
    yjt = rows[2]
    assert yjt[col["存在问题及整改措施"]] == "'=HYPERLINK(\"http://x\",\"点我\")"  # never a formula in Excel
    assert csv_unescape(yjt[col["存在问题及整改措施"]]) == '=HYPERLINK("http://x","点我")'
    assert yjt[col["佐证材料说明"]] == "文件\n第2页"
    assert rows[1][col["存在问题及整改措施"]] == '未配备, 计划"下学期"'
    assert rows[1][col["佐证材料说明"]] == "'@SUM(A1)"
    assert rows[1][col["依据"]] == "RS-NAT-MUST" and rows[1][col["佐证材料"]] == "会议记录"


# ---- the spec the page's script receives -----------------------------------------------------------


def test_spec_carries_the_rules_not_a_copy_of_them() -> None:
    s = spec(DS)
    json.dumps(s)  # plain JSON
    assert s["results"] == {RULE: list(RULE_RESULTS), REFERENCE: list(REF_RESULTS)}
    assert s["order"] == [i.id for i in ITEMS if i.active]
    assert s["items"]["CK-MB"] == {"dimension": "decision", "applies": {"ownership": ["民办"]}, "binding": ["SRC-QJ"],
                                   "binds_somewhere": True}
    assert (s["items"]["CK-DW"]["binding"], s["items"]["CK-DW"]["binds_somewhere"]) == (["SRC-TPL"], False)
    assert s["items"]["CK-BIG-FS"]["applies"] == {"org_type": ["党委", "党总支"], "mode": ["分设"]}
    assert s["district_sources"]["DS-QJ"] == ["SRC-NAT", "SRC-QJ"]
    assert s["district_sources"]["DS-KZ"] == s["district_sources"]["OTHER"] == s["district_sources"]["未知"] == ["SRC-NAT"]
    assert s["retired"] == {"CK-OLD": {"title": "标题CK-OLD", "replaced_by": "CK-ALL"}}
    assert s["answers_schema"] == answers_schema(SCHEMAS)
    assert s["csv_headers"] == list(csv_headers())
    assert s["choices"]["org_type"] == ["党委", "党总支", "党支部"]


def test_spec_reproduces_every_kind_with_the_page_rule() -> None:
    """The page decides: 规定项 when an item's binding sources meet its district's sources. Same answers as select()."""
    s = spec(DS)
    for district, org, mode, stage, own in itertools.product(["DS-QJ", "DS-KZ", "OTHER"], ["党委", "党支部"],
                                                             ["一肩挑", "分设"], ["小学", "初中"], ["公办", "民办"]):
        profile = Profile("x", district, org, mode, stage, own)
        for sel in select(DS, profile):
            page_kind = RULE if set(s["items"][sel.item.id]["binding"]) & set(s["district_sources"][district]) \
                else REFERENCE
            assert page_kind == sel.kind.kind, (district, sel.item.id)


# ---- the real data ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real() -> Dataset:
    return load_dataset(ROOT)


def oracle_kind(ds: Dataset, item: CheckItem, district: str) -> str:
    """The rule, in a few lines, from the schema's annotations read here."""
    doc = json.loads((SCHEMAS / "common.schema.json").read_text(encoding="utf-8"))["$defs"]
    binding = {o["const"] for o in doc["force"]["oneOf"] if o["x-binding"]}
    reach = {o["const"]: o["x-binds"] for o in doc["level"]["oneOf"]}
    records = []
    for rid in item.basis:
        r = ds.get(rid)
        records += [ds.get(x) for o in r.variants for x in o.records] if isinstance(r, Variant) else [r]
    for r in records:
        if r.force in binding:
            for c in r.cite:
                s = ds.get(c.src)
                if reach.get(s.level) == "all" or (reach.get(s.level) == "listed" and district in s.binds):
                    return RULE
    return REFERENCE


def test_real_kinds_match_the_oracle_for_every_district(real: Dataset) -> None:
    for district in [d.id for d in real.districts] + ["OTHER"]:
        for s in select(real, Profile("x", district)):
            assert s.kind.kind == oracle_kind(real, s.item, district), (district, s.item.id)


def test_real_data_has_both_kinds(real: Dataset) -> None:
    kinds = {s.kind.kind for s in select(real, Profile("x", "OTHER", "党委", "分设", "初中", "公办"))}
    assert kinds == {RULE, REFERENCE}


def test_real_profiles_respect_applies(real: Dataset) -> None:
    for org, mode in itertools.product(real.vocab.org_types, real.vocab.modes):
        for s in select(real, Profile("x", "OTHER", org, mode, "初中", "公办")):
            a = s.item.applies
            assert (not a.org_type or org in a.org_type) and (not a.mode or mode in a.mode), s.item.id
            assert not a.district and (not a.stage or "初中" in a.stage) and (not a.ownership or "公办" in a.ownership)


def test_real_local_items_only_for_their_district(real: Dataset) -> None:
    local = {i.id for i in real.active_checklist() if i.dimension == "local"}
    for d in real.districts:
        got = {s.item.id for s in select(real, Profile("x", d.id))}  # other fields unknown: all that could apply
        mine = {i.id for i in real.active_checklist() if d.id in i.applies.district}
        assert got & local == mine


def test_a_variant_alone_never_makes_an_item_binding() -> None:
    """A variant lists the sides of a disagreement; one side binding 曲靖 does not make the item a rule."""
    only_variant = item("CK-VR", "decision", ("VR-X",))
    ds = make_dataset((*ITEMS, only_variant))
    for district in ("DS-QJ", "DS-KZ", "OTHER"):
        assert item_kind(ds, only_variant, district).kind == REFERENCE
    assert item_binding(ds, only_variant).sources == ()
