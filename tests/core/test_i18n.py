"""Locale negotiation, user-content fallback and Babel formatting (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from backend.core.i18n import (
    LOCALES,
    _,
    format_datetime,
    format_interval,
    get_locale,
    negotiate,
    normalise_locale,
    parse_accept_language,
    pick,
    use_locale,
)


@pytest.mark.parametrize(
    ("tag", "ours"),
    [
        ("zh-CN", "zh-Hans"),
        ("zh_cn", "zh-Hans"),
        ("zh", "zh-Hans"),
        ("zh-Hans-CN", "zh-Hans"),
        ("zh-SG", "zh-Hans"),
        ("zh-TW", "zh-Hant"),
        ("zh-HK", "zh-Hant"),
        ("zh-Hant", "zh-Hant"),
        ("en-GB", "en"),
        ("ja-JP", "ja"),
        ("ko", "ko"),
        ("fr", None),
        ("", None),
        ("*", None),
    ],
)
def test_language_tags_map_to_our_locales(tag: str, ours: str | None) -> None:
    assert normalise_locale(tag) == ours


def test_accept_language_follows_quality_then_order() -> None:
    assert parse_accept_language("fr-FR, ja;q=0.5, en;q=0.8, zh-TW;q=0.8") == ["en", "zh-Hant", "ja"]
    assert parse_accept_language("de, fr") == []
    assert parse_accept_language("ja;q=abc, ko") == ["ko"]
    assert parse_accept_language("en;q=0") == []
    assert parse_accept_language(",".join(["xx"] * 1000) + ",ja") == []  # absurd headers are cut


def test_negotiation_order_is_query_then_preference_then_header_then_default() -> None:
    assert negotiate(query="ko", preference="en", accept_language="ja") == "ko"
    assert negotiate(query="zh-TW", preference="en", accept_language="ja") == "zh-Hant"
    assert negotiate(query=None, preference="en", accept_language="ja") == "en"
    assert negotiate(query=None, preference=None, accept_language="ja,en") == "ja"
    assert negotiate(query=None, preference=None, accept_language="fr") == "zh-Hans"
    assert negotiate(query=None, preference=None, accept_language=None) == "zh-Hans"


def test_pick_falls_back_by_the_readers_chain_then_any() -> None:
    """en, ja and ko readers: their language, then English, then Simplified Chinese (a Korean
    reader reads English sooner than Chinese); Chinese readers: the other script, converted."""
    content = {"zh-Hans": "中秋游园会", "en": "Mid-Autumn Fair", "ja": "中秋節フェア"}
    assert pick(content, "ja") == ("中秋節フェア", "ja")
    assert pick(content, "ko") == ("Mid-Autumn Fair", "en")
    assert pick({"zh-Hans": "中秋游园会"}, "ko") == ("中秋游园会", "zh-Hans")
    assert pick({"en": "Fair", "ko": "축제"}, "ja") == ("Fair", "en")
    assert pick({"ko": "축제"}, "ja") == ("축제", "ko")
    assert pick({"ja": "", "ko": "축제"}, "ja") == ("축제", "ko")
    assert pick({}, "ja") == ("", None)


def test_times_are_shown_in_the_city_for_each_locale() -> None:
    start = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)  # 14:00 in Suzhou
    end = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
    assert format_interval(start, end, "zh-Hans") == "11月28日周六 14:00–16:00"
    # CLDR puts thin and narrow no-break spaces around the dash and before PM.
    assert format_interval(start, end, "en") == "Sat, Nov 28, 2:00\u2009–\u20094:00\u202fPM"
    assert "14:00" in format_datetime(start, "zh-Hans")
    assert "2:00" in format_datetime(start, "en") and "PM" in format_datetime(start, "en")
    for locale in LOCALES:
        shown = format_interval(start, end, locale)
        assert "28" in shown, (locale, shown)


def test_an_interval_over_two_days_names_both_days() -> None:
    start = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
    end = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    shown = format_interval(start, end, "zh-Hans")
    assert "11月28日" in shown and "11月29日" in shown


def test_midnight_in_utc_is_morning_in_suzhou() -> None:
    # 16:30 UTC on the 27th is 00:30 on the 28th in Asia/Shanghai: the date must follow the city.
    assert format_datetime(datetime(2026, 11, 27, 16, 30, tzinfo=UTC), "zh-Hans").startswith("11月28日")


def test_use_locale_switches_and_restores() -> None:
    before = get_locale()
    with use_locale("ja"):
        assert get_locale() == "ja"
        assert _("Not found.") != "Not found."
    assert get_locale() == before


def test_hours_follow_one_rule_in_every_language() -> None:
    """0.1 h, halves away from zero: the notice, the API, the PDF and the CSV all say the same."""
    from backend.core.i18n import format_hours
    from backend.core.values import hours_of

    assert [hours_of(m) for m in (3, 45, 90, -45, 0)] == [0.1, 0.8, 1.5, -0.8, 0.0]
    assert format_hours(3, "zh-Hans") == "0.1"
    assert format_hours(120, "ja") == "2"
    assert format_hours(74_070, "en") == "1,234.5"


def test_traditional_readers_get_simplified_text_converted_and_marked() -> None:
    from backend.core.i18n import Picked, pick_content

    branch = {"zh-Hans": "苏州图书馆双塔分馆", "en": "Shuangta Branch"}
    assert pick_content(branch, "zh-Hant") == Picked("蘇州圖書館雙塔分館", "zh-Hant", converted=True)
    assert pick_content({"zh-Hant": "蘇州圖書館"}, "zh-Hans") == Picked("苏州图书馆", "zh-Hans", converted=True)
    assert pick_content({"zh-Hant": "南園", "zh-Hans": "南园"}, "zh-Hant") == Picked("南園", "zh-Hant")
    assert pick_content({"en": "Fair"}, "zh-Hant") == Picked("Fair", "en")


def test_the_fallback_chains_are_configurable_and_checked() -> None:
    import pytest

    from backend.core.i18n import parse_fallbacks
    from backend.settings import Settings, SettingsError

    chains = parse_fallbacks("ko=ko,zh-Hans,en;ja=ja,zh-Hans")
    assert chains["ko"] == ("ko", "zh-Hans", "en") and chains["en"] == ("en", "zh-Hans")
    for bad in ("ko", "xx=en", "ko=ko,fr", "ko=en>ja"):
        with pytest.raises(SettingsError, match="LINLI_CONTENT_FALLBACKS"):
            Settings.from_env({}, content_fallbacks=bad)
