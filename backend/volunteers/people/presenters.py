"""Shaping volunteer profiles for the API, in the caller's language."""

from __future__ import annotations

from collections.abc import Mapping

from backend.core.i18n import N_, _
from backend.volunteers.people.schemas import VolunteerProfileRead
from backend.volunteers.people.tables import IdDocument, VolunteerProfile

ID_DOCUMENT_NAMES: Mapping[IdDocument, str] = {
    IdDocument.resident_id: N_("Resident ID card"),
    IdDocument.passport: N_("Passport"),
    IdDocument.hk_macao_permit: N_("Hong Kong and Macao residents' permit"),
    IdDocument.taiwan_permit: N_("Taiwan residents' permit"),
    IdDocument.foreign_permanent_resident: N_("Foreign permanent resident ID card"),
}


def id_document_name(document: str | None) -> str | None:
    return _(ID_DOCUMENT_NAMES[IdDocument(document)]) if document else None


def profile_read(profile: VolunteerProfile) -> VolunteerProfileRead:
    return VolunteerProfileRead(
        user_id=profile.user,
        real_name_masked=profile.real_name_masked,
        id_document=IdDocument(profile.id_document) if profile.id_document else None,
        id_document_name=id_document_name(profile.id_document),
        id_number_masked=profile.id_number_masked,
        skills=list(profile.skills or []),
        languages=list(profile.languages or []),
        consented_at=profile.consented_at,
        created_at=profile.created_at,
        updated_at=profile.updated_at,
    )
