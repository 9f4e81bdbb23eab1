"""The points supermarket in the counter room (``/console/counter/rewards`` and ``…/rules``): a
community's rewards with their pictures, cost, stock, per-resident limit and whether they are on
offer; a reward created and edited with its name in each language side by side, its picture
uploaded or replaced; and the community's point rules, each row saved in place (htmx).

Everything goes through the inclusion API's services (``create_reward``, ``update_reward``,
``set_reward_image``, ``replace_rules``), so the permission checks, refusals and audit entries are
the API's. Stock is changed *by* an amount (the API's ``stock_change``), never set, so an item
reserved while the form was open is not counted back in."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template

from backend.core.context import Principal
from backend.core.errors import DomainError, NotFound, PendingFieldProblem
from backend.core.i18n import CITY_TZ, N_, _, pick
from backend.core.images import ImageLimits
from backend.core.media import MediaStore
from backend.core.stores import rate_limit
from backend.inclusion import api as shop
from backend.inclusion.api import PointRuleWrite, RewardCreate, RewardUpdate
from backend.settings import Settings
from backend.web.console.account_controllers import Form
from backend.web.console.counter_controllers import manages_rewards, thumbnail
from backend.web.console.edge import (
    FormRefused,
    city_time,
    form_values,
    go,
    is_htmx,
    page,
    parse_form,
    provide_me,
    signed_in,
)
from backend.web.console.listing import Listing

ROOT = "/console/counter"
# The rewards list's sorts: by cost (the supermarket's own order), stock left, name.
SORTS: dict[str, Any] = {
    "points_cost": lambda row: (row["read"].points_cost, row["read"].name),
    "stock": lambda row: (row["read"].stock, row["read"].points_cost),
    "name": lambda row: (row["read"].name, row["read"].points_cost),
}
TIMES = ("active_from", "active_until")
# What the reward page says after a change that sent the person to it (``?saved=<key>``).
SAVED = {
    "created": N_("The reward is in the supermarket. Add a picture below."),
    "saved": N_("Your changes have been saved."),
    "picture": N_("The picture has been saved."),
}
# A business rule's refusal about one field is drawn beside that field.
FIELD_OF_CODE = {
    "reward_dates_invalid": "active_until",
    "stock_out_of_range": "stock_change",
    "stock_change_conflict": "stock_change",
    "reward_community_invalid": "community_id",
}


class PictureUpload(msgspec.Struct):
    file: UploadFile


def _marked(error: DomainError) -> DomainError:
    field = FIELD_OF_CODE.get(error.code)
    if field is not None and not getattr(error, "problems", None):
        error.problems = [PendingFieldProblem(field, error.message, error.code, error.params)]  # type: ignore[attr-defined]
    return error


def local_input(moment: datetime | None) -> str:
    """A time as a ``datetime-local`` input shows it: Suzhou time, to the minute."""
    return moment.astimezone(CITY_TZ).strftime("%Y-%m-%dT%H:%M") if moment else ""


def reward_values(data: dict[str, Any], *, editing: bool) -> dict[str, Any]:
    """The reward form as the API's JSON: times typed in Suzhou time; an edit sends the dates
    (emptied: no limit), the description (emptied: none) and the withdrawn box."""
    values = form_values(data)
    for name in TIMES:
        raw = values.get(name)
        if isinstance(raw, str):
            values[name] = city_time(raw)  # one that does not parse is left for the schema to refuse
        elif editing:
            values[name] = None
    if editing:
        values.setdefault("description", {})
        values["withdrawn"] = "withdrawn" in data
        values.pop("community_id", None)  # a reward stays in its community
        if values.get("stock_change") in ("0", "+0", "-0"):
            values.pop("stock_change")
    return values


async def _communities(me: Principal) -> list[dict[str, Any]]:
    found = await shop.reward_communities(user_id=me.id)
    return sorted(({"id": c.id, "name": pick(c.name)[0]} for c in found), key=lambda c: (c["name"], str(c["id"])))


def _chosen(communities: list[dict[str, Any]], asked: str | None) -> dict[str, Any] | None:
    """The community the page is about: the one asked for if the person manages it, else the first."""
    for community in communities:
        if str(community["id"]) == (asked or "").strip():
            return community
    if asked and asked.strip():
        raise NotFound("community_not_found", N_("This community does not exist."))
    return communities[0] if communities else None


def _reward_row(reward: Any) -> dict[str, Any]:
    read = shop.reward_read(reward)
    return {"read": read, "thumb": thumbnail(read.image_urls)}


async def _form(
    request: Request[Any, Any, Any], me: Principal, *, reward: Any = None, community: dict[str, Any] | None = None
) -> Template:
    return await page(
        request,
        "console/counter/reward_form.html",
        reward=reward,
        read=shop.reward_read(reward) if reward is not None else None,
        thumb=thumbnail(shop.reward_read(reward).image_urls) if reward is not None else None,
        community=community,
        active_from=local_input(reward.active_from) if reward is not None else "",
        active_until=local_input(reward.active_until) if reward is not None else "",
        saved=_(SAVED[request.query_params["saved"]]) if request.query_params.get("saved") in SAVED else None,
        max_stock=shop.MAX_STOCK,
    )


# --- point rules ---------------------------------------------------------------------------------------


async def _rules_context(community_id: uuid.UUID) -> list[shop.PointRuleRead]:
    return shop.rules_read(await shop.community_rules(community_id=community_id))


def _own(rules: list[shop.PointRuleRead], *, without: str) -> list[PointRuleWrite]:
    """The community's own rows (the ones the PUT replaces), but the kind being changed."""
    return [
        PointRuleWrite(
            kind=rule.kind,
            points=rule.points,
            daily_cap=rule.daily_cap,
            per_activity_cap=rule.per_activity_cap,
            active=rule.active,
        )
        for rule in rules
        if rule.source == "community" and rule.kind != without
    ]


def _rule_of(kind: str, data: dict[str, Any]) -> PointRuleWrite:
    """One row of the table as the API's ``PointRuleWrite``; a refusal names the row's field."""
    values = form_values(data)
    values["kind"] = kind
    values["active"] = "active" in data
    try:
        rule: PointRuleWrite = parse_form(values, PointRuleWrite)
    except FormRefused as refused:
        raise FormRefused(
            [dataclasses.replace(problem, field=f"{kind}.{problem.field}") for problem in refused.problems]
        ) from None
    return rule


class RewardsController(Controller):
    path = "/counter"  # under the console router's /console: the counter room's supermarket
    include_in_schema = False
    guards = [signed_in, manages_rewards]
    dependencies = {"me": Provide(provide_me, sync_to_thread=False)}

    @get("/rewards")
    async def rewards(self, request: Request[Any, Any, Any], me: Principal, community: str | None = None) -> Template:
        communities = await _communities(me)
        chosen = _chosen(communities, community)
        listing = Listing.read(
            f"{ROOT}/rewards", request.query_params, sorts=SORTS, default_sort="points_cost", filters=("community",)
        )
        rewards = []
        if chosen is not None:
            # A community's whole catalogue (the API's largest page), sorted and paged here.
            found = await shop.list_rewards(community_id=chosen["id"], include_inactive=True, user_id=me.id, limit=100)
            rows = sorted((_reward_row(reward) for reward in found), key=SORTS[listing.key])
            if listing.descending:
                rows.reverse()
            listing.total = len(rows)
            rewards = rows[listing.offset : listing.offset + listing.size]
        return await page(
            request,
            "console/counter/rewards.html",
            communities=communities,
            chosen=chosen,
            rewards=rewards,
            listing=listing,
        )

    @get("/rewards/new")
    async def new(self, request: Request[Any, Any, Any], me: Principal, community: str | None = None) -> Template:
        chosen = _chosen(await _communities(me), community)
        if chosen is None:
            raise NotFound("community_not_found", N_("This community does not exist."))
        return await _form(request, me, community=chosen)

    @post("/rewards")
    async def create(self, request: Request[Any, Any, Any], me: Principal, data: Form) -> Response[Any]:
        body: RewardCreate = parse_form(reward_values(data, editing=False), RewardCreate)
        try:
            reward = await shop.create_reward(user_id=me.id, data=body)
        except DomainError as error:
            raise _marked(error) from None
        return go(request, f"{ROOT}/rewards/{reward.id}?saved=created")

    @get("/rewards/{reward_id:uuid}")
    async def edit(self, request: Request[Any, Any, Any], me: Principal, reward_id: uuid.UUID) -> Template:
        reward = await shop.managed_reward(user_id=me.id, reward_id=reward_id)
        communities = {c["id"]: c for c in await _communities(me)}
        return await _form(request, me, reward=reward, community=communities.get(reward.community))

    @post("/rewards/{reward_id:uuid}")
    async def update(
        self, request: Request[Any, Any, Any], me: Principal, reward_id: uuid.UUID, data: Form
    ) -> Response[Any]:
        await shop.managed_reward(user_id=me.id, reward_id=reward_id)
        changes: RewardUpdate = parse_form(reward_values(data, editing=True), RewardUpdate)
        values = {k: v for k, v in msgspec.structs.asdict(changes).items() if v is not msgspec.UNSET}
        try:
            await shop.update_reward(user_id=me.id, reward_id=reward_id, changes=values)
        except DomainError as error:
            raise _marked(error) from None
        return go(request, f"{ROOT}/rewards/{reward_id}?saved=saved")

    @post(
        "/rewards/{reward_id:uuid}/picture",
        guards=[rate_limit("reward_image", setting="reward_image_rate_limit", per_user=True)],
    )
    async def picture(
        self,
        request: Request[Any, Any, Any],
        me: Principal,
        reward_id: uuid.UUID,
        data: Annotated[PictureUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        settings: Settings,
    ) -> Response[Any]:
        """As the API's upload_reward_image: at most one byte past the limit is read, the same checks."""
        limits = ImageLimits(max_bytes=settings.max_image_bytes)
        try:
            image = await data.file.read(limits.max_bytes + 1)
        finally:
            await data.file.close()
        await shop.set_reward_image(
            user_id=me.id, reward_id=reward_id, data=image, store=MediaStore(settings.media_root), limits=limits
        )
        return go(request, f"{ROOT}/rewards/{reward_id}?saved=picture#picture")

    # --- point rules ---------------------------------------------------------------------------------

    @get("/rules")
    async def rules(self, request: Request[Any, Any, Any], me: Principal, community: str | None = None) -> Template:
        communities = await _communities(me)
        chosen = _chosen(communities, community)
        rules = await _rules_context(chosen["id"]) if chosen is not None else []
        return await page(request, "console/counter/rules.html", communities=communities, chosen=chosen, rules=rules)

    @post("/rules/{community_id:uuid}/{kind:str}")
    async def save_rule(
        self, request: Request[Any, Any, Any], me: Principal, community_id: uuid.UUID, kind: str, data: Form
    ) -> Response[Any]:
        return await _change_rule(request, me, community_id, kind, data)

    @post("/rules/{community_id:uuid}/{kind:str}/reset")
    async def reset_rule(
        self, request: Request[Any, Any, Any], me: Principal, community_id: uuid.UUID, kind: str
    ) -> Response[Any]:
        return await _change_rule(request, me, community_id, kind, None)


async def _change_rule(
    request: Request[Any, Any, Any], me: Principal, community_id: uuid.UUID, kind: str, data: dict[str, Any] | None
) -> Response[Any]:
    """A row saved (or, ``data`` None, given back to the city's rule) through ``replace_rules``:
    the community's other own rows are sent as they are."""
    if community_id not in {c["id"] for c in await _communities(me)}:
        raise NotFound("community_not_found", N_("This community does not exist."))
    current = await _rules_context(community_id)
    if kind not in {rule.kind for rule in current}:
        raise NotFound("not_found", N_("Not found."))
    rows = _own(current, without=kind)
    if data is not None:
        rows.append(_rule_of(kind, data))
    replaced = shop.rules_read(await shop.replace_rules(user_id=me.id, community_id=community_id, rules=rows))
    if not is_htmx(request):
        return go(request, f"{ROOT}/rules?community={community_id}")
    rule = next(r for r in replaced if r.kind == kind)
    return await page(request, "console/counter/_rule.html", rule=rule, community_id=community_id, saved=True)
