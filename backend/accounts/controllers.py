"""HTTP for accounts: logins and logouts, the caller's own profile, sessions and password, the
locales, and the audit log for administrators."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from backend.accounts import presenters, queries, services, sessions
from backend.accounts.lockout import LoginLockout
from backend.accounts.queries import AuditFilters
from backend.accounts.schemas import (
    AuditEntryPage,
    DevLogin,
    LocaleRead,
    MeExport,
    MeRead,
    MeUpdate,
    PasswordChange,
    PasswordLogin,
    SessionRead,
    TokenRead,
    WechatLogin,
)
from backend.accounts.tables import SessionKind
from backend.core.auth import BEFORE_PASSWORD_CHANGE, requires_login, requires_staff
from backend.core.cache import VersionedCache
from backend.core.context import Principal
from backend.core.i18n import catalog_completeness
from backend.core.openapi import DocumentedOperation, problems
from backend.core.stores import Stores, rate_limit
from backend.core.wechat import WechatClient
from backend.settings import Settings


def _address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else ""


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["accounts"]

    @post(
        "/wechat",
        operation_id="login_with_wechat",
        summary="Log in a resident with a wx.login() code",
        status_code=HTTP_200_OK,
        # Per WeChat user after the code is exchanged; per address only a ceiling against floods.
        guards=[rate_limit("wechat_login", setting="wechat_login_address_limit")],
        operation_class=DocumentedOperation,
        responses=problems(400, 403, 422, 429, 503),
    )
    async def wechat(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[WechatLogin],
        wechat: NamedDependency[WechatClient],
        settings: NamedDependency[Settings],
        stores: NamedDependency[Stores],
    ) -> TokenRead:
        """The first login creates the account. WeChat's session_key stays on the server. At most
        LINLI_WECHAT_LOGIN_RATE_LIMIT logins a minute per WeChat user (429 with Retry-After)."""
        user, created = await services.login_with_wechat(
            wechat=wechat, code=data.code, limiter=stores.rate_limiter, per_minute=settings.wechat_login_rate_limit
        )
        return presenters.token_read(
            await sessions.start_session(
                user=user, created=created, kind=SessionKind.wechat, address=_address(request), settings=settings
            )
        )

    @post(
        "/login",
        operation_id="login_with_password",
        summary="Log in a staff member with username and password",
        status_code=HTTP_200_OK,
        guards=[rate_limit("login")],
        operation_class=DocumentedOperation,
        responses=problems(401, 403, 422, 429),
    )
    async def password(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[PasswordLogin],
        settings: NamedDependency[Settings],
        stores: NamedDependency[Stores],
    ) -> TokenRead:
        """After 5 failed logins a username is locked for a minute, twice as long after each further
        failure, up to an hour (429 ``login_locked`` with Retry-After, the right password included)."""
        user = await services.login_with_password(
            username=data.username, password=data.password, lockout=LoginLockout(stores)
        )
        return presenters.token_read(
            await sessions.start_session(
                user=user, created=False, kind=SessionKind.password, address=_address(request), settings=settings
            )
        )

    @post(
        "/logout",
        operation_id="log_out",
        summary="End the session this token belongs to",
        status_code=HTTP_204_NO_CONTENT,
        guards=[requires_login],
        security=[{"bearer": []}],
        responses=problems(401),
    )
    async def logout(self, caller: Principal) -> None:
        await sessions.log_out(user_id=caller.id, session_id=caller.session_id, staff=caller.kind == "staff")

    @post(
        "/logout-everywhere",
        operation_id="log_out_everywhere",
        summary="End every session of the caller, on every device, this one included",
        status_code=HTTP_204_NO_CONTENT,
        guards=[requires_login],
        security=[{"bearer": []}],
        responses=problems(401),
    )
    async def logout_everywhere(self, caller: Principal) -> None:
        await sessions.log_out_everywhere(user_id=caller.id, staff=caller.kind == "staff")


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
        operation_class=DocumentedOperation,
        responses=problems(403, 422, 429),
    )
    async def dev_login(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        data: JSONBody[DevLogin | None] = None,
    ) -> TokenRead:
        data = data or DevLogin()
        user, created = await services.login_as_developer(openid=data.openid, display_name=data.display_name)
        return presenters.token_read(
            await sessions.start_session(
                user=user, created=created, kind=SessionKind.developer, address=_address(request), settings=settings
            )
        )


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

    @get(
        "/sessions",
        operation_id="list_my_sessions",
        summary="The caller's open sessions: when and from where each was opened, and which is this one",
        responses=problems(401),
    )
    async def list_sessions(self, caller: Principal) -> list[SessionRead]:
        return presenters.session_reads(await queries.open_sessions(user_id=caller.id), caller.session_id)

    @delete(
        "/sessions/{session_id:uuid}",
        operation_id="end_my_session",
        summary="End one of the caller's sessions (a lost phone, a shared computer)",
        status_code=HTTP_204_NO_CONTENT,
        responses=problems(401, 404),
    )
    async def end_session(self, caller: Principal, session_id: uuid.UUID) -> None:
        await sessions.end_my_session(user_id=caller.id, session_id=session_id, staff=caller.kind == "staff")

    @put(
        "/password",
        operation_id="change_my_password",
        summary="Staff: change one's password; every other session ends",
        status_code=HTTP_204_NO_CONTENT,
        guards=[requires_staff, rate_limit("password_change", per_user=True)],
        opt={BEFORE_PASSWORD_CHANGE: True},  # what staff on a temporary password must do first
        operation_class=DocumentedOperation,
        responses=problems(401, 403, 422, 429),
    )
    async def change_password(
        self, caller: Principal, data: JSONBody[PasswordChange], stores: NamedDependency[Stores]
    ) -> None:
        """A wrong current password counts as a failed login of the caller's username. Staff on a
        temporary password (an administrator chose it) must do this before any other staff work."""
        await services.change_password(
            user_id=caller.id,
            session_id=caller.session_id,
            current=data.current_password,
            new=data.new_password,
            lockout=LoginLockout(stores),
        )


class LocaleController(Controller):
    path = "/api/v1/locales"
    tags = ["inclusion"]

    @get(
        operation_id="list_locales",
        summary="The languages the app speaks, in their own names, and how complete each is",
    )
    async def list_locales(self) -> list[LocaleRead]:
        return presenters.locale_reads(catalog_completeness())


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["administration"]
    guards = [requires_staff]
    security = [{"bearer": []}]

    @get(
        operation_id="list_audit_entries",
        summary="Administrators: the audit trail within their scope, newest first; ?format=csv for Excel",
        responses=problems(401, 403),
    )
    async def list_entries(
        self,
        caller: Principal,
        actor: Annotated[uuid.UUID | None, Parameter(description="the account that acted")] = None,
        action: Annotated[
            str | None, Parameter(max_length=64, description="e.g. accounts.role_granted", examples=[])
        ] = None,
        object_type: Annotated[str | None, Parameter(max_length=32, description="e.g. user, event")] = None,
        object_id: Annotated[str | None, Parameter(max_length=64)] = None,
        organisation_id: Annotated[
            uuid.UUID | None, Parameter(description="entries filed under this organisation or below it")
        ] = None,
        since: Annotated[datetime | None, Parameter(query="from", description="at or after")] = None,
        until: Annotated[datetime | None, Parameter(query="to", description="before")] = None,
        cursor: Annotated[str | None, Parameter(max_length=200)] = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 50,
        format: Annotated[Literal["json", "csv"], Parameter(description="csv: the same rows, UTF-8 with BOM")] = "json",
    ) -> Response[AuditEntryPage]:
        """Entries filed under an organisation the caller administers (or below it); entries filed
        under none (a resident closing their account, the system) only for city administrators.
        Taking the CSV away is itself audited."""
        filters = AuditFilters(actor, action, object_type, object_id, organisation_id, since, until)
        if format == "csv":
            page = await services.export_audit_log(reader=caller.id, filters=filters, cursor=cursor, limit=limit)
            return Response(
                content=presenters.audit_csv(page),  # type: ignore[arg-type]  # ?format=csv: the rows for Excel
                media_type="text/csv",
                headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
            )
        page = await queries.audit_entries(reader=caller.id, filters=filters, cursor=cursor, limit=limit)
        return Response(presenters.audit_page(page))
