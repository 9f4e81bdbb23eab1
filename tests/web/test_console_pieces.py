"""The console's small pieces: list state in the URL, forms read as the API's JSON, and the
Simplified-to-Traditional help for organiser-written text."""

from __future__ import annotations

import httpx

from backend.web.console.edge import form_values
from backend.web.console.listing import Listing
from tests import factories
from tests.web.console import send, sign_in


def test_a_list_reads_its_state_from_the_url_and_writes_it_back() -> None:
    listing = Listing.read(
        "/console/events",
        {"sort": "-starts_at", "page": "3", "status": "published", "q": " ", "evil": "x"},
        sorts=("starts_at", "title"),
        default_sort="starts_at",
        filters=("status", "q"),
    )
    assert (listing.sort, listing.page, listing.filters, listing.offset) == (
        "-starts_at",
        3,
        {"status": "published"},
        50,
    )
    listing.total = 51
    assert listing.pages == 3
    assert listing.link(page=1) == "/console/events?status=published&sort=-starts_at"
    assert listing.link(status=None, sort="title") == "/console/events?sort=title&page=3"

    odd = Listing.read("/l", {"sort": "password_hash", "page": "-4x"}, sorts=("name",), default_sort="name")
    assert (odd.sort, odd.page) == ("name", 1)


def test_a_form_reads_as_the_apis_json() -> None:
    form = {
        "_csrf": "t",
        "title.zh-Hans": "春节联欢",
        "title.en": "",
        "capacity": "40",
        "audiences": ["elderly", "children"],
        "note": "  ",
    }
    assert form_values(form, lists=frozenset({"audiences"})) == {
        "title": {"zh-Hans": "春节联欢"},
        "capacity": "40",
        "audiences": ["elderly", "children"],
    }


async def test_simplified_text_is_converted_for_the_traditional_box(client: httpx.AsyncClient) -> None:
    csrf = await sign_in(client, await factories.staff())
    answer = await send(
        client,
        "/console/text/convert",
        csrf,
        htmx=True,
        **{"field": "title", "to": "zh-Hant", "multiline": "0", "title.zh-Hans": "社区图书馆读书会"},
    )
    assert answer.status_code == 200
    assert 'id="field-title-zh-Hant"' in answer.text and 'value="社區圖書館讀書會"' in answer.text
    copied = await send(
        client,
        "/console/text/convert",
        csrf,
        htmx=True,
        **{"field": "description", "to": "ja", "multiline": "1", "description.zh-Hans": "<b>欢迎</b>"},
    )
    assert "<textarea" in copied.text and "&lt;b&gt;欢迎&lt;/b&gt;" in copied.text  # escaped, never markup
    assert (await client.post("/console/text/convert", data={"field": "title", "to": "ja"})).status_code == 403
