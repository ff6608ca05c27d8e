"""The dashboard page (zh-CN, no CDN): one HTML page that talks to the API with the user's token."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from litestar import Controller, get
from litestar.response import Template

from training import __version__
from training.core.deps import Today

STATIC = Path(__file__).resolve().parents[1] / "static"


@cache
def asset_version() -> str:
    """A fingerprint of the page's script and style, so browsers fetch them again whenever they change."""
    digest = hashlib.sha256()
    for path in sorted([STATIC / "dashboard.css", *(STATIC / "js").rglob("*.js")]):
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:12]


class DashboardController(Controller):
    path = "/"
    include_in_schema = False

    @get("/", opt={"exclude_from_auth": True})
    async def index(self, today: Today) -> Template:
        # The county's today, for the page's date defaults (the browser may be in another zone).
        return Template(template_name="dashboard.html",
                        context={"version": __version__, "assets": asset_version(), "today": today.isoformat()})
