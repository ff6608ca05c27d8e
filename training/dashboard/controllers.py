"""The dashboard page (zh-CN, no CDN): one HTML page that talks to the API with the user's token."""

from __future__ import annotations

from litestar import Controller, get
from litestar.response import Template

from training import __version__


class DashboardController(Controller):
    path = "/"
    include_in_schema = False

    @get("/", opt={"exclude_from_auth": True})
    async def index(self) -> Template:
        return Template(template_name="dashboard.html", context={"version": __version__})
