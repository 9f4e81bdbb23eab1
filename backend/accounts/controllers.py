"""HTTP for accounts: WeChat and password login, the caller's own profile, the locales."""

from __future__ import annotations

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from backend.accounts import presenters, queries, services
from backend.accounts.schemas import (
    DevLogin,
    LocaleRead,
    MeExport,
    MeRead,
    MeUpdate,
    PasswordLogin,
    TokenRead,
    WechatLogin,
)
from backend.core.auth import requires_login
from backend.core.cache import VersionedCache
from backend.core.context import Principal
from backend.core.i18n import catalog_completeness
from backend.core.openapi import problems
from backend.core.stores import rate_limit
from backend.core.wechat import WechatClient
from backend.settings import Settings


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
        return presenters.token_read(await services.start_session(user=user, created=created, settings=settings))

    @post(
        "/login",
        operation_id="login_with_password",
        summary="Log in a staff member with username and password",
        status_code=HTTP_200_OK,
        responses=problems(401, 422, 429),
    )
    async def password(self, data: JSONBody[PasswordLogin], settings: NamedDependency[Settings]) -> TokenRead:
        user = await services.login_with_password(username=data.username, password=data.password)
        return presenters.token_read(await services.start_session(user=user, created=False, settings=settings))


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
        return presenters.token_read(await services.start_session(user=user, created=created, settings=settings))


class MeController(Controller):
    path = "/api/v1/me"
    tags = ["accounts"]
    guards = [requires_login]
    security = [{"bearer": []}]

    @get(operation_id="get_me", summary="The caller's profile", responses=problems(401))
    async def get_me(self, caller: Principal) -> MeRead:
        return presenters.me_read(await queries.get_profile(user_id=caller.id))

    @patch(operation_id="update_me", summary="Change name, language, phone or birth year", responses=problems(401, 422))
    async def update_me(self, caller: Principal, data: JSONBody[MeUpdate]) -> MeRead:
        return presenters.me_read(await services.update_me(user_id=caller.id, changes=msgspec.structs.asdict(data)))

    @get(
        "/export", operation_id="export_me", summary="A copy of what we keep about the caller", responses=problems(401)
    )
    async def export(self, caller: Principal) -> MeExport:
        return presenters.me_export(await services.export_account(user_id=caller.id))

    @delete(
        operation_id="delete_me",
        summary="Close the caller's account: places to come are released, personal data erased, ledgers keep anonymised rows",
        status_code=HTTP_204_NO_CONTENT,
        responses=problems(401),
    )
    async def delete_me(self, caller: Principal, cache: NamedDependency[VersionedCache]) -> None:
        await services.close_account(user_id=caller.id, cache=cache)


class LocaleController(Controller):
    path = "/api/v1/locales"
    tags = ["inclusion"]

    @get(
        operation_id="list_locales",
        summary="The languages the app speaks, in their own names, and how complete each is",
    )
    async def list_locales(self) -> list[LocaleRead]:
        return presenters.locale_reads(catalog_completeness())
