from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from training.audit.service import Anchor, Keeper
from training.core.crypto import Vault


@pytest.fixture
def keeper(tmp_path: Path) -> Keeper:
    """The chain's key (a data key of this test's own) and its anchor file, outside the database."""
    return Keeper(Vault(secrets.token_bytes(32)), Anchor(tmp_path / "audit_anchor.json"))
