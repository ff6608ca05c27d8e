"""Route guards by role. Scope checks on objects live in each area's service."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from training.core.security import ROLE_LABELS, Principal


def roles(*allowed: str) -> Guard:
    """Allow only these roles on a route."""
    labels = "、".join(ROLE_LABELS[r] for r in allowed)

    def guard(connection: ASGIConnection[Any, Principal, Any, Any], _: BaseRouteHandler) -> None:
        if connection.user.role not in allowed:
            raise PermissionDeniedException(f"只有{labels}可以进行此操作")

    guard.__name__ = f"roles_{'_'.join(allowed)}"
    return guard
