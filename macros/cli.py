"""The command line. Every subcommand exits 0 on success, 1 on bad input, never with a traceback."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import validate as validation

ROOT = Path(__file__).resolve().parent.parent

COLLECTION_LABELS = {
    "sources": "来源 sources", "responsibilities": "职责 responsibilities", "decisions": "决策事项 decisions",
    "meeting_rules": "议事规则 meeting_rules", "setups": "组织设置 setups", "supports": "保障措施 supports",
    "milestones": "时间节点 milestones", "variants": "分歧 variants", "glossary": "术语 glossary",
    "evidence": "佐证材料 evidence", "checklist": "检查项 checklist", "districts": "地区 districts",
    "practices": "地方实践 practices", "figures": "数据 figures", "schools": "学校 schools",
}


def cmd_validate(args: argparse.Namespace) -> int:
    root = Path(args.root).resolve()
    result = validation.validate(root, data_dir=Path(args.data) if args.data else None,
                                 seeds_dir=Path(args.seeds) if args.seeds else None)
    for note in result.notes:
        print(f"注意：{note}", file=sys.stderr)
    if result.problems:
        for p in result.problems:
            print(p.github_annotation() if args.github else str(p))
        print(f"共 {len(result.problems)} 个问题。", file=sys.stderr)
        return 1
    counts = validation.counts(result)
    width = max(len(v) for v in COLLECTION_LABELS.values())
    for key, label in COLLECTION_LABELS.items():
        if counts.get(key):
            print(f"{label:<{width}}  {counts[key]:>5}")
    retired = sum(1 for r in result.records if not r.active)
    print(f"数据有效：{len(result.files)} 个文件，{sum(counts.values())} 条有效记录，{retired} 条已停用。"
          + ("已核对原始文本行号。" if result.seeds_checked else "未核对原始文本行号（未找到原始文本）。"))
    return 0


def _dataset(args: argparse.Namespace):
    """Load the data or print its problems; returns None when the data is broken."""
    from .model import DataError, load_dataset

    try:
        return load_dataset(Path(args.root).resolve(), data_dir=Path(args.data) if getattr(args, "data", None) else None)
    except DataError as exc:
        print(exc.report(), file=sys.stderr)
        print(f"数据有 {len(exc.problems)} 个问题，请先修正（python -m macros validate）。", file=sys.stderr)
        return None


def cmd_checklists(args: argparse.Namespace) -> int:
    from . import batch

    ds = _dataset(args)
    if ds is None:
        return 2
    roster_path = Path(args.roster) if args.roster else Path(args.root) / "data" / "schools" / "demo.yaml"
    if not roster_path.is_file():
        print(f"找不到花名册文件：{roster_path}", file=sys.stderr)
        return 2
    roster = batch.read_roster(roster_path, ds)
    for problem in roster.problems:
        print(problem, file=sys.stderr)
    if roster.fatal:
        print("花名册无法读取，未生成任何文件。", file=sys.stderr)
        return 2
    try:
        report = batch.run_batch(ds, roster, Path(args.out), html=not args.no_html, pdf=args.pdf, xlsx=not args.no_xlsx,
                                 root=Path(args.root), progress=not args.quiet)
    except RuntimeError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"完成：{report.produced} 所学校已生成（PDF {report.pdfs} 份，XLSX {report.xlsx_rows} 行），"
          f"{report.skipped} 行有问题被跳过；用时 {report.seconds:.1f} 秒；输出目录 {args.out}")
    return 1 if report.skipped else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m macros", description="中小学校党组织领导的校长负责制 知识库工具")
    parser.add_argument("--root", default=str(ROOT), help="project root (default: this checkout)")
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("validate", help="check data/ against the schemas and the cross-file rules")
    v.add_argument("--data", help="data folder (default: ROOT/data)")
    v.add_argument("--seeds", help="folder of seed texts (default: $DZZLD_SEEDS or ../shared/seeds)")
    v.add_argument("--github", action="store_true", help="print problems as GitHub Actions annotations")
    v.set_defaults(func=cmd_validate)

    c = sub.add_parser("checklists", help="per-school printable checklists (HTML, PDF) and a district XLSX from a roster",
                       description="花名册（CSV：学校编号,学校名称,所属地区,党组织类型,书记校长配备,学段,办学性质；"
                                   "或英文列名 id,name,district,org_type,mode,stage,ownership；或 YAML 花名册）"
                                   "→ 每校一份可打印的 HTML/PDF 自查表，全区一个 XLSX。")
    c.add_argument("--roster", help="CSV or YAML roster (default: data/schools/demo.yaml)")
    c.add_argument("--out", default="out/checklists", help="output folder (default: out/checklists)")
    c.add_argument("--pdf", action="store_true", help="also print each school's checklist to PDF (needs Chromium)")
    c.add_argument("--no-html", action="store_true", help="do not keep the per-school HTML files")
    c.add_argument("--no-xlsx", action="store_true", help="do not write the district workbook")
    c.add_argument("--quiet", action="store_true", help="no progress bar")
    c.add_argument("--data", help=argparse.SUPPRESS)
    c.set_defaults(func=cmd_checklists)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
