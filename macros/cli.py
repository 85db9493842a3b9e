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


def cmd_new(args: argparse.Namespace) -> int:
    from . import scaffold

    root = Path(args.root).resolve()
    data_dir = Path(args.data).resolve() if args.data else None
    try:
        if args.kind == "practice":
            created = scaffold.new_practice(root, district_id=args.district_id, name=args.name, province=args.province,
                                            slug=args.slug, year=args.year, data_dir=data_dir)
            print(scaffold.next_steps(created, root))
        else:
            print(scaffold.new_item(root, dimension=args.dimension, district_id=args.district, data_dir=data_dir), end="")
    except scaffold.ScaffoldError as exc:
        print(f"未创建：{exc}", file=sys.stderr)
        return 1
    return 0


def cmd_rollup(args: argparse.Namespace) -> int:
    from . import rollup

    ds = _dataset(args)
    return 2 if ds is None else rollup.command(args, ds)


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

    r = sub.add_parser("rollup", help="district roll-up of schools' answers files: report.html + report.xlsx",
                       description="各校导出的答案文件（*.json；也接受自查页导出的 CSV，按文件名“学校名称-…csv”对应学校）"
                                   "+ 花名册 → 全区汇总报告（HTML，可打印）和 XLSX。有问题的文件列入“问题”，不中断；"
                                   "退出码：0 无问题，1 有跳过或异常的输入，2 无法运行。")
    r.add_argument("--answers", required=True, help="folder of answers files (*.json, *.csv)")
    r.add_argument("--roster", help="CSV or YAML roster (default: data/schools/demo.yaml)")
    r.add_argument("--out", default="out/rollup", help="output folder (default: out/rollup; never inside site/ or docs/)")
    r.add_argument("--site-url", help="public site URL for item and basis links (default: mkdocs.yml site_url, if any)")
    r.add_argument("--include-in-site", action="store_true", help="allow --out inside site/ or docs/ (answers are internal)")
    r.add_argument("--name", help="district or roster name for the title (default: the roster's district, if only one)")
    r.add_argument("--data", help=argparse.SUPPRESS)
    r.set_defaults(func=cmd_rollup)

    n = sub.add_parser("new", help="start a contribution: a district practice file or a checklist item stub")
    new_sub = n.add_subparsers(dest="kind", required=True)
    np_ = new_sub.add_parser("practice", help="create data/practices/<slug>.yaml with blanks to fill",
                             description="新建地区文件：地区记录、一条来源、一条做法，必填项留空待填（未填完校验不通过）。")
    np_.add_argument("--district-id", required=True, help="new district ID, e.g. DS-XX")
    np_.add_argument("--name", required=True, help="district name, e.g. 某某区")
    np_.add_argument("--province", required=True, help="province, e.g. 某某省")
    np_.add_argument("--slug", help="file and page name (default: the district code in lower case)")
    np_.add_argument("--year", type=int, help="year in the new source ID SRC-XX-<year> (default: this year)")
    np_.add_argument("--data", help="data folder (default: ROOT/data)")
    ni = new_sub.add_parser("item", help="print a checklist item stub with the next free CK- ID",
                            description="打印一条检查项草稿（下一个未占用的 CK- 编号），粘贴到 data/checklist.yaml。")
    ni.add_argument("--dimension", required=True, help="org, duty, decision, coord, party, support or local")
    ni.add_argument("--district", help="district ID for a local item, e.g. DS-QJ")
    ni.add_argument("--data", help="data folder (default: ROOT/data)")
    n.set_defaults(func=cmd_new)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
