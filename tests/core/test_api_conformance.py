"""The API does what its OpenAPI document says, for every role: schemathesis generates requests from
/schema/openapi.json, valid and invalid, one operation at a time and as chains of calls that feed one answer's
ids into the next request, and checks each answer:

- never a server error;
- only documented status codes and content types, and bodies that match their documented schema;
- a schema-valid request is accepted, or refused with 403/404/409/422 (never 400: a 400 to a valid request
  means the document promises less than the service checks), and an invalid one is refused with a 4xx.

It runs over real HTTP against a server on a loopback port, on a copy of the seeded database, bounded in
examples per operation so it takes a few minutes on two shared cores.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given
from schemathesis import GenerationMode
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.conftest import cloned_database
from tests.seed import SEED
from training.app import create_app
from training.core.config import Settings

# One account per role, each scoped to county A (the seeded world has objects of every kind in it).
ROLES = {"admin": "admin_a", "official": "official_a", "school": "school_a", "surveyor": "surveyor_a"}
EXAMPLES_PER_OPERATION = 6
STATEFUL_SCENARIOS = 10

CONFIG = {
    "checks": {
        "not_a_server_error": {"enabled": True},
        "status_code_conformance": {"enabled": True},
        "content_type_conformance": {"enabled": True},
        "response_schema_conformance": {"enabled": True},
        "response_headers_conformance": {"enabled": True},
        "positive_data_acceptance": {"enabled": True, "expected-statuses": ["2xx", "403", "404", "409", "422"]},
        "negative_data_rejection": {"enabled": True,
                                    "expected-statuses": ["400", "401", "403", "404", "405", "413", "422"]},
        "use_after_free": {"enabled": True},
        "ensure_resource_availability": {"enabled": True},
    },
    "operations": [
        # Signing in with made-up credentials is refused, as it should be.
        {"include-path": "/api/auth/token", "checks": {
            "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "429"]}}},
        # Any bytes are a schema-valid file; a file that is not a workbook is a 400 the schema cannot foresee.
        {"include-path-regex": "/(import|sheet)$", "checks": {
            "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "403", "404", "409", "422"]}}},
    ],
}


@dataclass
class Server:
    url: str
    app: Any
    cases: Counter[str] = field(default_factory=Counter)

    def headers(self, role: str) -> dict[str, str]:
        token = self.app.state.jwt_auth.create_token(identifier=str(SEED.users[ROLES[role]]))
        return {"Authorization": f"Bearer {token}"}


@contextmanager
def served(dsn: str, settings: Settings) -> Iterator[Server]:
    """The app under uvicorn on a free loopback port, in a thread with its own event loop."""
    app = create_app(settings, dsn=dsn, migrate_on_start=False, pool_size=(1, 4))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Server(f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
async def server(admin_dsn: str, template_dsn: str, settings: Settings) -> AsyncIterator[Server]:
    async with cloned_database(admin_dsn) as dsn:
        with served(dsn, settings) as running:
            yield running
        print(f"\nschemathesis cases: {sum(running.cases.values())} ({dict(running.cases)})")


def load(server: Server, role: str) -> OpenApiSchema:
    """The document, with the role's token as the Bearer scheme's credentials."""
    token = server.headers(role)["Authorization"].removeprefix("Bearer ")
    config = {**CONFIG, "auth": {"openapi": {"BearerToken": {"bearer": token}}}}
    return schemathesis.openapi.from_url(f"{server.url}/schema/openapi.json",
                                         config=schemathesis.Config.from_dict(config))


def seeded(path: str) -> dict[str, str] | None:
    """Valid cases name a seeded school and course of county A, so their bodies reach the rules behind the
    404s (the chains test reaches the objects it creates through the links between operations)."""
    known = {"school_id": str(SEED.schools["A"]), "course_id": str(SEED.courses["A"])}
    names = re.findall(r"{(\w+)}", path)
    return {n: known[n] for n in names} if names and all(n in known for n in names) else None


FUZZ_SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
    suppress_health_check=list(HealthCheck), phases=[hypothesis.Phase.generate],
)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_operation_answers_as_documented(server: Server, role: str) -> None:
    schema = load(server, role)
    session = requests.Session()
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an invalid operation fails here, loudly
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @FUZZ_SETTINGS
            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=seeded(operation.path)))
            def check(case: schemathesis.Case[Any]) -> None:
                server.cases[role] += 1
                case.call_and_validate(base_url=server.url, session=session)

            try:
                check()
            except hypothesis.errors.Unsatisfiable:
                continue  # nothing to make invalid (no parameters): the positive cases cover it
            except (Exception, BaseExceptionGroup) as exc:  # every operation's failures, not just the first

                failures.append(f"{operation.label} [{mode.value}]: {exc}")
    print("\n\n".join(failures))
    assert not failures, f"{len(failures)} operations answered otherwise than documented (printed above)"


@pytest.mark.parametrize("role", sorted(ROLES))
def test_chains_of_calls_answer_as_documented(server: Server, role: str) -> None:
    schema = load(server, role)
    base = schema.as_state_machine()

    class Chains(base):  # type: ignore[valid-type, misc]
        def get_call_kwargs(self, case: schemathesis.Case[Any]) -> dict[str, Any]:
            server.cases[f"{role} stateful"] += 1
            return {"base_url": server.url}

    Chains.run(settings=hypothesis.settings(
        max_examples=STATEFUL_SCENARIOS, stateful_step_count=6, deadline=None, database=None,
        derandomize=True, suppress_health_check=list(HealthCheck), phases=[hypothesis.Phase.generate]))
