from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from training.core.schemas import Body


class TokenRequest(Body):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class TokenResponse(msgspec.Struct):
    access_token: str
    token_type: str
    role: str
    expires_in: int


class Me(msgspec.Struct):
    id: UUID
    username: str
    role: str
    county_code: str | None
    school_id: UUID | None
    region_codes: list[str]
    counties: list[str] | None


class Account(msgspec.Struct):
    id: UUID
    username: str
    role: str
    role_label: str
    county_code: str | None
    school_id: UUID | None
    school_name: str | None
    region_codes: list[str]
    active: bool
    created_at: datetime
    locked_until: datetime | None  # set while repeated wrong passwords keep it locked


class PasswordReset(msgspec.Struct):
    id: UUID
    username: str
    password: str  # the new password, shown this once
