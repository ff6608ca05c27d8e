"""Changing the data key of ID numbers and phones while the service runs: what was written before reads
after, a rotation stopped half way finishes when run again, a look-up by ID number (the duplicate 409,
the ledger's matching of existing people) holds before, during and after, writes made meanwhile are not
lost, a missing or wrong key is a clear error, and no number or key reaches a log."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import io
import logging
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from openpyxl import Workbook

from tests.cli.test_cli import training
from tests.conftest import Api, make_settings, serving
from tests.helpers import assert_problem, published_session, today
from tests.ledger.nasty import ledger, person
from tests.registry.test_households import household, id_number, member
from tests.seed import KEY_VILLAGE
from training.cli import EX_CONFIG
from training.core import crypto
from training.core.config import PROJECT_ROOT, Settings
from training.core.crypto import DataKeyMissing, Vault, add_new_key, key_label
from training.registry.keys import RotationReport, rotate, status

HOUSEHOLDS = 8  # of 3 people each


@pytest.fixture(autouse=True)
def keyring_from_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys from the data dir only, re-read at once when its files change (not after up to a second)."""
    monkeypatch.delenv("TRAINING_DATA_KEY", raising=False)
    monkeypatch.delenv("TRAINING_DATA_KEYS_OLD", raising=False)
    monkeypatch.setattr(crypto, "RELOAD_SECONDS", 0.0)


@pytest.fixture
def own_settings(tmp_path: Path) -> Settings:
    """A data dir (and so a keyring) of this test's own: its key changes must not reach other tests."""
    return make_settings(tmp_path / "data")


@pytest.fixture
async def service(database: str, own_settings: Settings) -> AsyncIterator[Api]:
    async with serving(database, own_settings) as client:
        yield client


@pytest.fixture
def admin_vault(own_settings: Settings) -> Vault:
    """The vault of an administrator's `training keys ...` process on the same data dir."""
    return Vault.from_data_dir(own_settings.data_dir)


def numbers(n: int) -> tuple[str, str, str]:
    """Household n's head, son and daughter."""
    day = timedelta(days=n)
    return (id_number(date(1970, 1, 1) + day, 11), id_number(date(2000, 1, 1) + day, 21),
            id_number(date(2001, 2, 1) + day, 31, male=False))


def family(n: int) -> dict[str, Any]:
    head, son, daughter = numbers(n)
    return household(household_no=f"KEY-{n:03d}", phone=f"1380013{n:04d}", members=[
        member("户主" + chr(0x4E00 + n), head, relation="户主", education="81", phone=f"1391234{n:04d}"),
        member("儿子" + chr(0x4E00 + n), son, left_school_year=2016),
        member("女儿" + chr(0x4E00 + n), daughter, left_school_year=2017)])


async def register(api: Api, count: int = HOUSEHOLDS) -> list[dict[str, Any]]:
    made: list[dict[str, Any]] = []
    for n in range(count):
        response = await api.post("/api/households", "surveyor_a", json=family(n))
        assert response.status_code == 201, response.text
        made.append(response.json())
    return made


async def revealed(api: Api, person_id: str) -> dict[str, Any]:
    response = await api.post(f"/api/people/{person_id}/reveal", "admin_a")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def stored(conn: asyncpg.Connection, vault: Vault) -> dict[str, str | None]:
    """Every stored sensitive value, decrypted: person id (+ ":phone") or household id -> plain value."""
    values: dict[str, str | None] = {}
    for r in await conn.fetch("SELECT id, id_enc, phone_enc FROM people"):
        values[str(r["id"])] = vault.decrypt(r["id_enc"])
        values[f"{r['id']}:phone"] = vault.decrypt(r["phone_enc"]) if r["phone_enc"] is not None else None
    for r in await conn.fetch("SELECT id, phone_enc FROM households"):
        values[str(r["id"])] = vault.decrypt(r["phone_enc"]) if r["phone_enc"] is not None else None
    return values


async def keys_in_use(conn: asyncpg.Connection) -> set[str | None]:
    rows = await conn.fetch("""SELECT id_enc AS v FROM people UNION ALL SELECT id_hash FROM people
                               UNION ALL SELECT phone_enc FROM people UNION ALL SELECT phone_hash FROM people
                               UNION ALL SELECT phone_enc FROM households""")
    return {key_label(r["v"]) for r in rows if r["v"] is not None}


class Interrupted(Exception):
    """Ctrl-C in the middle of a rotation."""


def stop_after(batches: int) -> Callable[[str], None]:
    seen: list[str] = []

    def progress(step: str) -> None:
        seen.append(step)
        if len(seen) > batches:  # the first line is the summary, then one per batch
            raise Interrupted

    return progress


# ---------------------------------------------------------------- reading what was written before


async def test_values_written_before_a_new_key_read_after_it_and_after_the_rotation(
        service: Api, conn: asyncpg.Connection, admin_vault: Vault,
        own_settings: Settings) -> None:
    made = await register(service)
    before = await stored(conn, admin_vault)
    shown = [await revealed(service, m["id"]) for h in made for m in h["members"]]
    versions = await conn.fetch("SELECT id, version FROM people ORDER BY id")
    old, new = add_new_key(own_settings.data_dir)

    assert await keys_in_use(conn) == {old.label}
    assert [await revealed(service, m["id"]) for h in made for m in h["members"]] == shown  # old key still read
    report = await rotate(conn, admin_vault, batch_size=5)

    assert report.done and (report.people, report.households) == (HOUSEHOLDS * 3, HOUSEHOLDS)
    assert await keys_in_use(conn) == {new.label}
    assert await stored(conn, admin_vault) == before
    assert [await revealed(service, m["id"]) for h in made for m in h["members"]] == shown
    listed = (await service.get("/api/people", "admin_a", params={"limit": 100})).json()["items"]
    assert {p["id"]: p["id_number"] for p in listed} == {m["id"]: m["id_number"] for h in made for m in h["members"]}
    assert await conn.fetch("SELECT id, version FROM people ORDER BY id") == versions  # a key change is no edit
    again = await rotate(conn, admin_vault)
    assert again.done and (again.people, again.households, again.passes) == (0, 0, 0)


def legacy_encrypt(master: bytes, plain: str) -> bytes:
    """A value as the service wrote it before key ids (nonce + AES-GCM, HKDF 'training/encrypt')."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"training/encrypt").derive(master)
    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(key).encrypt(nonce, plain.encode(), None)


def legacy_hash(master: bytes, plain: str) -> bytes:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"training/lookup").derive(master)
    return hmac.new(key, plain.encode(), hashlib.sha256).digest()


async def test_values_written_before_key_ids_existed_read_after_migration_0008(
        service: Api, conn: asyncpg.Connection, admin_vault: Vault,
        own_settings: Settings) -> None:
    made = await register(service, 2)
    plain = await stored(conn, admin_vault)
    master = admin_vault.keyring.current.master
    # Every value back to the old format, as a database migrated up to 0007 holds them ...
    for r in await conn.fetch("SELECT id FROM people"):
        number, phone = plain[str(r["id"])], plain[f"{r['id']}:phone"]
        assert number is not None
        await conn.execute("UPDATE people SET id_enc = $2, id_hash = $3, phone_enc = $4, phone_hash = $5 WHERE id = $1",
                           r["id"], legacy_encrypt(master, number), legacy_hash(master, number),
                           legacy_encrypt(master, phone) if phone else None, legacy_hash(master, phone) if phone else None)
    for r in await conn.fetch("SELECT id FROM households"):
        phone = plain[str(r["id"])]
        await conn.execute("UPDATE households SET phone_enc = $2 WHERE id = $1", r["id"],
                           legacy_encrypt(master, phone) if phone else None)
    # ... then migration 0008 marks them.
    await conn.execute((PROJECT_ROOT / "migrations" / "0008_key_ids.sql").read_text())

    assert await keys_in_use(conn) == {"legacy"}
    assert await stored(conn, admin_vault) == plain
    head = made[0]["members"][0]
    assert (await revealed(service, head["id"]))["id_number"] == numbers(0)[0]
    assert_problem(await service.post("/api/households", "surveyor_a", json=family(0) | {"household_no": "X"}), 409)
    _, new = add_new_key(own_settings.data_dir)
    assert (await rotate(conn, admin_vault)).done
    assert await keys_in_use(conn) == {new.label}
    assert await stored(conn, admin_vault) == plain


# ---------------------------------------------------------------- stopping and resuming


async def test_a_rotation_stopped_half_way_finishes_when_run_again(
        service: Api, conn: asyncpg.Connection, admin_vault: Vault,
        own_settings: Settings) -> None:
    await register(service)
    before = await stored(conn, admin_vault)
    old, new = add_new_key(own_settings.data_dir)

    with pytest.raises(Interrupted):
        await rotate(conn, admin_vault, batch_size=4, progress=stop_after(3))
    half = await status(conn, admin_vault)
    assert half.counts[new.label]["人员身份证号"] == 12  # three committed batches of four
    assert half.counts[old.label]["人员身份证号"] == HOUSEHOLDS * 3 - 12
    assert await stored(conn, admin_vault) == before  # both keys read meanwhile

    report = await rotate(conn, admin_vault, batch_size=4)
    assert report.done and (report.people, report.households) == (HOUSEHOLDS * 3 - 12, HOUSEHOLDS)
    assert await keys_in_use(conn) == {new.label}
    assert await stored(conn, admin_vault) == before


# ---------------------------------------------------------------- look-ups by ID number


async def rotate_all_but(conn: asyncpg.Connection, database: str, vault: Vault, person_id: str) -> RotationReport:
    """Rotate while the service holds one person's row locked (SKIP LOCKED leaves it on the old key)."""
    holder = await asyncpg.connect(database)
    try:
        async with holder.transaction():
            county = await holder.fetchval("SELECT county_code FROM people WHERE id = $1", person_id)
            await holder.execute("SELECT 1 FROM people WHERE county_code = $1 AND id = $2 FOR UPDATE", county, person_id)
            return await rotate(conn, vault, batch_size=2, max_passes=2)
    finally:
        await holder.close()


@pytest.mark.parametrize("stage", ["before", "during", "after"])
async def test_an_id_number_is_found_before_during_and_after_a_rotation(
        service: Api, conn: asyncpg.Connection, database: str, admin_vault: Vault, stage: str,
        own_settings: Settings) -> None:
    made = await register(service, 3)
    head = made[0]["members"][0]
    number = numbers(0)[0]
    old = new = admin_vault.keyring.current
    if stage != "before":
        old, new = add_new_key(own_settings.data_dir)
    if stage == "during":
        report = await rotate_all_but(conn, database, admin_vault, head["id"])
        assert report.remaining == {"people": 1, "households": 0} and not report.done
        row = await conn.fetchrow("SELECT id_enc, id_hash FROM people WHERE id = $1", head["id"])
        assert row is not None and key_label(row["id_hash"]) == old.label
        assert {key_label(r["id_hash"]) for r in await conn.fetch("SELECT id_hash FROM people WHERE id <> $1",
                                                                    head["id"])} == {new.label}
    if stage == "after":
        assert (await rotate(conn, admin_vault)).done

    # The API refuses the same ID number again, in a new household and as a new member.
    again = household(household_no="DUP-1", members=[member("又一人", number, relation="户主")])
    body = assert_problem(await service.post("/api/households", "surveyor_a", json=again), 409)
    assert body["existing_person_id"] == head["id"]
    other = made[1]["id"]
    body = assert_problem(await service.post(f"/api/households/{other}/members", "surveyor_a",
                                             json=member("又一人", number)), 409)
    assert body["existing_person_id"] == head["id"]

    # The ledger matches the existing person (same household: updated, not created twice) ...
    same = person(户编号="KEY-000", 村代码=KEY_VILLAGE, 户主姓名="阿木日哈", 家庭属性="脱贫户", 姓名=head["name"],
                  身份证号=number, 与户主关系="户主", 文化程度="81", 是否在校="否", 劳动能力="劳动力", 务工状况="本地务工")
    response = await service.http.post("/api/ledger/import", headers=service.token("surveyor_a"),
                                       files={"file": ("台账.xlsx", ledger([same]), "application/octet-stream")})
    assert response.status_code == 200, response.text
    assert (response.json()["people_created"], response.json()["people_updated"]) == (0, 1)
    assert await conn.fetchval("SELECT count(*) FROM people") == 9
    # ... and refuses it in another household.
    moved = same | {"户编号": "KEY-001"}
    response = await service.http.post("/api/ledger/import", headers=service.token("surveyor_a"),
                                       files={"file": ("台账.xlsx", ledger([moved]), "application/octet-stream")})
    [rejected] = response.json()["rejected"]
    assert rejected["column"] == "身份证号" and "KEY-000" in rejected["message"]
    assert (await revealed(service, head["id"]))["id_number"] == number
    if stage != "before":
        assert (await rotate(conn, admin_vault)).done
        assert await keys_in_use(conn) == {new.label}


async def test_a_sign_in_sheet_finds_a_trainee_whose_number_is_still_on_the_old_key(
        service: Api, conn: asyncpg.Connection, admin_vault: Vault, own_settings: Settings) -> None:
    son = (await register(service, 1))[0]["members"][1]
    session = await published_session(service, start=10, length=4)
    enrolled = await service.post(f"/api/sessions/{session['id']}/enrolments", "surveyor_a",
                                  json={"person_id": son["id"]})
    assert enrolled.status_code == 201, enrolled.text
    days = [today() - timedelta(days=n) for n in (3, 2, 1)]
    await conn.execute("UPDATE sessions SET starts_on = $2, ends_on = $3 WHERE id = $1", uuid.UUID(session["id"]),
                       days[0], days[-1])
    await conn.execute("UPDATE enrolments SET starts_on = $1, ends_on = $2", days[0], days[-1])
    old, _ = add_new_key(own_settings.data_dir)
    assert key_label(await conn.fetchval("SELECT id_hash FROM people WHERE id = $1", son["id"])) == old.label

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "身份证号", *days])
    sheet.append([son["name"], numbers(0)[1], "√", "√", "缺勤"])
    out = io.BytesIO()
    book.save(out)
    response = await service.http.post(f"/api/sessions/{session['id']}/attendance/sheet",
                                       headers=service.token("school_a"),
                                       files={"file": ("签到表.xlsx", out.getvalue(), "application/octet-stream")})

    assert response.status_code == 200, response.text
    assert (response.json()["present_marks"], response.json()["absent_marks"]) == (2, 1)


# ---------------------------------------------------------------- writes meanwhile


async def test_writes_made_during_a_rotation_are_not_lost(
        service: Api, conn: asyncpg.Connection, admin_vault: Vault,
        own_settings: Settings) -> None:
    made = await register(service, 12)
    _, new = add_new_key(own_settings.data_dir)
    phones = {h["id"]: f"1770000{n:04d}" for n, h in enumerate(made)}
    member_phones = {m["id"]: f"1660000{n:04d}" for n, m in enumerate(m for h in made for m in h["members"])}

    async def writes() -> list[int]:
        codes: list[int] = []
        for n, h in enumerate(made):
            codes.append((await service.patch(f"/api/households/{h['id']}", "surveyor_a",
                                              json={"phone": phones[h["id"]]})).status_code)
            for m in h["members"]:
                codes.append((await service.patch(f"/api/people/{m['id']}", "surveyor_a",
                                                  json={"phone": member_phones[m["id"]]})).status_code)
            codes.append((await service.post("/api/households", "surveyor_a", json=family(100 + n))).status_code)
        return codes

    report, codes = await asyncio.gather(rotate(conn, admin_vault, batch_size=3), writes())

    assert set(codes) == {200, 201}
    final = await rotate(conn, admin_vault)  # whatever the service wrote meanwhile is on the new key already
    assert final.done and report.passes >= 1
    assert await keys_in_use(conn) == {new.label}
    values = await stored(conn, admin_vault)
    assert {h: values[h] for h in phones} == phones
    assert {p: values[f"{p}:phone"] for p in member_phones} == member_phones
    assert await conn.fetchval("SELECT count(*) FROM households") == 24
    assert await conn.fetchval("SELECT count(*) FROM people") == 72
    for n in range(12):
        created = await conn.fetchrow("SELECT p.id_enc FROM people p JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id "
                                      "WHERE h.household_no = $1 AND p.relation = '户主'", f"KEY-{100 + n:03d}")
        assert created is not None and admin_vault.decrypt(created["id_enc"]) == numbers(100 + n)[0]
    versions = await conn.fetch("SELECT p.version FROM people p JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id "
                                "WHERE h.household_no < 'KEY-100'")
    assert {r["version"] for r in versions} == {2}  # one edit each; the key change added none


# ---------------------------------------------------------------- a missing or wrong key


async def test_the_service_refuses_to_start_with_a_keyring_that_cannot_read_the_data(
        database: str, own_settings: Settings, tmp_path: Path) -> None:
    async with serving(database, own_settings) as api:
        await register(api, 1)
    stranger = make_settings(tmp_path / "elsewhere")
    with pytest.raises(BaseExceptionGroup) as raised:  # the lifespan's task group carries it
        async with serving(database, stranger):
            pass
    [error] = flattened(raised.value)
    assert isinstance(error, DataKeyMissing)
    key = Vault.from_data_dir(own_settings.data_dir).current_label
    assert key in error.detail and "data_keys/" in error.detail and "TRAINING_DATA_KEY" in error.detail


def flattened(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [e for inner in error.exceptions for e in flattened(inner)]
    return [error]


async def test_a_value_whose_key_was_removed_is_a_clear_503(
        service: Api, conn: asyncpg.Connection, admin_vault: Vault,
        own_settings: Settings) -> None:
    made = await register(service, 1)
    old, _ = add_new_key(own_settings.data_dir)
    (own_settings.data_dir / "data_keys" / f"{old.label}.key").unlink()  # lost, not rotated
    body = assert_problem(await service.post(f"/api/people/{made[0]['members'][0]['id']}/reveal", "admin_a"), 503)
    assert old.label in body["detail"] and "data_keys" in body["detail"]
    assert numbers(0)[0] not in str(body)


# ---------------------------------------------------------------- the commands


async def test_the_keys_commands_rotate_and_retire_without_showing_a_number_or_a_key(
        service: Api, conn: asyncpg.Connection, database: str, own_settings: Settings,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    made = await register(service, 3)
    data_dir = own_settings.data_dir
    first = Vault.from_data_dir(data_dir).current_label

    shown = await training(database, data_dir, "keys", "status")
    assert shown.exit_code == 0, shown.output
    assert f"当前数据密钥 {first}" in shown.output and "9" in shown.output

    made_key = await training(database, data_dir, "keys", "new")
    assert made_key.exit_code == 0, made_key.output
    second = Vault.from_data_dir(data_dir).current_label
    assert second != first and second in made_key.output

    refused = await training(database, data_dir, "keys", "retire", first)
    assert refused.exit_code == 1 and "keys rotate" in refused.output
    assert (data_dir / "data_keys" / f"{first}.key").exists()

    rotated = await training(database, data_dir, "keys", "rotate", "--batch-size", "2")
    assert rotated.exit_code == 0, rotated.output
    assert "人员 9，农户 3" in rotated.output and "没有数据再使用旧密钥" in rotated.output
    assert f"training keys retire {first}" in rotated.output

    retired = await training(database, data_dir, "keys", "retire", first)
    assert retired.exit_code == 0, retired.output
    assert not (data_dir / "data_keys" / f"{first}.key").exists()
    assert (await revealed(service, made[0]["members"][0]["id"]))["id_number"] == numbers(0)[0]

    bad = await asyncio.to_thread(_status_with_bad_key, database, data_dir)
    # A malformed key is a settings error: refused before anything starts (exit 78), the key not echoed.
    assert bad[0] == EX_CONFIG and "TRAINING_DATA_KEY" in bad[1] and "Traceback" not in bad[1]
    assert "not a key" not in bad[1]

    secrets_seen = [*(n for i in range(3) for n in numbers(i)), *(f"1391234{i:04d}" for i in range(3)),
                    *(f"1380013{i:04d}" for i in range(3))]
    keys = [(data_dir / "data_key").read_text().strip()]
    keys += [base64.b64decode(k).hex() for k in keys]
    everything = "\n".join([caplog.text, shown.output, made_key.output, refused.output, rotated.output,
                            retired.output, bad[1]])
    for secret in [*secrets_seen, *keys]:
        assert secret not in everything


def _status_with_bad_key(database: str, data_dir: Path) -> tuple[int, str]:
    from click.testing import CliRunner

    from training.cli import main

    result = CliRunner(env={"DATABASE_URL": database, "TRAINING_DATA_DIR": str(data_dir),
                            "TRAINING_DATA_KEY": "not a key", "TRAINING_MIGRATIONS_DIR": None,
                            "TRAINING_SECRET_KEY": None}).invoke(
        main, ["keys", "status"])
    return result.exit_code, result.output


async def test_a_number_registered_again_by_a_process_without_the_new_key_is_reported_for_merging(
        service: Api, conn: asyncpg.Connection, admin_vault: Vault, own_settings: Settings) -> None:
    made = await register(service, 1)
    stale = Vault(admin_vault.keyring.current.master)  # a process that was never given the new key
    add_new_key(own_settings.data_dir)
    assert (await rotate(conn, admin_vault)).done
    head, number = made[0]["members"][0], numbers(0)[0]
    # Its duplicate check cannot see the re-hashed row, so it registers the number a second time.
    twin = await conn.fetchval(
        """INSERT INTO people (county_code, household_id, name, id_hash, id_enc, id_masked, birth_date, sex, relation,
                               education, labour_capacity, work_status)
           SELECT county_code, household_id, '重复', $2, $3, id_masked, birth_date, sex, '其他', education,
                  labour_capacity, work_status FROM people WHERE id = $1 RETURNING id""",
        head["id"], bytes(stale.lookup_hash(number)), stale.encrypt(number))

    report = await rotate(conn, admin_vault, batch_size=10)

    assert report.duplicates == [twin] and report.remaining == {"people": 1, "households": 0} and not report.done
    assert await conn.fetchval("SELECT count(*) FROM people") == 4  # nothing dropped or overwritten
    assert admin_vault.decrypt(await conn.fetchval("SELECT id_enc FROM people WHERE id = $1", twin)) == number
    body = assert_problem(await service.post("/api/households", "surveyor_a", json=family(0) | {"household_no": "X"}),
                          409)
    assert body["existing_person_id"] in (head["id"], str(twin))
