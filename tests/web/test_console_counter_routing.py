"""The routing table of a community's incident reports over HTTP (both databases), inside the
reports room: linked from the queue for coordinators, each kind's row saved in place through the
API's ``set_incident_routing`` and read back through ``GET …/incident-routing``; the service's
refusals beside the row (an organisation of the wrong kind, one that does not serve the
community), another community's table 403 as in the API, an unknown one 404, no CSRF refused."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from backend.accounts.tables import OrganisationKind, Role, User
from tests import factories
from tests.web.console import send, sign_in

Client = httpx.AsyncClient


@pytest.fixture
async def world(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    a = tree["community_a"]
    property_a = await factories.organisation(OrganisationKind.property_company, a, "南园物业")
    return {
        "tree": tree,
        "a": a,
        "property_a": property_a,
        "police_a": await factories.organisation(OrganisationKind.police_station, tree["street_a"], "双塔派出所"),
        "police_b": await factories.organisation(OrganisationKind.police_station, tree["street_b"], "斜塘派出所"),
        "coordinator": await factories.staff(Role.coordinator, a),
        "coordinator_b": await factories.staff(Role.coordinator, tree["community_b"]),
        "property_staff": await factories.staff(Role.organiser, property_a),
        "librarian": await factories.staff(Role.library_staff, tree["library_a"]),
    }


async def routing(client: Client, user: User, community: Any) -> dict[str, dict[str, Any]]:
    answer = await client.get(f"/api/v1/communities/{community.id}/incident-routing", headers=factories.token_for(user))
    assert answer.status_code == 200, answer.text
    return {rule["kind"]: rule for rule in answer.json()}


async def test_a_coordinator_routes_a_kind_in_place_and_back(client: Client, world: dict[str, Any]) -> None:
    csrf = await sign_in(client, world["coordinator"])
    queue = await client.get("/console/reports")
    table_path = f"/console/reports/routing/{world['a'].id}"
    assert f'href="{table_path}"' in queue.text
    table = await client.get(table_path)
    assert table.status_code == 200, table.text
    assert "群租" in table.text and "南园物业" in table.text and "双塔派出所" in table.text
    assert "斜塘派出所" not in table.text  # another street's station is not offered

    target = f"property_company:{world['property_a'].id}"
    saved = await send(client, f"{table_path}/group_renting", csrf, htmx=True, target=target)
    assert saved.status_code == 200, saved.text
    assert saved.text.lstrip().startswith('<tr id="route-group_renting"') and "已保存" in saved.text
    rule = (await routing(client, world["coordinator"], world["a"]))["group_renting"]
    assert (rule["party"], rule["organisation"]["id"], rule["is_default"]) == (
        "property_company",
        str(world["property_a"].id),
        False,
    )
    police = await send(client, f"{table_path}/noise", csrf, target=f"police:{world['police_a'].id}")
    assert police.status_code == 303 and police.headers["location"] == f"{table_path}?saved=noise"
    both = await routing(client, world["coordinator"], world["a"])
    assert both["noise"]["party"] == "police" and both["group_renting"]["party"] == "property_company"

    back = await send(client, f"{table_path}/group_renting", csrf, htmx=True, target="")
    assert back.status_code == 200, back.text
    after = await routing(client, world["coordinator"], world["a"])
    assert after["group_renting"]["is_default"] is True and after["noise"]["party"] == "police"


async def test_the_services_refusals_stand_beside_the_row(client: Client, world: dict[str, Any]) -> None:
    csrf = await sign_in(client, world["coordinator"])
    table_path = f"/console/reports/routing/{world['a'].id}"
    wrong_kind = await send(client, f"{table_path}/noise", csrf, htmx=True, target=f"police:{world['property_a'].id}")
    assert wrong_kind.status_code == 422, wrong_kind.text
    assert 'id="route-noise"' in wrong_kind.text and "不能作为" in wrong_kind.text
    assert 'aria-invalid="true"' in wrong_kind.text
    elsewhere = await send(client, f"{table_path}/noise", csrf, htmx=True, target=f"police:{world['police_b'].id}")
    assert elsewhere.status_code == 422 and "斜塘派出所" in elsewhere.text and 'id="route-noise"' in elsewhere.text
    for bad in ("nobody:", "police:not-a-uuid", f"police:{uuid.uuid4()}"):
        refused = await send(client, f"{table_path}/noise", csrf, htmx=True, target=bad)
        assert refused.status_code == 422, (bad, refused.text)
    unknown_kind = await send(client, f"{table_path}/earthquake", csrf, target="")
    assert unknown_kind.status_code == 404
    page_refusal = await send(client, f"{table_path}/noise", csrf, target=f"police:{world['police_b'].id}")
    assert page_refusal.status_code == 422 and "斜塘派出所" in page_refusal.text  # without htmx: a page
    assert (await routing(client, world["coordinator"], world["a"]))["noise"]["is_default"] is True


async def test_another_communitys_table_is_refused_as_in_the_api(client: Client, world: dict[str, Any]) -> None:
    csrf = await sign_in(client, world["coordinator_b"])
    table_path = f"/console/reports/routing/{world['a'].id}"
    assert (await client.get(table_path)).status_code == 403
    refused = await send(client, f"{table_path}/noise", csrf, target=f"police:{world['police_a'].id}")
    assert refused.status_code == 403
    assert (await client.get(f"/console/reports/routing/{uuid.uuid4()}")).status_code == 404
    assert f'href="{table_path}"' not in (await client.get("/console/reports")).text


async def test_no_csrf_no_change_and_others_kept_out(client: Client, world: dict[str, Any]) -> None:
    await sign_in(client, world["coordinator"])
    table_path = f"/console/reports/routing/{world['a'].id}"
    refused = await client.post(f"{table_path}/noise", data={"target": f"police:{world['police_a'].id}"})
    assert refused.status_code == 403
    assert (await routing(client, world["coordinator"], world["a"]))["noise"]["is_default"] is True

    await client.post("/console/logout", data={"_csrf": await _csrf(client)})
    await sign_in(client, world["property_staff"])  # sees forwarded reports, sets no routing
    assert "/console/reports/routing/" not in (await client.get("/console/reports")).text
    assert (await client.get(table_path)).status_code == 403
    await client.post("/console/logout", data={"_csrf": await _csrf(client)})
    await sign_in(client, world["librarian"])
    assert (await client.get(table_path)).status_code == 403


async def _csrf(client: Client) -> str:
    from tests.web.console import csrf_of

    return csrf_of((await client.get("/console")).text)
