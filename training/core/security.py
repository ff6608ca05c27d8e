"""Who is calling and what they may see: passwords, the principal and its scope."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

Role = Literal["admin", "official", "school", "surveyor"]
ROLE_LABELS: dict[str, str] = {"admin": "管理员", "official": "官员", "school": "学校", "surveyor": "调查员"}

_hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong username costs as much time as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def region_prefix(code: str) -> str:
    """The leading digits of a 12-digit region code that every region inside it shares."""
    if code[6:] == "000000":
        return code[:6]
    if code[9:] == "000":
        return code[:9]
    return code


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """The authenticated caller. Scope: admin all (or its county), official its regions,
    school its own school, surveyor its assigned villages."""

    id: UUID
    username: str
    role: Role
    county_code: str | None
    school_id: UUID | None
    region_codes: tuple[str, ...]
    token_version: int = 0  # tokens carry it; a password change or a disable raises it

    @property
    def region_prefixes(self) -> tuple[str, ...]:
        return tuple(region_prefix(c) for c in self.region_codes)

    @property
    def counties(self) -> list[str] | None:
        """The counties whose data this caller may read; None means every county (system admin)."""
        if self.role == "admin" and not self.region_codes:
            return None if self.county_code is None else [self.county_code]
        if self.role == "school":
            return [self.county_code] if self.county_code else []
        return sorted({c[:6] for c in self.region_codes})

    def sees_county(self, county_code: str) -> bool:
        counties = self.counties
        return counties is None or county_code in counties

    def sees_region(self, code: str) -> bool:
        """Whether a region (village, township or county code) lies inside this caller's regions."""
        if self.role in ("admin", "school"):
            return self.sees_county(code[:6])
        return any(code.startswith(p) for p in self.region_prefixes)

    def manages_school(self, county_code: str, school_id: UUID) -> bool:
        """Whether this caller may change the records of a school."""
        if self.role == "admin":
            return self.sees_county(county_code)
        return self.role == "school" and self.school_id == school_id and self.county_code == county_code
