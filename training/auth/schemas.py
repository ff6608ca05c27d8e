from __future__ import annotations

from typing import Annotated

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
