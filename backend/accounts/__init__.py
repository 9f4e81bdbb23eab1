"""Accounts: residents and staff, logins and their sessions, the caller's own profile,
organisations in their tree, roles held in a scope, the guard every domain asks, and for
administrators the organisation tree, staff accounts (with invitation links) and the audit log."""

from backend.accounts import demo, invites, sessions
from backend.accounts.controllers import (
    AuditController,
    AuthController,
    DevAuthController,
    LocaleController,
    MeController,
)
from backend.accounts.organisation_controllers import OrganisationController
from backend.accounts.staff_controllers import InviteController, StaffController
from backend.core.domain import Chore, Domain
from backend.settings import Settings


def _routes(settings: Settings) -> tuple[type, ...]:
    handlers = (
        AuthController,
        InviteController,
        MeController,
        LocaleController,
        AuditController,
        OrganisationController,
        StaffController,
    )
    return (*handlers, DevAuthController) if settings.dev_login_enabled else handlers


async def _retention() -> int:
    """Session rows a day past their expiry, and invitation links that no longer work."""
    return await sessions.purge_expired() + await invites.purge_expired()


DOMAIN = Domain(
    name="accounts",
    builds_on=("core",),
    piccolo_apps=("backend.accounts.piccolo_app",),
    routes=_routes,
    chores=(Chore("session_retention", _retention, cron="17 4 * * *"),),
    seed_demo=demo.seed,
    tags=(
        ("accounts", "WeChat and staff login, sessions and logout, the caller's profile"),
        (
            "administration",
            "For administrators within their scope: the organisation tree, staff accounts and roles, the audit trail",
        ),
    ),
)
