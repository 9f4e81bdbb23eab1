"""The domains, in dependency order: each builds only on those before it (docs/ARCHITECTURE.md).

Everything that wires a domain in reads this list: the app factory, the worker, ``piccolo_conf``
(and so the migrations' order), privacy export and erasure, the OpenAPI tags, the chores, the demo
and the architecture test. Adding a domain is its package, with a ``DOMAIN`` manifest, and a line
here.
"""

from backend import accounts, core, events, governance, inclusion, libraries, notifications, places, volunteers, web
from backend.core.domain import Domain

DOMAINS: tuple[Domain, ...] = (
    core.DOMAIN,
    accounts.DOMAIN,
    places.DOMAIN,
    events.DOMAIN,
    libraries.DOMAIN,
    volunteers.DOMAIN,
    inclusion.DOMAIN,
    governance.DOMAIN,
    notifications.DOMAIN,
    web.DOMAIN,
)
