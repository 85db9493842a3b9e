"""Scoring profiles as Excel workbooks and back (macros/profiles.py, `python -m macros profile`).

A profile written to a workbook and read back is the same profile; a blank template lists every
item with dropdowns; a filled workbook with mistakes gets messages naming sheet, row and column,
and nothing is written; the YAML written passes the validator with the real data.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from macros.model import load_dataset
from macros.profiles import profile_yaml, read_workbook, write_template
from macros.validate import validate

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def ds():
    return load_dataset(ROOT)


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "macros", "--root", str(ROOT), *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


@pytest.mark.parametrize("profile_file", sorted(p.name for p in (ROOT / "data" / "profiles").glob("*.yaml")))
def test_a_bundled_profile_round_trips_through_excel(ds, tmp_path: Path, profile_file: str) -> None:
    data = yaml.safe_load((ROOT / "data" / "profiles" / profile_file).read_text(encoding="utf-8"))["profile"]
    path = tmp_path / "p.xlsx"
    write_template(ds, path, ds.profile(data["id"]))
    back, problems = read_workbook(path, ds)
    assert problems == []
    # Grades come back in band order; everything else exactly.
    data["grades"] = sorted(data["grades"], key=lambda g: -g["min"])
    back["grades"] = sorted(back["grades"], key=lambda g: -g["min"])
    assert back == data


def test_a_profile_with_deductions_vetoes_and_parameters_round_trips(ds, tmp_path: Path) -> None:
    items = [i.id for i in ds.active_checklist()]
    written = {
        "id": "PF-RT", "name": "往返测试", "issuer": "测试区教育局", "version": "2.1.0", "district": "DS-QJ",
        "example": False, "note": "测试用方案。", "total": 100, "partial_share": 0.6, "default_points": 2,
        "binding_sources": ["SRC-GEN-PLAN"],
        "items": [{"item": items[0], "points": 6, "method": "查阅资料",
                   "deduct": {"per": 2, "what": "发现一次扣 2 分", "cap": 4}},
                  {"item": items[1], "points": 1.5}],
        "vetoes": [{"id": "V1", "item": items[0], "results": ["未达标"], "effect": "cap", "label": "测试否决", "grade": "合格"},
                   {"id": "V2", "item": items[1], "results": ["未达标", "基本达标"], "effect": "fail", "label": "另一项"}],
        "grades": [{"name": "示范型", "min": 90}, {"name": "标准型", "min": 80}, {"name": "合格", "min": 60},
                   {"name": "不合格", "min": 0}],
        "parameters": [{"key": "pc-frequency", "label": "党组织会议召开频次", "value": "每月至少1次", "items": [items[2]]}],
    }
    data_dir = tmp_path / "data"
    shutil.copytree(ROOT / "data", data_dir)
    (data_dir / "profiles" / "rt.yaml").write_text(profile_yaml(written), encoding="utf-8")
    result = validate(ROOT, data_dir=data_dir)
    assert result.problems == [], [str(p) for p in result.problems]
    ds2 = load_dataset(ROOT, data_dir=data_dir)
    path = tmp_path / "rt.xlsx"
    write_template(ds2, path, ds2.profile("PF-RT"))
    back, problems = read_workbook(path, ds2)
    assert problems == []
    assert back == written


def test_a_blank_template_lists_every_item_with_empty_points_and_dropdowns(ds, tmp_path: Path) -> None:
    path = tmp_path / "blank.xlsx"
    write_template(ds, path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["说明", "方案", "检查项", "一票否决", "等级", "参数"]
    rows = list(wb["检查项"].iter_rows(values_only=True))
    assert rows[0][:5] == ("编号", "维度", "检查项目", "类别", "分值")
    assert [r[0] for r in rows[1:]] == [i.id for i in ds.active_checklist()]
    assert all(r[4] is None for r in rows[1:])
    kinds = {r[3] for r in rows[1:]}
    assert "全国规定" in kinds and "参考项（不计分）" in kinds
    formulas = [dv.formula1 for dv in wb["一票否决"].data_validations.dataValidation]
    assert '"不合格,封顶"' in formulas
    back, problems = read_workbook(path, ds)
    assert back is None and problems  # nothing filled in: the required settings are missing


def test_mistakes_are_reported_with_sheet_row_and_column(ds, tmp_path: Path) -> None:
    path = tmp_path / "bad.xlsx"
    write_template(ds, path, ds.profile("PF-NAT"))
    wb = load_workbook(path)
    items = wb["检查项"]
    items["A3"] = "CK-NOT-THERE"
    items["E4"] = "很多"
    items["E5"], items["F5"], items["G5"] = 3, 2, "发现一次扣 2 分"  # a good row between bad ones
    items["E6"] = None
    items["F6"] = 1
    items["G6"] = "一次扣 1 分"
    vetoes = wb["一票否决"]
    vetoes.append(["V9", "CK-NOT-THERE", "未达标", "开除", "", "坏后果"])
    wb.save(path)
    back, problems = read_workbook(path, ds)
    assert back is None
    text = [str(p) for p in problems]
    assert any("“检查项”第 3 行“编号”列" in t and "CK-NOT-THERE" in t for t in text), text
    assert any("“检查项”第 4 行" in t for t in text), text
    assert any("“检查项”第 6 行“分值”列" in t and "扣分" in t for t in text), text
    assert any("“一票否决”第" in t and "后果" in t for t in text), text


def test_the_commands_write_a_workbook_and_a_valid_profile(tmp_path: Path) -> None:
    xlsx = tmp_path / "考核细则.xlsx"
    out = cli("profile", "template", "--out", str(xlsx), "--profile", "PF-QJ")
    assert out.returncode == 0, out.stderr
    target = tmp_path / "qj.yaml"
    done = cli("profile", "import", str(xlsx), "--out", str(target))
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(target.read_text(encoding="utf-8"))["profile"]["id"] == "PF-QJ"
    again = cli("profile", "import", str(xlsx), "--out", str(target))
    assert again.returncode == 2 and "--force" in again.stderr
    assert cli("profile", "template", "--out", str(tmp_path / "x.txt")).returncode == 2
    assert cli("profile", "template", "--out", str(xlsx), "--profile", "PF-NONE").returncode == 2


def test_import_of_a_broken_workbook_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    target = tmp_path / "out.yaml"
    out = cli("profile", "import", str(bad), "--out", str(target))
    assert out.returncode == 1
    assert "不是有效的 Excel 工作簿" in out.stderr and "Traceback" not in out.stderr
    assert not target.exists()
