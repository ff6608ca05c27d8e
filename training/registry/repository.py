"""The registry in SQL.

Every read takes `Scope` (the caller's counties and region prefixes) and `Rule` (the 两后生 settings and
the day they are judged on) as its first parameters, $1-$8, so the scope filter and the derived
lianghousheng columns read the same in every query.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from training.auth.policy import Scope
from training.core import like
from training.core.crypto import lookup_candidates
from training.core.db import one_county
from training.core.rules import Rule

Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy


def _params(scope: Scope, rule: Rule) -> list[Any]:
    return [scope.counties, scope.village_patterns, rule.as_of, rule.years, rule.male[0], rule.male[1],
            rule.female[0], rule.female[1]]


def _in_scope(people_param: int, *, per_person: bool) -> str:
    """The scope filter on `h` (households) and, per person, `p`: counties, villages, and for a school
    only the people it may read ($people_param: the ids the composition root found in the enrolment
    slice; NULL for every other role). The registry never reads another slice's tables."""
    readable = (f"p.id = ANY(${people_param}::uuid[])" if per_person else
                f"""EXISTS (SELECT 1 FROM people m WHERE m.county_code = h.county_code AND m.household_id = h.id
                             AND m.id = ANY(${people_param}::uuid[]))""")
    return f"""($1::text[] IS NULL OR h.county_code = ANY($1))
               AND ($2::text[] IS NULL OR h.village_code LIKE ANY($2))
               AND (${people_param}::uuid[] IS NULL OR {readable})
               AND (${people_param + 1}::text IS NULL OR h.county_code = ${people_param + 1})"""


# people()'s select. The current need's sub-query names the one county itself ($17, people()'s one_county):
# Citus prunes a correlated sub-query only by its own condition, and without it the statement went to every shard.
_PERSON_SELECT = """
    SELECT p.id, p.county_code, p.household_id, h.village_code, p.name, p.id_masked AS id_number, p.sex,
           p.birth_date, extract(year FROM age($3::date, p.birth_date))::integer AS age, p.relation,
           p.ethnicity, p.education, e.name AS education_name, p.in_school, p.left_school_year,
           p.labour_capacity, p.disability, p.work_status, p.phone_masked AS phone, p.skills,
           l.qualifies AS lianghousheng, l.reason AS lianghousheng_reason, p.version, p.created_at, p.updated_at,
           (SELECT jsonb_build_object(
                'id', s.id, 'person_id', s.person_id, 'surveyed_on', s.surveyed_on,
                'desired_trades', s.desired_trades,
                'desired_trade_names', ARRAY(SELECT t.name FROM unnest(s.desired_trades) WITH ORDINALITY u(code, n)
                                             JOIN trades t ON t.code = u.code ORDER BY u.n),
                'training_kind', s.training_kind, 'available_months', s.available_months,
                'max_travel_km', s.max_travel_km, 'can_board', s.can_board,
                'wants_certificate', s.wants_certificate, 'wants_job', s.wants_job, 'notes', s.notes,
                'surveyor_id', s.surveyor_id, 'surveyor_name', s.surveyor_name, 'created_at', s.created_at)
            FROM surveys s WHERE s.county_code = p.county_code AND s.person_id = p.id
              AND ($17::text IS NULL OR s.county_code = $17)
            ORDER BY s.surveyed_on DESC, s.created_at DESC LIMIT 1) AS current_need
    FROM people p
    JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id
    JOIN education_levels e ON e.code = p.education
    CROSS JOIN LATERAL lianghousheng(h.poverty_status, p.education, p.in_school, p.left_school_year, p.birth_date,
                                     p.sex, $3, $4, $5, $6, $7, $8) l"""

_HOUSEHOLD_SELECT = """
    SELECT h.id, h.county_code, h.village_code, v.name AS village_name, h.household_no, h.head_name,
           h.phone_masked AS phone, h.poverty_status, h.lifted_year, h.monitor_type, h.risk_removed,
           h.poverty_causes, h.version, h.created_at, h.updated_at, count(*) OVER () AS total
    FROM households h JOIN regions v ON v.code = h.village_code"""


# ------------------------------------------------------------------ reads


async def people(conn: Conn, scope: Scope, rule: Rule, *, person_ids: list[UUID] | None = None,
                 household_ids: list[UUID] | None = None, village_code: str | None = None,
                 lianghousheng: bool | None = None, q: str | None = None, limit: int = 10_000,
                 offset: int = 0) -> list[asyncpg.Record]:
    return await conn.fetch(
        _PERSON_SELECT.replace("SELECT p.id,", "SELECT count(*) OVER () AS total, p.id,", 1)
        + f""" WHERE {_in_scope(16, per_person=True)}
                 AND ($9::uuid[] IS NULL OR p.id = ANY($9))
                 AND ($10::uuid[] IS NULL OR p.household_id = ANY($10))
                 AND ($11::text IS NULL OR h.village_code = $11)
                 AND ($12::boolean IS NULL OR l.qualifies = $12)
                 AND ($13::text IS NULL OR p.name LIKE $13)
               ORDER BY h.village_code, h.household_no NULLS LAST, p.household_id,
                        (p.relation = '户主') DESC, p.birth_date, p.id
               LIMIT $14 OFFSET $15""",
        *_params(scope, rule), person_ids, household_ids, village_code, lianghousheng, like.contains(q), limit, offset,
        scope.person_ids, one_county(scope.counties),
    )


async def households(conn: Conn, scope: Scope, *, household_ids: list[UUID] | None = None,
                     village_code: str | None = None, poverty_status: str | None = None, limit: int = 10_000,
                     offset: int = 0) -> list[asyncpg.Record]:
    return await conn.fetch(
        _HOUSEHOLD_SELECT + f""" WHERE {_in_scope(8, per_person=False)}
               AND ($3::uuid[] IS NULL OR h.id = ANY($3))
               AND ($4::text IS NULL OR h.village_code = $4)
               AND ($5::text IS NULL OR h.poverty_status = $5)
             ORDER BY h.village_code, h.household_no NULLS LAST, h.created_at, h.id LIMIT $6 OFFSET $7""",
        scope.counties, scope.village_patterns, household_ids, village_code, poverty_status, limit, offset,
        scope.person_ids, one_county(scope.counties),
    )


async def person_by_id_hash(conn: Conn, county_code: str, id_hash: bytes) -> asyncpg.Record | None:
    """The person with this ID number's hash, under whichever data key the row was last written with."""
    return await conn.fetchrow(
        """SELECT p.id, p.household_id, p.name, h.village_code FROM people p
           JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id
           WHERE p.county_code = $1 AND p.id_hash = ANY($2::bytea[])""",
        county_code, list(lookup_candidates(id_hash)),
    )


async def people_by_id_hashes(conn: Conn, county_code: str, hashes: list[bytes]) -> dict[bytes, asyncpg.Record]:
    """The people with these hashes (any data key), keyed by the hash as asked for."""
    asked = {candidate: h for h in hashes for candidate in lookup_candidates(h)}
    rows = await conn.fetch(
        """SELECT p.id, p.id_hash, p.household_id, p.name, h.village_code FROM people p
           JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id
           WHERE p.county_code = $1 AND p.id_hash = ANY($2::bytea[])""",
        county_code, list(asked),
    )
    return {asked[bytes(r["id_hash"])]: r for r in rows}


async def sensitive(conn: Conn, county_code: str, person_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id_enc, phone_enc FROM people WHERE county_code = $1 AND id = $2", county_code, person_id
    )


async def lock_household(conn: Conn, county_code: str, household_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM households WHERE county_code = $1 AND id = $2 FOR UPDATE", county_code, household_id
    )


async def lock_person(conn: Conn, county_code: str, person_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM people WHERE county_code = $1 AND id = $2 FOR UPDATE", county_code, person_id
    )


async def possible_duplicates(conn: Conn, scope: Scope, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"""SELECT p.name, p.birth_date, h.village_code, array_agg(p.id ORDER BY p.created_at) AS person_ids
            FROM people p JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id
            WHERE {_in_scope(4, per_person=True)}
            GROUP BY p.county_code, p.name, p.birth_date, h.village_code
            HAVING count(*) > 1
            ORDER BY h.village_code, p.name LIMIT $3""",
        scope.counties, scope.village_patterns, limit, scope.person_ids, one_county(scope.counties),
    )


async def surveys(conn: Conn, county_code: str, person_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT s.*, ARRAY(SELECT t.name FROM unnest(s.desired_trades) WITH ORDINALITY u(code, n)
                             JOIN trades t ON t.code = u.code ORDER BY u.n) AS desired_trade_names
           FROM surveys s WHERE s.county_code = $1 AND s.person_id = $2
           ORDER BY s.surveyed_on DESC, s.created_at DESC""",
        county_code, person_id,
    )


async def reference_codes(conn: Conn) -> tuple[list[str], list[str]]:
    """The 文化程度 codes and the trade codes the rules accept."""
    education = [r["code"] for r in await conn.fetch("SELECT code FROM education_levels")]
    trades = [r["code"] for r in await conn.fetch("SELECT code FROM trades")]
    return education, trades


async def region(conn: Conn, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT level, county_code, name FROM regions WHERE code = $1", code)


async def household_place(conn: Conn, counties: list[str] | None, household_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT county_code, id, village_code FROM households
           WHERE id = $2 AND ($1::text[] IS NULL OR county_code = ANY($1))""", counties, household_id)


async def household_by_ref(conn: Conn, counties: list[str] | None, ref: UUID) -> asyncpg.Record | None:
    """A household by the device's client_id or the server's id."""
    return await conn.fetchrow(
        """SELECT county_code, id, village_code, household_no, version FROM households
           WHERE (client_id = $2 OR id = $2) AND ($1::text[] IS NULL OR county_code = ANY($1)) LIMIT 1""",
        counties, ref)


async def person_by_ref(conn: Conn, counties: list[str] | None, ref: UUID) -> asyncpg.Record | None:
    """A person by the device's client_id or the server's id."""
    return await conn.fetchrow(
        """SELECT p.county_code, p.id, p.id_hash, h.village_code, p.version FROM people p
           JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id
           WHERE (p.client_id = $2 OR p.id = $2) AND ($1::text[] IS NULL OR p.county_code = ANY($1)) LIMIT 1""",
        counties, ref)


# ------------------------------------------------------------------ offline sync's memory


async def lock_sync_item(conn: Conn, client_id: UUID) -> None:
    """Two resends of one batch racing each other: the second waits, then replays the first."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 5134350002))", str(client_id))


async def sync_item(conn: Conn, counties: list[str] | None, client_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT county_code, kind, body_hash, result, actor_id FROM sync_items
           WHERE client_id = $2 AND ($1::text[] IS NULL OR county_code = ANY($1))""",
        counties, client_id,
    )


async def save_sync_item(conn: Conn, county_code: str, client_id: UUID, kind: str, body_hash: bytes,
                         result: Any, actor_id: UUID) -> None:
    await conn.execute(
        """INSERT INTO sync_items (county_code, client_id, kind, body_hash, result, actor_id)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (county_code, client_id) DO UPDATE SET body_hash = EXCLUDED.body_hash,
                                                            result = EXCLUDED.result""",
        county_code, client_id, kind, body_hash, result, actor_id)


# ------------------------------------------------------------------ writes


def assigned_household_no(village_code: str, sequence: int) -> str:
    """The 户编号 given to a household registered without one: the village's 12-digit code, a hyphen and
    a 4-digit sequence within the village (513435103201-0007). Text, never a number Excel would round;
    unique within the village whatever numbering the county keeps alongside (its own numbers never
    look like this)."""
    return f"{village_code}-{sequence:04d}"


async def next_household_no(conn: Conn, county_code: str, village_code: str) -> str:
    """The next assigned 户编号 of a village; the caller's transaction holds the village's lock until it
    inserts, so two registrations at once cannot take the same number."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 5134350006))", village_code)
    # Every length of sequence counts: a typed (or imported) number in this pattern with more digits than
    # the look-up saw would be taken again and again, refusing every later registration in the village.
    last = await conn.fetchval(
        """SELECT coalesce(max(substr(household_no, 14)::numeric), 0) FROM households
           WHERE county_code = $1 AND village_code = $2 AND household_no ~ ('^' || $2 || '-[0-9]+$')""",
        county_code, village_code)
    return assigned_household_no(village_code, int(last) + 1)


async def insert_household(conn: Conn, county_code: str, v: dict[str, Any]) -> UUID:
    number = v["household_no"] or await next_household_no(conn, county_code, v["village_code"])
    household_id: UUID = await conn.fetchval(
        """INSERT INTO households (county_code, village_code, household_no, head_name, phone_enc, phone_masked,
                                   poverty_status, lifted_year, monitor_type, risk_removed, poverty_causes,
                                   client_id, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id""",
        county_code, v["village_code"], number, v["head_name"], v["phone_enc"], v["phone_masked"],
        v["poverty_status"], v["lifted_year"], v["monitor_type"], v["risk_removed"], v["poverty_causes"],
        v["client_id"], v["created_by"],
    )
    return household_id


async def insert_person(conn: Conn, county_code: str, household_id: UUID, v: dict[str, Any]) -> UUID:
    person_id: UUID = await conn.fetchval(
        """INSERT INTO people (county_code, household_id, name, id_hash, id_enc, id_masked, birth_date, sex,
                               relation, ethnicity, education, in_school, left_school_year, labour_capacity,
                               disability, work_status, phone_enc, phone_masked, skills, client_id, created_by,
                               phone_hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
                   $22)
           RETURNING id""",
        county_code, household_id, v["name"], v["id_hash"], v["id_enc"], v["id_masked"], v["birth_date"], v["sex"],
        v["relation"], v["ethnicity"], v["education"], v["in_school"], v["left_school_year"],
        v["labour_capacity"], v["disability"], v["work_status"], v["phone_enc"], v["phone_masked"], v["skills"],
        v["client_id"], v["created_by"], v["phone_hash"],
    )
    return person_id


_HOUSEHOLD_COLUMNS = ("head_name", "phone_enc", "phone_masked", "poverty_status", "lifted_year", "monitor_type",
                      "risk_removed", "poverty_causes")
_PERSON_COLUMNS = ("name", "relation", "ethnicity", "education", "in_school", "left_school_year",
                   "labour_capacity", "disability", "work_status", "phone_enc", "phone_masked", "skills",
                   "phone_hash")


async def update_household(conn: Conn, county_code: str, household_id: UUID, v: dict[str, Any]) -> int:
    version: int = await conn.fetchval(
        """UPDATE households SET head_name = $3, phone_enc = $4, phone_masked = $5, poverty_status = $6,
                                 lifted_year = $7, monitor_type = $8, risk_removed = $9, poverty_causes = $10,
                                 version = version + 1, updated_at = now()
           WHERE county_code = $1 AND id = $2 RETURNING version""",
        county_code, household_id, *(v[c] for c in _HOUSEHOLD_COLUMNS),
    )
    return version


async def update_person(conn: Conn, county_code: str, person_id: UUID, v: dict[str, Any]) -> int:
    version: int = await conn.fetchval(
        """UPDATE people SET name = $3, relation = $4, ethnicity = $5, education = $6, in_school = $7,
                             left_school_year = $8, labour_capacity = $9, disability = $10, work_status = $11,
                             phone_enc = $12, phone_masked = $13, skills = $14, phone_hash = $15,
                             version = version + 1,
                             updated_at = now()
           WHERE county_code = $1 AND id = $2 RETURNING version""",
        county_code, person_id, *(v[c] for c in _PERSON_COLUMNS[:-1]), v["phone_hash"],
    )
    return version


async def insert_survey(conn: Conn, county_code: str, person_id: UUID, v: dict[str, Any]) -> UUID:
    survey_id: UUID = await conn.fetchval(
        """INSERT INTO surveys (county_code, person_id, surveyed_on, desired_trades, training_kind,
                                available_months, max_travel_km, can_board, wants_certificate, wants_job, notes,
                                surveyor_id, surveyor_name, client_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id""",
        county_code, person_id, v["surveyed_on"], v["desired_trades"], v["training_kind"], v["available_months"],
        v["max_travel_km"], v["can_board"], v["wants_certificate"], v["wants_job"], v["notes"], v["surveyor_id"],
        v["surveyor_name"], v["client_id"],
    )
    return survey_id


HOUSEHOLD_COLUMNS = _HOUSEHOLD_COLUMNS
PERSON_COLUMNS = _PERSON_COLUMNS


# ------------------------------------------------------------------ data keys
#
# Each encrypted value and look-up hash starts with the key it was made with: 01 + a 4-byte key id, or
# 00 for the values written before key ids (see training/core/crypto.py). `$1` below is the current
# key's 5-byte prefix; a value that does not start with it is "on an old key".

_KEYED = "decode('01', 'hex')"
_OFF_KEY = """(substring(id_enc FROM 1 FOR 5) <> $1 OR substring(id_hash FROM 1 FOR 5) <> $1
               OR substring(phone_enc FROM 1 FOR 5) <> $1 OR substring(phone_hash FROM 1 FOR 5) <> $1)"""


def _key_of(column: str) -> str:
    """The key part of a value: the 5-byte prefix of a keyed value, the 00 byte of a legacy one."""
    return (f"CASE WHEN substring({column} FROM 1 FOR 1) = {_KEYED} THEN substring({column} FROM 1 FOR 5)"
            f" ELSE substring({column} FROM 1 FOR 1) END")


async def key_counts(conn: Conn) -> list[asyncpg.Record]:
    """How many values of each encrypted column each key made: rows of (tbl, col, prefix, count)."""
    return await conn.fetch(
        f"""SELECT 'people' AS tbl, c.col, {_key_of("c.v")} AS prefix, count(*) AS count
            FROM people p CROSS JOIN LATERAL (VALUES ('id_enc', p.id_enc), ('id_hash', p.id_hash),
                                                     ('phone_enc', p.phone_enc), ('phone_hash', p.phone_hash)) c(col, v)
            WHERE c.v IS NOT NULL GROUP BY 1, 2, 3
            UNION ALL
            SELECT 'households', 'phone_enc', {_key_of("phone_enc")}, count(*) FROM households
            WHERE phone_enc IS NOT NULL GROUP BY 1, 2, 3
            ORDER BY 1, 2, 3""")


async def legacy_ciphertext(conn: Conn) -> bytes | None:
    """One value written before key ids, to check that some key of the keyring still opens them."""
    value: bytes | None = await conn.fetchval(
        """(SELECT id_enc FROM people WHERE substring(id_enc FROM 1 FOR 1) = decode('00', 'hex') LIMIT 1)
           UNION ALL (SELECT phone_enc FROM people WHERE substring(phone_enc FROM 1 FOR 1) = decode('00', 'hex') LIMIT 1)
           UNION ALL (SELECT phone_enc FROM households
                      WHERE substring(phone_enc FROM 1 FOR 1) = decode('00', 'hex') LIMIT 1)
           LIMIT 1""")
    return value


async def count_off_key(conn: Conn, prefix: bytes) -> dict[str, int]:
    row = await conn.fetchrow(
        f"""SELECT (SELECT count(*) FROM people WHERE {_OFF_KEY}) AS people,
                   (SELECT count(*) FROM households WHERE substring(phone_enc FROM 1 FOR 5) <> $1) AS households""",
        prefix)
    assert row is not None
    return {"people": row["people"], "households": row["households"]}


async def counties_off_key(conn: Conn, prefix: bytes) -> list[str]:
    """The counties with a person or household still on an old key (a read across counties, no lock)."""
    rows = await conn.fetch(
        f"""SELECT county_code FROM people WHERE {_OFF_KEY}
            UNION SELECT county_code FROM households WHERE substring(phone_enc FROM 1 FOR 5) <> $1""", prefix)
    return sorted(r["county_code"] for r in rows)


async def lock_people_off_key(conn: Conn, prefix: bytes, county: str, after: UUID,
                              limit: int) -> list[asyncpg.Record]:
    """The county's next `limit` people after id `after` with a value on an old key, locked; rows another
    transaction holds are skipped (a later pass takes them), so rotating never waits on the service. One
    county per statement: Citus locks rows only within one shard."""
    return await conn.fetch(
        f"""SELECT county_code, id, id_enc, id_hash, phone_enc, phone_hash FROM people
            WHERE county_code = $2 AND id > $3 AND {_OFF_KEY}
            ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED""",
        prefix, county, after, limit)


async def lock_people_off_key_by_hash(conn: Conn, prefix: bytes, counties: list[str],
                                      hashes: list[bytes]) -> list[asyncpg.Record]:
    """The people stored under one of these (old-key) ID hashes, locked (waiting for them)."""
    return await conn.fetch(
        f"""SELECT county_code, id, id_enc, id_hash, phone_enc, phone_hash FROM people
            WHERE county_code = ANY($2::text[]) AND id_hash = ANY($3::bytea[]) AND {_OFF_KEY}
            ORDER BY county_code, id FOR UPDATE""",
        prefix, counties, hashes)


async def any_people_off_key(conn: Conn, prefix: bytes, counties: list[str]) -> bool:
    found: bool = await conn.fetchval(
        f"SELECT EXISTS (SELECT 1 FROM people WHERE county_code = ANY($2::text[]) AND {_OFF_KEY})", prefix, counties)
    return found


async def rewrite_people_keys(conn: Conn, rows: list[tuple[str, UUID, bytes, bytes, bytes | None, bytes | None]]) -> int:
    """Store re-encrypted values, rows of (county, id, id_enc, id_hash, phone_enc, phone_hash). Not an edit:
    the version and updated_at stay, so a client's optimistic lock still holds."""
    if not rows:
        return 0
    status: str = await conn.execute(
        """UPDATE people p SET id_enc = n.id_enc, id_hash = n.id_hash, phone_enc = n.phone_enc, phone_hash = n.phone_hash
           FROM unnest($1::text[], $2::uuid[], $3::bytea[], $4::bytea[], $5::bytea[], $6::bytea[])
                AS n(county_code, id, id_enc, id_hash, phone_enc, phone_hash)
           WHERE p.county_code = n.county_code AND p.id = n.id""",
        *(list(column) for column in zip(*rows, strict=True)))
    return int(status.split()[-1])


async def lock_households_off_key(conn: Conn, prefix: bytes, county: str, after: UUID,
                                  limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT county_code, id, phone_enc FROM households
           WHERE county_code = $2 AND id > $3 AND substring(phone_enc FROM 1 FOR 5) <> $1
           ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED""",
        prefix, county, after, limit)


async def rewrite_household_keys(conn: Conn, rows: list[tuple[str, UUID, bytes]]) -> int:
    """Store re-encrypted phones, rows of (county, id, phone_enc); like people, not an edit."""
    if not rows:
        return 0
    status: str = await conn.execute(
        """UPDATE households h SET phone_enc = n.phone_enc
           FROM unnest($1::text[], $2::uuid[], $3::bytea[]) AS n(county_code, id, phone_enc)
           WHERE h.county_code = n.county_code AND h.id = n.id""",
        *(list(column) for column in zip(*rows, strict=True)))
    return int(status.split()[-1])
# ------------------------------------------------------------------ facts for the recommender


async def person_facts(conn: Conn, county_code: str, rule: Rule, person_ids: list[UUID] | None) -> list[asyncpg.Record]:
    """What the classifier knows of people (all of a county's when `person_ids` is None), with the
    latest survey made on or before the rule's day and 两后生 judged on that day. No names or numbers.
    The lateral names the county itself (`v.county_code = $1`): Citus prunes a lateral sub-query only by
    its own condition, and joined through `p` the statement went to every shard."""
    return await conn.fetch(
        """SELECT p.id, h.village_code, p.birth_date, p.sex, p.ethnicity, p.education, e.rank AS education_rank,
                  p.in_school, p.labour_capacity, p.disability, p.work_status, h.poverty_status, p.skills,
                  l.qualifies AS lianghousheng, s.surveyed_on, s.desired_trades, s.training_kind,
                  s.available_months, s.max_travel_km, s.can_board, s.wants_certificate
           FROM people p
           JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id
           JOIN education_levels e ON e.code = p.education
           CROSS JOIN LATERAL lianghousheng(h.poverty_status, p.education, p.in_school, p.left_school_year,
                                            p.birth_date, p.sex, $3, $4, $5, $6, $7, $8) l
           LEFT JOIN LATERAL (
               SELECT v.surveyed_on, v.desired_trades, v.training_kind, v.available_months, v.max_travel_km,
                      v.can_board, v.wants_certificate
               FROM surveys v WHERE v.county_code = $1 AND v.person_id = p.id AND v.surveyed_on <= $3
               ORDER BY v.surveyed_on DESC, v.created_at DESC LIMIT 1) s ON true
           WHERE p.county_code = $1 AND ($2::uuid[] IS NULL OR p.id = ANY($2))""",
        county_code, person_ids, rule.as_of, rule.years, rule.male[0], rule.male[1], rule.female[0], rule.female[1],
    )


# Progress: target households (建档立卡, 脱贫, 监测), counted from household_counts (migration 0012, kept by
# triggers on households) rather than by a scan of the households.
TARGET_STATUSES = ["registered_poor", "lifted", "monitored"]


async def target_household_counts(conn: Conn, counties: list[str] | None, region: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT village_code, sum(households)::integer AS households FROM household_counts
           WHERE ($1::text[] IS NULL OR county_code = ANY($1)) AND village_code LIKE $2 || '%'
             AND poverty_status = ANY($3::text[]) AND households <> 0
           GROUP BY village_code""",
        counties, region, TARGET_STATUSES,
    )


async def target_households_among(conn: Conn, households: list[tuple[str, UUID]], region: str
                                  ) -> list[asyncpg.Record]:
    """Of the given (county, household) pairs: the target households in the region, by village."""
    return await conn.fetch(
        """SELECT h.village_code, count(*)::integer AS households
           FROM unnest($1::text[], $2::uuid[]) AS k(county_code, id)
           JOIN households h ON h.county_code = k.county_code AND h.id = k.id
           WHERE h.village_code LIKE $3 || '%' AND h.poverty_status = ANY($4::text[])
           GROUP BY h.village_code""",
        [c for c, _ in households], [h for _, h in households], region, TARGET_STATUSES,
    )


def _labourer(alias: str) -> str:
    """A working-age labourer ($5 as-of day, $6-$9 the working-age bounds): able to work and not at school."""
    return f"""({alias}.labour_capacity IN ('full', 'weak') AND NOT {alias}.in_school
                AND extract(year FROM age($5::date, {alias}.birth_date))::integer
                    BETWEEN (CASE WHEN {alias}.sex = 'male' THEN $6::integer ELSE $8::integer END)
                        AND (CASE WHEN {alias}.sex = 'male' THEN $7::integer ELSE $9::integer END))"""


async def uncovered_households(conn: Conn, scope: Scope, region: str, rule: Rule,
                               trained: list[tuple[str, UUID]], limit: int | None, offset: int) -> list[asyncpg.Record]:
    """A page of target households in reach with a working-age labourer and nobody in `trained`; one row
    per labourer (never an ID number, phone or health field), each row carrying the number of households."""
    return await conn.fetch(
        f"""WITH trained AS (SELECT * FROM unnest($10::text[], $11::uuid[]) AS k(county_code, id)),
           picked AS (
               SELECT h.county_code, h.id, h.village_code, h.household_no, h.head_name, h.poverty_status,
                      count(*) OVER () AS total
               FROM households h
               WHERE ($1::text[] IS NULL OR h.county_code = ANY($1))
                 AND ($2::text[] IS NULL OR h.village_code LIKE ANY($2)) AND h.village_code LIKE $3 || '%'
                 AND h.poverty_status = ANY($4::text[])
                 AND NOT EXISTS (SELECT 1 FROM trained t WHERE t.county_code = h.county_code AND t.id = h.id)
                 AND EXISTS (SELECT 1 FROM people p WHERE p.county_code = h.county_code AND p.household_id = h.id
                               AND {_labourer('p')})
               ORDER BY h.village_code, h.household_no, h.id
               LIMIT $12 OFFSET $13)
           SELECT picked.*, p.id AS person_id, p.name, p.sex, p.birth_date, p.education, p.labour_capacity,
                  p.work_status, extract(year FROM age($5::date, p.birth_date))::integer AS age,
                  coalesce(s.desired_trades, '{{}}') AS desired_trades
           FROM picked
           JOIN people p ON p.county_code = picked.county_code AND p.household_id = picked.id AND {_labourer('p')}
           LEFT JOIN LATERAL (SELECT desired_trades FROM surveys s
                              WHERE s.county_code = p.county_code AND s.person_id = p.id
                              ORDER BY s.surveyed_on DESC, s.created_at DESC LIMIT 1) s ON true
           ORDER BY picked.village_code, picked.household_no, picked.id, p.birth_date, p.id""",
        scope.counties, scope.village_patterns, region, TARGET_STATUSES, rule.as_of, rule.male[0], rule.male[1],
        rule.female[0], rule.female[1], [c for c, _ in trained], [h for _, h in trained], limit, offset,
    )


async def wanted_trades(conn: Conn, counties: list[str] | None, region: str) -> list[asyncpg.Record]:
    """People's wanted trades from their latest survey, grouped by village, trade and how far they can go."""
    return await conn.fetch(
        """SELECT h.county_code, h.village_code, t.trade_code, coalesce(s.can_board, false) AS can_board,
                  s.max_travel_km, count(DISTINCT p.id)::integer AS people
           FROM households h
           JOIN people p ON p.county_code = h.county_code AND p.household_id = h.id
           JOIN LATERAL (SELECT desired_trades, can_board, max_travel_km FROM surveys s
                         WHERE s.county_code = p.county_code AND s.person_id = p.id
                         ORDER BY s.surveyed_on DESC, s.created_at DESC LIMIT 1) s ON true
           CROSS JOIN LATERAL unnest(s.desired_trades) AS t(trade_code)
           WHERE ($1::text[] IS NULL OR h.county_code = ANY($1)) AND h.village_code LIKE $2 || '%'
           GROUP BY 1, 2, 3, 4, 5""",
        counties, region,
    )


async def household_count_differences(conn: Conn, county_code: str) -> list[asyncpg.Record]:
    """household_counts against a recount of the households: the rows where they differ."""
    return await conn.fetch(
        """SELECT coalesce(k.village_code, r.village_code) AS village_code,
                  coalesce(k.poverty_status, r.poverty_status) AS poverty_status,
                  coalesce(k.households, 0) AS kept, coalesce(r.households, 0) AS counted
           FROM (SELECT village_code, poverty_status, households FROM household_counts
                 WHERE county_code = $1 AND households <> 0) k
           FULL JOIN (SELECT village_code, poverty_status, count(*)::integer AS households FROM households
                      WHERE county_code = $1 GROUP BY 1, 2) r
             ON r.village_code = k.village_code AND r.poverty_status = k.poverty_status
           WHERE coalesce(k.households, 0) <> coalesce(r.households, 0)""",
        county_code,
    )
