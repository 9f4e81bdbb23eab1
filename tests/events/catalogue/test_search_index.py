"""Text search through its index (pg_trgm on PostgreSQL, FTS5 trigrams on SQLite): Chinese,
Japanese and Korean words found without spaces, however short, and the index kept in step with
edits and deletions. (Search's own rules: test_browse.py's text search test.)"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from backend.core.db import is_postgres
from backend.events.catalogue import queries
from backend.events.catalogue.tables import Event
from tests.events.catalogue.test_browse import ids, in_days, items, make_event, organiser_of, times
from tests.factories import city_tree, token_for, venue

Client = httpx.AsyncClient


async def search(client: Client, q: str) -> list[str]:
    return await ids(client, {"q": q})


@pytest.mark.parametrize("few_hits", [1_000, 0], ids=["read-from-index", "walk-in-time-order"])
async def test_chinese_japanese_and_korean_words_are_found_inside_text_without_spaces(
    client: Client, few_hits: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite reads a rare word's rows from the index and walks time order for a common one:
    # both ways give the same answers.
    monkeypatch.setattr(queries, "_FEW_HITS", few_hits)
    tree = await city_tree()
    organiser = await organiser_of(tree["street_a"])
    place = await venue(tree["street_a"], tree["community_a"])
    festival = await make_event(
        organiser,
        tree["street_a"],
        place,
        title={"zh-Hans": "苏州评弹艺术节开幕式", "ja": "日本語の書道教室", "ko": "한국어초보자교실"},
        summary={"zh-Hans": "名家现场演出Suzhou评弹festival"},
        **times(in_days(2)),
    )
    other = await make_event(
        organiser,
        tree["street_a"],
        place,
        title={"zh-Hans": "读书会", "en": "Reading club"},
        summary={"zh-Hans": "每月一次", "en": "Monthly"},
        **times(in_days(3)),
    )
    found = [str(festival.id)]
    for q in ("评弹", "弹", "艺术节开幕", "苏州评弹艺术节开幕式", "書道", "の", "초보자", "교", "festival", "suzhou"):
        assert await search(client, q) == found, (q, await items(client, {"q": q}))
    assert await search(client, "读") == [str(other.id)]
    # 书 (simplified) and 書 (traditional, and Japanese) are different characters to search, as
    # they were before the index: nothing converts one script into the other.
    assert await search(client, "书") == [str(other.id)]
    assert await search(client, "書") == found
    assert await search(client, "昆曲") == []
    assert await search(client, "评弹艺术节闭幕") == []
    assert await search(client, "弹festival") == found  # written as the text is: "弹 festival"


async def _index_agrees() -> None:
    """SQLite: the FTS5 index holds exactly what event_event holds (PostgreSQL's GIN index is
    PostgreSQL's own business)."""
    if not is_postgres(Event._meta.db):
        await Event.raw("INSERT INTO event_event_search (event_event_search, rank) VALUES ('integrity-check', 1)")


async def test_the_index_follows_edits_and_deletions(client: Client) -> None:
    tree = await city_tree()
    organiser = await organiser_of(tree["street_a"])
    place = await venue(tree["street_a"], tree["community_a"])
    event = await make_event(
        organiser,
        tree["street_a"],
        place,
        title={"zh-Hans": "昆曲欣赏", "en": "Kunqu Opera"},
        summary={"zh-Hans": "每周一次"},
        **times(in_days(2)),
    )
    assert await search(client, "昆曲") == [str(event.id)]

    edited = await client.patch(
        f"/api/v1/events/{event.id}",
        json={"title": {"zh-Hans": "评弹之夜", "en": "Pingtan Night"}},
        headers=token_for(organiser),
    )
    assert edited.status_code == 200, edited.text
    await _index_agrees()
    assert await search(client, "昆曲") == []
    assert await search(client, "kunqu") == []
    assert await search(client, "评弹") == [str(event.id)]
    assert await search(client, "pingtan") == [str(event.id)]

    # Deleted (as housekeeping or a test would, past the API), then a new event that may take
    # the deleted one's SQLite rowid: the old words must not find it.
    await Event.delete().where(Event.id == event.id)
    await _index_agrees()
    later: Any = await make_event(
        organiser,
        tree["street_a"],
        place,
        title={"zh-Hans": "书法课", "en": "Calligraphy"},
        summary={"zh-Hans": "每周一次"},
        **times(in_days(3)),
    )
    await _index_agrees()
    # Words not asked before (a page asked for before may still be cached: the deletion went
    # past the service that makes pages stale).
    assert await search(client, "评弹之") == []
    assert await search(client, "pingtan night") == []
    assert await search(client, "书法") == [str(later.id)]
