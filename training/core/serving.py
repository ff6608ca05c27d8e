"""`training serve`'s HTTP protocol: uvicorn's httptools protocol (the C parser; the pure-Python h11 was
the largest share of a read's CPU in the profile) with the time limits uvicorn lacks.

Uvicorn bounds only the idle time between requests (keep-alive) and answers 503 once a *request*
arrives over its concurrency limit, so a client that opens a connection and sends its headers or its
body a byte at a time holds the connection, its buffers and a task for as long as it likes. Here:

- a connection over `max_connections` is answered 503 and closed at once, before anything is read;
- the request line and headers must arrive within `header_timeout` seconds of the first byte (or of
  the connection, for a new one), however the client drips them;
- the body must arrive within `body_timeout` seconds of the headers (uploads are at most 20 MB);
- an idle kept-alive connection is closed after `keep_alive` seconds (uvicorn's own timer).

A client past a limit gets 408 (problem+json, in Chinese) if no answer has started, and the connection
is closed; an app still waiting for the body sees the client gone.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

PROBLEM_JSON = "application/problem+json"


class ServeLimits:
    def __init__(self, *, header_timeout: float, body_timeout: float, keep_alive: int, max_connections: int) -> None:
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.keep_alive = keep_alive
        self.max_connections = max_connections


def _answer(status: int, reason: str, title: str, detail: str) -> bytes:
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail},
                      ensure_ascii=False).encode()
    return (f"HTTP/1.1 {status} {reason}\r\ncontent-type: {PROBLEM_JSON}\r\ncontent-length: {len(body)}\r\n"
            "connection: close\r\n\r\n").encode() + body


def guarded_protocol(limits: ServeLimits) -> type[HttpToolsProtocol]:
    """The protocol class to hand uvicorn (`http=`), bound to these limits."""

    class GuardedProtocol(HttpToolsProtocol):
        _timer: asyncio.TimerHandle | None = None
        _waiting_for: str = ""
        # Where the request being read is: "idle" (nothing of it yet), "headers" (request line or headers
        # started), "body" (headers done, body owed) or "app" (all read; the answer is the app's to give).
        _phase: str = "idle"

        def on_message_begin(self) -> None:
            self._phase = "headers"
            super().on_message_begin()

        def on_headers_complete(self) -> None:
            self._phase = "body"
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._phase = "app"
            super().on_message_complete()

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            if len(self.connections) > limits.max_connections:
                transport.write(_answer(503, "Service Unavailable", "服务繁忙",
                                        "同时连接数已达上限，请稍后重试"))
                transport.close()
                return
            self._watch()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            self._watch()

        def on_response_complete(self) -> None:
            if self._phase == "app":
                self._phase = "idle"
            super().on_response_complete()  # arms uvicorn's keep-alive timer for the idle wait
            self._watch()

        def _watch(self) -> None:
            """Start the deadline of what the client owes next: headers or body. A deadline once started
            is not moved by more data, so dripping bytes cannot stretch it."""
            if self.transport.is_closing():
                return
            state = self._phase
            if state in ("idle", "headers") and self.timeout_keep_alive_task is None:  # else keep-alive's timer
                owed, seconds = "headers", limits.header_timeout
            elif state == "body":
                owed, seconds = "body", limits.body_timeout
            else:
                self._stop()
                return
            if self._waiting_for != owed:
                self._stop()
                self._waiting_for = owed
                self._timer = self.loop.call_later(seconds, self._too_slow)

        def _stop(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
            self._timer, self._waiting_for = None, ""

        def _too_slow(self) -> None:
            what = "请求头" if self._waiting_for == "headers" else "请求内容"
            seconds = limits.header_timeout if self._waiting_for == "headers" else limits.body_timeout
            self._timer, self._waiting_for = None, ""
            if self.transport.is_closing():
                return
            if self.cycle is None or not self.cycle.response_started:
                self.transport.write(_answer(408, "Request Timeout", "请求超时",
                                             f"{what}未在 {seconds:g} 秒内发完，连接已关闭；请检查网络后重试"))
            self.transport.close()

    return GuardedProtocol
