"""Sensitive values at rest: each names the data key that made it, every key of the keyring still reads
and finds them, and a keyring that cannot is a clear error that never shows a key."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from training.core import crypto
from training.core.crypto import (
    DataKey,
    DataKeyMissing,
    KeyringError,
    LookupHash,
    Vault,
    add_new_key,
    generate_key,
    key_label,
    load_keyring,
    lookup_candidates,
)

NUMBER = "513435197503021131"


@pytest.fixture(autouse=True)
def no_key_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRAINING_DATA_KEY", raising=False)
    monkeypatch.delenv("TRAINING_DATA_KEYS_OLD", raising=False)


def test_a_value_starts_with_the_id_of_its_key_and_reads_back(tmp_path: Path) -> None:
    vault = Vault.from_data_dir(tmp_path)
    blob = vault.encrypt(NUMBER)
    assert blob[:5] == b"\x01" + vault.keyring.current.id
    assert key_label(blob) == vault.current_label and len(vault.current_label) == 8
    assert NUMBER.encode() not in blob
    assert vault.decrypt(blob) == NUMBER
    assert vault.encrypt(NUMBER) != blob  # a fresh nonce each time
    assert vault.lookup_hash(NUMBER) == vault.lookup_hash(NUMBER)
    assert key_label(vault.lookup_hash(NUMBER)) == vault.current_label


def test_the_key_id_in_a_value_cannot_be_swapped(tmp_path: Path) -> None:
    """The id is authenticated with the value: relabelling a value is an error, not a silent misread."""
    other = DataKey.of(base64.b64decode(generate_key()))
    vault = Vault(load_keyring(tmp_path))
    ring = vault.keyring
    ring.keys[other.id] = other
    forged = b"\x01" + other.id + vault.encrypt(NUMBER)[5:]
    with pytest.raises(DataKeyMissing, match=other.label):
        vault.decrypt(forged)


def test_a_key_id_is_derived_from_the_key_and_never_shows_it(tmp_path: Path) -> None:
    master = base64.b64decode(generate_key())
    assert DataKey.of(master).id == DataKey.of(master).id
    assert DataKey.of(master).id != DataKey.of(base64.b64decode(generate_key())).id
    assert master.hex()[:8] != DataKey.of(master).label
    assert "master" not in repr(DataKey.of(master)) and master.hex() not in repr(DataKey.of(master))


def test_after_a_new_key_old_values_read_and_old_hashes_are_still_found(tmp_path: Path) -> None:
    before = Vault.from_data_dir(tmp_path)
    old_blob, old_hash = before.encrypt(NUMBER), bytes(before.lookup_hash(NUMBER))
    old, new = add_new_key(tmp_path)
    after = Vault.from_data_dir(tmp_path)
    assert (after.current_label, old.label) == (new.label, before.current_label)
    assert after.decrypt(old_blob) == NUMBER
    fresh = after.lookup_hash(NUMBER)
    assert isinstance(fresh, LookupHash) and bytes(fresh) != old_hash
    assert lookup_candidates(fresh)[0] == bytes(fresh) and old_hash in lookup_candidates(fresh)
    assert (tmp_path / "data_keys" / f"{old.label}.key").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "data_key").stat().st_mode & 0o777 == 0o600


def test_every_process_on_the_data_dir_learns_a_new_key_by_itself(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crypto, "RELOAD_SECONDS", 0.0)
    service, admin = Vault.from_data_dir(tmp_path), Vault.from_data_dir(tmp_path)
    _, new = add_new_key(tmp_path)
    # Written by the admin's process with the new key: another process reads it (a miss re-reads the
    # keyring) and writes with the new key from then on.
    assert service.decrypt(admin.encrypt(NUMBER)) == NUMBER
    assert key_label(service.encrypt(NUMBER)) == new.label


def test_keys_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, current = generate_key(), generate_key()
    monkeypatch.setenv("TRAINING_DATA_KEY", current)
    monkeypatch.setenv("TRAINING_DATA_KEYS_OLD", f" {old} ,")
    ring = load_keyring(tmp_path)
    assert ring.current.label == DataKey.of(base64.b64decode(current)).label
    assert [k.label for k in ring.old] == [DataKey.of(base64.b64decode(old)).label]
    assert ring.sources[ring.old[0].label] == "TRAINING_DATA_KEYS_OLD"
    assert not (tmp_path / "data_key").exists()
    with pytest.raises(KeyringError, match="keys generate"):
        add_new_key(tmp_path)


@pytest.mark.parametrize(("variable", "value"), [
    ("TRAINING_DATA_KEY", "this is not base64!"),
    ("TRAINING_DATA_KEY", base64.b64encode(b"sixteen byte key").decode()),
    ("TRAINING_DATA_KEYS_OLD", "c2hvcnQ="),
])
def test_a_bad_key_names_its_variable_and_not_its_value(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(KeyringError) as raised:
        load_keyring(tmp_path)
    assert variable in str(raised.value) and value.strip() not in str(raised.value)


def test_a_bad_key_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "data_key").write_text("bm90IGEga2V5")
    with pytest.raises(KeyringError, match="data_key"):
        load_keyring(tmp_path)


def test_a_value_of_a_key_the_keyring_lacks_names_the_key(tmp_path: Path) -> None:
    stranger = Vault(base64.b64decode(generate_key()))
    with pytest.raises(DataKeyMissing) as raised:
        Vault.from_data_dir(tmp_path).decrypt(stranger.encrypt(NUMBER))
    assert stranger.current_label in raised.value.detail and "data_keys" in raised.value.detail
    legacy = b"\x00" + stranger.encrypt(NUMBER)[5:]
    with pytest.raises(DataKeyMissing, match="TRAINING_DATA_KEY"):
        Vault.from_data_dir(tmp_path).decrypt(legacy)
