"""The console's door for staff: signing in and out, one's own password and language. The
same services as the API's ``/auth`` and ``/me``."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template

from backend.accounts.api import (
    MIN_PASSWORD_LENGTH,
    LoginLockout,
    SessionKind,
    change_password,
    log_out,
    login_with_password,
    start_session,
    update_me,
)
from backend.core.auth import SESSION_COOKIE_PATH
from backend.core.context import Principal
from backend.core.errors import DomainError, PendingFieldProblem
from backend.core.i18n import LOCALES, N_, get_locale
from backend.core.stores import Stores, rate_limit
from backend.settings import Settings
from backend.web.console.edge import (
    BEFORE_PASSWORD_CHANGE,
    FormRefused,
    forget_session,
    form_values,
    go,
    keep_session,
    new_csrf_cookie,
    page,
    parse_form,
    provide_me,
    safe_next,
    signed_in,
)

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


class LoginForm(msgspec.Struct, forbid_unknown_fields=False):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    next: str = ""


class PasswordForm(msgspec.Struct, forbid_unknown_fields=False):
    current_password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    new_password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    repeat_password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


def _address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else ""


class SignInController(Controller):
    """Open to anyone: the login form."""

    path = "/"
    include_in_schema = False

    @get("/login")
    async def login_page(self, request: Request[Any, Any, Any], next: str = "") -> Response[Any]:
        me = request.scope.get("user")
        if isinstance(me, Principal) and me.kind == "staff":
            return go(request, safe_next(next))
        response = await page(request, "console/login.html", next=safe_next(next))
        response.context["csrf"] = new_csrf_cookie(response, request)
        return response

    @post("/login", guards=[rate_limit("login")])
    async def login(
        self, request: Request[Any, Any, Any], data: Form, settings: Settings, stores: Stores
    ) -> Response[Any]:
        """The API's password login, the same lockout and the same per-address limit; the
        session's token goes into an HttpOnly cookie instead of the answer's body."""
        form: LoginForm = parse_form(form_values(data), LoginForm)
        user = await login_with_password(username=form.username, password=form.password, lockout=LoginLockout(stores))
        login = await start_session(
            user=user, created=False, kind=SessionKind.password, address=_address(request), settings=settings
        )
        response = go(request, safe_next(form.next))
        keep_session(response, login.token.token, settings.staff_token_ttl_seconds)
        return response


class AccountController(Controller):
    """A staff member's own account: password, language, logout (the home page is ``home_controllers``)."""

    path = "/"
    include_in_schema = False
    guards = [signed_in]
    dependencies = {"me": Provide(provide_me, sync_to_thread=False)}

    @post("/logout", opt={BEFORE_PASSWORD_CHANGE: True})
    async def logout(self, request: Request[Any, Any, Any], me: Principal) -> Response[Any]:
        await log_out(user_id=me.id, session_id=me.session_id, staff=True)
        # The login page after it speaks the language the console spoke.
        response = go(request, f"{SESSION_COOKIE_PATH}/login?said=logged_out&lang={get_locale()}")
        forget_session(response)
        return response

    @get("/password", opt={BEFORE_PASSWORD_CHANGE: True})
    async def password_page(self, request: Request[Any, Any, Any], me: Principal) -> Template:
        return await page(
            request, "console/password.html", forced=me.must_change_password, min_length=MIN_PASSWORD_LENGTH
        )

    @post(
        "/password",
        opt={BEFORE_PASSWORD_CHANGE: True},
        guards=[rate_limit("password_change", per_user=True)],
    )
    async def change_password(
        self, request: Request[Any, Any, Any], me: Principal, data: Form, stores: Stores
    ) -> Response[Any]:
        form: PasswordForm = parse_form(form_values(data), PasswordForm)
        if form.new_password != form.repeat_password:
            raise FormRefused(
                [PendingFieldProblem("repeat_password", N_("The two new passwords are not the same."), "mismatch")]
            )
        await change_password(
            user_id=me.id,
            session_id=me.session_id,
            current=form.current_password,
            new=form.new_password,
            lockout=LoginLockout(stores),
        )
        return go(request, f"{SESSION_COOKIE_PATH}?said=password_changed")

    @post("/language", opt={BEFORE_PASSWORD_CHANGE: True})
    async def language(self, request: Request[Any, Any, Any], me: Principal, data: Form) -> Response[Any]:
        """Remembered on the account, as ``PATCH /api/v1/me`` {"locale"} does."""
        locale = data.get("locale")
        if locale not in LOCALES:
            raise DomainError("unsupported_locale", N_("Unsupported language."), status=422)
        await update_me(user_id=me.id, changes={"locale": locale})
        back = safe_next(str(data.get("next") or ""))
        return go(request, back + ("&" if "?" in back else "?") + "said=language_changed")
