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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m macros", description="中小学校党组织领导的校长负责制 知识库工具")
    parser.add_argument("--root", default=str(ROOT), help="project root (default: this checkout)")
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("validate", help="check data/ against the schemas and the cross-file rules")
    v.add_argument("--data", help="data folder (default: ROOT/data)")
    v.add_argument("--seeds", help="folder of seed texts (default: $DZZLD_SEEDS or ../shared/seeds)")
    v.add_argument("--github", action="store_true", help="print problems as GitHub Actions annotations")
    v.set_defaults(func=cmd_validate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
