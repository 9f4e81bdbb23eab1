"""The places domain's refusals, each once: services raise them, the OpenAPI document shows them."""

from __future__ import annotations

from typing import Any

from backend.core.errors import DomainError, NotFound
from backend.core.i18n import N_


def estate_not_found() -> NotFound:
    return NotFound("estate_not_found", N_("This estate does not exist."))


def building_not_found() -> NotFound:
    return NotFound("building_not_found", N_("This building does not exist in this estate."))


def unit_not_found() -> NotFound:
    return NotFound("unit_not_found", N_("This unit does not exist in this building."))


def grid_not_found() -> NotFound:
    return NotFound("grid_not_found", N_("This grid does not exist."))


def alliance_not_found() -> NotFound:
    return NotFound("alliance_not_found", N_("This estate alliance does not exist."))


def document_not_found() -> NotFound:
    return NotFound("document_not_found", N_("This document does not exist."))


def residence_not_set() -> NotFound:
    return NotFound("residence_not_set", N_("You have not said where you live."))


def not_a_community() -> DomainError:
    return DomainError("not_a_community", N_("Estates and grids belong to a community."), status=422)


def organisation_kind_wrong(field: str, kind: str) -> DomainError:
    return DomainError(
        "organisation_kind_wrong",
        N_("{field} must be an organisation of the kind {kind} in this community or above it."),
        params={"field": field, "kind": kind},
        status=422,
    )


def label_taken(label: str) -> DomainError:
    return DomainError("label_taken", N_("“{label}” is already used here."), params={"label": label}, status=409)


def import_invalid(lines: list[dict[str, Any]]) -> DomainError:
    first = lines[0]
    return DomainError(
        "import_invalid",
        N_("Nothing was imported: {count} lines have problems. Line {line}: {problem}"),
        params={"count": len(lines), "line": first["line"], "problem": first["problem"], "lines": lines},
        status=422,
    )


def area_outside_community() -> DomainError:
    return DomainError(
        "area_outside_community", N_("A grid covers estates and buildings of its own community only."), status=422
    )


def area_taken() -> DomainError:
    return DomainError("area_taken", N_("This estate or building is already in another grid."), status=409)


def not_staff() -> DomainError:
    return NotFound("user_not_found", N_("There is no such staff account."))


def not_resident() -> DomainError:
    return NotFound("user_not_found", N_("There is no such resident."))


def consent_required() -> DomainError:
    return DomainError(
        "consent_required", N_("We keep where you live only with your consent: set consent to true."), status=422
    )


def alliance_exists() -> DomainError:
    return DomainError("alliance_exists", N_("This community already has an estate alliance."), status=409)


def estate_in_alliance() -> DomainError:
    return DomainError("estate_in_alliance", N_("This estate is already in an alliance."), status=409)


def estate_outside_community() -> DomainError:
    return DomainError("estate_outside_community", N_("An alliance's estates are in its own community."), status=422)


def one_flagship() -> DomainError:
    return DomainError("one_flagship", N_("An alliance has at most one flagship estate."), status=409)


def not_alliance_resident() -> DomainError:
    return DomainError(
        "not_alliance_resident",
        N_("Only residents of the alliance's estates acknowledge its documents; say where you live first."),
        status=403,
    )


def file_too_large(megabytes: int) -> DomainError:
    return DomainError(
        "file_too_large", N_("The file is larger than {megabytes} MB."), params={"megabytes": megabytes}, status=413
    )
