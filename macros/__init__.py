"""The mkdocs-macros module: registers page macros, nothing else.

Each macro is a thin wrapper: it looks up the build's dataset and a linker for the current page
and calls a plain function in `render` (unit-tested without mkdocs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup


def define_env(env: Any) -> None:
    """Called by mkdocs-macros at configuration time."""
    from . import checklist_pages, render, site

    state = site.state_for(env.conf)  # validates data; a problem stops the build here
    ds = state.dataset

    stashed = set(checklist_pages.STASHED)

    def page_macro(fn: Callable[..., Markup]) -> Callable[..., Markup]:
        def call(*args: Any) -> Markup:
            out = fn(ds, site.linker(env.conf, env.page.url), *args)
            return site.stash(env.conf, out) if fn in stashed else out

        call.__name__ = fn.__name__
        call.__doc__ = fn.__doc__
        return call

    for fn in (
        render.responsibilities, render.decision_matrix, render.meeting_rules, render.setups, render.qujing_counts,
        render.supports, render.timeline, render.district_page, render.district_compare, render.plan_page,
        render.plans_index, render.glossary, render.sources, render.variants, render.policy, render.home_stats,
        *checklist_pages.MACROS,
    ):
        env.macro(page_macro(fn), fn.__name__)

    env.macro(lambda record_id: render.record_title(ds, record_id), "record_title")
    env.macro(lambda source_id: render.md_escape(ds.source(source_id).title), "source_title")
    env.macro(lambda: ds.data_version, "data_version")
