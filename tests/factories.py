"""Small builders for test data, through the services (so tests exercise the real rules)."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from backend.accounts import services, sessions
from backend.accounts import staff as staff_accounts
from backend.accounts.tables import Organisation, OrganisationKind, Role, SessionKind, User

_counter = itertools.count(1)


async def organisation(
    kind: OrganisationKind, parent: Organisation | None = None, name: str | None = None
) -> Organisation:
    label = name or f"{kind.value}-{next(_counter)}"
    return await services.create_organisation(
        kind=kind, name={"zh-Hans": label, "en": label}, parent_id=parent.id if parent else None
    )


async def city_tree() -> dict[str, Organisation]:
    """city → two districts → a street each → a community each, plus a library under street A."""
    city = await organisation(OrganisationKind.city, name="苏州市")
    district_a = await organisation(OrganisationKind.district, city, "姑苏区")
    district_b = await organisation(OrganisationKind.district, city, "工业园区")
    street_a = await organisation(OrganisationKind.street, district_a, "双塔街道")
    street_b = await organisation(OrganisationKind.street, district_b, "斜塘街道")
    community_a = await organisation(OrganisationKind.community, street_a, "南园社区")
    community_b = await organisation(OrganisationKind.community, street_b, "莲花社区")
    library_a = await organisation(OrganisationKind.library, street_a, "双塔分馆")
    return {
        "city": city,
        "district_a": district_a,
        "district_b": district_b,
        "street_a": street_a,
        "street_b": street_b,
        "community_a": community_a,
        "community_b": community_b,
        "library_a": library_a,
    }


async def staff(role: Role | None = None, organisation: Organisation | None = None) -> User:
    user = await staff_accounts.create_staff(username=f"staff-{uuid.uuid4().hex[:8]}", password="a long password")
    if role is not None and organisation is not None:
        await staff_accounts.grant_role(user_id=user.id, organisation_id=organisation.id, role=role)
    await signed_in(user)
    return user


# --- people and tokens -----------------------------------------------------------------------------

# user id → the bearer token of a real session opened for them (the tests' "logged in" people).
_tokens: dict[uuid.UUID, str] = {}


async def signed_in(user: User, *, address: str = "127.0.0.1") -> dict[str, str]:
    """Open a real session for ``user``, as a login does, and remember its token for ``token_for``."""
    from tests.conftest import SECRET

    opened = await sessions.open_session(
        user_id=user.id,
        staff=bool(user.is_staff),
        kind=SessionKind.password if user.is_staff else SessionKind.developer,
        address=address,
        secret_key=SECRET,
        ttl_seconds=3600,
    )
    _tokens[user.id] = opened.token.token
    return {"Authorization": f"Bearer {opened.token.token}"}


def token_for(user: User) -> dict[str, str]:
    """The bearer header of the session ``signed_in`` opened for this person (``staff()`` and
    ``resident()`` open one). It stops working like any other: logout, role taken away, deletion."""
    token = _tokens.get(user.id)
    if token is None:
        raise LookupError(f"no session was opened for {user.id}: await factories.signed_in(user) first")
    return {"Authorization": f"Bearer {token}"}


async def resident(name: str | None = None) -> User:
    user, _ = await services.login_as_developer(openid=name or f"r{uuid.uuid4().hex[:12]}", display_name=name)
    await signed_in(user)
    return user


# --- events --------------------------------------------------------------------------------------------


async def venue(
    organisation: Organisation,
    community: Organisation | None = None,
    *,
    lat: float = 31.2946,
    lng: float = 120.6285,
    name: str = "南园社区活动中心",
) -> Any:
    from backend.events.catalogue import services as event_services
    from backend.events.catalogue.schemas import VenueCreate

    admin = await staff(Role.admin, organisation)
    return await event_services.create_venue(
        user_id=admin.id,
        data=VenueCreate(
            organisation_id=organisation.id,
            community_id=community.id if community else None,
            name={"zh-Hans": name, "en": "Nanyuan Community Centre"},
            latitude=lat,
            longitude=lng,
        ),
    )


def event_body(organisation: Organisation, venue_: Any, **overrides: Any) -> dict[str, Any]:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    body: dict[str, Any] = {
        "organisation_id": str(organisation.id),
        "venue_id": str(venue_.id),
        "category": "performance",
        "title": {"zh-Hans": "评弹欣赏会", "en": "Pingtan Evening", "ja": "評弾の夕べ"},
        "summary": {"zh-Hans": "苏州评弹名家现场演出", "en": "Suzhou storytelling masters live"},
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "capacity": 20,
        "max_party_size": 4,
        "languages": ["zh", "wuu"],
        "audiences": ["seniors", "new_residents"],
    }
    body.update(overrides)
    return body


async def published_event(organisation: Organisation, venue_: Any, **overrides: Any) -> Any:
    """A published event made through the services, as an organiser would."""
    import msgspec

    from backend.core.cache import VersionedCache
    from backend.core.stores import build_stores
    from backend.events.catalogue import services as event_services
    from backend.events.catalogue.schemas import EventCreate

    organiser = await staff(Role.organiser, organisation)
    cache = VersionedCache(build_stores(None))
    data = msgspec.convert(event_body(organisation, venue_, **overrides), EventCreate)
    _, events = await event_services.create_events(user_id=organiser.id, data=data, cache=cache)
    await event_services.publish_event(user_id=organiser.id, event_id=events[0].id, scope="following", cache=cache)
    return events[0]


# --- places ----------------------------------------------------------------------------------------------


def estate_body(community: Organisation, **overrides: Any) -> dict[str, Any]:
    label = f"小区{next(_counter)}"
    return {
        "community_id": str(community.id),
        "name": {"zh-Hans": label, "en": f"Estate {label}"},
        "kind": "commercial",
        "year_built": 2003,
        "households": 420,
        **overrides,
    }


async def estate(community: Organisation, **overrides: Any) -> uuid.UUID:
    """An estate in ``community``, made by the system (through the service, as the city admin would)."""
    from backend.places import estates
    from backend.places.schemas import EstateCreate

    admin = await staff(Role.admin, community)
    return await estates.create_estate(
        user_id=admin.id, data=msgspec_convert(estate_body(community, **overrides), EstateCreate)
    )


def msgspec_convert(data: dict[str, Any], kind: Any) -> Any:
    import msgspec

    return msgspec.convert(data, kind)
