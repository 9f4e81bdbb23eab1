"""Users, organisations in their hierarchy, the memberships that give roles in a scope, and the
sessions that logins open."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    ForeignKey,
    Integer,
    Timestamptz,
    Varchar,
)
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class User(Table, tablename="account_user"):
    """A resident (WeChat login) or a staff member (username and password)."""

    id = UUID(primary_key=True)
    openid = Varchar(length=64, null=True, default=None, unique=True, help_text="WeChat openid of our mini-program")
    unionid = Varchar(
        length=64,
        null=True,
        default=None,
        unique=True,
        help_text="WeChat unionid, when bound to an Open Platform account",
    )
    wechat_session_key = Varchar(
        length=128, null=True, default=None, secret=True, help_text="kept server-side only, never returned"
    )
    username = Varchar(length=64, null=True, default=None, unique=True, help_text="staff login name")
    password_hash = Varchar(length=255, null=True, default=None, secret=True)
    is_staff = Boolean(default=False)
    display_name = Varchar(length=64, default="")
    locale = Varchar(length=8, null=True, default=None, help_text="preferred locale, one of LOCALES")
    phone = Varchar(length=20, null=True, default=None, help_text="stored in full, shown masked")
    birth_year = Integer(null=True, default=None)
    created_at = Timestamptz()
    last_login_at = Timestamptz(null=True, default=None)
    deleted_at = Timestamptz(null=True, default=None, index=True, help_text="soft deletion")
    disabled_at = Timestamptz(
        null=True, default=None, help_text="set by an administrator: no login, every session ended"
    )
    password_change_required = Boolean(
        default=False,
        help_text="staff on a password an administrator chose: staff operations wait until they choose their own",
    )


class OrganisationKind(str, Enum):
    city = "city"
    district = "district"
    street = "street"
    community = "community"
    library = "library"
    cultural_centre = "cultural_centre"
    volunteer_association = "volunteer_association"
    property_company = "property_company"
    # Parties that act on incidents (居·物·业·警·民) besides the community itself.
    owners_committee = "owners_committee"
    police_station = "police_station"
    city_management = "city_management"
    # A grid (网格) of a community's estates and buildings: its grid workers hold their role here.
    grid = "grid"


class Role(str, Enum):
    admin = "admin"
    organiser = "organiser"
    library_staff = "library_staff"
    coordinator = "coordinator"
    grid_worker = "grid_worker"


class Organisation(Table, tablename="account_organisation"):
    """A node of city → district → street → community, or a body attached to one."""

    id = UUID(primary_key=True)
    kind = Varchar(length=32, choices=OrganisationKind)
    name = JSON(default={}, help_text="{locale: name}")
    parent = ForeignKey("self", null=True, default=None)
    path = Varchar(
        length=512,
        index=True,
        index_method=IndexMethod.btree,
        help_text="/root-id/.../own-id/: ancestors and subtree queries without recursion",
    )
    created_at = Timestamptz()
    retired_at = Timestamptz(
        null=True,
        default=None,
        help_text="no longer in service: keeps its data and history, takes no new roles, events or teams",
    )


class Membership(Table, tablename="account_membership"):
    """A role held by a user in an organisation's scope (the organisation and its subtree)."""

    id = UUID(primary_key=True)
    user = ForeignKey(User, null=False)
    organisation = ForeignKey(Organisation, null=False)
    role = Varchar(length=32, choices=Role)
    created_at = Timestamptz()
    # (user, organisation, role) is unique through an index added in the first migration:
    # Piccolo's Unique constraint needs ALTER TABLE ADD CONSTRAINT, which SQLite lacks.


class SessionKind(str, Enum):
    """How the session was opened."""

    wechat = "wechat"
    password = "password"
    developer = "developer"


class Session(Table, tablename="account_session"):
    """One login: our tokens carry its id, so ending it (logout, a password change, a role taken
    away, the account disabled or deleted) makes them answer 401 at once."""

    id = UUID(primary_key=True)
    user = ForeignKey(User, null=False, index=True)
    kind = Varchar(length=16, choices=SessionKind)
    created_at = Timestamptz()
    expires_at = Timestamptz(index=True, help_text="when its token expires; purged a day after")
    revoked_at = Timestamptz(null=True, default=None, help_text="when it was ended before expiring")
    address = Varchar(length=64, default="", help_text="the client address it was opened from")


class StaffInvite(Table, tablename="account_staff_invite"):
    """A one-time link for a staff member to choose their own password: only the SHA-256 of its
    token is kept. A new invite or a password reset replaces the person's earlier ones; using it
    deletes it."""

    id = UUID(primary_key=True)
    user = ForeignKey(User, null=False, index=True)
    token_hash = Varchar(length=64, unique=True, help_text="hex SHA-256 of the token in the link")
    created_at = Timestamptz()
    expires_at = Timestamptz(index=True)
