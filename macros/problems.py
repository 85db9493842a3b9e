"""The one shape every check reports in: a problem at a file, line, column and field."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the data, pointing at where to fix it.

    Lines and columns are 1-based; 0 means "the whole file" (e.g. a file that is not UTF-8).
    """

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        field = self.field or "-"
        return f"{self.file}:{self.line}:{self.column}: {field}: {self.message}"

    def github_annotation(self) -> str:
        """Render as a GitHub Actions workflow command so the error shows on the changed line."""
        msg = f"{self.field}: {self.message}" if self.field else self.message
        # Workflow commands need %, CR and LF escaped in the message and also ':' and ',' in properties.
        msg = msg.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        file = self.file.replace("%", "%25").replace(",", "%2C").replace(":", "%3A")
        return f"::error file={file},line={max(self.line, 1)},col={max(self.column, 1)}::{msg}"


class DataError(Exception):
    """Raised by `load_dataset` when the data has problems; carries all of them.

    The problems keep the validator's order (files that cannot be read first), and `summary` its
    lines about checks that could not be made, so a build reports exactly what `validate` prints.
    """

    def __init__(self, problems: list[Problem], summary: list[str] | tuple[str, ...] = ()):
        self.problems = list(problems)
        self.summary = list(summary)
        super().__init__(f"{len(self.problems)} problem(s) in data")

    def report(self) -> str:
        return "\n".join([*(str(p) for p in self.problems), *self.summary])
