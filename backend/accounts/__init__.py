"""Accounts: residents and staff, logins, the caller's own profile, organisations in their tree,
roles held in a scope, and the guard every domain asks."""

from backend.accounts import demo
from backend.accounts.controllers import AuthController, DevAuthController, LocaleController, MeController
from backend.core.domain import Domain
from backend.settings import Settings


def _routes(settings: Settings) -> tuple[type, ...]:
    handlers = (AuthController, MeController, LocaleController)
    return (*handlers, DevAuthController) if settings.dev_login_enabled else handlers


DOMAIN = Domain(
    name="accounts",
    builds_on=("core",),
    piccolo_apps=("backend.accounts.piccolo_app",),
    routes=_routes,
    seed_demo=demo.seed,
    tags=(("accounts", "WeChat and staff login, the caller's profile"),),
)
