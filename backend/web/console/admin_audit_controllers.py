"""Administrators' room: the audit log of their scope (``read_audit``, as ``GET /api/v1/audit``),
filtered by actor, action, object, organisation and dates (days in the city's time), newest
first by the API's keyset pages; and its CSV, which is itself audited as the API's is."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import Provide
from litestar.response import Template

from backend.accounts.api import (
    AuditFilters,
    OrganisationFilters,
    audit_csv,
    audit_entries,
    export_audit_log,
    list_organisations,
    organisations,
    people,
)
from backend.core.context import Principal
from backend.core.i18n import CITY_TZ
from backend.core.values import as_uuid
from backend.web.console.admin_names import KIND_NAMES
from backend.web.console.edge import form_values, page, parse_form, provide_me, signed_in
from backend.web.console.listing import Listing

AUDIT_PAGE = 50
CSV_ROWS = 500  # the API's largest page
FILTERS = ("actor", "action", "object_type", "object_id", "organisation", "from", "to")


class AuditQuery(msgspec.Struct, forbid_unknown_fields=False, rename={"since": "from", "until": "to"}):
    actor: uuid.UUID | None = None
    action: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    object_type: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    object_id: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    organisation: uuid.UUID | None = None
    since: date | None = None
    until: date | None = None
    cursor: Annotated[str, msgspec.Meta(max_length=200)] | None = None


def _day(day: date) -> datetime:
    return datetime.combine(day, time(0), CITY_TZ)


def filters_of(query: AuditQuery) -> AuditFilters:
    """The form's days as the API's moments: from the start of ``from`` to the end of ``to``."""
    return AuditFilters(
        actor=query.actor,
        action=query.action,
        object_type=query.object_type,
        object_id=query.object_id,
        organisation=query.organisation,
        since=_day(query.since) if query.since else None,
        until=_day(query.until + timedelta(days=1)) if query.until else None,
    )


def read_query(request: Request[Any, Any, Any]) -> tuple[Listing, AuditQuery]:
    listing = Listing.read(request.url.path, request.query_params, sorts=("at",), default_sort="-at", filters=FILTERS)
    values = form_values({**listing.filters, "cursor": request.query_params.get("cursor", "")})
    return listing, parse_form(values, AuditQuery)


class AdminAuditController(Controller):
    path = "/audit"
    include_in_schema = False
    guards = [signed_in]
    dependencies = {"me": Provide(provide_me, sync_to_thread=False)}

    @get("/")
    async def log(self, request: Request[Any, Any, Any], me: Principal) -> Template:
        listing, query = read_query(request)
        found = await audit_entries(reader=me.id, filters=filters_of(query), cursor=query.cursor, limit=AUDIT_PAGE)
        actors = await people(as_uuid(row["actor"]) for row in found.entries if row["actor"])
        places = await organisations(as_uuid(row["organisation"]) for row in found.entries if row["organisation"])
        tree = await list_organisations(reader=me.id, filters=OrganisationFilters(include_retired=True), limit=1000)
        return await page(
            request,
            "console/admin/audit.html",
            entries=found.entries,
            actors={str(k): v for k, v in actors.items()},
            places={str(k): v for k, v in places.items()},
            tree=tree.items,
            kind_names=KIND_NAMES,
            listing=listing,
            next_link=listing.link(cursor=found.next_cursor) if found.next_cursor else None,
            first_link=listing.link() if query.cursor else None,
            csv_link="/console/audit/audit.csv" + listing.link()[len(listing.path) :],
        )

    @get("/audit.csv")
    async def csv(self, request: Request[Any, Any, Any], me: Principal) -> Response[bytes]:
        _listing, query = read_query(request)
        found = await export_audit_log(reader=me.id, filters=filters_of(query), cursor=query.cursor, limit=CSV_ROWS)
        return Response(
            content=audit_csv(found),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
        )
