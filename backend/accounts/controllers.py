"""HTTP for accounts: WeChat and password login, the caller's own profile, the locales."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from backend.accounts import services
from backend.accounts.schemas import (
    DevLogin,
    LocaleRead,
    MeExport,
    MembershipRead,
    MeRead,
    MeUpdate,
    PasswordLogin,
    TokenRead,
    WechatLogin,
)
from backend.accounts.tables import User
from backend.core import privacy
from backend.core.auth import principal_of, requires_login
from backend.core.cache import VersionedCache
from backend.core.i18n import DEFAULT_LOCALE, LOCALES, NATIVE_NAMES, catalog_completeness, pick
from backend.core.openapi import problems
from backend.core.stores import rate_limit
from backend.core.values import mask_phone
from backend.core.wechat import WechatClient
from backend.settings import Settings


def _me_read(profile: services.Profile) -> MeRead:
    user = profile.user
    return MeRead(
        id=user.id,
        display_name=user.display_name,
        locale=user.locale,  # type: ignore[arg-type]
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


async def _token_read(user: User, created: bool, settings: Settings) -> TokenRead:
    session = services.start_session(user=user, settings=settings)
    profile = await services.get_profile(user_id=user.id)
    return TokenRead(
        access_token=session.token,
        token_type="bearer",
        expires_at=session.expires_at,
        created=created,
        user=_me_read(profile),
    )


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["accounts"]
    guards = [rate_limit("login")]

    @post(
        "/wechat",
        operation_id="login_with_wechat",
        summary="Log in a resident with a wx.login() code",
        status_code=HTTP_200_OK,
        responses=problems(400, 403, 422, 429, 503),
    )
    async def wechat(
        self, data: JSONBody[WechatLogin], wechat: NamedDependency[WechatClient], settings: NamedDependency[Settings]
    ) -> TokenRead:
        """The first login creates the account. WeChat's session_key stays on the server."""
        user, created = await services.login_with_wechat(wechat=wechat, code=data.code)
        return await _token_read(user, created, settings)

    @post(
        "/login",
        operation_id="login_with_password",
        summary="Log in a staff member with username and password",
        status_code=HTTP_200_OK,
        responses=problems(401, 422, 429),
    )
    async def password(self, data: JSONBody[PasswordLogin], settings: NamedDependency[Settings]) -> TokenRead:
        user = await services.login_with_password(username=data.username, password=data.password)
        return await _token_read(user, False, settings)


class DevAuthController(Controller):
    """Mounted only when LINLI_DEV_LOGIN is on (never in production)."""

    path = "/api/v1/auth"
    tags = ["accounts"]
    guards = [rate_limit("login")]

    @post(
        "/dev-login",
        operation_id="login_as_developer",
        summary="Development only: log in as a resident without WeChat",
        status_code=HTTP_200_OK,
        responses=problems(422, 429),
    )
    async def dev_login(self, settings: NamedDependency[Settings], data: JSONBody[DevLogin | None] = None) -> TokenRead:
        data = data or DevLogin()
        user, created = await services.login_as_developer(openid=data.openid, display_name=data.display_name)
        return await _token_read(user, created, settings)


class MeController(Controller):
    path = "/api/v1/me"
    tags = ["accounts"]
    guards = [requires_login]
    security = [{"bearer": []}]

    @get(operation_id="get_me", summary="The caller's profile", responses=problems(401))
    async def get_me(self, request: Request[Any, Any, Any]) -> MeRead:
        return _me_read(await services.get_profile(user_id=principal_of(request).id))

    @patch(operation_id="update_me", summary="Change name, language, phone or birth year", responses=problems(401, 422))
    async def update_me(self, request: Request[Any, Any, Any], data: JSONBody[MeUpdate]) -> MeRead:
        user_id = principal_of(request).id
        await services.update_me(user_id=user_id, changes=msgspec.structs.asdict(data))
        return _me_read(await services.get_profile(user_id=user_id))

    @get(
        "/export", operation_id="export_me", summary="A copy of what we keep about the caller", responses=problems(401)
    )
    async def export(self, request: Request[Any, Any, Any]) -> MeExport:
        profile = await services.get_profile(user_id=principal_of(request).id)
        user = profile.user
        return MeExport(
            profile=_me_read(profile),
            wechat_openid=user.openid,
            wechat_unionid=user.unionid,
            phone=user.phone,
            last_login_at=user.last_login_at,
            domains=await privacy.export_person(user.id),
        )

    @delete(
        operation_id="delete_me",
        summary="Close the caller's account: places to come are released, personal data erased, ledgers keep anonymised rows",
        status_code=HTTP_204_NO_CONTENT,
        responses=problems(401),
    )
    async def delete_me(self, request: Request[Any, Any, Any], cache: NamedDependency[VersionedCache]) -> None:
        await services.close_account(user_id=principal_of(request).id, cache=cache)


class LocaleController(Controller):
    path = "/api/v1/locales"
    tags = ["inclusion"]

    @get(
        operation_id="list_locales",
        summary="The languages the app speaks, in their own names, and how complete each is",
    )
    async def list_locales(self) -> list[LocaleRead]:
        complete = catalog_completeness()
        return [
            LocaleRead(
                code=code, native_name=NATIVE_NAMES[code], default=code == DEFAULT_LOCALE, complete=complete[code]
            )  # type: ignore[arg-type]
            for code in LOCALES
        ]
