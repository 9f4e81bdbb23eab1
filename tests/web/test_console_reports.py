"""The reports room over HTTP (both databases): the queue of incidents for a coordinator and for
the party a report was forwarded to, a report with its photo, place and masked reporter, each
move with a note read back through the API, the forwarding choices the routing allows, and every
refusal as the API's (another organisation's report 404, a role without reports 403, no CSRF)."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from PIL import Image

from backend.accounts.tables import OrganisationKind, Role, User
from backend.governance.incidents.tables import Incident
from tests import factories
from tests.web.console import send, sign_in

Client = httpx.AsyncClient
TEXT = "5号楼302室疑似群租，每天很多人进出"


@pytest.fixture
async def world(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    a = tree["community_a"]
    property_a = await factories.organisation(OrganisationKind.property_company, a, "南园物业")
    police_a = await factories.organisation(OrganisationKind.police_station, tree["street_a"], "双塔派出所")
    police_b = await factories.organisation(OrganisationKind.police_station, tree["street_b"], "斜塘派出所")
    return {
        "tree": tree,
        "a": a,
        "property_a": property_a,
        "police_a": police_a,
        "police_b": police_b,
        "coordinator": await factories.staff(Role.coordinator, a),
        "coordinator_b": await factories.staff(Role.coordinator, tree["community_b"]),
        "property_staff": await factories.staff(Role.organiser, property_a),
        "librarian": await factories.staff(Role.library_staff, tree["library_a"]),
        "reporter": await factories.resident("王小明"),
    }


async def reported(client: Client, user: User, community: Any, kind: str = "group_renting", **extra: Any) -> str:
    body = {"community_id": str(community.id), "kind": kind, "text": TEXT, **extra}
    made = await client.post("/api/v1/incidents", json=body, headers=factories.token_for(user))
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def read(client: Client, user: User, incident_id: str) -> dict[str, Any]:
    answer = await client.get(f"/api/v1/incidents/{incident_id}", headers=factories.token_for(user))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def route_group_renting_to_property(client: Client, world: dict[str, Any]) -> None:
    routes = [{"kind": "group_renting", "party": "property_company", "organisation_id": str(world["property_a"].id)}]
    answer = await client.put(
        f"/api/v1/communities/{world['a'].id}/incident-routing",
        json={"routes": routes},
        headers=factories.token_for(world["coordinator"]),
    )
    assert answer.status_code == 200, answer.text


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 60)).save(out, "JPEG")
    return out.getvalue()


async def test_a_coordinator_sees_the_queue_and_moves_a_report_to_resolved(
    client: Client, world: dict[str, Any]
) -> None:
    incident_id = await reported(client, world["reporter"], world["a"], latitude=31.2946, longitude=120.6285)
    csrf = await sign_in(client, world["coordinator"])
    home = await client.get("/console")
    assert 'href="/console/reports"' in home.text
    queue = await client.get("/console/reports")
    assert queue.status_code == 200
    assert "群租" in queue.text and "南园社区" in queue.text and "48" in queue.text
    shown = await client.get(f"/console/reports/{incident_id}")
    assert shown.status_code == 200
    assert TEXT in shown.text and "31.29460, 120.62850" in shown.text
    assert "王*明" in shown.text and "王小明" not in shown.text  # masked as the API masks it
    assert 'value="acknowledged"' in shown.text and 'value="resolved"' not in shown.text

    moved = await send(client, f"/console/reports/{incident_id}/status", csrf, status="acknowledged", note="已收到")
    assert moved.status_code == 303 and moved.headers["location"].endswith("?done=acknowledged")
    after = await client.get(moved.headers["location"])
    assert 'value="resolved"' in after.text and 'value="forwarded"' in after.text and "已收到" in after.text
    done = await send(
        client, f"/console/reports/{incident_id}/status", csrf, htmx=True, status="resolved", note="已处理"
    )
    assert done.status_code == 200 and done.headers["HX-Redirect"].endswith("?done=resolved")

    api = await read(client, world["coordinator"], incident_id)
    assert api["status"] == "resolved"
    assert [(c["status"], c["note"]) for c in api["history"]] == [
        ("reported", ""),
        ("acknowledged", "已收到"),
        ("resolved", "已处理"),
    ]


async def test_forwarding_offers_only_the_parties_the_routing_allows_and_the_party_resolves(
    client: Client, world: dict[str, Any]
) -> None:
    await route_group_renting_to_property(client, world)
    incident_id = await reported(client, world["reporter"], world["a"])
    csrf = await sign_in(client, world["coordinator"])
    await send(client, f"/console/reports/{incident_id}/status", csrf, status="acknowledged")
    shown = await client.get(f"/console/reports/{incident_id}")
    assert "南园物业" in shown.text and "双塔派出所" in shown.text  # the community's and its street's
    assert "斜塘派出所" not in shown.text  # another street's police station is not offered
    # Forcing one the page does not offer: the service's refusal, beside the choice.
    refused = await send(
        client,
        f"/console/reports/{incident_id}/status",
        csrf,
        htmx=True,
        status="forwarded",
        target=f"police:{world['police_b'].id}",
    )
    assert refused.status_code == 422 and refused.headers["HX-Retarget"] == "#problems"
    assert 'href="#field-target"' in refused.text
    forwarded = await send(
        client, f"/console/reports/{incident_id}/status", csrf, status="forwarded", note="请物业核查"
    )
    assert forwarded.status_code == 303
    assert (await read(client, world["coordinator"], incident_id))["party_organisation"]["name"] == "南园物业"

    client.cookies.clear()
    csrf = await sign_in(client, world["property_staff"])
    assert 'href="/console/reports"' in (await client.get("/console")).text
    queue = await client.get("/console/reports")
    assert "群租" in queue.text
    shown = await client.get(f"/console/reports/{incident_id}")
    assert "王*明" not in shown.text  # the party never learns who reported
    assert 'value="resolved"' in shown.text and 'name="target"' not in shown.text
    done = await send(client, f"/console/reports/{incident_id}/status", csrf, status="resolved", note="已清退")
    assert done.status_code == 303
    api = await read(client, world["reporter"], incident_id)
    assert api["status"] == "resolved" and api["history"][-1]["note"] == "已清退"


async def test_the_queue_filters_sorts_pages_and_marks_overdue(client: Client, world: dict[str, Any]) -> None:
    old = await reported(client, world["reporter"], world["a"], kind="noise")
    await reported(client, world["reporter"], world["a"], kind="group_renting")
    await Incident.update({Incident.created_at: Incident.created_at - timedelta(hours=72)}).where(Incident.id == old)
    await sign_in(client, world["coordinator"])
    everything = await client.get("/console/reports")
    assert everything.text.count('class="overdue"') == 1
    noise = await client.get("/console/reports", params={"kind": "noise"})
    assert "/console/reports/" + old in noise.text and noise.text.count('class="kind"') == 1
    resolved = await client.get("/console/reports", params={"status": "resolved"})
    assert "No report matches" in resolved.text or "没有" in resolved.text
    by_kind = await client.get("/console/reports", params={"sort": "-kind", "page": "9", "status": "bogus"})
    assert by_kind.status_code == 200
    nonsense = await client.get("/console/reports", params={"sort": "'; drop", "page": "x", "kind": "x"})
    assert nonsense.status_code == 200 and nonsense.text.count('class="kind"') == 2


async def test_the_photo_is_served_through_the_apis_authorised_service(client: Client, world: dict[str, Any]) -> None:
    incident_id = await reported(client, world["reporter"], world["a"])
    uploaded = await client.post(
        f"/api/v1/incidents/{incident_id}/photo",
        files={"file": ("p.jpg", photo_bytes(), "image/jpeg")},
        headers=factories.token_for(world["reporter"]),
    )
    assert uploaded.status_code == 200, uploaded.text
    await sign_in(client, world["coordinator"])
    shown = await client.get(f"/console/reports/{incident_id}")
    found = re.search(r'src="(/console/reports/[^"]+/photo/[^"]+)"', shown.text)
    assert found, shown.text
    image = await client.get(found.group(1))
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/")
    assert image.headers["cache-control"] == "private, no-store"
    assert (await client.get(f"/console/reports/{incident_id}/photo/nothing.jpg")).status_code == 404

    client.cookies.clear()
    await sign_in(client, world["coordinator_b"])
    assert (await client.get(found.group(1))).status_code == 404  # another community's: as in the API


async def test_refusals_read_as_the_apis(client: Client, world: dict[str, Any]) -> None:
    incident_id = await reported(client, world["reporter"], world["a"])
    # Another community's coordinator: not found, as in the API.
    csrf = await sign_in(client, world["coordinator_b"])
    assert (await client.get(f"/console/reports/{incident_id}")).status_code == 404
    assert incident_id not in (await client.get("/console/reports")).text
    stranger = await send(client, f"/console/reports/{incident_id}/status", csrf, status="acknowledged")
    assert stranger.status_code == 404
    assert (await client.get("/console/reports/not-an-id")).status_code == 404

    client.cookies.clear()
    csrf = await sign_in(client, world["coordinator"])
    # A move the flow does not allow: the API's 409 and its words.
    jump = await send(client, f"/console/reports/{incident_id}/status", csrf, htmx=True, status="forwarded")
    assert jump.status_code == 409 and jump.headers["HX-Retarget"] == "#problems"
    # Bad input: a form message, never a 500.
    bad = await send(client, f"/console/reports/{incident_id}/status", csrf, htmx=True, status="flying")
    assert bad.status_code == 422 and 'href="#field-status"' in bad.text
    long = await send(
        client, f"/console/reports/{incident_id}/status", csrf, htmx=True, status="acknowledged", note="长" * 501
    )
    assert long.status_code == 422 and 'href="#field-note"' in long.text
    odd = await send(
        client, f"/console/reports/{incident_id}/status", csrf, htmx=True, status="acknowledged", target="police:zzz"
    )
    assert odd.status_code == 422 and 'href="#field-target"' in odd.text
    # Without the token: refused, nothing moved.
    bare = await client.post(f"/console/reports/{incident_id}/status", data={"status": "acknowledged"})
    assert bare.status_code == 403
    assert (await read(client, world["coordinator"], incident_id))["status"] == "reported"


async def test_a_role_without_reports_finds_no_room(client: Client, world: dict[str, Any]) -> None:
    await sign_in(client, world["librarian"])
    assert 'href="/console/reports"' not in (await client.get("/console")).text
    assert (await client.get("/console/reports")).status_code == 403


async def test_the_room_speaks_the_staff_members_language(client: Client, world: dict[str, Any]) -> None:
    await reported(client, world["reporter"], world["a"])
    await sign_in(client, world["coordinator"])
    japanese = await client.get("/console/reports", params={"lang": "ja"})
    assert '<html lang="ja"' in japanese.text and "期限超過" in japanese.text
