from __future__ import annotations

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
