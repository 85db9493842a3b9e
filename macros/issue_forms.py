"""The GitHub issue forms (.github/ISSUE_TEMPLATE/*.yml) as links on the contributing page.

The forms themselves are the one home of their names and descriptions; the page reads them at build
time, so a new or renamed form shows up without editing the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import yaml
from markupsafe import Markup

from .render import render_template

FORMS_DIR = Path(".github") / "ISSUE_TEMPLATE"
CONFIG = "config.yml"  # GitHub's chooser settings, not a form


@dataclass(frozen=True)
class IssueForm:
    file: str  # e.g. data-fix.yml
    name: str
    description: str

    def url(self, repository: str) -> str:
        return f"{repository.rstrip('/')}/issues/new?template={quote(self.file)}"


def read_forms(root: Path) -> tuple[IssueForm, ...]:
    """Every issue form of the repository, by file name; a form without a name is an error, not skipped."""
    out = []
    for path in sorted((root / FORMS_DIR).glob("*.yml")):
        if path.name == CONFIG:
            continue
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or not isinstance(doc.get("name"), str):
            raise ValueError(f"{path.relative_to(root).as_posix()}：议题表单缺少 name")
        out.append(IssueForm(path.name, doc["name"], str(doc.get("description", ""))))
    return tuple(out)


def issue_forms(root: Path, repository: str) -> Markup:
    return render_template("issue_forms.html", forms=read_forms(root), repository=repository)
