"""Patrol routes: checkpoints (巡更点) walked in order, each with a code printed on a plate.

A route is not public: its team's active members see it, its coordinators also see the codes.
A volunteer who could read the codes could "scan" every plate from the sofa.
"""

from __future__ import annotations

import asyncio
import io
import secrets
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from PIL import Image, ImageDraw, ImageFont

from backend.core import audit, clock, fonts
from backend.core.db import UNIQUE_VIOLATIONS, lock_row, transaction
from backend.core.errors import DomainError, Forbidden, NotFound
from backend.core.i18n import N_, _, get_locale, pick
from backend.core.qr import qr_modules, qr_png
from backend.volunteers.shifts.tables import CheckpointScan
from backend.volunteers.teams.guards import Coordination, coordinating_as, get_team, require_coordination
from backend.volunteers.teams.queries import RouteView, read_route, visible_route
from backend.volunteers.teams.schemas import CheckpointWrite, RouteCreate, RouteUpdate
from backend.volunteers.teams.services import clean_text
from backend.volunteers.teams.tables import Checkpoint, Route

# No 0/O, 1/I/L: a code read aloud or typed from a worn plate is not mistaken.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
CODE_ATTEMPTS = 5


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _name_required() -> DomainError:
    return DomainError("name_required", N_("Please give every route and checkpoint a name."), status=422)


async def _with_fresh_codes(write: Callable[[], Awaitable[None]]) -> None:
    """Run ``write`` in a transaction; if a new code hit the unique index, again with new codes."""
    for attempt in range(CODE_ATTEMPTS):
        try:
            async with transaction(Route._meta.db):
                await write()
            return
        except UNIQUE_VIOLATIONS:
            if attempt == CODE_ATTEMPTS - 1:
                raise


async def _insert_checkpoints(route_id: uuid.UUID, checkpoints: list[CheckpointWrite]) -> None:
    codes: set[str] = set()
    while len(codes) < len(checkpoints):
        codes.add(new_code())
    rows = [
        Checkpoint(
            route=route_id,
            position=position,
            name=clean_text(stop.name, required=_name_required()),
            latitude=stop.latitude,
            longitude=stop.longitude,
            code=code,
        )
        for position, (stop, code) in enumerate(zip(checkpoints, codes, strict=True), start=1)
    ]
    await Checkpoint.insert(*rows)


def _stops(checkpoints: list[CheckpointWrite]) -> list[dict[str, Any]]:
    """What the audit trail keeps of checkpoints: names and places, never the plates' codes."""
    return [{"name": clean_text(stop.name), "at": [stop.latitude, stop.longitude]} for stop in checkpoints]


async def _audit(coordination: Coordination, action: str, route_id: uuid.UUID, before: Any, after: Any) -> None:
    await audit.record(
        action,
        object_type="route",
        object_id=route_id,
        organisation_id=coordination.organisation_id,
        permission=coordination.permission,
        before=before,
        after=after,
    )


async def create_route(*, user_id: uuid.UUID, team_id: uuid.UUID, data: RouteCreate) -> RouteView:
    """Coordinators draw a route of 1–50 checkpoints; each gets a fresh, unguessable code."""
    coordination = await require_coordination(user_id=user_id, team_id=team_id)
    name = clean_text(data.name, required=_name_required())
    route_id = uuid.uuid4()

    async def write() -> None:
        await Route(
            id=route_id, team=team_id, name=name, description=clean_text(data.description), created_at=clock.now()
        ).save()
        await _insert_checkpoints(route_id, data.checkpoints)
        after = {"team": team_id, "name": name, "checkpoints": _stops(data.checkpoints)}
        await _audit(coordination, "volunteers.route_created", route_id, None, after)

    await _with_fresh_codes(write)
    return await read_route(user_id=user_id, route_id=route_id)


async def replace_checkpoints(
    *, user_id: uuid.UUID, route_id: uuid.UUID, checkpoints: list[CheckpointWrite]
) -> RouteView:
    """A new list of checkpoints with new codes; refused once any plate of the route was scanned
    (the scans, and the hours checked against them, must keep pointing at what was walked)."""
    route, coordination = await _route_coordination(user_id, route_id)
    engine = Route._meta.db

    async def write() -> None:
        await lock_row(engine, Route._meta.tablename, route["id"])  # two replacements queue here
        if await CheckpointScan.exists().where(CheckpointScan.checkpoint.route == route["id"]):
            raise DomainError(
                "route_in_use",
                N_("Checkpoints of this route have been scanned already. Make a new route instead."),
                status=409,
            )
        before = (
            await Checkpoint.select(Checkpoint.name, Checkpoint.latitude, Checkpoint.longitude)
            .where(Checkpoint.route == route["id"])
            .order_by(Checkpoint.position)
            .output(load_json=True)
        )
        await Checkpoint.delete().where(Checkpoint.route == route["id"])
        await _insert_checkpoints(route["id"], checkpoints)
        await _audit(
            coordination,
            "volunteers.checkpoints_replaced",
            route["id"],
            {"checkpoints": [{"name": row["name"], "at": [row["latitude"], row["longitude"]]} for row in before]},
            {"checkpoints": _stops(checkpoints)},
        )

    await _with_fresh_codes(write)
    return await read_route(user_id=user_id, route_id=route_id)


async def _route_coordination(user_id: uuid.UUID, route_id: uuid.UUID) -> tuple[dict[str, Any], Coordination]:
    """The route and the caller's standing as its coordinator: 404 outside its team, 403 for a member."""
    route, coordinator = await visible_route(user_id=user_id, route_id=route_id)
    team = await get_team(route["team"])
    permission = await coordinating_as(user_id=user_id, team=team) if coordinator else None
    if permission is None:
        raise Forbidden()
    return route, Coordination(team, permission)


async def update_route(*, user_id: uuid.UUID, route_id: uuid.UUID, data: RouteUpdate) -> RouteView:
    """Coordinators rename a route or change its description (the plates keep their codes)."""
    route, coordination = await _route_coordination(user_id, route_id)
    changes: dict[Any, Any] = {}
    if not isinstance(data.name, msgspec.UnsetType):
        changes[Route.name] = clean_text(data.name, required=_name_required())
    if not isinstance(data.description, msgspec.UnsetType):
        changes[Route.description] = clean_text(data.description)
    before = {column._meta.name: route[column._meta.name] for column in changes}
    after = {column._meta.name: value for column, value in changes.items()}
    if before != after:
        async with transaction(Route._meta.db):
            await Route.update(changes).where(Route.id == route["id"])
            await _audit(coordination, "volunteers.route_changed", route["id"], before, after)
    return await read_route(user_id=user_id, route_id=route_id)


# --- the plate at the spot ---------------------------------------------------------------------------


async def checkpoint_plate(*, user_id: uuid.UUID, route_id: uuid.UUID, checkpoint_id: uuid.UUID) -> bytes:
    """A printable PNG for coordinators: the checkpoint's code as a QR code, its name under it."""
    route, coordinator = await visible_route(user_id=user_id, route_id=route_id)
    if not coordinator:
        raise Forbidden()
    row = (
        await Checkpoint.select()
        .output(load_json=True)
        .where((Checkpoint.id == checkpoint_id) & (Checkpoint.route == route["id"]))
        .first()
    )
    if row is None:
        raise NotFound("checkpoint_not_found", N_("This checkpoint does not exist."))
    name, served = pick(row["name"])
    heading = _("Patrol checkpoint {position}").format(position=row["position"])
    return await asyncio.to_thread(
        render_plate,
        code=row["code"],
        heading=heading,
        name=name,
        locale=served or get_locale(),
        heading_locale=get_locale(),
    )


PLATE_WIDTH = 600
QR_SIDE = 440


def _font(size: int, locale: str, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return fonts.cjk_font(size, locale=locale, bold=bold)
    except fonts.FontMissing:
        return ImageFont.load_default(size)  # the QR code is what counts; the name is a courtesy


def render_plate(*, code: str, heading: str, name: str, locale: str, heading_locale: str) -> bytes:
    # Whole pixels per module: a scaled-up code with uneven modules scans badly.
    qr = Image.open(io.BytesIO(qr_png(code, scale=max(1, QR_SIDE // qr_modules(code)), border=2))).convert("RGB")
    plate = Image.new("RGB", (PLATE_WIDTH, QR_SIDE + 260), "white")
    draw = ImageDraw.Draw(plate)
    centre = PLATE_WIDTH // 2
    draw.text((centre, 40), heading, font=_font(32, heading_locale, bold=True), fill="black", anchor="mm")
    plate.paste(qr, ((PLATE_WIDTH - qr.width) // 2, 70 + (QR_SIDE - qr.height) // 2))
    name_font = _font(36, locale, bold=True)
    shown = (
        fonts.ellipsize(name, name_font, PLATE_WIDTH - 40) if isinstance(name_font, ImageFont.FreeTypeFont) else name
    )
    draw.text((centre, QR_SIDE + 120), shown, font=name_font, fill="black", anchor="mm")
    draw.text((centre, QR_SIDE + 190), f"{code[:4]} {code[4:]}", font=_font(40, "en"), fill="black", anchor="mm")
    buffer = io.BytesIO()
    plate.save(buffer, format="PNG")
    return buffer.getvalue()
