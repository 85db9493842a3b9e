"""Command line: ``python -m macros validate`` and friends. See ``python -m macros --help``."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
