"""The surveys room over HTTP (both databases): its door (no session, staff without the right, a
property company's staff before and after their company is evaluated), staff of another community
refused as the API refuses them, starting a survey through the form with its refusals beside the
fields in the reader's language, residents answering through the API, the published results with
small counts said as "fewer than 5" (never 0), an owners' poll's thresholds worded as advisory, an
evaluation with the company's written response read back through the API, and CSRF."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from backend.accounts.tables import Role
from backend.core import clock
from backend.core.i18n import CITY_TZ
from backend.core.tables import AuditEntry
from backend.governance.surveys.tables import Survey
from tests import factories
from tests.governance.survey_world import living, world
from tests.web.console import send, sign_in

Client = httpx.AsyncClient
V1 = "/api/v1"
ROW = re.compile(r'name="(q_r[0-9a-f]{6})\.zh-Hans"')


@pytest.fixture
async def w(client: Client) -> dict[str, Any]:
    return await world()


def local(moment: datetime) -> str:
    return moment.astimezone(CITY_TZ).strftime("%Y-%m-%dT%H:%M")


async def survey_form(client: Client, w: dict[str, Any], **overrides: str) -> dict[str, str]:
    """The start form as the browser fills it in: the row token the page gave its first question."""
    new = await client.get("/console/surveys/new")
    assert new.status_code == 200, new.text
    [row] = ROW.findall(new.text)
    community = w["tree"]["community_a"].id
    return {
        "title.zh-Hans": "南园新村加装电梯意愿调查",
        "title.en": "Lifts for Nanyuan: who wants one?",
        "audience": f"{community}:estate:{w['estate']}",
        "per_household": "false",
        f"{row}.zh-Hans": "您是否同意加装电梯？",
        f"{row}_kind": "single",
        f"{row}_options.zh-Hans": "同意\n反对\n无所谓",
        f"{row}_options.en": "Yes\nNo\nDon't mind",
        "closes_at": local(clock.now() + timedelta(minutes=30)),
        **overrides,
    }


async def started(client: Client, w: dict[str, Any], csrf: str, **overrides: str) -> str:
    made = await send(client, "/console/surveys", csrf, **await survey_form(client, w, **overrides))
    assert made.status_code == 303, made.text
    assert made.headers["location"].endswith("?said=survey_started")
    return made.headers["location"].split("/")[-1].split("?")[0]


async def answer(client: Client, survey_id: str, person: Any, body: dict[str, Any]) -> None:
    done = await client.post(f"{V1}/surveys/{survey_id}/answers", json=body, headers=factories.token_for(person))
    assert done.status_code == 204, done.text


def after_close() -> datetime:
    """A moment after the forms' closing time (half an hour from now), the staff session still alive."""
    return clock.now() + timedelta(minutes=45)


async def test_the_door_opens_to_survey_staff_and_evaluated_bodies(client: Client, w: dict[str, Any]) -> None:
    nobody = await client.get("/console/surveys")
    assert nobody.status_code == 303 and "/console/login" in nobody.headers["location"]

    librarian = await factories.staff(Role.library_staff, w["tree"]["library_a"])
    await sign_in(client, librarian)
    assert 'href="/console/surveys"' not in (await client.get("/console")).text
    assert (await client.get("/console/surveys")).status_code == 403
    assert (await client.get("/console/surveys/new")).status_code == 403

    client.cookies.clear()
    await sign_in(client, w["company_staff"])  # their company is evaluated nowhere yet
    assert (await client.get("/console/surveys")).status_code == 403

    client.cookies.clear()
    await sign_in(client, w["staff"])
    assert 'href="/console/surveys"' in (await client.get("/console")).text
    listed = await client.get("/console/surveys")
    assert listed.status_code == 200 and 'href="/console/surveys/new"' in listed.text
    new = await client.get("/console/surveys/new")
    # The audiences offered are the community's own: itself and its estates, none elsewhere.
    assert f'value="{w["tree"]["community_a"].id}:estate:{w["estate"]}"' in new.text
    assert str(w["other_estate"]) not in new.text


async def test_staff_of_another_community_are_refused_as_the_api_refuses(client: Client, w: dict[str, Any]) -> None:
    csrf = await sign_in(client, w["staff"])
    survey_id = await started(client, w, csrf)
    form = await survey_form(client, w)

    client.cookies.clear()
    csrf_b = await sign_in(client, w["other_staff"])
    listed = await client.get("/console/surveys")
    assert listed.status_code == 200 and "加装电梯" not in listed.text
    assert (await client.get(f"/console/surveys/{survey_id}")).status_code == 403
    refused = await send(client, "/console/surveys", csrf_b, htmx=True, **form)
    api = await client.post(
        f"{V1}/surveys",
        json={
            "community_id": str(w["tree"]["community_a"].id),
            "title": {"zh-Hans": "别处的问卷"},
            "audience": "community",
            "audience_id": str(w["tree"]["community_a"].id),
            "opens_at": clock.iso(clock.now()),
            "closes_at": clock.iso(after_close()),
            "questions": [{"kind": "rating", "text": {"zh-Hans": "满意度"}}],
        },
        headers=factories.token_for(w["other_staff"]),
    )
    assert refused.status_code == api.status_code == 403
    assert api.json()["detail"] in refused.text
    assert await Survey.count() == 1


async def test_refusals_read_beside_their_fields_in_the_readers_language(client: Client, w: dict[str, Any]) -> None:
    csrf = await sign_in(client, w["staff"])
    form = await survey_form(client, w)
    row = next(key for key in form if key.startswith("q_")).split(".")[0]
    no_question = {k: v for k, v in form.items() if not k.startswith("q_")}
    said = await send(client, "/console/surveys", csrf, htmx=True, **no_question)
    assert said.status_code == 422 and said.headers["HX-Retarget"] == "#problems"
    assert 'href="#field-questions"' in said.text

    past = {**form, "closes_at": local(clock.now() - timedelta(hours=1))}
    late = await send(client, "/console/surveys", csrf, htmx=True, **past)
    assert late.status_code == 422 and 'href="#field-closes_at"' in late.text
    assert "截止时间必须晚于开始时间。" in late.text
    english = await send(client, "/console/surveys?lang=en", csrf, htmx=True, **past)
    assert english.status_code == 422 and "A survey must close after it opens." in english.text

    one_option = await send(
        client,
        "/console/surveys",
        csrf,
        htmx=True,
        **{**form, f"{row}_options.zh-Hans": "同意", f"{row}_options.en": "Yes"},
    )
    assert one_option.status_code == 422 and f'href="#field-{row}"' in one_option.text
    rating_with_options = {**form, f"{row}_kind": "rating"}
    refused = await send(client, "/console/surveys?lang=en", csrf, htmx=True, **rating_with_options)
    assert refused.status_code == 422 and "Question 1: a rating (1–5) has no options." in refused.text
    assert await Survey.count() == 0


async def test_a_survey_from_the_form_to_its_published_results(client: Client, w: dict[str, Any]) -> None:
    csrf = await sign_in(client, w["staff"])
    survey_id = await started(client, w, csrf)
    read = await client.get(f"{V1}/surveys/{survey_id}")
    assert read.status_code == 200, read.text
    body = read.json()
    assert body["audience"] == {"kind": "estate", "id": str(w["estate"])}
    assert [q["options"] for q in body["questions"]] == [["同意", "反对", "无所谓"]]
    assert len(await AuditEntry.select().where(AuditEntry.action == "governance.survey_created")) == 1

    # Eleven residents answer: five yes, five no, one does not mind (a cell under five).
    for choice in [0] * 5 + [1] * 5 + [2]:
        await answer(client, survey_id, await living(w, None), {"answers": [{"question": 0, "choices": [choice]}]})
    page = await client.get(f"/console/surveys/{survey_id}")
    assert page.status_code == 200 and "<strong>11</strong>" in page.text  # staff see answers so far
    assert 'class="bar"' not in page.text  # no results before the close
    listed = await client.get("/console/surveys?state=open&kind=survey")
    assert "南园新村加装电梯意愿调查" in listed.text
    assert "南园新村加装电梯意愿调查" not in (await client.get("/console/surveys?state=closed")).text

    with clock.frozen(after_close()):
        page = await client.get(f"/console/surveys/{survey_id}")
        published = await client.get(f"{V1}/surveys/{survey_id}/results")
        closed = await client.get("/console/surveys?state=closed")
    assert published.status_code == 200
    counts = [option["count"] for option in published.json()["questions"][0]["options"]]
    assert counts.count(None) == 2 and 5 in counts  # the cell of one, and one that would give it away
    assert page.text.count('<span class="suppressed">少于 5</span>') == 2
    assert re.search(r'<td class="num">5</td>', page.text) and '<rect width="45.5"' in page.text  # 5 of 11
    assert re.search(r'<td class="num">0</td>', page.text) is None  # suppressed is never drawn as 0
    assert "南园新村加装电梯意愿调查" in closed.text


async def test_an_owners_poll_shows_both_counts_and_says_it_is_advisory(client: Client, w: dict[str, Any]) -> None:
    csrf = await sign_in(client, w["staff"])
    form = await client.get("/console/surveys/new-poll")
    assert form.status_code == 200 and "9" in form.text
    closes = local(clock.now() + timedelta(minutes=30))
    no_units = await send(
        client,
        "/console/surveys/polls",
        csrf,
        htmx=True,
        estate_id=str(w["other_estate"]),
        **{"title.zh-Hans": "是否使用维修资金更换电梯"},
        closes_at=closes,
    )
    assert no_units.status_code in (403, 404, 422)
    made = await send(
        client,
        "/console/surveys/polls",
        csrf,
        estate_id=str(w["estate"]),
        major="false",
        closes_at=closes,
        **{"title.zh-Hans": "是否使用维修资金更换1幢电梯"},
    )
    assert made.status_code == 303, made.text
    poll_id = made.headers["location"].split("/")[-1].split("?")[0]
    for unit in range(7):  # seven of nine households take part, six for
        vote = 0 if unit < 6 else 1
        await answer(client, poll_id, await living(w, unit), {"answers": [{"question": 0, "choices": [vote]}]})
    before = await client.get(f"/console/surveys/{poll_id}")
    assert "本次表决仅供参考，并非业主大会的正式表决。" in before.text
    with clock.frozen(after_close()):
        page = await client.get(f"/console/surveys/{poll_id}")
        api = (await client.get(f"{V1}/surveys/{poll_id}/results")).json()["poll"]
    assert api["verdict"] in page.text and api["basis"] in page.text
    assert api["participation"]["by_head"] is True and api["approval"]["by_area"] is True
    assert page.text.count('<span class="status good">已达到</span>') == 4
    assert '<td class="num">9</td>' in page.text  # households of the estate


async def test_an_evaluation_and_the_companys_written_response(client: Client, w: dict[str, Any]) -> None:
    csrf = await sign_in(client, w["staff"])
    closes = local(clock.now() + timedelta(minutes=30))
    fields = {"estate_id": str(w["estate"]), "subject": "property_company", "year": str(clock.now().year)}
    made = await send(client, "/console/surveys/evaluations", csrf, closes_at=closes, **fields)
    assert made.status_code == 303, made.text
    evaluation_id = made.headers["location"].split("/")[-1].split("?")[0]
    twice = await send(client, "/console/surveys/evaluations", csrf, htmx=True, closes_at=closes, **fields)
    assert twice.status_code == 409 and 'href="#field-year"' in twice.text
    for unit in range(6):
        scores = [{"question": i, "rating": 4 if unit % 2 else 5} for i in range(5)]
        await answer(client, evaluation_id, await living(w, unit), {"answers": scores})

    client.cookies.clear()
    csrf_company = await sign_in(client, w["company_staff"])
    listed = await client.get("/console/surveys")
    assert listed.status_code == 200 and f"/console/surveys/{evaluation_id}" in listed.text
    assert 'href="/console/surveys/new"' not in listed.text  # they run no survey
    assert "<strong>6</strong>" not in (await client.get(f"/console/surveys/{evaluation_id}")).text
    with clock.frozen(after_close()):
        page = await client.get(f"/console/surveys/{evaluation_id}")
        assert "4.50" in page.text and 'name="text.zh-Hans"' in page.text
        written = await send(
            client,
            f"/console/surveys/{evaluation_id}/response",
            csrf_company,
            **{"text.zh-Hans": "感谢业主监督，我们将增加夜间巡逻。"},
        )
        assert written.status_code == 303, written.text
        shown = await client.get(written.headers["location"])
        results = (await client.get(f"{V1}/surveys/{evaluation_id}/results")).json()
    assert "感谢业主监督，我们将增加夜间巡逻。" in shown.text
    assert results["evaluation"]["response"]["text"] == "感谢业主监督，我们将增加夜间巡逻。"
    assert len(await AuditEntry.select().where(AuditEntry.action == "governance.evaluation_response_written")) == 1

    # Staff of another community neither see it nor write its response.
    client.cookies.clear()
    csrf_b = await sign_in(client, w["other_staff"])
    assert (await client.get(f"/console/surveys/{evaluation_id}")).status_code == 403
    refused = await send(client, f"/console/surveys/{evaluation_id}/response", csrf_b, **{"text.zh-Hans": "冒名回应"})
    assert refused.status_code == 403
    assert len(await AuditEntry.select().where(AuditEntry.action == "governance.evaluation_response_written")) == 1


async def test_changes_without_the_csrf_token_are_refused(client: Client, w: dict[str, Any]) -> None:
    csrf = await sign_in(client, w["staff"])
    form = await survey_form(client, w)
    assert (await client.post("/console/surveys", data=form)).status_code == 403
    assert await Survey.count() == 0
    closes = local(clock.now() + timedelta(minutes=30))
    fields = {"estate_id": str(w["estate"]), "subject": "property_company", "year": str(clock.now().year)}
    made = await send(client, "/console/surveys/evaluations", csrf, closes_at=closes, **fields)
    evaluation_id = made.headers["location"].split("/")[-1].split("?")[0]
    client.cookies.clear()
    await sign_in(client, w["company_staff"])
    refused = await client.post(f"/console/surveys/{evaluation_id}/response", data={"text.zh-Hans": "回应"})
    assert refused.status_code == 403
    assert len(await AuditEntry.select().where(AuditEntry.action == "governance.evaluation_response_written")) == 0
