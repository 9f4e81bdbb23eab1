"""The invitation page ``/console/invite/{token}``, open without signing in: whoever holds the
link sees who invited them and to which role, chooses their password (the accounts rules, as
``POST /api/v1/auth/invites/{token}``) and is then logged in to the console as the login form
would (the same login service, lockout and session)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.response import Template

from backend.accounts.api import (
    MIN_PASSWORD_LENGTH,
    LoginLockout,
    SessionKind,
    accept_invite,
    invitation,
    invite_for,
    login_with_password,
    start_session,
)
from backend.core.errors import PendingFieldProblem
from backend.core.i18n import N_, get_locale
from backend.core.stores import Stores, rate_limit
from backend.settings import Settings
from backend.web.console.account_controllers import Form
from backend.web.console.admin_names import ROLE_NAMES
from backend.web.console.edge import FormRefused, form_values, go, keep_session, new_csrf_cookie, page, parse_form

Password = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class ChooseForm(msgspec.Struct, forbid_unknown_fields=True):
    new_password: Password
    repeat_password: Password


class AdminInviteController(Controller):
    """Public: the link is the proof, as in the API."""

    path = "/invite"
    include_in_schema = False

    @get("/{token:str}")
    async def invite_page(self, request: Request[Any, Any, Any], token: str) -> Template:
        response = await page(
            request,
            "console/admin/invite.html",
            invite=await invitation(token=token),
            token=token,
            role_names=ROLE_NAMES,
            min_length=MIN_PASSWORD_LENGTH,
        )
        if request.scope.get("user") is None:  # before signing in: the login form's double submit
            response.context["csrf"] = new_csrf_cookie(response, request)
        return response

    @post("/{token:str}", guards=[rate_limit("invite")])
    async def accept(
        self, request: Request[Any, Any, Any], token: str, data: Form, settings: Settings, stores: Stores
    ) -> Response[Any]:
        form: ChooseForm = parse_form(form_values(data), ChooseForm)
        if form.new_password != form.repeat_password:
            raise FormRefused(
                [PendingFieldProblem("repeat_password", N_("The two new passwords are not the same."), "mismatch")]
            )
        invitee = await invite_for(token=token)
        await accept_invite(token=token, password=form.new_password)
        user = await login_with_password(
            username=invitee.username, password=form.new_password, lockout=LoginLockout(stores)
        )
        login = await start_session(
            user=user,
            created=False,
            kind=SessionKind.password,
            address=request.client.host if request.client else "",
            settings=settings,
        )
        # The console goes on in the language the invitation page spoke.
        response = go(request, f"/console?lang={get_locale()}")
        keep_session(response, login.token.token, settings.staff_token_ttl_seconds)
        return response
