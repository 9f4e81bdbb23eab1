"""Accounts: logins and sessions, changes to one's own account, staff, organisations, roles, and the
scope guard. Reads of one account live in ``queries.py``; ``presenters.py`` shapes the answers."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

import msgspec

from backend.accounts.queries import Profile, get_profile, get_user
from backend.accounts.tables import Membership, Organisation, OrganisationKind, Role, User
from backend.core import clock, privacy
from backend.core.auth import IssuedToken, hash_password, issue_token, verify_password
from backend.core.context import Kind
from backend.core.errors import DomainError, Forbidden, NotFound
from backend.core.i18n import N_
from backend.core.wechat import WechatClient, WechatError, WechatSession, WechatUnavailable
from backend.settings import Settings

# WeChat's login errors, as our codes: (code, message, HTTP status).
_WECHAT_LOGIN_ERRORS: Mapping[int, tuple[str, str, int]] = {
    40029: ("wechat_code_invalid", N_("The WeChat login code is invalid or has expired. Please try again."), 400),
    40163: ("wechat_code_used", N_("This WeChat login code has already been used. Please try again."), 400),
    40226: ("wechat_user_blocked", N_("WeChat has blocked this account from logging in."), 403),
    45011: ("wechat_rate_limited", N_("Too many login attempts. Please wait a minute and try again."), 429),
}


MIN_PASSWORD_LENGTH = 8
MIN_OWN_ACCOUNT_AGE = 14
OPENID_MAX = 64


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            "password_too_short",
            N_("The password must be at least {limit} characters long."),
            params={"limit": MIN_PASSWORD_LENGTH},
            status=422,
        )


async def _exchange_code(wechat: WechatClient, code: str) -> WechatSession:
    if not wechat.configured:
        raise DomainError("wechat_not_configured", N_("WeChat login is not available right now."), status=503)
    try:
        return await wechat.code_to_session(code)
    except WechatError as error:
        code_, message, status = _WECHAT_LOGIN_ERRORS.get(
            error.errcode,
            ("wechat_unavailable", N_("WeChat is not responding. Please try again shortly."), 503),
        )
        headers = {"Retry-After": "60"} if status in (429, 503) else {}
        raise DomainError(code_, message, status=status, headers=headers) from None
    except WechatUnavailable:
        raise DomainError(
            "wechat_unavailable",
            N_("WeChat is not responding. Please try again shortly."),
            status=503,
            headers={"Retry-After": "5"},
        ) from None


async def login_with_wechat(*, wechat: WechatClient, code: str) -> tuple[User, bool]:
    """Exchange a wx.login() code; the first login creates the resident. (user, created)."""
    session = await _exchange_code(wechat, code)
    if len(session.openid) > OPENID_MAX or len(session.unionid or "") > OPENID_MAX:
        # Real ids are 28 characters; anything this long is a broken answer, not a person.
        raise DomainError("wechat_unavailable", N_("WeChat is not responding. Please try again shortly."), status=503)
    return await _upsert_wechat_user(openid=session.openid, unionid=session.unionid, session_key=session.session_key)


async def _upsert_wechat_user(
    *, openid: str, unionid: str | None, session_key: str | None, display_name: str | None = None
) -> tuple[User, bool]:
    # Two first logins of one person can race: the unique openid lets exactly one insert win.
    inserted = await User.insert(
        User(openid=openid, display_name=display_name or "", created_at=clock.now())
    ).on_conflict(target=User.openid, action="DO NOTHING")
    user = await User.objects().where(User.openid == openid).first()
    if user is None or user.deleted_at is not None:
        raise DomainError("account_deleted", N_("This account has been deleted."), status=403)
    changes: dict[Any, Any] = {User.wechat_session_key: session_key, User.last_login_at: clock.now()}
    if unionid and unionid != user.unionid and not await User.exists().where(User.unionid == unionid):
        changes[User.unionid] = unionid
    await User.update(changes).where(User.id == user.id)
    return await get_user(user_id=user.id), bool(inserted)


async def login_as_developer(*, openid: str, display_name: str | None) -> tuple[User, bool]:
    """Development only: a resident identified by a made-up openid, without WeChat."""
    return await _upsert_wechat_user(
        openid=f"dev:{openid}", unionid=None, session_key=None, display_name=display_name or openid
    )


async def login_with_password(*, username: str, password: str) -> User:
    """Staff login; one answer for an unknown name and a wrong password, so names stay secret."""
    user = (
        await User.objects()
        .where(
            (User.username == username) & User.deleted_at.is_null() & (User.is_staff == True)  # noqa: E712
        )
        .first()
    )
    if not verify_password(user.password_hash if user else None, password) or user is None:
        # verify_password ran even for an unknown name, so both answers take as long.
        raise DomainError("invalid_credentials", N_("Wrong username or password."), status=401)
    await User.update({User.last_login_at: clock.now()}).where(User.id == user.id)
    return user


async def update_me(*, user_id: uuid.UUID, changes: Mapping[str, Any]) -> Profile:
    """Change what the caller may change about themselves: name, locale, phone, birth year."""
    allowed = {"display_name", "locale", "phone", "birth_year"}
    values = {k: v for k, v in changes.items() if k in allowed and v is not msgspec.UNSET}
    if "display_name" in values:
        values["display_name"] = values["display_name"].strip()
        if not values["display_name"]:
            raise DomainError("invalid_display_name", N_("Please enter a name."), status=422)
        if not values["display_name"].isprintable():
            raise DomainError("invalid_display_name", N_("A name cannot contain control characters."), status=422)
    if "birth_year" in values and values["birth_year"] is not None:
        this_year = clock.now().year
        if values["birth_year"] > this_year:
            raise DomainError("invalid_birth_year", N_("The birth year cannot be in the future."), status=422)
        if this_year - values["birth_year"] < MIN_OWN_ACCOUNT_AGE:
            # PIPL: a child takes part through a guardian, never on an account of their own.
            raise DomainError(
                "child_needs_guardian",
                N_("Children under {age} take part through a parent's or guardian's account."),
                params={"age": MIN_OWN_ACCOUNT_AGE},
                status=422,
            )
    if values:
        await User.update({getattr(User, k): v for k, v in values.items()}).where(User.id == user_id)
    return await get_profile(user_id=user_id)


async def delete_me(*, user_id: uuid.UUID) -> None:
    """Soft-delete and anonymise: the row stays for ledgers that point at it, the person goes."""
    await User.update(
        {
            User.deleted_at: clock.now(),
            User.openid: None,
            User.unionid: None,
            User.wechat_session_key: None,
            User.username: None,
            User.password_hash: None,
            User.phone: None,
            User.birth_year: None,
            User.display_name: "",
        }
    ).where(User.id == user_id)
    await Membership.delete().where(Membership.user == user_id)


@dataclass(frozen=True)
class AccountExport:
    """What the platform keeps about a person: their profile and every domain's part."""

    profile: Profile
    domains: dict[str, Any]


async def export_account(*, user_id: uuid.UUID) -> AccountExport:
    """PIPL: a copy of everything kept about the person, on their request."""
    profile = await get_profile(user_id=user_id)
    return AccountExport(profile=profile, domains=await privacy.export_person(profile.user.id))


async def close_account(*, user_id: uuid.UUID, cache: Any) -> None:
    """PIPL: every domain releases what the person holds and erases their data, then the account goes."""
    await privacy.erase_person(user_id, cache=cache)
    await delete_me(user_id=user_id)


async def create_staff(*, username: str, password: str, display_name: str = "") -> User:
    """A staff account; its roles come from memberships."""
    _check_password(password)
    existing = await User.exists().where(User.username == username)
    if existing:
        raise DomainError("username_taken", N_("This username is already taken."), status=409)
    user = User(
        username=username,
        password_hash=hash_password(password),
        is_staff=True,
        display_name=display_name or username,
        created_at=clock.now(),
    )
    await user.save()
    return user


async def set_password(*, user_id: uuid.UUID, password: str) -> None:
    _check_password(password)
    await User.update({User.password_hash: hash_password(password)}).where(User.id == user_id)


# --- organisations, roles and the scope guard -------------------------------------------------


class Permission(str, Enum):
    """What a role lets its holder do within its organisation's subtree."""

    manage_organisations = "manage_organisations"
    manage_events = "manage_events"
    manage_libraries = "manage_libraries"
    coordinate_volunteers = "coordinate_volunteers"
    manage_rewards = "manage_rewards"
    view_statistics = "view_statistics"


ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.admin: frozenset(Permission),
    Role.organiser: frozenset({Permission.manage_events, Permission.view_statistics}),
    Role.library_staff: frozenset({Permission.manage_libraries, Permission.manage_events}),
    Role.coordinator: frozenset({Permission.coordinate_volunteers}),
}

# Which kinds may sit under which: the city's administrative tree, with bodies attached below.
_PARENT_KINDS: Mapping[OrganisationKind, frozenset[OrganisationKind | None]] = {
    OrganisationKind.city: frozenset({None}),
    OrganisationKind.district: frozenset({OrganisationKind.city}),
    OrganisationKind.street: frozenset({OrganisationKind.district}),
    OrganisationKind.community: frozenset({OrganisationKind.street}),
    **{
        kind: frozenset(
            {OrganisationKind.city, OrganisationKind.district, OrganisationKind.street, OrganisationKind.community}
        )
        for kind in (
            OrganisationKind.library,
            OrganisationKind.cultural_centre,
            OrganisationKind.volunteer_association,
            OrganisationKind.property_company,
            OrganisationKind.owners_committee,
            OrganisationKind.police_station,
            OrganisationKind.city_management,
        )
    },
}


def roles_with(permission: Permission) -> list[str]:
    return [role.value for role, permissions in ROLE_PERMISSIONS.items() if permission in permissions]


def ancestor_ids(path: str) -> list[uuid.UUID]:
    """The organisation itself and every organisation above it, from its materialised path."""
    return [uuid.UUID(part) for part in path.strip("/").split("/") if part]


async def create_organisation(
    *, kind: OrganisationKind, name: Mapping[str, str], parent_id: uuid.UUID | None
) -> Organisation:
    """A new node under ``parent_id``; the tree's shape (community under street…) is enforced."""
    parent = None
    if parent_id is not None:
        parent = await Organisation.objects().where(Organisation.id == parent_id).first()
        if parent is None:
            raise NotFound("organisation_not_found", N_("This organisation does not exist."))
    parent_kind = OrganisationKind(parent.kind) if parent else None
    if parent_kind not in _PARENT_KINDS[kind]:
        raise DomainError(
            "organisation_parent_invalid",
            N_("This kind of organisation cannot be placed under this parent."),
            status=422,
        )
    organisation_id = uuid.uuid4()
    organisation = Organisation(
        id=organisation_id,
        kind=kind.value,
        name=dict(name),
        parent=parent_id,
        path=f"{parent.path if parent else '/'}{organisation_id}/",
        created_at=clock.now(),
    )
    await organisation.save()
    return organisation


async def grant_role(*, user_id: uuid.UUID, organisation_id: uuid.UUID, role: Role) -> None:
    """Give a role in an organisation's scope; granting it twice changes nothing."""
    await Membership.insert(
        Membership(user=user_id, organisation=organisation_id, role=role.value, created_at=clock.now())
    ).on_conflict(target=(Membership.user, Membership.organisation, Membership.role), action="DO NOTHING")


async def may(*, user_id: uuid.UUID, permission: Permission, organisation_id: uuid.UUID) -> bool:
    """May this user do ``permission`` in this organisation? A role anywhere above it counts."""
    target = await Organisation.select(Organisation.path).where(Organisation.id == organisation_id).first()
    if target is None:
        return False
    return await Membership.exists().where(
        (Membership.user == user_id)
        & Membership.organisation.is_in(ancestor_ids(target["path"]))
        & Membership.role.is_in(roles_with(permission))
    )


async def require(*, user_id: uuid.UUID, permission: Permission, organisation_id: uuid.UUID) -> None:
    """``may``, as a 403 for services to call before they change anything."""
    if not await may(user_id=user_id, permission=permission, organisation_id=organisation_id):
        raise Forbidden()


async def scope_paths(*, user_id: uuid.UUID, permission: Permission) -> list[str]:
    """Path prefixes of every subtree where the user holds ``permission`` (for scoped lists)."""
    rows = await Membership.select(Membership.organisation.path).where(
        (Membership.user == user_id) & Membership.role.is_in(roles_with(permission))
    )
    paths = sorted({row["organisation.path"] for row in rows}, key=len)
    # A subtree inside another one adds nothing.
    return [p for i, p in enumerate(paths) if not any(p.startswith(q) for q in paths[:i])]


@dataclass(frozen=True)
class Session:
    """A login's outcome: our token, whose it is, and whether the login made the account."""

    token: IssuedToken
    profile: Profile
    created: bool


async def start_session(*, user: User, created: bool, settings: Settings) -> Session:
    """Our own token for a user who just proved who they are; staff sessions are shorter."""
    ttl = settings.staff_token_ttl_seconds if user.is_staff else settings.token_ttl_seconds
    kind: Kind = "staff" if user.is_staff else "resident"
    token = issue_token(secret=settings.secret_key, user_id=user.id, kind=kind, ttl_seconds=ttl)
    return Session(token=token, profile=await get_profile(user_id=user.id), created=created)


CITY_NAME = {"zh-Hans": "苏州市", "en": "Suzhou", "zh-Hant": "蘇州市", "ja": "蘇州市", "ko": "쑤저우시"}


async def create_city_admin(*, username: str, password: str) -> User:
    """A staff account with the admin role at city scope; run again, it resets the password."""
    city = (
        await Organisation.select(Organisation.id)
        .where((Organisation.kind == OrganisationKind.city.value) & Organisation.parent.is_null())
        .first()
    )
    city_id = (
        city["id"]
        if city
        else (await create_organisation(kind=OrganisationKind.city, name=CITY_NAME, parent_id=None)).id
    )
    user = await User.objects().where((User.username == username) & User.deleted_at.is_null()).first()
    if user is None:
        user = await create_staff(username=username, password=password, display_name=username)
    else:
        await set_password(user_id=user.id, password=password)
    await grant_role(user_id=user.id, organisation_id=city_id, role=Role.admin)
    return user
