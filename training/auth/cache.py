"""The accounts behind bearer tokens, cached in each service process so a request does not read its
caller's `users` row every time (issue 11: that look-up was a database round trip per request).

Tokens must still stop working at once when their account is disabled or its password changes, in
every worker process, so an entry is dropped three ways:

- **NOTIFY.** The account changes of `training.auth.service` (disable, enable, password reset, from
  the API or the `training users` CLI in any process) send `NOTIFY training_accounts, '<user id>'` in
  their own transaction; PostgreSQL delivers it on commit to every process's listening connection,
  which drops that entry. The process that made the change also drops it at once itself.
- **A bound.** An entry is used for at most `STALE_SECONDS`, so a change made past the service (an
  `UPDATE users` by hand) is seen within that time.
- **No listener, no cache.** While the listening connection is down (the database restarting, a
  network cut) nothing is cached and every request reads its row, as before; the cache is emptied
  whenever the listener is (re)connected, so no notification missed in between matters.

A read that was in flight when a notification arrived is not stored (the `generation` check), so a
row read just before a commit cannot outlive the notification that followed it. The token's own
version claim is still compared with the row's on every request (`training.auth.jwt`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from uuid import UUID

import asyncpg

from training.auth import repository

CHANNEL = "training_accounts"
STALE_SECONDS = 5.0
RETRY_SECONDS = 1.0

log = logging.getLogger("training.auth")


async def announce_change(conn: repository.Conn, user_id: UUID) -> None:
    """Tell every service process to forget this account's cached row; sent inside the change's
    transaction, so it is delivered only if (and when) the change commits."""
    await repository.notify(conn, CHANNEL, str(user_id))


class AccountCache:
    def __init__(self, stale_seconds: float = STALE_SECONDS) -> None:
        self.stale_seconds = stale_seconds
        self.listening = False
        self._rows: dict[UUID, tuple[float, asyncpg.Record]] = {}
        self._generation = 0

    def forget(self, user_id: UUID | None = None) -> None:
        """Drop one account's entry (None: all of them)."""
        self._generation += 1
        if user_id is None:
            self._rows.clear()
        else:
            self._rows.pop(user_id, None)

    async def account(self, pool: asyncpg.Pool, user_id: UUID, *, fresh: bool = False) -> asyncpg.Record | None:
        """The account's row: cached if recent enough and the listener is up, else read (and kept)."""
        read_at = time.monotonic()
        hit = self._rows.get(user_id)
        if hit is not None and not fresh and self.listening and read_at - hit[0] < self.stale_seconds:
            return hit[1]
        generation = self._generation
        row = await repository.by_id(pool, user_id)
        # Timed from before the read: the row is at most stale_seconds older than the database.
        if row is not None and self.listening and generation == self._generation:
            self._rows[user_id] = (read_at, row)
        return row

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        try:
            self.forget(UUID(str(payload)))
        except ValueError:
            self.forget()

    async def _listen_once(self, dsn: str, ready: asyncio.Event) -> None:
        conn = await asyncpg.connect(dsn, timeout=10, server_settings={"application_name": "training-accounts"})
        lost = asyncio.Event()
        try:
            conn.add_termination_listener(lambda _c: lost.set())
            await conn.add_listener(CHANNEL, self._notified)
            self.forget()  # anything cached before this point may have missed a notification
            self.listening = True
            ready.set()
            while not lost.is_set():
                # A connection cut without a FIN would never end on its own: ask it something now
                # and then (a dead one raises, and the loop reconnects).
                # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation that meets
                # its own completion, and a listener that outlives its app's shutdown holds it forever.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.stale_seconds):
                        await lost.wait()
                if not lost.is_set():
                    await repository.ping(conn, self.stale_seconds)
        finally:
            self.listening = False
            self.forget()
            conn.terminate()

    async def listen(self, dsn: str, ready: asyncio.Event) -> None:
        """Keep a connection listening on CHANNEL until cancelled, reconnecting after failures; `ready`
        is set once it first listens."""
        while True:
            try:
                await self._listen_once(dsn, ready)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.info("account cache: listener lost (%s); reading accounts uncached until it is back",
                         type(exc).__name__)
            await asyncio.sleep(RETRY_SECONDS)
