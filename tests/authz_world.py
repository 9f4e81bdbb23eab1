"""The world the authorisation matrix (tests/test_authorization_all.py) runs in.

One city with two of everything (districts, streets, communities), the people who call, the
objects they own, and the secrets that must never reach the wrong caller. Staff accounts are
written straight to the table, all with one password hashed once (the matrix calls with tokens
of real sessions; an argon2 hash per account would cost more than the whole matrix), everything
else goes through the services where they are cheap, so the objects are what the app itself
would have made.

Fresh objects for the calls that consume them (a registration to cancel, a pending entry to
verify, …) come from the ``fresh_*`` builders, each in a few inserts.
"""

from __future__ import annotations

import functools
import io
import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import msgspec
from litestar import Litestar
from PIL import Image

from backend.accounts import organisations, sessions, staff_accounts
from backend.accounts import staff as accounts
from backend.accounts.tables import Membership, Organisation, OrganisationKind, Role, SessionKind, User
from backend.core import signals
from backend.core.auth import hash_password
from backend.core.cache import VersionedCache
from backend.core.i18n import CITY_TZ
from backend.core.images import ImageLimits
from backend.core.media import MediaStore
from backend.events.calendars import services as calendars
from backend.events.catalogue import posters
from backend.events.catalogue import services as event_services
from backend.events.catalogue.schemas import EventCreate, VenueCreate
from backend.events.catalogue.tables import Event
from backend.events.registrations import door
from backend.events.registrations import services as registration_services
from backend.events.sharing import services as share_links
from backend.events.signals import CACHE_NAMESPACE as EVENTS_CACHE
from backend.governance.incidents import services as incidents
from backend.governance.incidents.schemas import IncidentCreate, IncidentUpdate
from backend.inclusion.points import ledger
from backend.inclusion.points.tables import PointReason
from backend.inclusion.profiles.tables import Dependant, ResidentProfile
from backend.inclusion.rewards import redemptions
from backend.inclusion.rewards.tables import Reward
from backend.libraries import services as library_services
from backend.libraries.schemas import BranchCreate, ExceptionPut
from backend.notifications.tables import Notice
from backend.settings import Settings
from backend.volunteers.hours import records
from backend.volunteers.hours.tables import HoursEntry
from backend.volunteers.people import services as volunteer_profiles
from backend.volunteers.people.schemas import VolunteerProfileWrite
from backend.volunteers.people.tables import VolunteerProfile
from backend.volunteers.shifts.tables import Shift, ShiftSignup
from backend.volunteers.storage import private_store
from backend.volunteers.teams.routes import new_code
from backend.volunteers.teams.tables import Checkpoint, MemberRole, MemberStatus, Route, Team, TeamMember
from tests import factories
from tests.conftest import SECRET

# The eight callers every row is asked about, then the owners that show an allowed non-admin exists.
IDENTITIES = ("anon", "resident", "resident_b", "volunteer", "coord_b", "org_b", "admin_b", "city_admin")
OWNERS = ("organiser_a", "librarian_a", "coordinator_a", "admin_a", "police_a")

LOGIN_USERNAME = "matrix-login"
LOGIN_PASSWORD = "matrix login password"
STAFF_PASSWORD = "matrix staff password"  # every staff account's, for the rows that must prove it
WEEK_9_TO_5 = {str(d): [{"opens": "09:00", "closes": "17:00"}] for d in range(7)}
_serial = itertools.count(1)


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def png(width: int = 64, height: int = 48) -> bytes:
    """A real image, a different one each time (an upload of the same picture changes nothing)."""
    shade = next(_serial) % 250
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, shade, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass(frozen=True)
class Secret:
    """A private value and who may read it anywhere; rows may add readers (``Op.may_see``)."""

    value: str
    holders: frozenset[str]


@dataclass
class World:
    app: Litestar
    client: httpx.AsyncClient
    settings: Settings
    cache: VersionedCache
    tree: dict[str, Organisation]
    people: dict[str, User]
    headers: dict[str, dict[str, str]]
    fake: Any = None  # the fake WeChat server (tests.fakes.wechat.FakeWechat)
    secrets: dict[str, Secret] = field(default_factory=dict)
    ids: dict[str, Any] = field(default_factory=dict)

    def user(self, identity: str) -> User:
        return self.people[identity]


# --- people -------------------------------------------------------------------------------------


@functools.cache
def staff_password_hash() -> str:
    return hash_password(STAFF_PASSWORD)


async def person(name: str, *, phone: str | None = None, staff: bool = False) -> User:
    """A resident (development openid) or a staff account, signed in (``factories.token_for``)."""
    tag = uuid.uuid4().hex[:12]
    user = User(
        openid=None if staff else f"dev:matrix-{tag}",
        username=f"matrix-{tag}" if staff else None,
        password_hash=staff_password_hash() if staff else None,
        is_staff=staff,
        display_name=name,
        phone=phone,
        created_at=now(),
    )
    await User.insert(user)
    await factories.signed_in(user)
    return user


async def staff_with(role: Role, organisation: Organisation, name: str) -> User:
    user = await person(name, staff=True)
    await accounts.grant_role(user_id=user.id, organisation_id=organisation.id, role=role)
    return user


async def member(
    team_id: uuid.UUID,
    user_id: uuid.UUID,
    role: MemberRole = MemberRole.member,
    status: MemberStatus = MemberStatus.active,
) -> None:
    await TeamMember.insert(
        TeamMember(team=team_id, user=user_id, role=role.value, status=status.value, created_at=now())
    )


async def volunteer_profile(
    w: World, user_id: uuid.UUID, real_name: str | None = None, id_number: str | None = None
) -> None:
    body: dict[str, Any] = {"consent": True, "real_name": real_name}
    if id_number:
        body.update(id_document="resident_id", id_number=id_number)
    data = msgspec.convert(body, VolunteerProfileWrite)
    await volunteer_profiles.save_profile(user_id=user_id, data=data, keys=w.settings.sealing_keys)


async def stand_in(w: World, identity: str) -> User:
    """A new account that is what ``identity`` is (kind, roles, teams, profiles), for calls that
    would spend the identity itself (closing an account, erasing a profile)."""
    original = w.user(identity)
    clone = await person(f"{identity}-stand-in-{next(_serial)}", staff=original.is_staff)
    for row in await Membership.select().where(Membership.user == original.id):
        await accounts.grant_role(user_id=clone.id, organisation_id=row["organisation"], role=Role(row["role"]))
    for row in await TeamMember.select().where(TeamMember.user == original.id):
        await member(row["team"], clone.id, MemberRole(row["role"]), MemberStatus(row["status"]))
    volunteer = await VolunteerProfile.objects().where(VolunteerProfile.user == original.id).first()
    if volunteer is not None:
        await volunteer_profile(w, clone.id, real_name="替身", id_number=None)
    resident = await ResidentProfile.objects().where(ResidentProfile.user == original.id).first()
    if resident is not None:
        await ResidentProfile.insert(
            ResidentProfile(
                user=clone.id, community=resident.community, consented_at=now(), created_at=now(), updated_at=now()
            )
        )
    return clone


# --- building the world ---------------------------------------------------------------------------


async def build_world(app: Litestar, client: httpx.AsyncClient, settings: Settings) -> World:
    tree = await factories.city_tree()
    people = {
        "resident": await person("李小梅", phone="13800138001"),
        "resident_b": await person("王大明", phone="13900139002"),
        "volunteer": await person("张志愿", phone="13700137003"),
        "coord_b": await staff_with(Role.coordinator, tree["community_b"], "莲花协调员"),
        "org_b": await staff_with(Role.organiser, tree["street_b"], "斜塘组织者"),
        "admin_b": await staff_with(Role.admin, tree["community_b"], "莲花管理员"),
        "city_admin": await staff_with(Role.admin, tree["city"], "市管理员"),
        "organiser_a": await staff_with(Role.organiser, tree["street_a"], "双塔组织者"),
        "librarian_a": await staff_with(Role.library_staff, tree["library_a"], "双塔馆员"),
        "admin_a": await staff_with(Role.admin, tree["community_a"], "南园管理员"),
        "coordinator_a": await person("南园队长", staff=True),
    }
    police = await factories.organisation(OrganisationKind.police_station, tree["street_a"], "双塔派出所")
    tree["police_a"] = police
    people["police_a"] = await staff_with(Role.admin, police, "双塔民警")  # staff of the party incidents go to
    headers = {"anon": {}, **{name: factories.token_for(user) for name, user in people.items()}}
    w = World(
        app=app, client=client, settings=settings, cache=app.state.cache, tree=tree, people=people, headers=headers
    )
    await accounts.create_staff(username=LOGIN_USERNAME, password=LOGIN_PASSWORD)  # the one argon2 hash
    await _administration(w)
    await _events(w)
    await _library(w)
    await _volunteers(w)
    await _incidents(w)
    await _inclusion(w)
    _secrets(w)
    return w


def _secrets(w: World) -> None:
    resident, resident_b, volunteer = frozenset({"resident"}), frozenset({"resident_b"}), frozenset({"volunteer"})
    w.secrets.update(
        {
            "resident_name": Secret("李小梅", resident),
            "resident_phone": Secret("13800138001", resident),
            "resident_b_name": Secret("王大明", resident_b),
            "resident_b_phone": Secret("13900139002", resident_b),
            "volunteer_name": Secret("张志愿", volunteer),
            "volunteer_phone": Secret("13700137003", volunteer),
            "volunteer_real_name": Secret(
                "张三丰", volunteer
            ),  # staff views show 张*丰; the volunteer's export the name
            "volunteer_id_number": Secret("320501199001011238", volunteer),
            "dependant_name": Secret("李小宝", resident),
            "registration_id": Secret(str(w.ids["registration"]), resident),
            "ticket": Secret(w.ids["ticket"], resident),
            "feed_token": Secret(w.ids["feed_token"], resident),
            "pickup_code": Secret(w.ids["pickup_code"], resident),
            "incident_text": Secret("南园五幢三〇二夜间进出人员多", resident),
            "neighbour_name": Secret("邻里达人", frozenset(IDENTITIES + OWNERS)),  # opted in to the boards: public
            "draft_title": Secret("内部草稿勿外传", frozenset({"organiser_a", "city_admin"})),
            "hidden_reward": Secret("内部奖品未上架", frozenset({"admin_a", "city_admin"})),
            **{
                f"checkpoint_code_{i}": Secret(code, frozenset({"coordinator_a", "city_admin"}))
                for i, code in enumerate(w.ids["checkpoint_codes"])
            },
        }
    )


async def _administration(w: World) -> None:
    """A staff member of community A's (whom its admin and the city's see), and an invitation."""
    w.ids["staff_a"] = (await staff_with(Role.organiser, w.tree["community_a"], "南园干事")).id
    w.ids["invite_token"] = await fresh_invite(w)


async def _events(w: World) -> None:
    venue = await event_services.create_venue(
        user_id=w.user("organiser_a").id,
        data=VenueCreate(
            organisation_id=w.tree["street_a"].id,
            community_id=w.tree["community_a"].id,
            name={"zh-Hans": "南园社区活动中心", "en": "Nanyuan Community Centre"},
            latitude=31.2946,
            longitude=120.6285,
        ),
    )
    w.ids["venue"] = venue.id
    published = await fresh_event(w)
    signed_up = await registration_services.sign_up(
        user_id=w.user("resident").id,
        event_id=published,
        party_size=1,
        idempotency_key=None,
        max_upcoming=1000,
    )
    registration = signed_up.registration
    await signals.settled()  # its notice is written after the answer: before the test looks
    w.ids.update(
        published=published,
        registration=registration.id,
        ticket=door.make_ticket(w.settings.secret_key, registration.id),
        draft=await fresh_event(w, publish=False, title="内部草稿勿外传"),
        open_event=await fresh_event(w, capacity=100),
        door_event=await fresh_event(w, capacity=100, starts_in=timedelta(minutes=30)),  # the door is open
        poster_event=await fresh_event(w),
        share_code=await share_links.share_link_code(event_id=published, sharer_id=w.user("resident").id),
    )
    media = f"matrix/{uuid.uuid4().hex}.png"
    MediaStore(w.settings.media_root).write(media, png())
    w.ids["media"] = media


async def _library(w: World) -> None:
    w.ids["branch"] = await fresh_branch(w)


async def _volunteers(w: World) -> None:
    tree = w.tree
    team_a = await fresh_team(w, tree["community_a"], "南园巡逻队")
    team_b = await fresh_team(w, tree["community_b"], "莲花巡逻队")
    await member(team_a, w.user("coordinator_a").id, MemberRole.coordinator)
    await member(team_b, w.user("coord_b").id, MemberRole.coordinator)
    await volunteer_profile(w, w.user("volunteer").id, real_name="张三丰", id_number="320501199001011238")
    await member(team_a, w.user("volunteer").id)
    route_main, codes = await fresh_route(w, team_a)
    route_edit, _ = await fresh_route(w, team_a)
    shift_main = await fresh_shift(w, team_a, starts_at=now() + timedelta(days=1), route_id=route_main)
    await signup(shift_main, w.user("volunteer").id)
    w.ids.update(
        team_a=team_a,
        team_b=team_b,
        route_main=route_main,
        route_edit=route_edit,
        checkpoint_codes=codes,
        shift_main=shift_main,
    )
    w.ids["checkpoint_main"] = (await Checkpoint.select(Checkpoint.id).where(Checkpoint.route == route_main).first())[
        "id"
    ]
    w.ids["entry_pending"] = await fresh_entry(w)
    w.ids["entry_verified"] = await fresh_entry(w, verified=True)
    issued = await records.issue_record(user_id=w.user("volunteer").id, keys=w.settings.sealing_keys)
    w.ids["record_code"] = issued.record.code


async def _incidents(w: World) -> None:
    w.ids["incident"] = await fresh_incident(w)
    w.ids["photo_incident"] = await fresh_incident(w)
    # One report with its photo: its reporter and its coordinators may see the picture.
    shown = await fresh_incident(w)
    limits = ImageLimits(max_bytes=w.settings.max_image_bytes)
    await incidents.set_incident_photo(
        user_id=w.user("resident").id,
        incident_id=shown,
        data=png(320, 240),
        store=private_store(w.settings),
        limits=limits,
    )
    w.ids["photo_shown_incident"] = shown
    # One report handed on to the police station: its staff see it as the responsible party.
    forwarded = await fresh_incident(w)
    coordinator = w.user("admin_a").id
    for change in (
        {"status": "acknowledged"},
        {"status": "forwarded", "party": "police", "party_organisation_id": str(w.tree["police_a"].id)},
    ):
        await incidents.change_incident_status(
            user_id=coordinator, incident_id=forwarded, change=msgspec.convert(change, IncidentUpdate)
        )
    w.ids["forwarded_incident"] = forwarded


async def _inclusion(w: World) -> None:
    community_a = w.tree["community_a"].id
    for name, user in w.people.items():
        await ledger.append(
            user_id=user.id,
            points=100_000,
            reason=PointReason.adjustment,
            source_key=f"matrix:{user.id}",
            community_id=community_a,
        )
    # The boards: the resident and the volunteer earned this month but did not opt in; a neighbour did.
    neighbour = await person("邻里达人")
    await ResidentProfile.insert(
        ResidentProfile(
            user=neighbour.id,
            community=community_a,
            leaderboard_opt_in=True,
            consented_at=now(),
            created_at=now(),
            updated_at=now(),
        )
    )
    await member(w.ids["team_a"], neighbour.id)
    await fresh_entry(w, verified=True, user_id=neighbour.id)
    for user_id in (w.user("resident").id, neighbour.id):
        await ledger.append(
            user_id=user_id,
            points=30,
            reason=PointReason.attendance,
            source_key=f"matrix:earned:{user_id}",
            community_id=community_a,
        )
    await ResidentProfile.insert(
        ResidentProfile(
            user=w.user("resident").id, community=community_a, consented_at=now(), created_at=now(), updated_at=now()
        )
    )
    w.ids["dependant"] = await fresh_dependant(w, "李小宝")
    w.ids["reward"] = await fresh_reward(w)
    w.ids["reward_open"] = await fresh_reward(w)
    w.ids["reward_hidden"] = await fresh_reward(w, name="内部奖品未上架", withdrawn=True)
    redemption_id, code = await fresh_redemption(w)
    w.ids.update(redemption=redemption_id, pickup_code=code)
    w.ids["notice"] = await fresh_notice(w, w.user("resident").id)
    w.ids["feed_token"] = await calendars.create_feed(user_id=w.user("resident").id)


# --- fresh objects ----------------------------------------------------------------------------------


async def fresh_event(
    w: World,
    *,
    publish: bool = True,
    title: str = "评弹欣赏会",
    capacity: int = 20,
    starts_in: timedelta = timedelta(days=3),
) -> uuid.UUID:
    start = now() + starts_in
    body = factories.event_body(
        w.tree["street_a"],
        SimpleNamespace(id=w.ids["venue"]),
        capacity=capacity,
        starts_at=start.isoformat(),
        ends_at=(start + timedelta(hours=2)).isoformat(),
    )
    body["title"] = {"zh-Hans": title, "en": "Pingtan Evening"}
    _, events = await event_services.create_events(
        user_id=w.user("organiser_a").id, data=msgspec.convert(body, EventCreate), cache=w.cache
    )
    if publish:
        await event_services.publish_event(
            user_id=w.user("organiser_a").id, event_id=events[0].id, scope="this", cache=w.cache
        )
    return events[0].id


async def fresh_poster_event(w: World) -> uuid.UUID:
    """A published event with a poster, for removing it."""
    event_id = await fresh_event(w)
    await posters.set_poster(
        user_id=w.user("organiser_a").id,
        event_id=event_id,
        data=png(),
        store=MediaStore(w.settings.media_root),
        cache=w.cache,
    )
    return event_id


async def fresh_started_event(w: World) -> uuid.UUID:
    event_id = await fresh_event(w)
    await Event.update({Event.starts_at: now() - timedelta(minutes=30)}).where(Event.id == event_id)
    await w.cache.bump(EVENTS_CACHE)
    return event_id


async def fresh_registration(w: World, user_id: uuid.UUID, event_id: uuid.UUID | None = None) -> uuid.UUID:
    signed_up = await registration_services.sign_up(
        user_id=user_id,
        event_id=event_id or await fresh_event(w),
        party_size=1,
        idempotency_key=None,
        max_upcoming=1000,
    )
    registration = signed_up.registration
    await signals.settled()  # its notice is written after the answer: before the test looks
    assert registration.status == "confirmed"
    return registration.id


async def fresh_ticket(w: World) -> str:
    """The ticket of a new resident's confirmed place at the door event."""
    holder = await person(f"观众{next(_serial)}")
    return door.make_ticket(w.settings.secret_key, await fresh_registration(w, holder.id, w.ids["door_event"]))


async def fresh_venue(w: World, organisation: Organisation) -> uuid.UUID:
    venue = await event_services.create_venue(
        user_id=w.user("city_admin").id,
        data=VenueCreate(
            organisation_id=organisation.id,
            community_id=w.tree["community_a"].id,
            name={"zh-Hans": f"分馆{next(_serial)}"},
            latitude=31.29,
            longitude=120.62,
        ),
    )
    return venue.id


def branch_body(w: World, venue_id: uuid.UUID) -> dict[str, Any]:
    return {
        "organisation_id": str(w.tree["library_a"].id),
        "venue_id": str(venue_id),
        "name": {"zh-Hans": "双塔分馆", "en": "Shuangta Branch"},
        "services": ["lending", "e_reading"],
        "e_reading_seats": 20,
        "weekly_hours": WEEK_9_TO_5,
    }


async def fresh_branch(w: World) -> uuid.UUID:
    data = msgspec.convert(branch_body(w, await fresh_venue(w, w.tree["library_a"])), BranchCreate, strict=False)
    return (await library_services.create_branch(user_id=w.user("librarian_a").id, data=data)).id


def later_day(days: int = 9) -> date:
    return (datetime.now(CITY_TZ) + timedelta(days=days)).date()


async def put_closed_day(w: World, day: date) -> None:
    await library_services.put_exception(
        user_id=w.user("librarian_a").id,
        branch_id=w.ids["branch"],
        day=day,
        data=ExceptionPut(closed=True),
        room_id=None,
    )


async def fresh_team(w: World, community: Organisation, name: str | None = None) -> uuid.UUID:
    team = Team(
        community=community.id,
        kind="patrol",
        name={"zh-Hans": name or f"巡逻队{next(_serial)}"},
        join_mode="open",
        created_at=now(),
    )
    await Team.insert(team)
    return team.id


async def fresh_route(w: World, team_id: uuid.UUID) -> tuple[uuid.UUID, list[str]]:
    route = Route(team=team_id, name={"zh-Hans": "南园夜巡线"}, created_at=now())
    await Route.insert(route)
    codes = [new_code() for _ in range(3)]
    await Checkpoint.insert(
        *[
            Checkpoint(
                route=route.id,
                position=i + 1,
                name={"zh-Hans": f"巡更点{i + 1}"},
                latitude=31.2946 + 0.001 * i,
                longitude=120.6285,
                code=code,
            )
            for i, code in enumerate(codes)
        ]
    )
    return route.id, codes


async def fresh_shift(
    w: World, team_id: uuid.UUID | None = None, *, starts_at: datetime | None = None, route_id: uuid.UUID | None = None
) -> uuid.UUID:
    """A shift of team A, by default on a day of its own far ahead (no sign-up ever overlaps it)."""
    start = starts_at or now() + timedelta(days=30 + next(_serial))
    shift = Shift(
        team=team_id or w.ids["team_a"],
        route=route_id,
        title={"zh-Hans": "夜间巡逻"},
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=10,
        created_at=now(),
    )
    await Shift.insert(shift)
    return shift.id


async def signup(shift_id: uuid.UUID, user_id: uuid.UUID, *, checked_in: bool = False) -> None:
    await ShiftSignup.insert(
        ShiftSignup(
            shift=shift_id,
            user=user_id,
            created_at=now(),
            checked_in_at=now() - timedelta(minutes=5) if checked_in else None,
        )
    )
    await Shift.update({Shift.seats_taken: Shift.seats_taken + 1}).where(Shift.id == shift_id)


async def ongoing_shift(w: World, *, checked_in: bool, route: bool = False) -> uuid.UUID:
    """A shift of team A that began ten minutes ago, with the volunteer's place on it."""
    shift_id = await fresh_shift(
        w, starts_at=now() - timedelta(minutes=10), route_id=w.ids["route_main"] if route else None
    )
    await signup(shift_id, w.user("volunteer").id, checked_in=checked_in)
    return shift_id


async def fresh_entry(w: World, *, verified: bool = False, user_id: uuid.UUID | None = None) -> uuid.UUID:
    """An hours entry of the volunteer's (or ``user_id``'s) in team A, served today."""
    entry = HoursEntry(
        user=user_id or w.user("volunteer").id,
        team=w.ids["team_a"],
        kind="manual",
        minutes=120,
        service_date=datetime.now(CITY_TZ).date(),
        content="南园夜巡",
        reason="补录",
        source_key=f"matrix:{uuid.uuid4()}",
        status="verified" if verified else "pending",
        created_by=user_id or w.user("volunteer").id,
        created_at=now(),
        decided_by=w.user("coordinator_a").id if verified else None,
        decided_at=now() if verified else None,
    )
    await HoursEntry.insert(entry)
    return entry.id


async def fresh_member(w: World, status: MemberStatus, role: MemberRole = MemberRole.member) -> uuid.UUID:
    """A new person in team A (pending, or a coordinator to dismiss)."""
    newcomer = await person(f"新队员{next(_serial)}")
    await member(w.ids["team_a"], newcomer.id, role, status)
    return newcomer.id


async def fresh_incident(w: World) -> uuid.UUID:
    data = msgspec.convert(
        {
            "community_id": str(w.tree["community_a"].id),
            "kind": "group_renting",
            "text": "南园五幢三〇二夜间进出人员多",
            "team_id": str(w.ids["team_a"]),
        },
        IncidentCreate,
    )
    return await incidents.report_incident(user_id=w.user("resident").id, data=data, wechat=w.app.state.wechat)


async def fresh_dependant(w: World, name: str = "小宝") -> uuid.UUID:
    row = Dependant(
        guardian=w.user("resident").id, display_name=name, birth_year=datetime.now(UTC).year - 6, created_at=now()
    )
    await Dependant.insert(row)
    return row.id


async def fresh_reward(w: World, *, name: str = "环保购物袋", withdrawn: bool = False) -> uuid.UUID:
    reward = Reward(
        community=w.tree["community_a"].id,
        name={"zh-Hans": name},
        points_cost=10,
        stock=10_000,
        per_resident_limit=10_000,
        withdrawn=withdrawn,
        created_at=now(),
    )
    await Reward.insert(reward)
    return reward.id


async def fresh_redemption(w: World) -> tuple[uuid.UUID, str]:
    """A reserved item of the resident's: (id, pickup code)."""
    redeemed = await redemptions.redeem(user_id=w.user("resident").id, reward_id=w.ids["reward"], idempotency_key=None)
    redemption = redeemed.redemption
    await signals.settled()  # its notice is written after the answer: before the test looks
    return redemption.id, redemption.pickup_code


async def fresh_session(user: User) -> uuid.UUID:
    """Another open session of this person (a second phone), besides the one the matrix calls with."""
    opened = await sessions.open_session(
        user_id=user.id,
        staff=bool(user.is_staff),
        kind=SessionKind.developer,
        address="198.51.100.7",
        secret_key=SECRET,
        ttl_seconds=3600,
    )
    return opened.id


async def fresh_notice(w: World, user_id: uuid.UUID) -> uuid.UUID:
    notice = Notice(
        recipient=user_id,
        kind="reward_ready",
        created_at=now(),
        source_key=f"matrix:{uuid.uuid4()}",
        params={
            "reward": {"zh-Hans": "环保购物袋"},
            "pickup_code": w.ids.get("pickup_code", ""),
            "community": {"zh-Hans": "南园社区"},
        },
    )
    await Notice.insert(notice)
    return notice.id


async def fresh_library(w: World, *, retired: bool = False) -> uuid.UUID:
    """A reading room of community A's (retired, if asked), for the calls that change one."""
    room = await organisations.create_organisation(
        kind=OrganisationKind.library, name={"zh-Hans": f"书屋{next(_serial)}"}, parent_id=w.tree["community_a"].id
    )
    if retired:
        await organisations.retire_organisation(organisation_id=room.id)
    return room.id


async def fresh_staff(w: World, *, role: Role = Role.organiser, disabled: bool = False) -> uuid.UUID:
    """A staff account with one role in community A (disabled, if asked)."""
    user = await person(f"南园新同事{next(_serial)}", staff=True)
    await accounts.grant_role(user_id=user.id, organisation_id=w.tree["community_a"].id, role=role)
    if disabled:
        await accounts.disable_account(user_id=user.id)
    return user.id


async def fresh_invite(w: World) -> str:
    """The token of a new invitation for a new staff member of community A."""
    made = await staff_accounts.create_staff_account(
        username=f"matrix.invited{next(_serial)}",
        display_name="受邀同事",
        role=Role.organiser,
        organisation_id=w.tree["community_a"].id,
        invite=True,
    )
    assert made.invite is not None
    return made.invite.path.rsplit("/", 1)[-1]
