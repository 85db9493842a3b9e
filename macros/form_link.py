"""The link from a printed form to the school's own checklist online: URL, QR code, return note.

The batch prints on every school's form the site address, the school's code and a QR code of a
link that opens the checklist page prefilled with the school (name, code, profile fields, scoring
profile), so the loop closes: paper → phone → answers exported with the code → roll-up by code.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from urllib.parse import urlencode

from markupsafe import Markup

from .checklist import Profile
from .render import safe_url
from .vocab import PROFILE_KEYS, UNKNOWN

DEFAULT_RETURN = "填好后在页面上点“导出 JSON”（或“导出 CSV”），把文件按通知要求交回区教育局；文件里带有学校编号，汇总时按编号对应。"


@dataclass(frozen=True)
class FormLink:
    url: str  # the prefilled link in the QR code; "" when no site address is known
    page: str  # the plain page address, short enough to type
    code: str
    qr_svg: Markup  # "" without a URL
    return_note: str


def checklist_url(site_url: str, profile: Profile, scoring: str = "") -> str:
    """The checklist page's address with the school prefilled (only http(s) site addresses)."""
    base = safe_url(site_url)
    if not base:
        return ""
    params = {"code": profile.school_id, "name": profile.name}
    params |= {k: getattr(profile, k) for k in PROFILE_KEYS if getattr(profile, k) != UNKNOWN}
    if scoring:
        params["profile"] = scoring
    return f"{base.rstrip('/')}/checklist/?{urlencode(params)}"


def qr_svg(url: str) -> Markup:
    """An inline SVG QR code (segno; nothing fetched when the form is opened or printed)."""
    import segno

    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="svg", scale=3, border=2, xmldecl=False, svgns=True,
                                    title="扫码在手机上填写本校自查表", svgclass="dz-qr")
    return Markup(buf.getvalue().decode("utf-8"))  # generated from a URL we built and escaped: no data markup


def form_link(site_url: str, profile: Profile, scoring: str = "", return_note: str = "") -> FormLink:
    url = checklist_url(site_url, profile, scoring)
    page = url.split("?", 1)[0]
    return FormLink(url, page, profile.school_id, qr_svg(url) if url else Markup(""), return_note or DEFAULT_RETURN)
