"""What every HTTP answer carries and whom it is from: the security headers, and the client address
(believing X-Forwarded-For only from the reverse proxies the settings name)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from litestar.types import Message, Scope

# The dashboard and the API: scripts and style sheets only from our own /static, no inline script, never
# framed. Style attributes are allowed: the charts' tooltips (ECharts) are HTML with style attributes.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
# The API docs (/schema): RapiDoc (a web component that styles itself) does not render under the full
# policy, so its page gets the part that matters: only our own scripts (the vendored copy), no plugins,
# never framed. It loads nothing from the internet (tests/browser/test_roles.py watches every request).
DOCS_CSP = "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
SECURITY_HEADERS: dict[str, str] = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",  # frame-ancestors for browsers that predate it
    "cross-origin-opener-policy": "same-origin",
}


def policy_for(path: str) -> str:
    return DOCS_CSP if path.rstrip("/") == "/schema" else CSP


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A before_send hook: runs for every response the app sends, 404s and errors included."""
    if message["type"] != "http.response.start":
        return
    headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
    present = {name.lower() for name, _ in headers}
    extra = {"content-security-policy": policy_for(scope.get("path", "")), **SECURITY_HEADERS}
    headers += [(name.encode(), value.encode()) for name, value in extra.items() if name.encode() not in present]
    message["headers"] = headers


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(trusted: Sequence[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(n, strict=False) for n in trusted)


def _within(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in n for n in trusted)


def client_address(scope: Scope | dict[str, Any], trusted: tuple[Network, ...]) -> str:
    """The address a request comes from. X-Forwarded-For is read only when the connection itself comes
    from a trusted proxy, right to left, skipping the trusted proxies: the first other address is the
    client (what a client writes into the header itself lies further left and is never reached)."""
    peer = scope.get("client")
    address = str(peer[0]) if peer else "unknown"
    if not trusted or not _within(address, trusted):
        return address
    forwarded: list[str] = [bytes(value).decode("latin-1") for name, value in scope.get("headers", [])
                 if name.lower() == b"x-forwarded-for"]
    hops: list[str] = [hop.strip() for line in forwarded for hop in line.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _within(hop, trusted):
            return hop
    return str(hops[0]) if hops else address
