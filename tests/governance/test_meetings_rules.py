"""Meetings' rules over HTTP, on both databases: who convenes, which parties and audiences, who
may submit and how often (also at once), moderation, minutes, and who moves an action."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

from backend.accounts.tables import Role
from backend.governance.meetings.tables import Action, Meeting, Submission
from tests import factories
from tests.governance.meetings_world import (
    EN,
    V1,
    Client,
    audited,
    auth,
    begin,
    convened,
    lives_in,
    meeting_body,
    minutes_body,
    moderate,
    submit,
    world,
)
from tests.web.console import sign_in

__all__ = ["world"]


async def concluded(client: Client, world: dict[str, Any], due: date | None = None) -> dict[str, Any]:
    meeting = await convened(client, world)
    await begin(meeting)
    answer = await client.post(
        f"{V1}/meetings/{meeting['id']}/minutes",
        json=minutes_body(world, meeting, due or date.today() + timedelta(days=30)),
        headers=auth(world["convenor"], **EN),
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


# --- convening ----------------------------------------------------------------------------------


async def test_only_community_staff_convene(client: Client, world: dict[str, Any]) -> None:
    body = meeting_body(world)
    for outsider in (world["residents"][0], world["company_staff"], world["police_staff"]):
        refused = await client.post(f"{V1}/meetings", json=body, headers=auth(outsider, **EN))
        assert refused.status_code == 403, refused.text
    assert await Meeting.count() == 0


async def test_parties_and_audience_must_serve_the_community(client: Client, world: dict[str, Any]) -> None:
    headers = auth(world["convenor"], **EN)
    foreign_party = meeting_body(world, parties=[str(world["other_company"].id)])
    answer = await client.post(f"{V1}/meetings", json=foreign_party, headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (422, "party_elsewhere")
    foreign_estate = meeting_body(world, audience={"kind": "estates", "ids": [str(world["elsewhere"])]})
    answer = await client.post(f"{V1}/meetings", json=foreign_estate, headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (422, "audience_elsewhere")
    blank = meeting_body(world, question={"en": "  "})
    answer = await client.post(f"{V1}/meetings", json=blank, headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (422, "text_required")
    assert await Meeting.count() == 0


async def test_a_draft_is_the_convenors_alone(client: Client, world: dict[str, Any]) -> None:
    created = await client.post(f"{V1}/meetings", json=meeting_body(world), headers=auth(world["convenor"]))
    assert created.status_code == 201 and created.json()["status"] == "draft"
    meeting_id = created.json()["id"]
    assert (await client.get(f"{V1}/meetings/{meeting_id}")).status_code == 404
    assert (await client.get(f"{V1}/meetings/{meeting_id}", headers=auth(world["residents"][0]))).status_code == 404
    listed = await client.get(f"{V1}/meetings", params={"community_id": str(world["community"].id)})
    assert listed.json() == []
    mine = await client.get(
        f"{V1}/meetings", params={"community_id": str(world["community"].id)}, headers=auth(world["convenor"])
    )
    assert [m["id"] for m in mine.json()] == [meeting_id]
    announced = await client.post(f"{V1}/meetings/{meeting_id}/announce", headers=auth(world["convenor"]))
    assert announced.json()["status"] == "open"
    again = await client.post(f"{V1}/meetings/{meeting_id}/announce", headers=auth(world["convenor"], **EN))
    assert (again.status_code, again.json()["code"]) == (409, "meeting_not_draft")
    assert len(await audited("events.event_published")) == 1
    # The meeting's event is published: residents may sign up for it.
    event = await client.get(f"{V1}/events/{announced.json()['event_id']}")
    assert event.status_code == 200


# --- submissions --------------------------------------------------------------------------------


async def test_only_residents_of_the_audience_submit(client: Client, world: dict[str, Any]) -> None:
    meeting = await convened(client, world, audience={"kind": "estates", "ids": [str(world["north"])]})
    south = world["residents"][3]
    refused = await submit(client, south, meeting, "我也想说")
    assert (refused.status_code, refused.json()["code"]) == (403, "not_in_audience")
    homeless = await factories.resident()
    refused = await submit(client, homeless, meeting, "我也想说")
    assert (refused.status_code, refused.json()["code"]) == (403, "not_in_audience")
    await lives_in(client, homeless, world["north"])
    assert (await submit(client, homeless, meeting, "我也想说")).status_code == 201


async def test_a_few_opinions_per_item_even_at_once(client: Client, world: dict[str, Any]) -> None:
    meeting = await convened(client, world)
    resident = world["residents"][0]
    answers = await asyncio.gather(*(submit(client, resident, meeting, f"意见{i}") for i in range(5)))
    assert sorted(a.status_code for a in answers) == [201, 201, 201, 409, 409]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"submission_limit"}
    assert await Submission.count().where(Submission.user == resident.id) == 3
    # Another item has its own three.
    assert (await submit(client, resident, meeting, "另一议题", item=1)).status_code == 201


async def test_submissions_close_when_the_meeting_begins(client: Client, world: dict[str, Any]) -> None:
    meeting = await convened(client, world)
    await begin(meeting)
    late = await submit(client, world["residents"][0], meeting, "来晚了")
    assert (late.status_code, late.json()["code"]) == (409, "submissions_closed")
    other = await convened(client, world)
    wrong_item = await client.post(
        f"{V1}/meetings/{other['id']}/submissions",
        json={"item_id": meeting["agenda"][0]["id"], "text": "串了"},
        headers=auth(world["residents"][0], **EN),
    )
    assert (wrong_item.status_code, wrong_item.json()["code"]) == (422, "agenda_item_not_found")
    blank = await submit(client, world["residents"][0], other, "   ")
    assert (blank.status_code, blank.json()["code"]) == (422, "submission_text_invalid")
    assert await Submission.count() == 0


async def test_moderation_declines_with_a_reason_once(client: Client, world: dict[str, Any]) -> None:
    meeting = await convened(client, world)
    resident = world["residents"][0]
    said = (await submit(client, resident, meeting, "与议题无关的广告")).json()
    nobody = await moderate(client, world, said["id"], "declined")
    assert (nobody.status_code, nobody.json()["code"]) == (422, "reason_required")
    stranger = await client.patch(
        f"{V1}/meeting-submissions/{said['id']}",
        json={"status": "accepted"},
        headers=auth(world["company_staff"], **EN),
    )
    assert stranger.status_code == 404
    declined = await moderate(client, world, said["id"], "declined", "与本次议题无关")
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    again = await moderate(client, world, said["id"], "accepted")
    assert (again.status_code, again.json()["code"]) == (409, "submission_decided")
    [entry] = await audited("governance.submission_declined")
    assert entry["changes"]["reason"] == ["与本次议题无关"] or entry["changes"]["reason"][1] == "与本次议题无关"
    mine = (await client.get(f"{V1}/meetings/{meeting['id']}/submissions/mine", headers=auth(resident))).json()
    assert [(s["status"], s["reason"]) for s in mine] == [("declined", "与本次议题无关")]
    public = (await client.get(f"{V1}/meetings/{meeting['id']}")).json()
    assert all(item["submissions"] == [] for item in public["agenda"])
    queue = await client.get(f"{V1}/meetings/{meeting['id']}/submissions", headers=auth(resident))
    assert queue.status_code == 403


# --- minutes and actions ------------------------------------------------------------------------


async def test_minutes_once_after_it_began_with_owners_among_the_parties(client: Client, world: dict[str, Any]) -> None:
    meeting = await convened(client, world)
    headers = auth(world["convenor"], **EN)
    body = minutes_body(world, meeting, date.today() + timedelta(days=30))
    early = await client.post(f"{V1}/meetings/{meeting['id']}/minutes", json=body, headers=headers)
    assert (early.status_code, early.json()["code"]) == (409, "meeting_not_held")
    await begin(meeting)
    stranger = await client.post(
        f"{V1}/meetings/{meeting['id']}/minutes", json=body, headers=auth(world["company_staff"])
    )
    assert stranger.status_code == 403
    foreign = minutes_body(world, meeting, date.today())
    foreign["decisions"][0]["actions"][0]["owner_id"] = str(world["other_company"].id)
    answer = await client.post(f"{V1}/meetings/{meeting['id']}/minutes", json=foreign, headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (422, "owner_not_party")
    assert await Action.count() == 0
    assert (await client.post(f"{V1}/meetings/{meeting['id']}/minutes", json=body, headers=headers)).status_code == 201
    twice = await client.post(f"{V1}/meetings/{meeting['id']}/minutes", json=body, headers=headers)
    assert (twice.status_code, twice.json()["code"]) == (409, "minutes_already_published")
    assert await Action.count() == 2


async def test_only_the_owner_or_a_convenor_moves_an_action_and_done_is_final(
    client: Client, world: dict[str, Any]
) -> None:
    meeting = await concluded(client, world)
    company_action = next(a for a in meeting["decisions"][0]["actions"] if a["owner"]["name"] == "南园物业")
    url = f"{V1}/meeting-actions/{company_action['id']}/updates"
    for outsider in (world["police_staff"], world["residents"][0]):
        refused = await client.post(url, json={"status": "in_progress"}, headers=auth(outsider, **EN))
        assert refused.status_code == 404, refused.text
    step = await client.post(url, json={"status": "in_progress"}, headers=auth(world["convenor"], **EN))
    assert step.status_code == 201 and step.json()["status_name"] == "In progress"
    [entry] = await audited("governance.action_updated")
    assert entry["permission"] == "manage_events" and entry["organisation"] == world["community"].id
    done = await client.post(url, json={"status": "done"}, headers=auth(world["company_staff"], **EN))
    assert done.status_code == 201
    after = await client.post(url, json={"status": "in_progress"}, headers=auth(world["company_staff"], **EN))
    assert (after.status_code, after.json()["code"]) == (409, "action_closed")
    assert [u["status"] for u in done.json()["updates"]] == ["in_progress", "done"]


async def test_a_partys_staff_see_what_they_must_act_on(client: Client, world: dict[str, Any]) -> None:
    meeting = await concluded(client, world)
    police = (await client.get(f"{V1}/meeting-actions", headers=auth(world["police_staff"], **EN))).json()
    assert [(a["meeting"], a["action"]["title"]) for a in police] == [
        ("Group renting: a consultation", "Door-to-door checks")
    ]
    assert police[0]["meeting_id"] == meeting["id"]
    assert (await client.get(f"{V1}/meeting-actions", headers=auth(world["residents"][0]))).json() == []
    company_action = police[0]["action"]["id"]
    done = await client.post(
        f"{V1}/meeting-actions/{company_action}/updates", json={"status": "done"}, headers=auth(world["police_staff"])
    )
    assert done.status_code == 201
    assert (await client.get(f"{V1}/meeting-actions", headers=auth(world["police_staff"]))).json() == []


# --- the board ----------------------------------------------------------------------------------


async def test_the_board_shows_only_concluded_meetings_and_counts_five_or_more(
    client: Client, world: dict[str, Any]
) -> None:
    open_meeting = await convened(client, world)
    # Five residents of the commercial estate, born in the 1990s (youth), write to it.
    writers = world["residents"][:3] + [await factories.resident() for _ in range(2)]
    for writer in writers[3:]:
        await lives_in(client, writer, world["north"])
    from backend.accounts.tables import User

    await User.update({User.birth_year: datetime.now(UTC).year - 30}).where(User.id.is_in([w.id for w in writers]))
    for writer in writers:
        assert (await submit(client, writer, open_meeting, "建议")).status_code == 201
    board = (await client.get(f"{V1}/communities/{world['community'].id}/board", headers=EN)).json()
    assert board["meetings"] == [] and board["totals"]["decisions"] == 0
    await begin(open_meeting)
    body = minutes_body(world, open_meeting, date.today() + timedelta(days=3))
    headers = auth(world["convenor"], **EN)
    assert (
        await client.post(f"{V1}/meetings/{open_meeting['id']}/minutes", json=body, headers=headers)
    ).status_code == 201
    board = (await client.get(f"{V1}/communities/{world['community'].id}/board", headers=EN)).json()
    [shown] = board["meetings"]
    assert shown["said"] == 0  # none accepted
    assert [(c["group"], c["name"], c["people"]) for c in shown["participation_by_estate_kind"]] == [
        ("commercial", "Commercial housing", 5)
    ]
    assert [(c["group"], c["people"]) for c in shown["participation_by_age_band"]] == [("youth", 5)]
    unknown = await client.get(f"{V1}/communities/{world['north']}/board", headers=EN)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "community_not_found")


# --- privacy ------------------------------------------------------------------------------------


async def test_export_and_erasure_keep_what_was_said_anonymised(client: Client, world: dict[str, Any]) -> None:
    meeting = await convened(client, world)
    resident = world["residents"][0]
    kept = (await submit(client, resident, meeting, "建议物业加强门禁登记", named=True)).json()
    await submit(client, resident, meeting, "还没审核的意见")
    assert (await moderate(client, world, kept["id"], "accepted")).status_code == 200

    exported = (await client.get(f"{V1}/me/export", headers=auth(resident))).json()
    mine = exported["domains"]["governance"]["meetings"]["submissions"]
    assert [(s["text"], s["status"], s["named"]) for s in mine] == [
        ("建议物业加强门禁登记", "accepted", True),
        ("还没审核的意见", "pending", False),
    ]
    assert mine[0]["meeting_title"]["zh-Hans"] == "群租整治民情恳谈会"

    assert (await client.delete(f"{V1}/me", headers=auth(resident))).status_code == 204
    rows = await Submission.select(Submission.text, Submission.user, Submission.named)
    assert rows == [{"text": "建议物业加强门禁登记", "user": None, "named": False}]
    public = (await client.get(f"{V1}/meetings/{meeting['id']}")).json()
    assert [(s["text"], s["author"]) for s in public["agenda"][0]["submissions"]] == [("建议物业加强门禁登记", None)]


async def test_an_accepted_opinion_earns_points_a_declined_one_none(client: Client, world: dict[str, Any]) -> None:
    """Participation points for a say (the community's ``meeting_opinion`` rule), written with the
    acceptance; a declined opinion, or accepting twice, adds nothing."""
    meeting = await convened(client, world)
    resident = world["residents"][0]
    heard = (await submit(client, resident, meeting, "建议物业公示群租整治进度")).json()
    ignored = (await submit(client, resident, meeting, "与议题无关的广告")).json()
    assert (await moderate(client, world, heard["id"], "accepted")).status_code == 200
    assert (await moderate(client, world, ignored["id"], "declined", "与本次议题无关")).status_code == 200
    assert (await moderate(client, world, heard["id"], "accepted")).status_code == 409

    points = (await client.get(f"{V1}/me/points", params={"lang": "en"}, headers=auth(resident))).json()
    assert points["balance"] == 5
    [entry] = points["entries"]
    assert entry["reason"] == "meeting_opinion" and entry["reason_text"].startswith("Your opinion was heard: ")


async def test_a_report_says_which_meeting_took_it_up_and_what_was_decided(
    client: Client, world: dict[str, Any]
) -> None:
    """An agenda item may take up reports of its community; the report's answer then names the
    meeting and, once the minutes are out, the actions set on that item (a draft names nothing)."""
    reporter = world["residents"][0]
    body = {
        "community_id": str(world["community"].id),
        "kind": "group_renting",
        "text": "5幢302疑似群租，夜间人员进出频繁",
    }
    made = await client.post(f"{V1}/incidents", json=body, headers=auth(reporter, **EN))
    assert made.status_code == 201, made.text
    incident_id = made.json()["id"]
    elsewhere = await client.post(
        f"{V1}/incidents",
        json={**body, "community_id": str(world["tree"]["community_b"].id)},
        headers=auth(world["residents"][1], **EN),
    )
    assert elsewhere.status_code == 201, elsewhere.text

    agenda = [{"title": {"zh-Hans": "群租现状", "en": "Group renting today"}, "incident_ids": [incident_id]}]
    refused = await client.post(
        f"{V1}/meetings",
        json=meeting_body(world, agenda=[{**agenda[0], "incident_ids": [elsewhere.json()["id"]]}]),
        headers=auth(world["convenor"], **EN),
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "report_elsewhere")

    meeting = await convened(client, world, agenda=agenda)
    read = (await client.get(f"{V1}/incidents/{incident_id}", headers=auth(reporter, **EN))).json()
    [taken] = read["dealt_with"]
    assert (taken["meeting_id"], taken["item"], taken["actions"]) == (meeting["id"], "Group renting today", [])

    await begin(meeting)
    item_id = meeting["agenda"][0]["id"]
    due = date(date.today().year + 1, 1, 31)  # next year's: the page writes the year too
    minutes = {
        "minutes": {"zh-Hans": "会议纪要", "en": "Minutes"},
        "decisions": [
            {
                "text": {"zh-Hans": "物业牵头排查", "en": "The property company checks"},
                "item_id": item_id,
                "actions": [
                    {
                        "owner_id": str(world["company"].id),
                        "title": {"zh-Hans": "逐户排查", "en": "Check door to door"},
                        "due_on": due.isoformat(),
                    }
                ],
            }
        ],
    }
    published = await client.post(
        f"{V1}/meetings/{meeting['id']}/minutes", json=minutes, headers=auth(world["convenor"], **EN)
    )
    assert published.status_code == 201, published.text
    read = (await client.get(f"{V1}/incidents/{incident_id}", headers=auth(reporter, **EN))).json()
    [action] = read["dealt_with"][0]["actions"]
    assert (action["title"], action["status"]) == ("Check door to door", "planned")

    # The console's report page shows the same, for the community's coordinator.
    coordinator = await factories.staff(Role.coordinator, world["community"])
    await sign_in(client, coordinator)
    page = await client.get(f"/console/reports/{incident_id}", params={"lang": "en"})
    assert page.status_code == 200, page.text
    assert "Taken up at meetings" in page.text and "Check door to door" in page.text
    # Its due date as the reader writes it, not as the API sends it.
    assert f"due {due:%a}, Jan 31, {due.year}" in page.text and due.isoformat() not in page.text
    page = await client.get(f"/console/reports/{incident_id}", params={"lang": "zh-Hans"})
    assert f"{due.year}年1月31日周{'一二三四五六日'[due.weekday()]} 前完成" in page.text
