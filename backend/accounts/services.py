"""Accounts: logins and changes to one's own account.

The organisation tree lives in ``organisations.py`` (``create_organisation`` is named here too,
where the callers from before the split find it), staff accounts and roles in ``staff.py`` and
``staff_accounts.py``, invitations in ``invites.py``, sessions in ``sessions.py``, the scope
guard in ``scopes.py``, reads in ``queries.py``, ``organisation_queries.py`` and
``staff_queries.py``; ``presenters.py`` shapes the answers. Every change staff or the system make
to accounts is audited in its transaction (``backend.core.audit``), and so are a resident's
account deletion and data export; entries never hold a password or its hash.
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from backend.accounts import errors, sessions
from backend.accounts.lockout import LoginLockout
from backend.accounts.organisations import create_organisation as create_organisation
from backend.accounts.queries import (
    AuditFilters,
    AuditPage,
    Profile,
    audit_entries,
    get_profile,
    get_user,
    sessions_kept,
)
from backend.accounts.scopes import Permission, filed_under
from backend.accounts.tables import Membership, StaffInvite, User
from backend.core import audit, clock, privacy
from backend.core.auth import hash_password, verify_password
from backend.core.db import transaction
from backend.core.errors import DomainError
from backend.core.i18n import N_
from backend.core.stores import RateLimiter
from backend.core.values import mask_phone
from backend.core.wechat import WechatClient, WechatError, WechatSession, WechatUnavailable

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


def check_password(password: str) -> None:
    """The rule for every password staff choose or are given."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise errors.PASSWORD_TOO_SHORT(limit=MIN_PASSWORD_LENGTH)


def clean_display_name(name: str) -> str:
    """A display name as kept: trimmed, not blank, printable."""
    name = name.strip()
    if not name:
        raise DomainError("invalid_display_name", N_("Please enter a name."), status=422)
    if not name.isprintable():
        raise DomainError("invalid_display_name", N_("A name cannot contain control characters."), status=422)
    return name


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


async def login_with_wechat(
    *, wechat: WechatClient, code: str, limiter: RateLimiter, per_minute: int
) -> tuple[User, bool]:
    """Exchange a wx.login() code; the first login creates the resident. (user, created).

    Limited per WeChat user, which the code proves: residents on one mobile network share an
    address, so the per-address limit of this route is only a ceiling against floods."""
    session = await _exchange_code(wechat, code)
    if len(session.openid) > OPENID_MAX or len(session.unionid or "") > OPENID_MAX:
        # Real ids are 28 characters; anything this long is a broken answer, not a person.
        raise DomainError("wechat_unavailable", N_("WeChat is not responding. Please try again shortly."), status=503)
    who = hashlib.sha256(session.openid.encode()).hexdigest()[:32]  # no WeChat id is kept in Redis
    decision = await limiter.hit(f"wechat_login:{who}", limit=per_minute, window=60)
    if not decision.allowed:
        raise DomainError(
            "rate_limited",
            N_("Too many login attempts. Please wait a minute and try again."),
            status=429,
            headers={"Retry-After": str(decision.retry_after)},
        )
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
    if user.disabled_at is not None:
        raise account_disabled(403)
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


def account_disabled(status: int) -> DomainError:
    return DomainError(
        "account_disabled", N_("This account has been disabled. Please contact an administrator."), status=status
    )


async def login_with_password(*, username: str, password: str, lockout: LoginLockout) -> User:
    """Staff login; one answer for an unknown name and a wrong password, so names stay secret.
    Failures are counted per name, known or not, and lock it for a while (``lockout.py``)."""
    await lockout.check(username)
    user = (
        await User.objects()
        .where(
            (User.username == username) & User.deleted_at.is_null() & (User.is_staff == True)  # noqa: E712
        )
        .first()
    )
    if not verify_password(user.password_hash if user else None, password) or user is None:
        # verify_password ran even for an unknown name, so both answers take as long.
        await lockout.failed(username)
        raise DomainError("invalid_credentials", N_("Wrong username or password."), status=401)
    await lockout.succeeded(username)
    if user.disabled_at is not None:
        raise account_disabled(403)
    await User.update({User.last_login_at: clock.now()}).where(User.id == user.id)
    return user


async def update_me(*, user_id: uuid.UUID, changes: Mapping[str, Any]) -> Profile:
    """Change what the caller may change about themselves: name, locale, phone, birth year."""
    allowed = {"display_name", "locale", "phone", "birth_year"}
    values = {k: v for k, v in changes.items() if k in allowed and v is not msgspec.UNSET}
    if "display_name" in values:
        values["display_name"] = clean_display_name(values["display_name"])
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
        before = await get_user(user_id=user_id)
        async with transaction(User._meta.db):
            await User.update({getattr(User, k): v for k, v in values.items()}).where(User.id == user_id)
            if before.is_staff:
                await audit.record(
                    "accounts.profile_changed",
                    object_type="user",
                    object_id=user_id,
                    organisation_id=await filed_under(user_id),
                    before=_shown({k: getattr(before, k) for k in values}),
                    after=_shown(values),
                )
    return await get_profile(user_id=user_id)


def _shown(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Profile fields as an audit entry may hold them: the phone masked, like in every staff view."""
    return {k: mask_phone(v) if k == "phone" else v for k, v in fields.items()}


async def delete_me(*, user_id: uuid.UUID) -> None:
    """Soft-delete and anonymise: the row stays for ledgers that point at it, the person goes, and
    with them their roles and sessions (every token stops working)."""
    organisation_id = await filed_under(user_id)
    async with transaction(User._meta.db):
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
        await sessions.forget_sessions(user_id=user_id)
        await StaffInvite.delete().where(StaffInvite.user == user_id)
        # Residents' own actions are not audited, but closing an account is (PIPL asks who and when).
        await audit.record(
            "accounts.account_deleted", object_type="user", object_id=user_id, organisation_id=organisation_id
        )


@dataclass(frozen=True)
class AccountExport:
    """What the platform keeps about a person: their profile, their sessions and every domain's part."""

    profile: Profile
    sessions: list[dict[str, Any]]
    domains: dict[str, Any]


async def export_account(*, user_id: uuid.UUID) -> AccountExport:
    """PIPL: a copy of everything kept about the person, on their request (and audited: it is a
    read of everything at once)."""
    profile = await get_profile(user_id=user_id)
    domains = await privacy.export_person(profile.user.id)
    await audit.record(
        "accounts.data_exported",
        object_type="user",
        object_id=user_id,
        organisation_id=await filed_under(user_id),
        read=True,
    )
    return AccountExport(profile=profile, sessions=await sessions_kept(user_id=user_id), domains=domains)


async def close_account(*, user_id: uuid.UUID, cache: Any) -> None:
    """PIPL: every domain releases what the person holds and erases their data, then the account goes."""
    await privacy.erase_person(user_id, cache=cache)
    await delete_me(user_id=user_id)


async def change_password(
    *, user_id: uuid.UUID, session_id: uuid.UUID | None, current: str, new: str, lockout: LoginLockout
) -> int:
    """Staff change their own password, proving the current one (failures count towards the
    login lockout of their username); every other session of theirs ends, and a password an
    administrator chose is theirs no longer. How many sessions ended."""
    user = await get_user(user_id=user_id)
    if not user.is_staff or not user.username:
        raise DomainError("staff_only", N_("Only staff accounts can do this."), status=403)
    await lockout.check(user.username)
    if not verify_password(user.password_hash, current):
        await lockout.failed(user.username)
        raise DomainError("wrong_password", N_("The current password is not correct."), status=403)
    await lockout.succeeded(user.username)
    check_password(new)
    password_hash = hash_password(new)
    async with transaction(User._meta.db):
        await User.update({User.password_hash: password_hash, User.password_change_required: False}).where(
            User.id == user_id
        )
        ended = await sessions.end_sessions(user_id=user_id, keep=session_id)
        await audit.record(
            "accounts.password_changed",
            object_type="user",
            object_id=user_id,
            organisation_id=await filed_under(user_id),
            after={"sessions_ended": ended},
        )
    return ended


async def export_audit_log(*, reader: uuid.UUID, filters: AuditFilters, cursor: str | None, limit: int) -> AuditPage:
    """A page of the audit log to take away as a spreadsheet: the copy is itself audited."""
    page = await audit_entries(reader=reader, filters=filters, cursor=cursor, limit=limit)
    await audit.record(
        "accounts.audit_exported",
        object_type="audit_log",
        object_id="",
        organisation_id=filters.organisation or page.scope,
        permission=Permission.read_audit.value,
        after={"rows": len(page.entries), **{k: v for k, v in dataclasses.asdict(filters).items() if v is not None}},
        read=True,
    )
    return page
