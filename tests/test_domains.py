"""Adding a domain is its manifest and a line in the list: a throwaway domain, handed to the app
factory beside the real ones, is routed, documented, listened to, scheduled, exported, erased
and seeded, with no change anywhere else; and the list refuses a domain that comes before what
it builds on, or declares a job twice.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from litestar import Controller, get
from redis.asyncio import Redis

from backend.app import create_app
from backend.core import runtime
from backend.core.context import Principal
from backend.core.domain import Chore, DemoWorld, Domain, PrivacyPart
from backend.core.privacy import Erasure
from backend.core.signals import SignalMessage
from backend.core.wiring import assemble, run_chores, seed_demo
from backend.domains import DOMAINS
from backend.events.api import RegistrationConfirmed
from backend.settings import Settings
from tests import factories
from tests.conftest import serve_in_process


class Probe:
    """What the throwaway domain saw."""

    def __init__(self) -> None:
        self.confirmed: list[uuid.UUID] = []
        self.chores = 0
        self.erased: list[uuid.UUID] = []

    def domain(self) -> Domain:
        probe = self

        class ProbeController(Controller):
            path = "/api/v1/probe"
            tags = ["probe"]

            @get(operation_id="probe_who", summary="Who is asking")
            async def who(self, caller: Principal) -> dict[str, str]:
                return {"id": str(caller.id), "kind": caller.kind}

        async def on_confirmed(message: SignalMessage[RegistrationConfirmed]) -> None:
            probe.confirmed.append(message.payload.registration_id)

        async def tidy() -> int:
            probe.chores += 1
            return 0

        async def export(user_id: uuid.UUID) -> dict[str, Any]:
            return {"probe_note": f"kept nothing about {user_id}"}

        async def erase(erasure: Erasure) -> None:
            probe.erased.append(erasure.user_id)

        async def seed(world: DemoWorld) -> None:
            world.summary.append(f"probe: saw {len(world.organisations)} organisations")

        return Domain(
            name="probe",
            builds_on=("core", "accounts", "events"),
            routes=lambda settings: (ProbeController,),
            listeners=((RegistrationConfirmed, on_confirmed),),
            chores=(Chore("probe_tidy", tidy, cron="*/10 * * * *"),),
            privacy=PrivacyPart(export=export, erase=erase),
            seed_demo=seed,
            tags=(("probe", "A throwaway domain"),),
        )


@pytest.fixture
async def probed(settings: Settings, backend: str, request: pytest.FixtureRequest) -> Any:
    probe = Probe()
    redis = Redis.from_url(request.getfixturevalue("redis_url")) if backend == "postgres" else None
    app = create_app(settings, redis=redis, domains=(*DOMAINS, probe.domain()))
    async with serve_in_process(app) as client:
        with runtime.bound(app.state.runtime):
            yield probe, app, client
    if redis is not None:
        await redis.aclose()


async def test_a_new_domain_needs_only_its_manifest_in_the_list(client: httpx.AsyncClient, probed: Any) -> None:
    probe, app, api = probed
    resident = await factories.resident()

    answer = await api.get("/api/v1/probe", headers=factories.token_for(resident))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"id": str(resident.id), "kind": "resident"}
    assert (await api.get("/api/v1/probe")).status_code == 401  # the caller dependency asks for a login

    document = (await api.get("/schema/openapi.json")).json()
    assert {"name": "probe", "description": "A throwaway domain"} in document["tags"]
    assert document["paths"]["/api/v1/probe"]["get"]["operationId"] == "probe_who"

    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    event = await factories.published_event(tree["street_a"], venue)
    signed = await api.post(
        f"/api/v1/events/{event.id}/registrations", json={"party_size": 1}, headers=factories.token_for(resident)
    )
    assert signed.status_code == 201, signed.text
    assert probe.confirmed == [uuid.UUID(signed.json()["id"])]
    inbox = await api.get("/api/v1/me/notifications", headers=factories.token_for(resident))
    assert [item["kind"] for item in inbox.json()["items"]] == ["registration_confirmed"]  # the others still listen

    assert app.state.runtime.schedules["chore.probe_tidy"] == "*/10 * * * *"
    assert "probe_tidy" in await run_chores(app.state.runtime.domains)
    assert probe.chores == 1

    exported = await api.get("/api/v1/me/export", headers=factories.token_for(resident))
    assert exported.json()["domains"]["probe"] == {"probe_note": f"kept nothing about {resident.id}"}
    assert (await api.delete("/api/v1/me", headers=factories.token_for(resident))).status_code == 204
    assert probe.erased == [resident.id]

    summary = await seed_demo(app.state.runtime.domains, secret_key="demo-secret-key-for-the-probe-0123456789")
    assert summary.splitlines()[-1] == "probe: saw 13 organisations"


async def test_the_real_app_does_not_know_the_probe(client: httpx.AsyncClient, app: Any) -> None:
    assert (await client.get("/api/v1/probe")).status_code == 404
    assert "chore.probe_tidy" not in app.state.runtime.schedules


def test_the_list_refuses_a_domain_before_what_it_builds_on(settings: Settings) -> None:
    probe = Probe().domain()
    with pytest.raises(ValueError, match="must come before it"):
        assemble([DOMAINS[0], probe, *DOMAINS[1:]], settings)
    with pytest.raises(ValueError, match="listed twice"):
        assemble([*DOMAINS, DOMAINS[-1]], settings)
    twice = Domain(name="twice", builds_on=("core",), chores=(Chore("probe_tidy", _noop, cron="0 * * * *"),) * 2)
    with pytest.raises(ValueError, match="declared twice"):
        assemble([DOMAINS[0], twice], settings)


async def _noop() -> int:
    return 0
