"""Template values within WeChat's limits for every kind, every language, whatever the titles:
checked against the fake's own rules, then sent through it (its 47003 must never fire)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from backend.core.i18n import LOCALES
from backend.notifications import inbox
from backend.notifications.inbox import Posting
from backend.notifications.kinds import TEMPLATE_SETTINGS
from backend.notifications.layouts import LAYOUTS, cut, message_data, time_value
from backend.notifications.tables import NoticeKind
from backend.settings import Settings
from tests import factories
from tests.fakes.wechat import FakeWechat
from tests.fakes.wechat_subscribe import keyword_value_fits
from tests.notifications.conftest import KEYWORDS, TEMPLATES, Jobs, wechat_resident

STARTS = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)  # 14:00 in Suzhou


def _long_texts(seed: int, length: int = 200) -> dict[str, str]:
    """Titles of ``length`` characters in every locale: words, spaces, line breaks, emoji."""
    pieces = ["评弹", "欣赏会", "評彈", "の夕べ", "공연", "Pingtan", "storytelling", " ", "\n", "🎭", "—", "&", "\t"]
    rng = random.Random(seed)
    return {locale: "".join(rng.choice(pieces) for _ in range(length))[:length] for locale in LOCALES}


def _params(kind: NoticeKind, seed: int) -> dict[str, Any]:
    event = {
        "event_id": "e",
        "title": _long_texts(seed),
        "venue": _long_texts(seed + 1),
        "starts_at": STARTS.isoformat(),
    }
    return {
        NoticeKind.registration_confirmed: event,
        NoticeKind.registration_promoted: event,
        NoticeKind.event_changed: {**event, "changed": ["starts_at", "ends_at", "venue"]},
        NoticeKind.event_cancelled: event,
        NoticeKind.event_reminder: {**event, "hours": 24},
        NoticeKind.shift_reminder: {
            "shift_id": "s",
            "title": _long_texts(seed),
            "team": _long_texts(seed + 2),
            "starts_at": STARTS.isoformat(),
        },
        NoticeKind.hours_verified: {
            "entry_id": "h",
            "team": _long_texts(seed + 3),
            "minutes": -123456 if seed % 2 else 12345,
            "service_date": "2026-11-28",
            "entry_kind": "correction" if seed % 2 else "shift",
        },
        NoticeKind.reward_ready: {
            "redemption_id": "r",
            "reward": _long_texts(seed),
            "community": _long_texts(seed + 4),
            "pickup_code": "AB23CD45",
        },
    }[kind]


SETTING_OF = {kind: setting for kind, setting in TEMPLATE_SETTINGS.items()}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_value_fits_its_keyword(locale: str) -> None:
    assert set(LAYOUTS) == set(TEMPLATE_SETTINGS)
    for kind in LAYOUTS:
        for seed in range(12):
            data = message_data(kind, _params(kind, seed), locale)
            assert tuple(data) == KEYWORDS[SETTING_OF[kind]], kind
            for key, item in data.items():
                assert keyword_value_fits(key, item["value"]), (kind, locale, key, item["value"])
                assert all(ord(char) <= 0xFFFF and char.isprintable() for char in item["value"])
        empty = message_data(
            kind, {**_params(kind, 0), "title": {}, "venue": {}, "team": {}, "reward": {}, "community": {}}, locale
        )
        assert all(keyword_value_fits(key, item["value"]) for key, item in empty.items()), (kind, locale, empty)


def test_a_cut_value_ends_with_an_ellipsis() -> None:
    assert cut("苏州评弹" * 10, 20) == "苏州评弹" * 4 + "苏州评…"
    assert len(cut("x" * 200, 20)) == 20
    assert cut("two\nlines  here", 20) == "two lines here"
    assert cut("   ", 20) == "-"
    assert cut("评弹🎭\u200b欣赏\x00", 20) == "评弹欣赏"  # no emoji, no invisible characters
    assert cut("exactly twenty chars", 20) == "exactly twenty chars"


def test_times_are_written_as_wechat_takes_them() -> None:
    assert time_value(STARTS, "zh-Hans") == "2026年11月28日 14:00"
    assert time_value(STARTS, "ja") == "2026年11月28日 14:00"
    assert time_value(STARTS, "en") == "2026-11-28 14:00"
    assert time_value(STARTS, "ko") == "2026-11-28 14:00"
    assert time_value(STARTS, "zh-Hant", with_time=False) == "2026年11月28日"


async def test_every_kind_in_every_language_reaches_wechat_with_a_200_character_title(
    client: httpx.AsyncClient, app: Any, queue: Jobs, fake_wechat: FakeWechat
) -> None:
    settings: Settings = app.state["settings"]
    postings = []
    for locale in LOCALES:
        person = await wechat_resident(locale)
        answer = await client.post(
            "/api/v1/me/subscriptions",
            json={"results": dict.fromkeys(TEMPLATES.values(), "accept")},
            headers=factories.token_for(person),
        )
        assert answer.status_code == 200
        for seed, kind in enumerate(LAYOUTS):
            fake_wechat.grant(person.openid or "", TEMPLATES[SETTING_OF[kind]])
            params = _params(kind, seed)
            if "starts_at" in params:
                params = {**params, "starts_at": (datetime.now(UTC) + timedelta(days=2)).isoformat()}
            postings.append(Posting(person.id, kind, params, f"layout-test:{kind.value}"))
    await inbox.post_notices(postings, settings=settings)
    await queue.drain()
    assert fake_wechat.subscribe_refusals[47003] == 0
    assert sum(fake_wechat.subscribe_refusals.values()) == 0
    assert fake_wechat.sent_count() == len(LOCALES) * len(LAYOUTS)
