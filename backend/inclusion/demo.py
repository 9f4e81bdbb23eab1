"""Demo inclusion data for 南园社区: its points supermarket (积分超市), a richer rule for volunteer
hours, and resident profiles with points for the demo volunteers (who opted in to the boards)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from backend.accounts.api import person_by_openid
from backend.core import clock
from backend.core.domain import DemoWorld
from backend.core.values import hours_of
from backend.inclusion.points import ledger
from backend.inclusion.points.tables import PointReason, PointRule, PointRuleKind
from backend.inclusion.profiles.tables import ResidentGroup, ResidentProfile
from backend.inclusion.rewards.tables import Reward

REWARDS = [
    (
        {
            "zh-Hans": "苏州评弹专场演出票",
            "en": "Ticket: Suzhou Pingtan evening",
            "ja": "蘇州評弾公演チケット",
            "ko": "쑤저우 평탄 공연 티켓",
        },
        120,
        20,
    ),
    (
        {
            "zh-Hans": "图书馆文创帆布袋",
            "en": "Library canvas tote bag",
            "zh-Hant": "圖書館文創帆布袋",
            "ja": "図書館オリジナルトートバッグ",
            "ko": "도서관 에코백",
        },
        60,
        50,
    ),
    (
        {
            "zh-Hans": "社区理发服务券",
            "en": "Community haircut voucher",
            "ja": "地域の散髪サービス券",
            "ko": "마을 이발 쿠폰",
        },
        40,
        30,
    ),
    ({"zh-Hans": "大米5公斤", "en": "Rice, 5 kg", "ja": "お米 5kg", "ko": "쌀 5kg"}, 200, 1),
]
PROFILES = {
    "dev:demo-volunteer": (ResidentGroup.long_term_local, None, ["zh", "wuu"]),
    "dev:demo-volunteer-2": (ResidentGroup.relocated_villager, date(2026, 3, 1), ["zh"]),
    "dev:demo-volunteer-3": (ResidentGroup.new_resident, date(2026, 9, 1), ["zh", "en"]),
}


def _now() -> datetime:
    return clock.now().replace(microsecond=0)


async def seed(world: DemoWorld) -> None:
    """Create the rewards when they are missing."""
    rewards = await _seed(world)
    world.summary.append(
        f"demo rewards: {rewards} created in 南园社区's points supermarket"
        if rewards
        else "demo rewards: already there, none added"
    )


async def _seed(accounts: DemoWorld) -> int:
    nanyuan = accounts.organisations["nanyuan"]
    existing = {row["name"].get("zh-Hans") for row in await Reward.select(Reward.name).output(load_json=True)}
    if REWARDS[0][0]["zh-Hans"] in existing:
        return 0
    for name, cost, stock in REWARDS:
        await Reward(
            community=nanyuan,
            name=name,
            description={
                "zh-Hans": "凭取货码到南园社区服务站领取",
                "en": "Collect at the Nanyuan community service desk with your pickup code",
            },
            points_cost=cost,
            stock=stock,
            per_resident_limit=1 if stock < 5 else 2,
            created_by=accounts.staff["demo-admin"],
            active_from=_now() - timedelta(days=1),
            active_until=_now() + timedelta(days=90),
            created_at=_now(),
        ).save()
    await PointRule(
        community=nanyuan, kind=PointRuleKind.volunteer_hour.value, points=8, daily_cap=40, updated_at=_now()
    ).save()
    for openid, (group, arrival, languages) in PROFILES.items():
        user_id = await person_by_openid(openid)
        if user_id is None:
            continue
        await ResidentProfile(
            user=user_id,
            community=nanyuan,
            resident_group=group.value,
            arrival_month=arrival,
            languages=languages,
            interests=["performance", "intangible_heritage"],
            prefers_evenings_weekends=True,
            leaderboard_opt_in=True,
            consented_at=_now(),
            created_at=_now(),
            updated_at=_now(),
        ).save()
        await ledger.append(
            user_id=user_id,
            points=48,
            reason=PointReason.volunteer_hours,
            source_key=f"demo:{openid}",
            community_id=nanyuan,
            reason_params={"minutes": 360, "hours": hours_of(360)},
            activity_key="demo",
        )
    return len(REWARDS)
