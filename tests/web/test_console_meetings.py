"""The convenors' room over HTTP (both databases): its door (no session, staff who neither convene
nor own an action, a convenor of another community refused as the API refuses them), convening
through the form with its refusals beside the fields, announcing, moderating residents' opinions
in place (a decline without a reason refused in the reader's language), the minutes with a
follow-up action, the owner's staff updating it, each read back through the API, and CSRF."""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime, timedelta
from typing import Any

import httpx

from backend.accounts.tables import Role
from backend.core.i18n import CITY_TZ
from backend.governance.meetings.tables import Meeting
from tests import factories
from tests.governance.meetings_world import V1, audited, auth, begin, world
from tests.web.console import csrf_of, send, sign_in

__all__ = ["world"]

Client = httpx.AsyncClient
TOKEN = re.compile(r'name="(agenda_r[0-9a-f]{6})\.zh-Hans"')


def local(moment: datetime) -> str:
    return moment.astimezone(CITY_TZ).strftime("%Y-%m-%dT%H:%M")


async def convene_form(client: Client, w: dict[str, Any], **overrides: str) -> dict[str, str]:
    """The convening form as the browser fills it in: the row token the page gave its agenda item."""
    new = await client.get("/console/meetings/new")
    assert new.status_code == 200, new.text
    [row] = TOKEN.findall(new.text)
    start = datetime.now(CITY_TZ).replace(second=0, microsecond=0) + timedelta(days=3)
    return {
        "community_id": str(w["community"].id),
        "kind": "consultation",
        "title.zh-Hans": "南园新村群租整治民情恳谈会",
        "title.en": "Group renting in Nanyuan: a consultation",
        "question.zh-Hans": "南园部分小区出现群租，如何整治？",
        f"{row}.zh-Hans": "群租现状",
        "venue_id": str(w["venue"].id),
        "capacity": "40",
        "starts_at": local(start),
        "ends_at": local(start + timedelta(hours=2)),
        **overrides,
    }


async def convened_in_console(client: Client, w: dict[str, Any], csrf: str) -> str:
    form = await convene_form(client, w)
    made = await client.post(
        "/console/meetings",
        data={**form, "parties": [str(w["company"].id), str(w["police"].id)], "_csrf": csrf},  # type: ignore[dict-item]
    )
    assert made.status_code == 303, made.text
    assert made.headers["location"].endswith("?said=meeting_convened")
    return made.headers["location"].split("/")[-1].split("?")[0]


async def announced(client: Client, w: dict[str, Any], csrf: str) -> dict[str, Any]:
    meeting_id = await convened_in_console(client, w, csrf)
    asked = await client.get(f"/console/meetings/{meeting_id}/announce")
    assert asked.status_code == 200 and 'action="/console/meetings/' in asked.text
    done = await send(client, f"/console/meetings/{meeting_id}/announce", csrf)
    assert done.status_code == 303 and done.headers["location"].endswith("?said=meeting_announced")
    read = await client.get(f"{V1}/meetings/{meeting_id}")
    assert read.status_code == 200 and read.json()["status"] == "open"
    return dict(read.json())


async def opinion(client: Client, w: dict[str, Any], meeting: dict[str, Any], who: int, text: str) -> str:
    body = {"item_id": meeting["agenda"][0]["id"], "text": text}
    sent = await client.post(f"{V1}/meetings/{meeting['id']}/submissions", json=body, headers=auth(w["residents"][who]))
    assert sent.status_code == 201, sent.text
    return str(sent.json()["id"])


async def test_the_door_opens_to_convenors_and_action_owners_only(client: Client, world: dict[str, Any]) -> None:
    nobody = await client.get("/console/meetings")
    assert nobody.status_code == 303 and "/console/login" in nobody.headers["location"]

    librarian = await factories.staff(Role.library_staff, world["tree"]["library_a"])
    await sign_in(client, librarian)
    home = await client.get("/console")
    assert 'href="/console/meetings"' not in home.text
    assert (await client.get("/console/meetings")).status_code == 403
    assert (await client.get("/console/meetings/actions")).status_code == 403

    # The property company's staff convene nowhere: the room is not theirs until they own an action.
    client.cookies.clear()
    await sign_in(client, world["company_staff"])
    assert (await client.get("/console/meetings")).status_code == 403

    client.cookies.clear()
    await sign_in(client, world["convenor"])
    home = await client.get("/console")
    assert 'href="/console/meetings"' in home.text
    listed = await client.get("/console/meetings")
    assert listed.status_code == 200 and 'href="/console/meetings/new"' in listed.text


async def test_a_convenor_of_another_community_is_refused_as_the_api_refuses(
    client: Client, world: dict[str, Any]
) -> None:
    csrf = await sign_in(client, world["convenor"])
    draft_id = await convened_in_console(client, world, csrf)
    meeting = await announced(client, world, csrf)
    said = await opinion(client, world, meeting, 0, "建议联合派出所定期排查群租房")

    client.cookies.clear()
    other = await factories.staff(Role.organiser, world["tree"]["community_b"])
    csrf_b = await sign_in(client, other)
    assert (await client.get("/console/meetings")).status_code == 200  # they convene in their own community
    listed = await client.get("/console/meetings")
    assert "群租整治" not in listed.text
    assert (await client.get(f"/console/meetings/{draft_id}")).status_code == 404  # a draft: not there
    assert (await client.get(f"/console/meetings/{meeting['id']}")).status_code == 403  # announced: not theirs
    refused = await send(client, f"/console/meetings/submissions/{said}", csrf_b, htmx=True, status="accepted")
    assert refused.status_code == 404 and refused.headers["HX-Retarget"] == "#problems"
    queue = await client.get(f"{V1}/meetings/{meeting['id']}/submissions", headers=auth(world["convenor"]))
    assert [s["status"] for s in queue.json()] == ["pending"]


async def test_convening_refusals_read_beside_their_fields(client: Client, world: dict[str, Any]) -> None:
    csrf = await sign_in(client, world["convenor"])
    form = await convene_form(client, world)
    row = next(key for key in form if key.startswith("agenda_")).split(".")[0]
    empty_agenda = {k: v for k, v in form.items() if not k.startswith("agenda_")}
    refused = await send(client, "/console/meetings", csrf, htmx=True, **empty_agenda)
    assert refused.status_code == 422 and refused.headers["HX-Retarget"] == "#problems"
    assert 'href="#field-agenda"' in refused.text
    too_long = await send(client, "/console/meetings", csrf, htmx=True, **{**form, f"{row}.zh-Hans": "长" * 121})
    assert too_long.status_code == 422 and f'href="#field-{row}"' in too_long.text
    no_question = {k: v for k, v in form.items() if not k.startswith("question")}
    said = await send(client, "/console/meetings", csrf, htmx=True, **no_question)
    assert said.status_code == 422 and 'href="#field-question"' in said.text
    elsewhere = await send(client, "/console/meetings", csrf, htmx=True, **form, parties=str(world["other_company"].id))
    assert elsewhere.status_code == 422 and 'href="#field-parties"' in elsewhere.text
    assert await Meeting.count() == 0


async def test_from_convening_to_an_action_updated_by_its_owner(client: Client, world: dict[str, Any]) -> None:
    csrf = await sign_in(client, world["convenor"])
    meeting = await announced(client, world, csrf)
    listed = await client.get("/console/meetings?state=announced")
    assert "南园新村群租整治民情恳谈会" in listed.text
    assert (await client.get("/console/meetings?state=draft")).text.count("/console/meetings/" + meeting["id"]) == 0

    kept = await opinion(client, world, meeting, 0, "建议物业加强门禁登记")
    dropped = await opinion(client, world, meeting, 3, "与议题无关的广告")
    shown = await client.get(f"/console/meetings/{meeting['id']}")
    assert "建议物业加强门禁登记" in shown.text and "北*" in shown.text and "北0" not in shown.text
    listed = await client.get("/console/meetings")
    assert re.search(r"<strong>2</strong>", listed.text)  # two opinions waiting

    accepted = await send(client, f"/console/meetings/submissions/{kept}", csrf, htmx=True, status="accepted")
    assert accepted.status_code == 200 and f'id="submission-{kept}"' in accepted.text
    assert 'value="accepted"' not in accepted.text  # decided: no more buttons
    no_reason = await send(client, f"/console/meetings/submissions/{dropped}", csrf, htmx=True, status="declined")
    assert no_reason.status_code == 422 and "请说明不予采纳的理由。" in no_reason.text
    assert f'id="submission-{dropped}"' in no_reason.text and "HX-Retarget" not in no_reason.headers
    declined = await send(
        client, f"/console/meetings/submissions/{dropped}", csrf, htmx=True, status="declined", reason="与本次议题无关"
    )
    assert declined.status_code == 200 and "与本次议题无关" in declined.text
    queue = await client.get(f"{V1}/meetings/{meeting['id']}/submissions", headers=auth(world["convenor"]))
    assert {s["id"]: (s["status"], s["reason"]) for s in queue.json()} == {
        kept: ("accepted", ""),
        dropped: ("declined", "与本次议题无关"),
    }

    await begin(meeting)
    page = await client.get(f"/console/meetings/{meeting['id']}")
    decision = re.search(r'name="(d_r[0-9a-f]{6})\.zh-Hans"', page.text)
    action = re.search(r'name="(a_r[0-9a-f]{6}_r[0-9a-f]{6})\.zh-Hans"', page.text)
    assert decision and action
    d, a = decision.group(1), action.group(1)
    due = date.today() + timedelta(days=30)
    minutes = {
        "minutes.zh-Hans": "与会居民和各方就群租整治达成共识。",
        f"{d}.zh-Hans": "联合排查群租房",
        f"{d}_item": meeting["agenda"][0]["id"],
        f"{a}.zh-Hans": "门禁登记",
        f"{a}_owner": str(world["other_company"].id),
        f"{a}_due": due.isoformat(),
    }
    not_a_party = await send(client, f"/console/meetings/{meeting['id']}/minutes", csrf, htmx=True, **minutes)
    assert not_a_party.status_code == 422 and "HX-Retarget" in not_a_party.headers
    published = await send(
        client,
        f"/console/meetings/{meeting['id']}/minutes",
        csrf,
        **{**minutes, f"{a}_owner": str(world["company"].id)},
    )
    assert published.status_code == 303, published.text
    after = await client.get(published.headers["location"])
    assert "与会居民和各方就群租整治达成共识。" in after.text and "门禁登记" in after.text
    assert 'name="minutes.zh-Hans"' not in after.text  # published: read only

    client.cookies.clear()
    csrf_company = await sign_in(client, world["company_staff"])
    actions = await client.get("/console/meetings/actions")
    assert actions.status_code == 200 and "门禁登记" in actions.text
    assert f'href="/communities/{world["community"].id}/board"' in actions.text
    [action_id] = re.findall(r'id="action-([0-9a-f-]{36})"', actions.text)
    updated = await send(
        client,
        f"/console/meetings/actions/{action_id}",
        csrf_company,
        htmx=True,
        status="in_progress",
        **{"note.zh-Hans": "已登记12户"},
    )
    assert updated.status_code == 200 and "已登记12户" in updated.text
    read = await client.get(f"{V1}/meetings/{meeting['id']}")
    [action_read] = read.json()["decisions"][0]["actions"]
    assert action_read["status"] == "in_progress"
    assert [u["note"] for u in action_read["updates"]] == ["已登记12户"]


async def test_changes_without_the_csrf_token_are_refused(client: Client, world: dict[str, Any]) -> None:
    csrf = await sign_in(client, world["convenor"])
    form = await convene_form(client, world)
    refused = await client.post("/console/meetings", data=form)
    assert refused.status_code == 403
    assert await Meeting.count() == 0
    meeting_id = await convened_in_console(client, world, csrf)
    unannounced = await client.post(f"/console/meetings/{meeting_id}/announce", data={})
    assert unannounced.status_code == 403
    read = await client.get(f"{V1}/meetings/{meeting_id}", headers=auth(world["convenor"]))
    assert read.json()["status"] == "draft"


async def test_two_convenors_deciding_one_opinion_at_once_decide_it_once(client: Client, world: dict[str, Any]) -> None:
    csrf = await sign_in(client, world["convenor"])
    meeting = await announced(client, world, csrf)
    said = await opinion(client, world, meeting, 0, "建议物业加强门禁登记")
    answers = await asyncio.gather(
        send(client, f"/console/meetings/submissions/{said}", csrf, htmx=True, status="accepted"),
        send(client, f"/console/meetings/submissions/{said}", csrf, htmx=True, status="declined", reason="重复"),
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    refused = next(a for a in answers if a.status_code == 409)
    assert f'id="submission-{said}"' in refused.text and "field-problem" in refused.text
    decided = await audited("governance.submission_accepted") + await audited("governance.submission_declined")
    assert len(decided) == 1


async def test_the_parties_offered_are_those_of_the_chosen_community_only(
    client: Client, world: dict[str, Any]
) -> None:
    """A street's organiser convenes in each community of the street; the parties the form offers
    follow the community chosen, and a community outside their scope offers none."""
    street = await factories.staff(Role.organiser, world["tree"]["street_a"])
    await sign_in(client, street)
    form = await client.get("/console/meetings/new")
    assert form.status_code == 200 and "南园物业" in form.text and "双塔派出所" in form.text
    assert "别处物业" not in form.text  # another community's property company
    mine = await client.get(f"/console/meetings/parties?community_id={world['community'].id}")
    assert "南园物业" in mine.text and "双塔街道" in mine.text
    elsewhere = await client.get(f"/console/meetings/parties?community_id={world['tree']['community_b'].id}")
    assert elsewhere.status_code == 200 and 'type="checkbox"' not in elsewhere.text
    assert (await client.get("/console/meetings/some-meeting")).status_code == 404


async def test_a_meeting_for_one_estate_is_convened_in_the_console_and_heard_from_it_only(
    client: Client, world: dict[str, Any]
) -> None:
    """The form offers the community's own places (the whole community, each estate); a meeting
    for the north estate hears only the north's residents, as the API rules; a place of another
    community is refused beside the field, in the reader's language."""
    await sign_in(client, world["convenor"])
    csrf = csrf_of((await client.get("/console/meetings/new")).text)
    form = await convene_form(client, world)
    north = f"estates:{world['north']}"
    offered = await client.get(f"/console/meetings/parties?community_id={world['community'].id}")
    assert f'value="{north}"' in offered.text and 'value="community"' in offered.text
    assert str(world["elsewhere"]) not in offered.text
    refused = await send(
        client, "/console/meetings?lang=en", csrf, htmx=True, **form, audience=f"estates:{world['elsewhere']}"
    )
    assert refused.status_code == 422 and 'href="#field-audience"' in refused.text
    assert "The audience must be estates, the alliance or a grid of this community." in refused.text
    made = await client.post("/console/meetings", data={**form, "audience": north, "_csrf": csrf})
    assert made.status_code == 303, made.text
    meeting_id = made.headers["location"].split("/")[-1].split("?")[0]
    shown = await client.get(f"/console/meetings/{meeting_id}")
    assert "The whole community" not in shown.text and "全体居民" not in shown.text
    done = await send(client, f"/console/meetings/{meeting_id}/announce", csrf)
    assert done.status_code == 303
    meeting = (await client.get(f"{V1}/meetings/{meeting_id}")).json()
    assert meeting["audience"] == "estates"
    item = meeting["agenda"][0]["id"]
    heard = await client.post(
        f"{V1}/meetings/{meeting_id}/submissions",
        json={"item_id": item, "text": "北区门禁要登记"},
        headers=auth(world["residents"][0]),
    )
    assert heard.status_code == 201, heard.text
    south = await client.post(
        f"{V1}/meetings/{meeting_id}/submissions",
        json={"item_id": item, "text": "南区也想说"},
        headers=auth(world["residents"][3]),
    )
    assert south.status_code == 403, south.text
