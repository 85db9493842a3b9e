"""The mkdocs-macros module: registers page macros, nothing else.

Each macro is a thin wrapper: it takes the build's dataset and a linker for the current page from
the dzzld plugin's state and calls a plain function in `render` or `checklist_pages` (unit-tested
without mkdocs). Macros receive record IDs only, never data text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup


def define_env(env: Any) -> None:
    """Called by mkdocs-macros at configuration time (after the dzzld plugin loaded the data)."""
    from . import checklist_pages, docx_site, issue_forms, render
    from .plugin import DEFAULT_REPOSITORY, state_of

    state = state_of(env.conf)
    ds = state.dataset
    stashed = set(checklist_pages.STASHED)

    def page_macro(fn: Callable[..., Markup]) -> Callable[..., Markup]:
        def call(*args: Any) -> Markup:
            out = fn(ds, state.linker(env.page.url), *args)
            return state.stash(out) if fn in stashed else out

        call.__name__ = fn.__name__
        call.__doc__ = fn.__doc__
        return call

    for fn in (*render.MACROS, *checklist_pages.MACROS, *docx_site.MACROS):
        env.macro(page_macro(fn), fn.__name__)

    school_pages = state.caches.setdefault("school_pages", checklist_pages.SchoolPages())  # one per build

    def checklist_school(school_id: str) -> Markup:
        """A roster school's pre-filled, tailored checklist; answers saved under the school's ID."""
        return state.stash(*school_pages.parts(ds, state.linker(env.page.url), school_id))

    env.macro(checklist_school, "checklist_school")
    env.macro(lambda record_id: render.record_title(ds, record_id), "record_title")
    env.macro(lambda source_id: render.md_escape(ds.source(source_id).title), "source_title")
    env.macro(lambda: ds.data_version, "data_version")
    env.macro(lambda: issue_forms.issue_forms(state.root, env.conf.extra.get("repository", DEFAULT_REPOSITORY)),
              "issue_forms")
