"""What must hold for a session's seats and enrolments after anything at all has happened to them, read
straight from the tables (and the roster for waitlist positions) so a test never trusts the code under test."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from tests.conftest import Api

END_STATES = {"completed", "withdrawn", "dropped", "cancelled"}
LEGAL = END_STATES | {"enrolled", "waitlisted"}
SEATED = {"enrolled", "completed"}


async def direct_counts(conn: asyncpg.Connection, session_id: str) -> dict[str, int]:
    """capacity, enrolled (holding a seat), waitlisted and seats_left counted from the rows themselves."""
    row = await conn.fetchrow(
        """SELECT se.capacity, se.status,
                  count(en.id) FILTER (WHERE en.status IN ('enrolled', 'completed')) AS enrolled,
                  count(en.id) FILTER (WHERE en.status = 'waitlisted') AS waitlisted
           FROM sessions se LEFT JOIN enrolments en ON en.county_code = se.county_code AND en.session_id = se.id
           WHERE se.id = $1 GROUP BY se.county_code, se.id""", uuid.UUID(session_id))
    assert row is not None
    left = 0 if row["status"] == "cancelled" else row["capacity"] - row["enrolled"]
    return {"capacity": row["capacity"], "enrolled": row["enrolled"], "waitlisted": row["waitlisted"],
            "seats_left": left}


async def roster(api: Api, session_id: str, as_: str = "admin_a") -> list[dict[str, Any]]:
    """Every row of the roster, page by page."""
    rows: list[dict[str, Any]] = []
    while True:
        response = await api.get(f"/api/sessions/{session_id}/enrolments", as_,
                                 params={"limit": 500, "offset": len(rows)})
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        rows += page["items"]
        if len(rows) >= page["total"] or not page["items"]:
            return rows


async def assert_seat_invariant(api: Api, conn: asyncpg.Connection, session_id: str, context: str = "") -> None:
    """The seat counter equals the seated rows and never passes the capacity; a free seat is never left
    while someone waits; the waitlist is numbered 1..n in arrival order; every enrolment is in exactly
    one legal state consistent with its fields; and replaying each enrolment's audit trail from its
    creation arrives at its status (every audited move started where the previous one ended)."""
    session = await conn.fetchrow("SELECT capacity, enrolled_count, status FROM sessions WHERE id = $1",
                                  uuid.UUID(session_id))
    assert session is not None
    rows = await conn.fetch("SELECT id, status, waitlist_seq, reason, completed_on FROM enrolments "
                            "WHERE session_id = $1", uuid.UUID(session_id))
    seated = sum(1 for r in rows if r["status"] in SEATED)
    assert session["enrolled_count"] == seated <= session["capacity"], context
    waiting = sorted((r for r in rows if r["status"] == "waitlisted"), key=lambda r: r["waitlist_seq"])
    if session["status"] == "published" and seated < session["capacity"]:
        assert waiting == [], f"{context}: a seat is free while {len(waiting)} wait"
    if session["status"] == "cancelled":
        assert not [r for r in rows if r["status"] in ("enrolled", "waitlisted")], context
    for r in rows:
        assert r["status"] in LEGAL, context
        assert (r["waitlist_seq"] is not None) == (r["status"] == "waitlisted"), context
        assert (r["completed_on"] is not None) == (r["status"] == "completed"), context
        if r["status"] in ("withdrawn", "dropped", "cancelled"):
            assert r["reason"], context
    positions = {e["id"]: e["waitlist_position"] for e in await roster(api, session_id)}
    assert [positions[str(r["id"])] for r in waiting] == list(range(1, len(waiting) + 1)), context
    assert {e for e, p in positions.items() if p is not None} == {str(r["id"]) for r in waiting}, context
    trail = await conn.fetch("SELECT object_id, action, changes FROM audit_log WHERE object_type = 'enrolment' "
                             "AND object_id = ANY($1::text[]) ORDER BY id", [str(r["id"]) for r in rows])
    replayed: dict[str, str] = {}
    for entry in trail:
        changes: dict[str, Any] = entry["changes"]
        if entry["action"] == "create":
            assert entry["object_id"] not in replayed, context
            replayed[entry["object_id"]] = changes["status"]
        else:
            assert changes["from"] == replayed[entry["object_id"]], f"{context}: {entry['action']} {changes}"
            replayed[entry["object_id"]] = changes["to"]
    assert replayed == {str(r["id"]): r["status"] for r in rows}, context
