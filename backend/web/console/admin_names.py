"""What the administrators' rooms call things: organisation kinds and roles in words (the
domain keeps them as codes), and the one-line notices their pages may show after a change."""

from __future__ import annotations

from collections.abc import Mapping

from backend.core.i18n import N_
from backend.web.console.edge import SAID

KIND_NAMES: Mapping[str, str] = {
    "city": N_("City"),
    "district": N_("District"),
    "street": N_("Street"),
    "community": N_("Community"),
    "library": N_("Library"),
    "cultural_centre": N_("Cultural centre"),
    "volunteer_association": N_("Volunteer association"),
    "property_company": N_("Property company"),
    "owners_committee": N_("Owners' committee"),
    "police_station": N_("Police station"),
    "city_management": N_("City management"),
    "grid": N_("Grid"),
}

ROLE_NAMES: Mapping[str, str] = {
    "admin": N_("Administrator"),
    "organiser": N_("Organiser"),
    "library_staff": N_("Library staff"),
    "coordinator": N_("Volunteer coordinator"),
    "grid_worker": N_("Grid worker"),
}

# ``?said=<key>`` on an administrators' page: only these (the frame's own keys work too).
ADMIN_SAID: Mapping[str, str] = {
    "organisation_created": N_("The organisation has been created."),
    "organisation_renamed": N_("The names have been saved."),
    "organisation_moved": N_("The organisation has been moved."),
    "organisation_retired": N_("The organisation has been retired."),
    "organisation_restored": N_("The organisation is in service again."),
    "role_granted": N_("The role has been given."),
    "role_revoked": N_("The role has been taken away. Their sessions have ended."),
    "account_disabled": N_("The account has been disabled. Its sessions have ended."),
    "account_enabled": N_("The account can log in again."),
}


def said(key: str | None) -> str | None:
    """The notice a ``?said=`` key asks for, ours or the frame's."""
    return ADMIN_SAID.get(key or "") or SAID.get(key or "")
