"""Shaping accounts for the API: the caller's profile, a login's answer, the export, the locales."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from backend.accounts.queries import Profile
from backend.accounts.schemas import LocaleRead, MeExport, MembershipRead, MeRead, TokenRead
from backend.accounts.services import AccountExport, Session
from backend.core.i18n import DEFAULT_LOCALE, LOCALES, NATIVE_NAMES, LocaleCode, pick
from backend.core.values import mask_phone


def me_read(profile: Profile) -> MeRead:
    """The caller's own profile: the phone masked, their roles named in the request's language."""
    user = profile.user
    return MeRead(
        id=user.id,
        display_name=user.display_name,
        locale=cast(LocaleCode | None, user.locale),  # the column only ever holds one of LOCALES
        phone_masked=mask_phone(user.phone),
        birth_year=user.birth_year,
        is_staff=user.is_staff,
        has_wechat=user.openid is not None,
        memberships=[
            MembershipRead(
                organisation_id=m["organisation_id"],
                organisation_name=pick(m["organisation_name"])[0],
                organisation_kind=m["organisation_kind"],
                role=m["role"],
            )
            for m in profile.memberships
        ],
        created_at=user.created_at,
    )


def token_read(session: Session) -> TokenRead:
    return TokenRead(
        access_token=session.token.token,
        token_type="bearer",
        expires_at=session.token.expires_at,
        created=session.created,
        user=me_read(session.profile),
    )


def me_export(export: AccountExport) -> MeExport:
    """Unlike ``me_read``, the export shows the identifiers and the phone in full: it is the
    person's own copy."""
    user = export.profile.user
    return MeExport(
        profile=me_read(export.profile),
        wechat_openid=user.openid,
        wechat_unionid=user.unionid,
        phone=user.phone,
        last_login_at=user.last_login_at,
        domains=export.domains,
    )


def locale_reads(complete: Mapping[str, float]) -> list[LocaleRead]:
    """Every locale in its own name, with the share of the interface translated into it."""
    return [
        LocaleRead(
            code=cast(LocaleCode, code),
            native_name=NATIVE_NAMES[code],
            default=code == DEFAULT_LOCALE,
            complete=complete[code],
        )
        for code in LOCALES
    ]
