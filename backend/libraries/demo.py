"""Twelve demo branches and e-reading rooms in Gusu and SIP, with hours of every kind."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import msgspec

from backend.core import clock
from backend.core.domain import DemoWorld
from backend.events.api import VenueCreate, create_venue, venues
from backend.libraries import services
from backend.libraries.schemas import BranchCreate, OccupancyPut, RoomCreate
from backend.libraries.tables import LibraryBranch

ADMIN = "demo-admin"
# Well inside LINLI_OCCUPANCY_FRESH_MINUTES' default of 30: a demo started now shows counts.
REPORTED_WITHIN = timedelta(minutes=10)


def _daily(
    opens: str, closes: str, *, days: range = range(7), lunch: tuple[str, str] | None = None
) -> dict[str, list[dict[str, str]]]:
    if lunch:
        intervals = [{"opens": opens, "closes": lunch[0]}, {"opens": lunch[1], "closes": closes}]
    else:
        intervals = [{"opens": opens, "closes": closes}]
    return {str(day): intervals for day in days}


@dataclass(frozen=True)
class _Branch:
    zh: str
    en: str
    address: str
    community: str | None
    latitude: float
    longitude: float
    hours: dict[str, list[dict[str, str]]]
    services: tuple[str, ...]
    seats: int
    rules: dict[str, object]
    free_now: int | None = None


_BRANCHES = [
    _Branch(
        "苏州图书馆(总馆)",
        "Suzhou Library (Main)",
        "姑苏区人民路 858 号",
        None,
        31.3036,
        120.6213,
        _daily("09:00", "20:30"),
        ("lending", "e_reading", "children", "accessible_reading", "online_loan_pickup"),
        120,
        {"public_holiday": "regular"},
        46,
    ),
    _Branch(
        "苏州图书馆双塔分馆",
        "Suzhou Library, Shuangta Branch",
        "姑苏区凤凰街 160 号",
        "nanyuan",
        31.2962,
        120.6268,
        {**_daily("09:00", "17:00", days=range(1, 7))},
        ("lending", "e_reading", "children", "online_loan_pickup"),
        24,
        {"monday_closed_unless_holiday": True, "public_holiday": "sunday_hours"},
        6,
    ),
    _Branch(
        "南园社区 24 小时书房",
        "Nanyuan 24-hour Reading Room",
        "姑苏区南园北路东侧",
        "nanyuan",
        31.2921,
        120.6306,
        _daily("00:00", "00:00"),
        ("self_service_24h", "e_reading", "lending"),
        12,
        {"public_holiday": "regular"},
        3,
    ),
    _Branch(
        "滚绣坊社区图书室",
        "Gunxiufang Community Library",
        "姑苏区滚绣坊 21 号",
        "gunxiufang",
        31.2968,
        120.6243,
        _daily("09:00", "17:00", days=range(0, 6), lunch=("11:30", "13:30")),
        ("lending", "children"),
        0,
        {"public_holiday": "closed", "makeup_workday": "weekday_hours"},
    ),
    _Branch(
        "平江路分馆",
        "Pingjiang Road Branch",
        "姑苏区平江路 118 号",
        None,
        31.3142,
        120.6330,
        _daily("10:00", "21:00"),
        ("lending", "e_reading", "online_loan_pickup"),
        30,
        {"public_holiday": "regular"},
        0,
    ),
    _Branch(
        "观前公共电子阅览室",
        "Guanqian Public E-reading Room",
        "姑苏区观前街 32 号",
        None,
        31.3105,
        120.6248,
        _daily("08:30", "20:30"),
        ("e_reading",),
        40,
        {"public_holiday": "sunday_hours"},
        17,
    ),
    _Branch(
        "金阊分馆",
        "Jinchang Branch",
        "姑苏区石路 88 号",
        None,
        31.3145,
        120.6022,
        _daily("09:00", "17:30", days=range(1, 7)),
        ("lending", "e_reading", "children", "accessible_reading"),
        20,
        {"monday_closed_unless_holiday": True},
    ),
    _Branch(
        "盘门分馆",
        "Panmen Branch",
        "姑苏区东大街 49 号",
        None,
        31.2893,
        120.6156,
        _daily("09:00", "17:00"),
        ("lending", "children"),
        0,
        {"public_holiday": "closed"},
    ),
    _Branch(
        "斜塘分馆",
        "Xietang Branch",
        "工业园区斜塘老街 6 号",
        "lianhua",
        31.2886,
        120.7168,
        _daily("09:00", "21:00"),
        ("lending", "e_reading", "children", "online_loan_pickup"),
        36,
        {"public_holiday": "regular"},
        21,
    ),
    _Branch(
        "莲花社区书房(24 小时)",
        "Lianhua 24-hour Book Room",
        "工业园区莲花新村五区",
        "lianhua",
        31.2951,
        120.7236,
        _daily("00:00", "00:00"),
        ("self_service_24h", "lending"),
        0,
        {"public_holiday": "regular"},
    ),
    _Branch(
        "独墅湖图书馆",
        "Dushu Lake Library",
        "工业园区若水路 1 号",
        None,
        31.2708,
        120.7435,
        _daily("09:00", "21:00", days=range(1, 7)),
        ("lending", "e_reading", "children", "accessible_reading", "online_loan_pickup"),
        80,
        {"monday_closed_unless_holiday": True, "public_holiday": "sunday_hours"},
        33,
    ),
    _Branch(
        "金鸡湖青年夜读室",
        "Jinji Lake Late-night Study Room",
        "工业园区星港街 199 号",
        None,
        31.3180,
        120.6755,
        _daily("18:00", "02:00"),
        ("e_reading",),
        25,
        {"public_holiday": "regular"},
        9,
    ),
]


async def seed(world: DemoWorld) -> None:
    """Create the branches that are missing (by Chinese name); report free seats again where the
    last report is old, so a demo started days after its seeding shows live counts."""
    created = await _seed(world)
    refreshed = await _refresh_seats(world)
    world.summary.append(
        (f"demo library branches: {created} created" if created else "demo library branches: already there, none added")
        + (f"; free seats reported again at {refreshed}" if refreshed else "")
    )


async def _seed(accounts: DemoWorld) -> int:
    existing = {
        row["name"].get("zh-Hans") for row in await LibraryBranch.select(LibraryBranch.name).output(load_json=True)
    }
    admin = accounts.staff[ADMIN]
    library = accounts.organisations["library"]
    created = 0
    for spec in _BRANCHES:
        if spec.zh in existing:
            continue
        venue_id = await _venue(spec, accounts)
        branch = await services.create_branch(
            user_id=admin,
            data=msgspec.convert(
                {
                    "organisation_id": str(library),
                    "venue_id": str(venue_id),
                    "name": {"zh-Hans": spec.zh, "en": spec.en},
                    "address": {"zh-Hans": spec.address},
                    "community_id": str(accounts.organisations[spec.community]) if spec.community else None,
                    "contact_phone": "0512-6522 7410",
                    "services": list(spec.services),
                    "e_reading_seats": spec.seats,
                    "weekly_hours": spec.hours,
                    "holiday_rules": spec.rules,
                },
                BranchCreate,
                strict=False,  # weekday keys arrive as strings, as they do in JSON
            ),
        )
        if "e_reading" in spec.services and spec.seats:
            await services.add_room(
                user_id=admin,
                branch_id=branch.id,
                data=RoomCreate(name={"zh-Hans": "电子阅览室", "en": "E-reading room"}, seats=spec.seats),
            )
        created += 1
    return created


async def _refresh_seats(accounts: DemoWorld) -> int:
    """A report for each demo branch that has a count, unless one was made in the last few
    minutes: running the demo twice in a row reports nothing twice. How many were reported."""
    recent = clock.now() - REPORTED_WITHIN
    counts = {spec.zh: spec.free_now for spec in _BRANCHES if spec.free_now is not None}
    branches = await LibraryBranch.select(LibraryBranch.id, LibraryBranch.name, LibraryBranch.free_seats_at).output(
        load_json=True
    )
    reported = 0
    for row in branches:
        count = counts.get(row["name"].get("zh-Hans"))
        if count is None or (row["free_seats_at"] is not None and row["free_seats_at"] >= recent):
            continue
        await services.set_occupancy(
            user_id=accounts.staff[ADMIN], branch_id=row["id"], free_seats=OccupancyPut(free_seats=count).free_seats
        )
        reported += 1
    return reported


async def _venue(spec: _Branch, accounts: DemoWorld) -> uuid.UUID:
    """The events demo already made the 双塔 branch's venue; reuse it so its events show up."""
    for known in await venues():
        if known.name.get("zh-Hans") == spec.zh:
            return known.id
    venue = await create_venue(
        user_id=accounts.staff[ADMIN],
        data=VenueCreate(
            organisation_id=accounts.organisations["library"],
            community_id=accounts.organisations[spec.community] if spec.community else None,
            name={"zh-Hans": spec.zh, "en": spec.en},
            address={"zh-Hans": spec.address},
            latitude=spec.latitude,
            longitude=spec.longitude,
        ),
    )
    return venue.id
