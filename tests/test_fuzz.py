"""Schemathesis against the app's own OpenAPI document: every operation, as a resident and as an organiser.

The app runs as a real server on loopback (``tests/fuzz_world.py``): built by ``create_app`` on
an SQLite file migrated by ``linli migrate``, loaded with the demo data, WeChat pointing at the
fake WeChat server. Schemathesis reads ``/schema/openapi.json`` from it and, for each operation,
sends a bounded number of generated requests (valid ones, and some that break the schema), with
path parameters naming real objects most of the time. Every response must not be a server
error, and its status, content type, headers and body must be the ones the document promises.

SQLite only: the fuzz run checks the contract, which does not depend on the database; the
behaviour on PostgreSQL is what the rest of the suite checks on both backends. Generation is
derandomised (the same requests on every run) and does not shrink, so CI stays reproducible and
within its time. Rate limits are raised for this app: fuzzing would trip them and learn nothing
from the 429s, which the document must still name where they can happen.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from litestar import Litestar
from litestar.routes import HTTPRoute
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.core.errors import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE
from backend.core.i18n import LOCALES
from backend.core.openapi import is_rate_limit
from backend.events.sharing import services as share_links
from backend.events.sharing.tables import ShareLink
from tests import factories
from tests.conftest import SECRET, migrate
from tests.fakes.wechat import FakeWechat
from tests.fuzz_world import World, path_candidates, query_values, seed_world, serve_fuzz_app

POSITIVE_EXAMPLES = 8  # valid requests per operation and caller
NEGATIVE_EXAMPLES = 4  # requests that break the schema, per operation and caller
METHODS = ("get", "put", "post", "patch", "delete")
ROLES = ("organiser", "resident")  # the organiser first: the resident ends by erasing their account
LANGUAGE = {"organiser": "zh-Hans", "resident": "ja"}
NO_LIMIT = "1000000"  # requests per minute, for every rate limit


def problems_agree(ctx: Any, response: Any, case: Any) -> None:
    """What the schema cannot say: one charset, a language we speak, a problem whose status and
    type agree with the answer."""
    content_types = response.headers.get("content-type", [])
    for value in content_types:
        assert value.lower().count("charset=") <= 1, f"Content-Type names its charset twice: {value}"
    languages = response.headers.get("content-language", [])
    assert languages and languages[0] in LOCALES, f"Content-Language is not a supported language: {languages}"
    if any(value.startswith(PROBLEM_MEDIA_TYPE) for value in content_types):
        problem = response.json()
        assert problem["status"] == response.status_code, f"a {response.status_code} says status {problem['status']}"
        assert problem["type"] == PROBLEM_TYPE_BASE + problem["code"], (
            f"type {problem['type']} for code {problem['code']}"
        )


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    problems_agree,
]


@dataclass
class Target:
    base_url: str
    world: World
    candidates: dict[str, list[dict[str, str]]]
    query_values: dict[str, str]
    schema: Any
    document: dict[str, Any]
    log_path: Path


@pytest.fixture(scope="module")
def target(workdir: Path, _wechat_server: tuple[FakeWechat, str]) -> Iterator[Target]:
    fake, wechat_base_url = _wechat_server
    fake.reset()
    place = workdir / "fuzz"
    place.mkdir(exist_ok=True)
    database = place / "linli.sqlite"
    migrate(f"sqlite:///{database}")
    env = {
        "LINLI_ENV": "test",
        "LINLI_DATABASE_URL": f"sqlite:///{database}",
        "LINLI_REDIS_URL": "",
        "LINLI_SECRET_KEY": SECRET,
        "LINLI_WECHAT_APPID": fake.appid,
        "LINLI_WECHAT_SECRET": fake.secret,
        "LINLI_WECHAT_API_BASE": wechat_base_url,
        "LINLI_MEDIA_ROOT": str(place / "media"),
        "LINLI_LOG_JSON": "true",
        "LINLI_LOG_LEVEL": "WARNING",
        "LINLI_SIGNAL_SWEEP_SECONDS": "0",
        "LINLI_HOUSEKEEPING_SECONDS": "0",
        "LINLI_LOGIN_RATE_LIMIT": NO_LIMIT,
        "LINLI_WECHAT_LOGIN_RATE_LIMIT": NO_LIMIT,
        "LINLI_WECHAT_LOGIN_ADDRESS_LIMIT": NO_LIMIT,
        "LINLI_SIGNUP_RATE_LIMIT": NO_LIMIT,
        "LINLI_CALENDAR_RATE_LIMIT": NO_LIMIT,
        "LINLI_CALENDAR_FEED_RATE_LIMIT": NO_LIMIT,
        "LINLI_POSTER_RATE_LIMIT": NO_LIMIT,
        "LINLI_RECORD_CHECK_RATE_LIMIT": NO_LIMIT,
    }
    with serve_fuzz_app(env, place) as base_url:
        world = seed_world(base_url)
        document = httpx.get(base_url + "/schema/openapi.json", timeout=10).json()
        schema = schemathesis.openapi.from_url(base_url + "/schema/openapi.json")
        schema.config.generation.update(with_security_parameters=False)
        candidates, query = path_candidates(database), query_values(database, world)
        yield Target(base_url, world, candidates, query, schema, document, place / "server.log")


def _documented_operations(document: dict[str, Any]) -> set[str]:
    return {
        f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item if method in METHODS
    }


# Operations that end the session the caller's token names: after them the token answers 401.
ENDS_THE_SESSION = {("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/auth/logout-everywhere")}


def _order(operation: Any) -> tuple[int, str]:
    """Reads first, then writes, then deletions; logging out after those, and erasing one's own
    account last of all."""
    rank = {"GET": 0, "PUT": 1, "POST": 1, "PATCH": 1, "DELETE": 2}[operation.method.upper()]
    if (operation.method.upper(), operation.path) in ENDS_THE_SESSION:
        rank = 3
    if operation.path == "/api/v1/me" and operation.method.upper() == "DELETE":
        rank = 4
    return rank, operation.label


@dataclass
class Findings:
    cases: dict[str, int] = field(default_factory=dict)
    answered: dict[str, set[int]] = field(default_factory=dict)
    failures: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, label: str, title: str, detail: str) -> None:
        self.failures.setdefault((label, title), detail)


@dataclass(frozen=True)
class Pin:
    """Real values for some parameters of one request; the rest is generated."""

    path: dict[str, str]
    query: dict[str, str]

    def apply(self, case: Any) -> Any:
        if self.path:
            case.path_parameters = {**(case.path_parameters or {}), **self.path}
        if self.query:
            case.query = {**(case.query or {}), **self.query}
        return case

    def strategy(self, operation: Any, mode: GenerationMode) -> st.SearchStrategy[Any]:
        return operation.as_strategy(generation_mode=mode, path_parameters=self.path or None, query=self.query or None)


def _pins(operation: Any, target: Target) -> list[Pin]:
    query = {p.name: target.query_values[p.name] for p in operation.query if target.query_values.get(p.name)}
    paths = target.candidates.get(operation.path, [])
    if not paths and not query:
        return []
    return [Pin(path, query) for path in paths or [{}]]


def _runs(operation: Any, pins: list[Pin]) -> list[tuple[str, st.SearchStrategy[Any], int]]:
    """The documented examples (with real ids), then valid requests, then schema-breaking ones.
    Most requests name real objects (each pin weighs three times what free generation does)."""
    examples = [
        strategy.map(pin.apply)
        for strategy in operation.get_strategies_from_examples(fill_missing=True)
        for pin in pins[:1] or [Pin({}, {})]
    ]
    runs = [("examples", st.one_of(examples), len(examples))] if examples else []
    positive = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
    if pins:
        real = [pin.strategy(operation, GenerationMode.POSITIVE) for pin in pins]
        positive = st.sampled_from(real * 3 + [positive]).flatmap(lambda strategy: strategy)
    runs.append(("positive", positive, POSITIVE_EXAMPLES))
    negative = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    if pins:
        negative = st.one_of(*[pin.strategy(operation, GenerationMode.NEGATIVE) for pin in pins], negative)
    runs.append(("negative", negative, NEGATIVE_EXAMPLES))
    return runs


def _fuzz(operation: Any, target: Target, role: str, findings: Findings) -> None:
    headers = {**target.world.headers[role], "Accept-Language": LANGUAGE[role]}
    session = requests.Session()
    label = operation.label

    def call(case: Any) -> None:
        findings.cases[label] = findings.cases.get(label, 0) + 1
        try:
            response = case.call_and_validate(
                base_url=target.base_url, session=session, headers=headers, checks=CHECKS, timeout=30
            )
            findings.answered.setdefault(label, set()).add(response.status_code)
        except FailureGroup as group:
            findings.add(label, ", ".join(sorted({failure.title for failure in group.exceptions})), str(group))
        except requests.RequestException as error:
            findings.add(label, type(error).__name__, f"{error}\n\n{case.as_curl_command(headers=headers)}")

    for name, strategy, examples in _runs(operation, _pins(operation, target)):
        run = settings(
            max_examples=examples,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )(given(case=strategy)(call))
        try:
            run()
        except Unsatisfiable as error:
            # Nothing to break is fine: no input, or input that any value fits (/media/{path}).
            if name != "negative":
                findings.add(label, f"generating {name} requests: Unsatisfiable", str(error))
        except Exception as error:  # a strategy that cannot be built is a finding too
            findings.add(label, f"generating {name} requests: {type(error).__name__}", str(error)[:2000])
    session.close()


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_as_documented(target: Target, role: str) -> None:
    operations = sorted((result.ok() for result in target.schema.get_all_operations()), key=_order)
    labels = {operation.label for operation in operations}
    assert labels == _documented_operations(target.document)

    findings = Findings()
    for operation in operations:
        _fuzz(operation, target, role, findings)

    assert set(findings.cases) == labels, "every operation is fuzzed"
    succeeded = [label for label, statuses in findings.answered.items() if any(200 <= s < 300 for s in statuses)]
    print(
        f"\n{role}: {sum(findings.cases.values())} requests, {len(succeeded)} of {len(labels)} operations answered 2xx"
    )
    # A world too thin (every request "not found" or "not allowed") would test only the edges.
    assert len(succeeded) >= len(labels) // 3, sorted(labels - set(succeeded))
    report = "\n\n".join(
        f"=== {label}: {title}\n{detail[:3000]}" for (label, title), detail in sorted(findings.failures.items())
    )
    assert not findings.failures, (
        f"{len(findings.failures)} findings as {role}:\n\n{report}\n\n{_server_errors(target.log_path)}"
    )


def _server_errors(log_path: Path) -> str:
    """The end of each distinct traceback the server logged, to go with the findings."""
    seen: dict[str, None] = {}
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("exception"):
            seen.setdefault("\n".join(record["exception"].strip().splitlines()[-6:]), None)
    return "\n\n".join(list(seen)[:10])


# --- what the fuzz run found, pinned on both backends ------------------------------------------------


async def test_the_document_names_the_problems_every_request_can_meet(app: Litestar, client: httpx.AsyncClient) -> None:
    """400, 401 and 503 everywhere, as problem details; 429 wherever a rate limit guards the
    route, even where no handler named it (the fuzz run raises the limits, so it cannot see them)."""
    document = (await client.get("/schema/openapi.json")).json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status in ("400", "401", "503"):
                content = operation["responses"][status]["content"]
                assert list(content) == ["application/problem+json"], (method, path, status)
    guarded = {
        (route.path, method.lower())
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for method, (handler, _) in route.route_handler_map.items()
        if method.lower() in METHODS
        and route.path.startswith("/api/")  # the document's; not the console's and public pages' HTML
        and any(is_rate_limit(guard) for guard in handler.resolve_guards())
    }
    assert len(guarded) >= 6
    for path, method in guarded:
        assert "429" in document["paths"][re.sub(r"\{(\w+):\w+\}", r"{\1}", path)][method]["responses"], (method, path)


async def test_closing_the_account_of_a_resident_who_shared_events(client: httpx.AsyncClient) -> None:
    """The fuzz run closed the account of a resident who had shared an event that already had an
    anonymous share link: the erasure broke the one-anonymous-link-per-event rule and answered 500."""
    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    shared_by_all = await factories.published_event(tree["street_a"], venue)
    shared_by_me = await factories.published_event(tree["street_a"], venue)
    me = await factories.resident("sharer")
    anonymous = await share_links.share_link_code(event_id=shared_by_all.id, sharer_id=None)
    mine_too = await share_links.share_link_code(event_id=shared_by_all.id, sharer_id=me.id)
    only_mine = await share_links.share_link_code(event_id=shared_by_me.id, sharer_id=me.id)

    closed = await client.delete("/api/v1/me", headers={**factories.token_for(me), "Accept-Language": "en"})
    assert closed.status_code == 204, closed.text

    assert await ShareLink.count().where(ShareLink.sharer == me.id) == 0
    # Cards already handed out keep opening their event where the event can keep the link.
    for code, event in ((anonymous, shared_by_all), (only_mine, shared_by_me)):
        resolved = await client.get(f"/api/v1/share-links/{code}")
        assert resolved.json()["event_id"] == str(event.id)
    gone = await client.get(f"/api/v1/share-links/{mine_too}", params={"lang": "ja"})
    assert (gone.status_code, gone.json()["code"]) == (404, "share_link_not_found")
    assert gone.headers["content-language"] == "ja"
