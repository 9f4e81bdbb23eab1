"""Web: the public pages behind every QR code and shared link, and the staff console, rendered
on the server (Jinja2, htmx), calling the same services and permission checks as the API."""

from backend.core.domain import Domain
from backend.web.console import console_router
from backend.web.controllers import static_files
from backend.web.public import public_router
from backend.web.templating import configure_templates

DOMAIN = Domain(
    name="web",
    builds_on=("core", "accounts", "events", "libraries", "volunteers", "inclusion", "governance", "notifications"),
    routes=lambda settings: (static_files(), console_router(), public_router()),
    app_hooks=(configure_templates,),
)
