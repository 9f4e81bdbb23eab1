"""HTTP for the points supermarket: rewards, redemptions, pickup."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from litestar.types import ControllerRouterHandler

from backend.core.auth import requires_login, requires_staff
from backend.core.context import Principal
from backend.core.images import ImageLimits
from backend.core.media import MediaStore
from backend.core.openapi import problems
from backend.core.stores import rate_limit
from backend.inclusion.rewards import presenters, queries, redemptions, services
from backend.inclusion.rewards.schemas import (
    RedemptionRead,
    RewardCreate,
    RewardImageRead,
    RewardRead,
    RewardUpdate,
)
from backend.inclusion.rewards.tables import Redemption
from backend.settings import Settings

# Per account, after the login check: uploads cost image decoding, redemptions a locked ledger.
IMAGE_RATE = rate_limit("reward_image", setting="reward_image_rate_limit", per_user=True)
REDEMPTION_RATE = rate_limit("redemption", setting="redemption_rate_limit", per_user=True)
PickupCode = Annotated[str, Parameter(min_length=1, max_length=16, description="the pickup code, any letter case")]


class RewardImageUpload(msgspec.Struct):
    file: UploadFile


async def _read(upload: UploadFile, limit: int) -> bytes:
    """At most one byte past the limit: enough to know it is too large, never the whole file."""
    try:
        return await upload.read(limit + 1)
    finally:
        await upload.close()


async def _redemption_read(redemption: Redemption, *, at_counter: bool = False) -> RedemptionRead:
    """The resident's own view, or (``at_counter``) staff's, who see the redeemer's name masked."""
    reward = (await queries.rewards_by_id([redemption.reward])).get(redemption.reward)
    redeemer = await queries.redeemer_name(redemption) if at_counter else None
    return presenters.redemption_read(redemption, reward, redeemer)


class RewardController(Controller):
    path = "/api/v1/rewards"
    tags = ["inclusion"]

    @get(
        operation_id="list_rewards",
        summary="Rewards on offer, cheapest first; staff may include the rest",
        responses=problems(401, 403, 422),
    )
    async def list_rewards(
        self,
        visitor: Principal | None,
        community_id: uuid.UUID | None = None,
        include_inactive: Annotated[
            bool, Parameter(description="staff who manage the community: withdrawn and out-of-date too")
        ] = False,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 50,
    ) -> list[RewardRead]:
        user_id = visitor.id if visitor else None
        found = await services.list_rewards(
            community_id=community_id, include_inactive=include_inactive, user_id=user_id, limit=limit
        )
        return presenters.rewards_read(found, await queries.redemptions_left(user_id=user_id, rewards=found))

    @get(
        "/{reward_id:uuid}",
        operation_id="get_reward",
        summary="One reward, in the caller's language",
        responses=problems(404),
    )
    async def get_reward(self, visitor: Principal | None, reward_id: uuid.UUID) -> RewardRead:
        user_id = visitor.id if visitor else None
        reward = await services.get_reward(reward_id=reward_id, user_id=user_id)
        left = await queries.redemptions_left(user_id=user_id, rewards=[reward])
        return presenters.reward_read(reward, left[reward.id])

    @post(
        operation_id="create_reward",
        summary="Add a reward to a community's points supermarket (staff who manage rewards there)",
        guards=[requires_login],
        security=[{"bearer": []}],
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 422),
    )
    async def create(self, caller: Principal, data: JSONBody[RewardCreate]) -> RewardRead:
        return presenters.reward_read(await services.create_reward(user_id=caller.id, data=data))

    @patch(
        "/{reward_id:uuid}",
        operation_id="update_reward",
        summary="Change a reward: texts, cost, stock (set or change by), limit, dates, withdrawn",
        guards=[requires_login],
        security=[{"bearer": []}],
        responses=problems(401, 403, 404, 409, 422),
    )
    async def update(self, caller: Principal, reward_id: uuid.UUID, data: JSONBody[RewardUpdate]) -> RewardRead:
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        reward = await services.update_reward(user_id=caller.id, reward_id=reward_id, changes=changes)
        return presenters.reward_read(reward)

    @post(
        "/{reward_id:uuid}/image",
        operation_id="upload_reward_image",
        summary="Upload the reward's picture (JPEG, PNG, WebP or GIF); renditions in several widths",
        guards=[requires_login, IMAGE_RATE],
        security=[{"bearer": []}],
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404, 413, 422),
    )
    async def upload_image(
        self,
        caller: Principal,
        reward_id: uuid.UUID,
        data: Annotated[RewardImageUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        settings: NamedDependency[Settings],
    ) -> RewardImageRead:
        limits = ImageLimits(max_bytes=settings.max_image_bytes)
        image = await _read(data.file, limits.max_bytes)
        paths = await services.set_reward_image(
            user_id=caller.id,
            reward_id=reward_id,
            data=image,
            store=MediaStore(settings.media_root),
            limits=limits,
        )
        return presenters.reward_image_read(paths)

    @post(
        "/{reward_id:uuid}/redemptions",
        operation_id="redeem_reward",
        summary="Spend points on a reward: one item reserved and a pickup code; Idempotency-Key makes retries safe",
        guards=[requires_login, REDEMPTION_RATE],
        security=[{"bearer": []}],
        status_code=HTTP_201_CREATED,
        responses=problems(401, 404, 409, 422),
    )
    async def redeem(
        self,
        caller: Principal,
        reward_id: uuid.UUID,
        idempotency_key: Annotated[
            str | None, Parameter(header="Idempotency-Key", min_length=1, max_length=128)
        ] = None,
    ) -> RedemptionRead:
        redeemed = await redemptions.redeem(user_id=caller.id, reward_id=reward_id, idempotency_key=idempotency_key)
        if redeemed.reward is not None:  # read by the redemption itself: nothing to fail after its commit
            return presenters.redemption_read(redeemed.redemption, redeemed.reward)
        return await _redemption_read(redeemed.redemption)


class RedemptionController(Controller):
    path = "/api/v1"
    tags = ["inclusion"]
    guards = [requires_login]
    security = [{"bearer": []}]

    @get(
        "/me/redemptions",
        operation_id="my_redemptions",
        summary="The caller's redemptions, newest first",
        responses=problems(401),
    )
    async def mine(self, caller: Principal) -> list[RedemptionRead]:
        found = await queries.my_redemptions(user_id=caller.id)
        return presenters.redemptions_read(found, await queries.rewards_by_id(r.reward for r in found))

    @delete(
        "/redemptions/{redemption_id:uuid}",
        operation_id="cancel_my_redemption",
        summary="Give back a reserved reward: points and stock return",
        status_code=HTTP_200_OK,
        responses=problems(401, 404, 409),
    )
    async def cancel(self, caller: Principal, redemption_id: uuid.UUID) -> RedemptionRead:
        redemption = await redemptions.cancel_redemption(user_id=caller.id, redemption_id=redemption_id)
        return await _redemption_read(redemption)

    @post(
        "/redemptions/{code:str}/fulfil",
        operation_id="fulfil_redemption",
        summary="Hand a reserved reward over against its pickup code (staff who manage rewards there)",
        guards=[requires_staff],
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404, 409),
    )
    async def fulfil(self, caller: Principal, code: PickupCode) -> RedemptionRead:
        redemption = await redemptions.fulfil_redemption(user_id=caller.id, code=code)
        return await _redemption_read(redemption, at_counter=True)

    @post(
        "/redemptions/{code:str}/cancel",
        operation_id="staff_cancel_redemption",
        summary="Cancel a reserved reward at the counter; the resident gets the points back (staff)",
        guards=[requires_staff],
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404, 409),
    )
    async def staff_cancel(self, caller: Principal, code: PickupCode) -> RedemptionRead:
        redemption = await redemptions.cancel_by_code(user_id=caller.id, code=code)
        return await _redemption_read(redemption, at_counter=True)


CONTROLLERS: list[ControllerRouterHandler] = [RewardController, RedemptionController]
