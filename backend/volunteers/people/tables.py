"""Volunteer profiles: the opt-in, with the identity a service record prints sealed at rest."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import JSON, UUID, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table


class IdDocument(str, Enum):
    resident_id = "resident_id"  # 居民身份证
    passport = "passport"
    hk_macao_permit = "hk_macao_permit"  # 港澳居民来往内地通行证 / 居住证
    taiwan_permit = "taiwan_permit"  # 台湾居民来往大陆通行证 / 居住证
    foreign_permanent_resident = "foreign_permanent_resident"  # 外国人永久居留身份证


class VolunteerProfile(Table, tablename="volunteer_profile"):
    """A resident's opt-in to volunteering; identity only for the formal service record."""

    id = UUID(primary_key=True)
    user = ForeignKey(LazyTableReference("User", module_path="backend.accounts.tables"), null=False, unique=True)
    real_name_sealed = Text(null=True, default=None, secret=True, help_text="AES-GCM sealed (core.crypto)")
    real_name_masked = Varchar(length=64, null=True, default=None, help_text="张*明: what staff views show")
    id_document = Varchar(length=32, null=True, default=None, choices=IdDocument)
    id_number_sealed = Text(null=True, default=None, secret=True, help_text="AES-GCM sealed (core.crypto)")
    id_number_masked = Varchar(length=32, null=True, default=None, help_text="3205**********1234")
    skills = JSON(default=[], help_text="free-text skills, e.g. first aid, sign language")
    languages = JSON(default=[], help_text="spoken languages, codes as events use them")
    consented_at = Timestamptz(help_text="when the volunteer agreed to the terms and the use of their data")
    created_at = Timestamptz()
    updated_at = Timestamptz()
