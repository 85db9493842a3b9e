"""District roll-up: a folder of schools' returned answers + the roster → report.html, report.xlsx.

* `read` — files → `Submission`s and `Problem`s (JSON, the page's CSV, the district's XLSX filled
  in; bounded sizes, no symlinks out of the folder); nothing there knows the roster;
* `aggregate` — pure: matches files to roster schools and counts everything by kind and result;
* `report_html`, `report_xlsx` — only format a `Rollup`.

Messy input never stops the run: every skipped or odd file becomes a `Problem` naming the file.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..checklist import answers_validator
from ..cli import chosen_profile
from ..model import Dataset
from ..roster import ReadOptions, RosterRow, read_roster, value_aliases
from .aggregate import Rollup, aggregate, with_problems
from .read import Problem, read_answers_dir
from .report_html import ReportMeta, render_html
from .report_xlsx import write_xlsx
from .rounds import Comparison, FollowUp, LedgerError, compare, follow_up, read_ledger


@dataclass
class RunResult:
    rollup: Rollup
    html: Path
    xlsx: Path
    seconds: float = 0.0
    follow: FollowUp | None = None
    comparison: Comparison | None = None


def default_site_url(root: Path) -> str:
    """site_url from mkdocs.yml (read with mkdocs' own YAML loader) when it is an http(s) URL; "" otherwise."""
    from mkdocs.utils.yaml import get_yaml_loader, yaml_load

    loader = get_yaml_loader()  # !ENV as mkdocs reads it; !relative needs a loaded config, and site_url never uses it
    loader.add_constructor("!relative", lambda _loader, _node: None)
    try:
        with open(root / "mkdocs.yml", encoding="utf-8") as f:
            config = yaml_load(f, loader=loader) or {}
    except (OSError, Exception):  # noqa: BLE001 - any unreadable config just means "no site URL"
        return ""
    url = str(config.get("site_url") or "")
    return url if re.match(r"^https?://[^\s<>\"']+$", url) else ""


def report_name(ds: Dataset, rows: Sequence[RosterRow], roster_path: Path) -> str:
    """The district's name when the roster is one district; else the roster file's name."""
    districts = {r.profile.district for r in rows}
    if len(districts) == 1:
        only = next(iter(districts))
        for d in ds.districts:
            if d.id == only:
                return d.name
    return f"花名册“{roster_path.stem}”所列学校"


def write_atomic(path: Path, text: str) -> None:
    """Write a text file via a temporary name, so a failed run never leaves half a report."""
    tmp = path.with_name(f".{path.name}.partial")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


@dataclass(frozen=True)
class Rounds:
    """What a run compares with: last round's ledger and/or last round's answers."""

    ledger: Path | None = None
    previous: Path | None = None
    today: date | None = None  # for 逾期; default: the day of the run


def run(ds: Dataset, rows: Sequence[RosterRow], roster_problems: Sequence[Any], roster_path: Path, answers_dir: Path,
        out: Path, *, root: Path, site_url: str = "", generated: str | None = None, name: str = "", scoring: str = "",
        rounds: Rounds = Rounds()) -> RunResult:
    """Read, aggregate, follow up and compare, then write report.html and report.xlsx (never half of them)."""
    from ..batch import build_commit

    start = time.monotonic()
    validator = answers_validator(root / "schemas")
    aliases = value_aliases(ds, root)["district"]
    subs, read_problems = read_answers_dir(answers_dir, ds, validator)
    rollup = aggregate(ds, rows, subs, aliases, scoring=scoring)
    extra = [Problem(roster_path.name, "roster", str(p)) for p in roster_problems] + read_problems
    rollup = with_problems(rollup, extra)
    follow = comparison = None
    if rounds.ledger is not None:
        previous_rows, ledger_problems = read_ledger(rounds.ledger, ds)
        follow = follow_up(rollup, previous_rows, ledger_problems, rounds.today or date.today(), rounds.ledger.name)
    if rounds.previous is not None:
        before_subs, _ = read_answers_dir(rounds.previous, ds, validator)
        before = aggregate(ds, rows, before_subs, aliases, scoring=scoring, code_wins=True)
        comparison = compare(rollup, before, rounds.previous.name or str(rounds.previous))
    meta = ReportMeta(name or report_name(ds, rows, roster_path), roster_path.name, answers_dir.name or str(answers_dir),
                      generated or datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"), build_commit(root), site_url)
    out.mkdir(parents=True, exist_ok=True)
    html_path, xlsx_path = out / "report.html", out / "report.xlsx"
    write_xlsx(ds, rollup, meta, xlsx_path, follow=follow, comparison=comparison)
    write_atomic(html_path, render_html(ds, rollup, meta, follow=follow, comparison=comparison))
    return RunResult(rollup, html_path, xlsx_path, time.monotonic() - start, follow, comparison)


def command(args: Any, ds: Dataset) -> int:
    """`python -m macros rollup`: 0 clean, 1 when anything was skipped or odd, 2 when it cannot run."""
    root = Path(args.root).resolve()
    answers_dir = Path(args.answers)
    if not answers_dir.is_dir():
        print(f"找不到答案文件夹：{answers_dir}", file=sys.stderr)
        return 2
    out = Path(args.out)
    for public in ("site", "docs"):
        if out.resolve().is_relative_to((root / public).resolve()) and not args.include_in_site:
            print(f"拒绝写入 {out}：它在 {public}/ 里，会随网站公开；答案是学校的内部材料。"
                  f"请换一个输出目录，或确需如此时加 --include-in-site。", file=sys.stderr)
            return 2
    site_url = args.site_url if args.site_url is not None else default_site_url(root)
    if site_url and not re.match(r"^https?://[^\s<>\"']+$", site_url):
        print(f"--site-url 应为 http(s) 地址：{site_url}", file=sys.stderr)
        return 2
    roster_path = Path(args.roster) if args.roster else root / "data" / "schools" / "demo.yaml"
    if not roster_path.is_file():
        print(f"找不到花名册文件：{roster_path}", file=sys.stderr)
        return 2
    roster = read_roster(roster_path, ds, root, ReadOptions(auto_id=args.auto_id, district=args.district or ""))
    for notice in roster.notices:
        print(f"注意：{notice}", file=sys.stderr)
    if roster.fatal or not roster.rows:
        for problem in roster.problems:
            print(problem, file=sys.stderr)
        print("花名册无法读取（或没有可用的学校），未生成报告。", file=sys.stderr)
        return 1
    if args.profile and chosen_profile(ds, args.profile) is None:
        return 2
    ledger = Path(args.ledger) if args.ledger else None
    if ledger is not None and not ledger.is_file():
        print(f"找不到上期台账：{ledger}", file=sys.stderr)
        return 2
    previous = Path(args.previous) if args.previous else None
    if previous is not None and not previous.is_dir():
        print(f"找不到上一轮的答案文件夹：{previous}", file=sys.stderr)
        return 2
    try:
        result = run(ds, roster.rows, roster.problems, roster_path, answers_dir, out, root=root, site_url=site_url,
                     name=(args.name or "").strip(), scoring=args.profile or "", rounds=Rounds(ledger, previous))
    except LedgerError as exc:
        print(f"上期台账无法使用：{exc}", file=sys.stderr)
        return 1
    for problem in result.rollup.problems:
        print(str(problem), file=sys.stderr)
    if result.follow is not None:
        for problem in result.follow.problems:
            print(problem, file=sys.stderr)
        f = result.follow
        print(f"整改跟踪：已销号或已解决 {len(f.closed)} 条，新增 {len(f.new)} 条，逾期 {len(f.overdue)} 条，"
              f"重新出现 {len(f.reopened)} 条。")
    t = result.rollup.totals
    print(f"完成：花名册 {t.schools} 所学校，已提交 {t.submitted} 所，未提交 {t.missing} 所；"
          f"整改台账 {len(result.rollup.ledger)} 条；问题 {len(result.rollup.problems)} 条；用时 {result.seconds:.1f} 秒。"
          f"\n报告：{result.html}\n表格：{result.xlsx}")
    return 1 if result.rollup.problems or (result.follow and result.follow.problems) else 0
