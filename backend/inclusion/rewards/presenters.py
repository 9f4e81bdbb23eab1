"""Rewards and redemptions as the API shows them: content in the caller's language, a pickup QR."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping

from backend.core import clock
from backend.core.i18n import pick_content
from backend.core.media import media_url
from backend.core.qr import data_url, qr_png
from backend.core.values import mask_name
from backend.inclusion.rewards.schemas import RedemptionRead, RewardBrief, RewardImageRead, RewardRead
from backend.inclusion.rewards.services import is_available
from backend.inclusion.rewards.tables import Redemption, RedemptionStatus, Reward


def _loaded(value: Mapping[str, str] | str | None) -> Mapping[str, str]:
    """A JSON column's {key: text}: a dict as rows read with load_json=True hold it, or JSON text
    (which is how Piccolo types a JSON column's value)."""
    if isinstance(value, str):
        loaded: Mapping[str, str] = json.loads(value or "{}")
        return loaded
    return value or {}


def image_urls(image: Mapping[str, str] | str | None) -> dict[str, str]:
    """{rendition: URL} from the stored {rendition: media path}."""
    return {name: media_url(path) for name, path in _loaded(image).items()}


def reward_read(reward: Reward, left: int | None = None) -> RewardRead:
    name = pick_content(_loaded(reward.name))
    description = pick_content(_loaded(reward.description), name.locale)  # in the name's language
    return RewardRead(
        id=reward.id,
        community_id=reward.community,
        name=name.text,
        description=description.text,
        locale=name.locale,  # type: ignore[arg-type]  # a key of the name: RewardName keys are LocaleCodes
        converted=name.converted or description.converted,
        image_urls=image_urls(reward.image),
        points_cost=reward.points_cost,
        stock=reward.stock,
        in_stock=reward.stock > 0,
        per_resident_limit=reward.per_resident_limit,
        active_from=reward.active_from,
        active_until=reward.active_until,
        withdrawn=reward.withdrawn,
        available=is_available(reward, clock.now()),
        my_redemptions_left=left,
    )


def rewards_read(rewards: list[Reward], left: Mapping[uuid.UUID, int | None]) -> list[RewardRead]:
    return [reward_read(reward, left.get(reward.id)) for reward in rewards]


def redemption_read(redemption: Redemption, reward: Reward | None, redeemer: str | None = None) -> RedemptionRead:
    """A redemption; ``redeemer`` (the display name, for staff at the counter) is shown masked."""
    name = pick_content(_loaded(reward.name) if reward else {})
    reserved = redemption.status == RedemptionStatus.reserved.value
    return RedemptionRead(
        id=redemption.id,
        reward=RewardBrief(
            id=redemption.reward,
            name=name.text,
            locale=name.locale,  # type: ignore[arg-type]  # a key of the name: RewardName keys are LocaleCodes
            converted=name.converted,
            image_urls=image_urls(reward.image if reward else {}),
        ),
        points=redemption.points,
        pickup_code=redemption.pickup_code,
        status=redemption.status,  # type: ignore[arg-type]  # a RedemptionStatus: the column's choices
        created_at=redemption.created_at,
        fulfilled_at=redemption.fulfilled_at,
        cancelled_at=redemption.cancelled_at,
        pickup_qr=data_url(qr_png(redemption.pickup_code)) if reserved else None,
        redeemer=mask_name(redeemer) if redeemer is not None else None,
    )


def redemptions_read(redemptions: list[Redemption], rewards: Mapping[uuid.UUID, Reward]) -> list[RedemptionRead]:
    return [redemption_read(r, rewards.get(r.reward)) for r in redemptions]


def reward_image_read(paths: Mapping[str, str]) -> RewardImageRead:
    return RewardImageRead(image_urls=image_urls(paths))
