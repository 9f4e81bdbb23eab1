"""The refusals of administering organisations and staff: each a stable code, its message and
status, written once here. The services raise them (``raise errors.ORGANISATION_RETIRED()``) and
the OpenAPI document shows each one as an example of the operations that can answer it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from backend.core.errors import DomainError
from backend.core.i18n import N_


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str  # untranslated (N_), with {named} placeholders filled from the params
    status: int
    example: Mapping[str, Any] = field(default_factory=dict)  # params, for the document's example

    def __call__(self, **params: Any) -> DomainError:
        return DomainError(self.code, self.message, params=params, status=self.status)


# --- organisations -----------------------------------------------------------------------------------
ORGANISATION_NOT_FOUND = Refusal("organisation_not_found", N_("This organisation does not exist."), 404)
ORGANISATION_PARENT_INVALID = Refusal(
    "organisation_parent_invalid", N_("This kind of organisation cannot be placed under this parent."), 422
)
ORGANISATION_NAME_REQUIRED = Refusal(
    "organisation_name_required", N_("Give the organisation a name in Simplified Chinese."), 422
)
ORGANISATION_NAME_INVALID = Refusal(
    "organisation_name_invalid",
    N_("A name may hold at most {limit} characters and no control characters, in the app's languages only."),
    422,
    {"limit": 80},
)
ORGANISATION_IS_ROOT = Refusal("organisation_is_root", N_("The city itself cannot be moved or retired."), 409)
ORGANISATION_MOVE_INTO_ITSELF = Refusal(
    "organisation_move_into_itself", N_("An organisation cannot be moved under itself or anything below it."), 409
)
ORGANISATION_RETIRED = Refusal(
    "organisation_retired",
    N_("{organisation} is retired: it takes no new roles or organisations."),
    409,
    {"organisation": "南园社区"},
)
ORGANISATION_HAS_CHILDREN = Refusal(
    "organisation_has_children",
    N_("Organisations still active below this one: {count}. Retire or move them first."),
    409,
    {"count": 3},
)
ORGANISATION_PARENT_RETIRED = Refusal(
    "organisation_parent_retired", N_("{organisation} is retired: restore it first."), 409, {"organisation": "双塔街道"}
)

# --- staff accounts -----------------------------------------------------------------------------------
USER_NOT_FOUND = Refusal("user_not_found", N_("This account does not exist."), 404)
USERNAME_INVALID = Refusal(
    "username_invalid",
    N_("A username has {min}–{max} characters: lowercase letters, digits, dots, hyphens and underscores."),
    422,
    {"min": 3, "max": 32},
)
USERNAME_TAKEN = Refusal("username_taken", N_("This username is already taken."), 409)
FIRST_ROLE_REQUIRED = Refusal(
    "first_role_required", N_("Choose the new account's first role and the organisation it holds it in."), 422
)
PASSWORD_OR_INVITE = Refusal(
    "password_or_invite", N_("Give a temporary password or ask for an invitation link: one of the two."), 422
)
LAST_CITY_ADMIN = Refusal(
    "last_city_admin", N_("This is the city's last administrator: give someone else the role first."), 409
)
INVITE_NOT_FOUND = Refusal(
    "invite_not_found",
    N_(
        "This invitation link is not valid: it may have been used or have expired. "
        "Ask your administrator for a new one."
    ),
    404,
)
PASSWORD_TOO_SHORT = Refusal(
    "password_too_short", N_("The password must be at least {limit} characters long."), 422, {"limit": 8}
)
# Refused by core's guard (``backend.core.auth.requires_staff``) before any handler runs; named here
# so the document shows them beside the operations' own refusals.
STAFF_ONLY = Refusal("staff_only", N_("Only staff accounts can do this."), 403)
PASSWORD_CHANGE_REQUIRED = Refusal("password_change_required", N_("Choose a new password first."), 403)
