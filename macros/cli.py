"""The command line, in Chinese. Every command exits 0 when all went well, 1 when the data or an input
file has problems (each named with file, line or row, and field), 2 when the command was used
wrongly (bad option, missing file or folder) — never with a traceback.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any, NoReturn

from . import validate as validation

ROOT = Path(__file__).resolve().parent.parent
OK, PROBLEMS, USAGE = 0, 1, 2


def _vocab_choices() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Org types and modes from the schemas (for the `rules` command's choices)."""
    from .vocab import load_vocab

    v = load_vocab(ROOT / "schemas")
    return v.org_types, v.modes


ORG_TYPES, MODES = _vocab_choices()

COLLECTION_LABELS = {
    "sources": "来源 sources", "responsibilities": "职责 responsibilities", "decisions": "决策事项 decisions",
    "meeting_rules": "议事规则 meeting_rules", "setups": "组织设置 setups", "supports": "保障措施 supports",
    "milestones": "时间节点 milestones", "party_rules": "党内法规要点 party_rules", "variants": "分歧 variants", "glossary": "术语 glossary",
    "evidence": "佐证材料 evidence", "checklist": "检查项 checklist", "districts": "地区 districts",
    "practices": "地方实践 practices", "figures": "数据 figures", "schools": "学校 schools",
}

# argparse's own messages (English), in Chinese.
_ARGPARSE_MESSAGES = (
    (r"the following arguments are required: (.*)", r"缺少必需的参数：\1"),
    (r"unrecognized arguments: (.*)", r"无法识别的参数：\1"),
    (r"argument (\S+): invalid choice: (.*?) \(choose from (.*)\)", r"参数 \1 的取值 \2 无效（可选：\3）"),
    (r"argument (\S+): invalid (\w+) value: (.*)", r"参数 \1 的取值 \3 无效（应为\2）"),
    (r"argument (\S+): expected one argument", r"参数 \1 后面需要一个值"),
    (r"argument (\S+): not allowed with argument (\S+)", r"参数 \1 不能与 \2 同时使用"),
)


class ChineseHelp(argparse.HelpFormatter):
    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, prefix="用法：" if prefix is None else prefix)


class Parser(argparse.ArgumentParser):
    """An argument parser whose help and error messages are Chinese; bad usage exits with 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("add_help", False)
        kwargs.setdefault("formatter_class", ChineseHelp)
        super().__init__(*args, **kwargs)
        self.options = self.add_argument_group("选项")
        self.options.add_argument("-h", "--help", action="help", help="显示本帮助并退出")

    def error(self, message: str) -> NoReturn:
        for pattern, chinese in _ARGPARSE_MESSAGES:
            if re.fullmatch(pattern, message):
                message = re.sub(pattern, chinese, message)
                break
        self.print_usage(sys.stderr)
        self.exit(USAGE, f"{self.prog}：错误：{message}\n（加 -h 查看帮助）\n")


def cmd_validate(args: argparse.Namespace) -> int:
    root = Path(args.root).resolve()
    result = validation.validate(root, data_dir=Path(args.data) if args.data else None,
                                 seeds_dir=Path(args.seeds) if args.seeds else None)
    for note in result.notes:
        print(f"注意：{note}", file=sys.stderr)
    if result.problems:
        for p in result.problems:
            print(p.github_annotation() if args.github else str(p))
        for line in result.summary:
            print(line)
        print(f"共 {len(result.problems)} 个问题。", file=sys.stderr)
        return PROBLEMS
    counts = validation.counts(result)
    width = max(len(v) for v in COLLECTION_LABELS.values())
    for key, label in COLLECTION_LABELS.items():
        if counts.get(key):
            print(f"{label:<{width}}  {counts[key]:>5}")
    retired = sum(1 for r in result.records if not r.active)
    print(f"数据有效：{len(result.files)} 个文件，{sum(counts.values())} 条有效记录，{retired} 条已停用。"
          + ("已核对原始文本行号。" if result.seeds_checked else "未核对原始文本行号（未找到原始文本）。"))
    return OK


def load_data(args: argparse.Namespace) -> Any:
    """Load the data or print its problems; returns None when the data is broken."""
    from .model import DataError, load_dataset

    try:
        return load_dataset(Path(args.root).resolve(), data_dir=Path(args.data) if getattr(args, "data", None) else None)
    except DataError as exc:
        print(exc.report(), file=sys.stderr)
        print(f"数据有 {len(exc.problems)} 个问题，请先修正（python -m macros validate）。", file=sys.stderr)
        return None


def chosen_profile(ds: Any, profile_id: str) -> Any:
    """The scoring profile `--profile` names, or None with a message listing the data's profiles."""
    try:
        return ds.profile(profile_id)
    except KeyError:
        print(f"没有评分方案“{profile_id}”（可选：{'、'.join(p.id for p in ds.profiles)}）", file=sys.stderr)
        return None


def cmd_checklists(args: argparse.Namespace) -> int:
    from . import batch
    from .roster import ReadOptions, read_roster

    ds = load_data(args)
    if ds is None:
        return PROBLEMS
    root = Path(args.root).resolve()
    roster_path = Path(args.roster) if args.roster else root / "data" / "schools" / "demo.yaml"
    if not roster_path.is_file():
        print(f"找不到花名册文件：{roster_path}", file=sys.stderr)
        return USAGE
    roster = read_roster(roster_path, ds, root, ReadOptions(auto_id=args.auto_id, district=args.district or ""))
    for notice in roster.notices:
        print(f"注意：{notice}", file=sys.stderr)
    for problem in roster.problems:
        print(problem, file=sys.stderr)
    if roster.fatal:
        print("花名册无法读取，未生成任何文件。", file=sys.stderr)
        return PROBLEMS
    try:
        if args.profile and chosen_profile(ds, args.profile) is None:
            return USAGE
        from .rollup import default_site_url

        site_url = args.site_url if args.site_url is not None else default_site_url(root)
        if site_url and not re.match(r"^https?://[^\s<>\"']+$", site_url):
            print(f"--site-url 应为 http(s) 地址：{site_url}", file=sys.stderr)
            return USAGE
        if not site_url:
            print("注意：没有网站地址（--site-url 或 mkdocs.yml 的 site_url），各校的表上不印二维码和在线填写地址。",
                  file=sys.stderr)
        report = batch.run_batch(ds, roster, Path(args.out), html=not args.no_html, pdf=args.pdf, xlsx=not args.no_xlsx,
                                 docx=args.docx, root=root, progress=not args.quiet, scoring=args.profile or "",
                                 site_url=site_url, return_note=(args.return_to or "").strip())
    except RuntimeError as exc:
        print(str(exc), file=sys.stderr)
        return USAGE
    print(f"完成：{report.produced} 所学校已生成（PDF {report.pdfs} 份，Word {report.docx} 份，XLSX {report.xlsx_rows} 行），"
          f"{report.skipped} 行有问题被跳过；用时 {report.seconds:.1f} 秒；输出目录 {args.out}")
    return PROBLEMS if report.skipped else OK


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
        return PROBLEMS
    return OK


def cmd_rollup(args: argparse.Namespace) -> int:
    from . import rollup

    ds = load_data(args)
    return PROBLEMS if ds is None else rollup.command(args, ds)


def cmd_profile(args: argparse.Namespace) -> int:
    from . import profiles

    ds = load_data(args)
    if ds is None:
        return PROBLEMS
    if args.action == "template":
        chosen = None
        if args.profile:
            chosen = chosen_profile(ds, args.profile)
            if chosen is None:
                return USAGE
        out = Path(args.out)
        if out.suffix.lower() != ".xlsx":
            print(f"输出文件应以 .xlsx 结尾：{out}", file=sys.stderr)
            return USAGE
        out.parent.mkdir(parents=True, exist_ok=True)
        profiles.write_template(ds, out, chosen)
        print(f"已生成 {out}（{len(ds.active_checklist())} 个检查项）。填写后用 python -m macros profile import 导入。")
        return OK
    source = Path(args.workbook)
    if not source.is_file():
        print(f"找不到工作簿：{source}", file=sys.stderr)
        return USAGE
    try:
        profile, problems = profiles.read_workbook(source, ds)
    except profiles.WorkbookError as exc:
        print(str(exc), file=sys.stderr)
        return PROBLEMS
    for problem in problems:
        print(f"{source.name}：{problem}", file=sys.stderr)
    if profile is None:
        print(f"共 {len(problems)} 个问题，未写出评分方案。", file=sys.stderr)
        return PROBLEMS
    out = Path(args.out)
    if out.exists() and not args.force:
        print(f"{out} 已存在：加 --force 覆盖", file=sys.stderr)
        return USAGE
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(profiles.profile_yaml(profile), encoding="utf-8")
    print(f"已写出 {out}（{len(profile.get('items', []))} 个检查项的分值）。请运行 make validate 检查整个数据。")
    return OK


def cmd_report(args: argparse.Namespace) -> int:
    from . import school_docs
    from .checklist import AnswersError

    ds = load_data(args)
    if ds is None:
        return PROBLEMS
    source = Path(args.answers)
    if not source.is_file():
        print(f"找不到答案文件：{source}", file=sys.stderr)
        return USAGE
    if args.profile and chosen_profile(ds, args.profile) is None:
        return USAGE
    try:
        school = school_docs.read_answers(ds, source, scoring=args.profile or "")
    except AnswersError as exc:
        print(f"{source.name}：{exc}。未生成任何文件。", file=sys.stderr)
        return PROBLEMS
    for notice in school.notices:
        print(f"注意：{source.name}：{notice}", file=sys.stderr)
    docs = school_docs.school_documents(ds, school)
    try:
        written = school_docs.write_all(Path(args.out), docs)
    except (OSError, ValueError) as exc:
        print(f"无法写入输出目录 {args.out}：{exc}", file=sys.stderr)
        return USAGE
    print(f"已生成 {len(written)} 个文件：{'、'.join(str(p) for p in written)}（报告正文约 {docs[-1].chars} 字）")
    return OK


def cmd_rules(args: argparse.Namespace) -> int:
    from . import rule_drafts, school_docs
    from .docx_write import docx_bytes

    ds = load_data(args)
    if ds is None:
        return PROBLEMS
    profile = None
    if args.profile:
        profile = chosen_profile(ds, args.profile)
        if profile is None:
            return USAGE
    kinds = [rule_drafts.Kind(o, m, profile) for o in ([args.org_type] if args.org_type else ds.vocab.org_types)
             for m in ([args.mode] if args.mode else ds.vocab.modes)]
    docs = [school_docs.Document(rule_drafts.file_name(k, d), docx_bytes(rule_drafts.draft_model(ds, d)))
            for k in kinds for d in rule_drafts.drafts(ds, k)]
    try:
        written = school_docs.write_all(Path(args.out), docs)
    except (OSError, ValueError) as exc:
        print(f"无法写入输出目录 {args.out}：{exc}", file=sys.stderr)
        return USAGE
    print(f"已生成 {len(written)} 份草稿（{len(kinds)} 类学校 × 3 份）到 {args.out}。草稿须经学校规定的程序审议通过后方可施行。")
    return OK


def _roster_options(group: Any) -> None:
    group.add_argument("--roster", help="花名册：CSV（UTF-8 或 GBK）或 YAML（默认：data/schools/demo.yaml）")
    group.add_argument("--auto-id", action="store_true", help="没有学校编号的行按行号自动编号（默认：报错并跳过该行）")
    group.add_argument("--district", metavar="DS-XX",
                       help="本花名册所属地区的编号；“所属地区”列中不认识的名称按该地区的县区处理")


def build_parser() -> Parser:
    parser = Parser(prog="python -m macros", description="中小学校党组织领导的校长负责制 知识库工具。"
                    "退出码：0 成功，1 数据或输入文件有问题，2 用法错误。")
    parser.options.add_argument("--root", default=str(ROOT), help="项目根目录（默认：本项目）")
    sub = parser.add_subparsers(dest="command", required=True, title="命令", metavar="命令", parser_class=Parser)

    v = sub.add_parser("validate", help="按数据格式和跨文件规则检查 data/",
                       description="检查 data/：先按 schemas/ 中的格式，再按跨文件规则；有问题时逐条列出“文件:行:列: 字段: 说明”。")
    v.options.add_argument("--data", help="数据目录（默认：ROOT/data）")
    v.options.add_argument("--seeds", help="原始文本目录（默认：$DZZLD_SEEDS 或 ../shared/seeds）")
    v.options.add_argument("--github", action="store_true", help="按 GitHub Actions 注释的格式输出问题")
    v.set_defaults(func=cmd_validate)

    c = sub.add_parser("checklists", help="按花名册批量生成各校自查表（HTML、PDF、Word）和全区 XLSX",
                       description="花名册（CSV：学校编号,学校名称,所属地区,党组织类型,书记校长配备,学段,办学性质；"
                                   "或英文列名 id,name,district,org_type,mode,stage,ownership；或 YAML 花名册）"
                                   "→ 每校一份可打印的 HTML/PDF 自查表（加 --docx 另有可编辑的 Word 空白表），全区一个 XLSX。")
    _roster_options(c.options)
    c.options.add_argument("--out", default="out/checklists", help="输出目录（默认：out/checklists）")
    c.options.add_argument("--pdf", action="store_true", help="同时打印每校的 PDF（需要 Chromium）")
    c.options.add_argument("--no-html", action="store_true", help="不保留每校的 HTML 文件")
    c.options.add_argument("--no-xlsx", action="store_true", help="不生成全区工作簿")
    c.options.add_argument("--docx", action="store_true", help="同时生成每校可编辑的空白自查表（Word .docx）")
    c.options.add_argument("--profile", metavar="PF-XX", help="评分方案（默认：按各校所属地区）")
    c.options.add_argument("--site-url", help="公开网站地址：表上印在线填写的地址和二维码（默认：mkdocs.yml 的 site_url）")
    c.options.add_argument("--return-to", metavar="说明", help="表上印的交回方式，如“发送至 xx@xx.gov.cn”（默认：按通知要求交回区教育局）")
    c.options.add_argument("--quiet", action="store_true", help="不显示进度")
    c.options.add_argument("--data", help=argparse.SUPPRESS)
    c.set_defaults(func=cmd_checklists)

    r = sub.add_parser("rollup", help="汇总各校交回的答案：报告（HTML）和表格（XLSX）",
                       description="各校交回的答案文件（自查页导出的 *.json 和 *.csv，或填好的全区 *.xlsx）+ 花名册 → "
                                   "全区汇总报告（HTML，可打印）和 XLSX。先按学校编号、再按学校名称对应花名册；有问题的文件列入"
                                   "“问题”，不中断。")
    r.options.add_argument("--answers", required=True, help="答案文件所在的文件夹")
    _roster_options(r.options)
    r.options.add_argument("--out", default="out/rollup", help="输出目录（默认：out/rollup；不能在 site/ 或 docs/ 里）")
    r.options.add_argument("--site-url", help="公开网站地址，用于检查项和依据的链接（默认：mkdocs.yml 的 site_url）")
    r.options.add_argument("--include-in-site", action="store_true", help="允许输出到 site/ 或 docs/ 里（答案是内部材料）")
    r.options.add_argument("--name", help="报告标题中的地区名称（默认：花名册只有一个地区时用其名称）")
    r.options.add_argument("--profile", metavar="PF-XX", help="所有学校都按这个评分方案计分（默认：答案文件中的方案，否则按所属地区）")
    r.options.add_argument("--ledger", metavar="上期台账.xlsx", help="上一轮汇总报告的 report.xlsx（填好整改情况）：带入状态，列出已销号、逾期和新增")
    r.options.add_argument("--previous", metavar="DIR", help="上一轮的答案文件夹：与本轮比较得分和各检查项的变化")
    r.options.add_argument("--data", help=argparse.SUPPRESS)
    r.set_defaults(func=cmd_rollup)

    rp = sub.add_parser("report", help="由一所学校的答案文件生成可编辑的自查表和自查报告草稿（Word）",
                        description="自查页导出的答案文件（JSON）→ 本校自查表（.docx，A4 横向）和自查报告草稿（.docx，"
                                    "基本情况、主要做法、存在问题、整改措施）。学校没有填写的说明在草稿中留作【待填写】。")
    rp.options.add_argument("--answers", required=True, help="答案文件（自查页“导出 JSON”得到的 .json）")
    rp.options.add_argument("--out", required=True, help="输出目录")
    rp.options.add_argument("--profile", metavar="PF-XX", help="按这个评分方案计分（默认：答案文件中的方案，否则按所属地区）")
    rp.options.add_argument("--data", help=argparse.SUPPRESS)
    rp.set_defaults(func=cmd_report)

    ru = sub.add_parser("rules", help="由数据起草本校的议事规则和决策事项清单（Word）",
                        description="按党组织类型和书记校长配备，起草党组织会议议事规则、校长办公会议议事规则和议事决策事项清单："
                                    "对本校有约束力的条款为正文，探索性、参考性的条款标“可选”，本地参数留作待填，每条注明出处。"
                                    "草稿须经学校规定的程序审议通过后方可施行。")
    ru.options.add_argument("--org-type", choices=ORG_TYPES, help="党组织类型（默认：每一种）")
    ru.options.add_argument("--mode", choices=MODES, help="书记校长配备（默认：每一种）")
    ru.options.add_argument("--profile", metavar="PF-XX", help="评分方案：带入其地区的规定和本地参数（会议频次、金额标准）")
    ru.options.add_argument("--out", required=True, help="输出目录")
    ru.options.add_argument("--data", help=argparse.SUPPRESS)
    ru.set_defaults(func=cmd_rules)

    pr = sub.add_parser("profile", help="评分方案与 Excel 互转：导出模板，导入填好的工作簿",
                        description="教育局在 Excel 中填写考核细则（分值、扣分、一票否决、等级、参数），再导入为 data/profiles/ 中的评分方案。")
    pr_sub = pr.add_subparsers(dest="action", required=True, title="操作", metavar="操作", parser_class=Parser)
    pt = pr_sub.add_parser("template", help="导出列出全部检查项的工作簿", description="导出工作簿：每个检查项一行，分值等列留空（或按 --profile 填好）。")
    pt.options.add_argument("--out", required=True, help="输出的 .xlsx 文件，如 考核细则.xlsx")
    pt.options.add_argument("--profile", metavar="PF-XX", help="按这个评分方案填好（默认：空白）")
    pi = pr_sub.add_parser("import", help="把填好的工作簿导入为评分方案 YAML", description="读回填好的工作簿，逐行检查，写出 data/profiles/<名称>.yaml。")
    pi.options.add_argument("workbook", help="填好的 .xlsx 工作簿")
    pi.options.add_argument("--out", required=True, help="输出的 YAML 文件，如 data/profiles/xx.yaml")
    pi.options.add_argument("--force", action="store_true", help="覆盖已有的文件")
    for p_ in (pt, pi):
        p_.options.add_argument("--data", help=argparse.SUPPRESS)
    pr.set_defaults(func=cmd_profile)

    n = sub.add_parser("new", help="开始一项贡献：新地区文件，或一条检查项草稿",
                       description="生成贡献用的草稿：new practice 新建地区文件；new item 打印一条检查项草稿。")
    new_sub = n.add_subparsers(dest="kind", required=True, title="草稿类型", metavar="类型", parser_class=Parser)
    np_ = new_sub.add_parser("practice", help="新建 data/practices/<slug>.yaml，必填项留空待填",
                             description="新建地区文件：地区记录、一条来源、一条做法，必填项留空待填（未填完校验不通过）。")
    np_.options.add_argument("--district-id", required=True, help="新地区编号，如 DS-XX")
    np_.options.add_argument("--name", required=True, help="地区名称，如 某某区")
    np_.options.add_argument("--province", required=True, help="所属省份，如 某某省")
    np_.options.add_argument("--slug", help="文件名和页面名（默认：地区编号的小写）")
    np_.options.add_argument("--year", type=int, help="新来源编号 SRC-XX-<年份> 中的年份（默认：今年）")
    np_.options.add_argument("--data", help="数据目录（默认：ROOT/data）")
    ni = new_sub.add_parser("item", help="打印一条检查项草稿（下一个未占用的 CK- 编号）",
                            description="打印一条检查项草稿（下一个未占用的 CK- 编号），粘贴到 data/checklist.yaml。")
    ni.options.add_argument("--dimension", required=True, help="维度：org、duty、decision、coord、party、support 或 local")
    ni.options.add_argument("--district", help="地方特色检查项的地区编号，如 DS-QJ")
    ni.options.add_argument("--data", help="数据目录（默认：ROOT/data）")
    n.set_defaults(func=cmd_new)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
