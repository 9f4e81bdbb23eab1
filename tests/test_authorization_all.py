"""Who may do what, for EVERY operation of the OpenAPI document, asked of every kind of caller.

``MATRIX`` below is the readable table: one row per operation (a few operations have two rows,
one per way of calling them), one column per caller, each cell the exact status the app must
answer. The callers:

    anon        no token
    resident    a resident who owns the resident-side objects: a registration and its ticket,
                a child, a resident profile, a reward reserved, notices, a calendar feed,
                an incident reported
    resident_b  another resident
    volunteer   a member of team A, signed up to its shift, owner of its hours entries
    coord_b     coordinator of team B (and staff coordinator of community B)
    org_b       organiser of street B
    admin_b     admin of community B
    city_admin  admin of the city
    owner       where the object has an owner-type caller outside those eight, that one (the
                event's organiser, the branch's librarian, the team's coordinator, the
                community's admin, the staff of the party an incident was forwarded to), to show
                that an allowed non-admin caller exists; None where there is none

Every object is in street A / community A / team A unless the row says otherwise. What is
checked for each cell (``test_matrix``):

- the status is exactly the table's;
- a refusal is RFC 9457 problem+json, and every table of the app (``all_tables()``: row counts
  and a digest of all rows) is exactly as before the call;
- an allowed call that changes things (POST, PUT, PATCH, DELETE) did change a table;
- an allowed call of a row that names what it ``audited`` left exactly one audit entry of that
  action, by the caller, in the request (a refusal left none: the audit table is a table);
- nothing leaks: no answer, allowed or refused, carries a private value (names, phones, real
  names, ID numbers, ticket, pickup code, feed token, an incident's text, a draft's title, a
  withdrawn reward, checkpoint codes, another resident's registration id …) of anyone but the
  caller, unless the value's holders or the row's ``may_see`` name the caller. So a list asked
  by the wrong people does not hold others' private rows, and a staff view shows only masks.

The expected statuses come from the product's intent (DESIGN.md: roles are scoped, "every object
lookup checks ownership or scope") and the access rules (accounts.services.may, core.auth,
volunteers.access), not from what the app happens to answer. Someone else's private object (a
registration, an event or reward not yet public, a route, an hours entry, an incident) answers
404 like a missing one; public objects managed by others (a team, a library branch, a reward on
offer, a community's settings) answer 403. A cell where the app lets through a caller the table
refuses is a leak: it is listed in ``LEAKS`` and its row is a strict xfail, never a bent table.

One world per backend (tests/authz_world.py) serves every row; calls that consume what they act
on get fresh objects from the row's ``prepare``; calls that would spend the caller itself
(closing the account, erasing a profile) are made by a stand-in with the same roles. Refused
callers go first, allowed ones last.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import msgspec
import pytest
from redis.asyncio import Redis

from backend.accounts.tables import OrganisationKind, Role, User
from backend.core import runtime
from backend.core.db import is_postgres
from backend.core.i18n import CITY_TZ
from backend.core.tables import AuditEntry
from backend.events.calendars import services as calendars
from backend.events.catalogue.tables import Event as MeetingEvent
from backend.governance.meetings import services as meeting_services
from backend.governance.meetings import submissions as meeting_submissions
from backend.governance.meetings.schemas import MeetingCreate, MinutesCreate, SubmissionCreate
from backend.governance.meetings.tables import Action, AgendaItem, Meeting
from backend.governance.surveys import services as survey_services
from backend.governance.surveys.schemas import EvaluationCreate, SurveyCreate
from backend.places import alliances as place_alliances
from backend.places import estates as place_estates
from backend.places import grids as place_grids
from backend.places import residences as place_residences
from backend.places.schemas import EstateCreate, MemberIn, ResidencePut
from backend.settings import Settings
from backend.volunteers.teams.tables import MemberRole, MemberStatus
from tests import authz_world as aw
from tests import factories
from tests.authz_world import IDENTITIES, World
from tests.conftest import BACKENDS, SECRET, _clean, all_tables, build_app, make_settings, serve_in_process

PROBLEM = "application/problem+json"
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
V1 = "/api/v1"

# --- the matrix ---------------------------------------------------------------------------------------

# fmt: off
MATRIX: list[tuple[Any, ...]] = [
    # row                       method  path                                                   anon resA resB  vol coB  orgB admB city  owner (who)
    # operations and accounts
    ("health",                  "GET",    "/health",                                            200, 200, 200, 200, 200, 200, 200, 200, None),
    ("ready",                   "GET",    "/ready",                                             200, 200, 200, 200, 200, 200, 200, 200, None),
    ("login_with_password",     "POST",   "/api/v1/auth/login",                                 200, 200, 200, 200, 200, 200, 200, 200, None),
    ("login_with_wechat",       "POST",   "/api/v1/auth/wechat",                                200, 200, 200, 200, 200, 200, 200, 200, None),
    ("login_as_developer",      "POST",   "/api/v1/auth/dev-login",                             200, 200, 200, 200, 200, 200, 200, 200, None),
    ("get_me",                  "GET",    "/api/v1/me",                                         401, 200, 200, 200, 200, 200, 200, 200, None),
    ("update_me",               "PATCH",  "/api/v1/me",                                         401, 200, 200, 200, 200, 200, 200, 200, None),
    ("export_me",               "GET",    "/api/v1/me/export",                                  401, 200, 200, 200, 200, 200, 200, 200, None),
    ("delete_me",               "DELETE", "/api/v1/me",                                         401, 204, 204, 204, 204, 204, 204, 204, None),
    ("list_locales",            "GET",    "/api/v1/locales",                                    200, 200, 200, 200, 200, 200, 200, 200, None),
    # sessions: each caller's own (another's is "not found", like any private object)
    ("log_out",                 "POST",   "/api/v1/auth/logout",                                401, 204, 204, 204, 204, 204, 204, 204, None),
    ("log_out_everywhere",      "POST",   "/api/v1/auth/logout-everywhere",                     401, 204, 204, 204, 204, 204, 204, 204, None),
    ("list_my_sessions",        "GET",    "/api/v1/me/sessions",                                401, 200, 200, 200, 200, 200, 200, 200, None),
    ("end_my_session",          "DELETE", "/api/v1/me/sessions/{session_id}",                   401, 204, 204, 204, 204, 204, 204, 204, None),
    ("end_a_residents_session", "DELETE", "/api/v1/me/sessions/{session_id}",                   401, 204, 404, 404, 404, 404, 404, 404, None),
    ("change_my_password",      "PUT",    "/api/v1/me/password",                                401, 403, 403, 403, 204, 204, 204, 204, None),
    # the audit trail: administrators, each within their scope (admin_b sees community B's entries)
    ("list_audit_entries",      "GET",    "/api/v1/audit",                                      401, 403, 403, 403, 403, 403, 200, 200, (200, "admin_a")),
    ("list_audit_entries_csv",  "GET",    "/api/v1/audit",                                      401, 403, 403, 403, 403, 403, 200, 200, (200, "admin_a")),
    # administration: the tree is no secret (403 where one does not administer); staff accounts
    # outside one's scope are "not found"; admin_a administers community A, admin_b community B
    ("list_organisations",      "GET",    "/api/v1/organisations",                              401, 403, 403, 403, 403, 403, 200, 200, (200, "admin_a")),
    ("get_organisation",        "GET",    "/api/v1/organisations/{organisation_id}",            401, 403, 403, 403, 403, 403, 403, 200, (200, "admin_a")),
    ("create_organisation",     "POST",   "/api/v1/organisations",                              401, 403, 403, 403, 403, 403, 403, 201, (201, "admin_a")),
    ("rename_organisation",     "PATCH",  "/api/v1/organisations/{organisation_id}",            401, 403, 403, 403, 403, 403, 403, 200, (200, "admin_a")),
    ("move_organisation",       "POST",   "/api/v1/organisations/{organisation_id}/move",       401, 403, 403, 403, 403, 403, 403, 200, None),
    ("retire_organisation",     "POST",   "/api/v1/organisations/{organisation_id}/retire",     401, 403, 403, 403, 403, 403, 403, 200, (200, "admin_a")),
    ("restore_organisation",    "POST",   "/api/v1/organisations/{organisation_id}/restore",    401, 403, 403, 403, 403, 403, 403, 200, (200, "admin_a")),
    ("list_staff",              "GET",    "/api/v1/staff",                                      401, 403, 403, 403, 403, 403, 200, 200, (200, "admin_a")),
    ("get_staff",               "GET",    "/api/v1/staff/{user_id}",                            401, 403, 403, 403, 403, 403, 404, 200, (200, "admin_a")),
    ("create_staff",            "POST",   "/api/v1/staff",                                      401, 403, 403, 403, 403, 403, 403, 201, (201, "admin_a")),
    ("create_staff_invited",    "POST",   "/api/v1/staff",                                      401, 403, 403, 403, 403, 403, 403, 201, (201, "admin_a")),
    ("grant_staff_role",        "POST",   "/api/v1/staff/{user_id}/roles",                      401, 403, 403, 403, 403, 403, 403, 200, (200, "admin_a")),
    ("revoke_staff_role",       "DELETE", "/api/v1/staff/{user_id}/roles/{organisation_id}/{role}", 401, 403, 403, 403, 403, 403, 403, 204, (204, "admin_a")),
    ("disable_staff",           "POST",   "/api/v1/staff/{user_id}/disable",                    401, 403, 403, 403, 403, 403, 403, 200, (200, "admin_a")),
    ("enable_staff",            "POST",   "/api/v1/staff/{user_id}/enable",                     401, 403, 403, 403, 403, 403, 403, 200, (200, "admin_a")),
    ("reset_staff_password",    "POST",   "/api/v1/staff/{user_id}/reset-password",             401, 403, 403, 403, 403, 403, 403, 200, (200, "admin_a")),
    ("reset_staff_password_invite", "POST", "/api/v1/staff/{user_id}/reset-password",           401, 403, 403, 403, 403, 403, 403, 200, (200, "admin_a")),
    # invitation links are public: whoever holds one is whom it was made for
    ("get_invite",              "GET",    "/api/v1/auth/invites/{token}",                       200, 200, 200, 200, 200, 200, 200, 200, None),
    ("accept_invite",           "POST",   "/api/v1/auth/invites/{token}",                       204, 204, 204, 204, 204, 204, 204, 204, None),
    # events: the catalogue, publishing (street A's organiser), the door
    ("list_categories",         "GET",    "/api/v1/categories",                                 200, 200, 200, 200, 200, 200, 200, 200, None),
    ("event_vocabulary",        "GET",    "/api/v1/event-vocabulary",                           200, 200, 200, 200, 200, 200, 200, 200, None),
    ("list_venues",             "GET",    "/api/v1/venues",                                     200, 200, 200, 200, 200, 200, 200, 200, None),
    ("create_venue",            "POST",   "/api/v1/venues",                                     401, 403, 403, 403, 403, 403, 403, 201, (201, "organiser_a")),
    ("list_events",             "GET",    "/api/v1/events",                                     200, 200, 200, 200, 200, 200, 200, 200, None),
    ("list_events_mine",        "GET",    "/api/v1/events",                                     200, 200, 200, 200, 200, 200, 200, 200, (200, "organiser_a")),
    ("create_event",            "POST",   "/api/v1/events",                                     401, 403, 403, 403, 403, 403, 403, 201, (201, "organiser_a")),
    ("get_event",               "GET",    "/api/v1/events/{event_id}",                          200, 200, 200, 200, 200, 200, 200, 200, None),
    ("event_for_me",            "GET",    "/api/v1/events/{event_id}/for-me",                   401, 200, 200, 200, 200, 200, 200, 200, None),
    ("get_draft_event",         "GET",    "/api/v1/events/{event_id}",                          404, 404, 404, 404, 404, 404, 404, 200, (200, "organiser_a")),
    ("update_event",            "PATCH",  "/api/v1/events/{event_id}",                          401, 404, 404, 404, 404, 404, 404, 200, (200, "organiser_a")),
    ("publish_event",           "POST",   "/api/v1/events/{event_id}/publish",                  401, 404, 404, 404, 404, 404, 404, 200, (200, "organiser_a")),
    ("cancel_event",            "POST",   "/api/v1/events/{event_id}/cancel",                   401, 404, 404, 404, 404, 404, 404, 200, (200, "organiser_a")),
    ("complete_event",          "POST",   "/api/v1/events/{event_id}/complete",                 401, 404, 404, 404, 404, 404, 404, 200, (200, "organiser_a")),
    ("upload_poster",           "POST",   "/api/v1/events/{event_id}/poster",                   401, 404, 404, 404, 404, 404, 404, 200, (200, "organiser_a")),
    ("remove_poster",           "DELETE", "/api/v1/events/{event_id}/poster",                   401, 404, 404, 404, 404, 404, 404, 204, (204, "organiser_a")),
    ("get_share_card",          "GET",    "/api/v1/events/{event_id}/share-card",               200, 200, 200, 200, 200, 200, 200, 200, None),
    ("get_draft_share_card",    "GET",    "/api/v1/events/{event_id}/share-card",               404, 404, 404, 404, 404, 404, 404, 404, (404, "organiser_a")),
    ("resolve_share_link",      "GET",    "/api/v1/share-links/{code}",                         200, 200, 200, 200, 200, 200, 200, 200, None),
    ("event_calendar",          "GET",    "/api/v1/events/{event_id}/calendar.ics",             404, 404, 404, 404, 404, 404, 404, 200, (200, "organiser_a")),
    ("get_media",               "GET",    "/media/{path}",                                      200, 200, 200, 200, 200, 200, 200, 200, None),
    # registrations: the resident's own place (nobody else's, not even an admin's) and the door
    ("sign_up",                 "POST",   "/api/v1/events/{event_id}/registrations",            401, 201, 201, 201, 201, 201, 201, 201, None),
    ("sign_up_for_draft",       "POST",   "/api/v1/events/{event_id}/registrations",            401, 404, 404, 404, 404, 404, 404, 404, (404, "organiser_a")),
    ("my_registrations",        "GET",    "/api/v1/me/registrations",                           401, 200, 200, 200, 200, 200, 200, 200, None),
    ("get_registration",        "GET",    "/api/v1/registrations/{registration_id}",            401, 200, 404, 404, 404, 404, 404, 404, None),
    ("cancel_registration",     "DELETE", "/api/v1/registrations/{registration_id}",            401, 200, 404, 404, 404, 404, 404, 404, None),
    ("get_ticket",              "GET",    "/api/v1/registrations/{registration_id}/ticket",     401, 200, 404, 404, 404, 404, 404, 404, None),
    ("get_ticket_png",          "GET",    "/api/v1/registrations/{registration_id}/ticket.png", 401, 200, 404, 404, 404, 404, 404, 404, None),
    ("list_event_registrations", "GET",   "/api/v1/events/{event_id}/registrations",            401, 404, 404, 404, 404, 404, 404, 200, (200, "organiser_a")),
    ("list_event_registrations_csv", "GET", "/api/v1/events/{event_id}/registrations",          401, 404, 404, 404, 404, 404, 404, 200, (200, "organiser_a")),
    # a published event: everyone may know it exists, only its organisers scan its tickets (403)
    ("check_in",                "POST",   "/api/v1/events/{event_id}/check-ins",                401, 403, 403, 403, 403, 403, 403, 200, (200, "organiser_a")),
    ("create_calendar_feed",    "POST",   "/api/v1/me/calendar-feed",                           401, 201, 201, 201, 201, 201, 201, 201, None),
    ("revoke_calendar_feed",    "DELETE", "/api/v1/me/calendar-feed",                           401, 204, 204, 204, 204, 204, 204, 204, None),
    # the feed's secret token is the key: whoever holds the resident's link reads it
    ("my_calendar_feed",        "GET",    "/api/v1/me/calendar.ics",                            200, 200, 200, 200, 200, 200, 200, 200, None),
    # libraries: branch A of library A (its library staff, admins above it); branches are public objects
    ("list_library_branches",   "GET",    "/api/v1/library-branches",                           200, 200, 200, 200, 200, 200, 200, 200, None),
    ("get_library_branch",      "GET",    "/api/v1/library-branches/{branch_id}",               200, 200, 200, 200, 200, 200, 200, 200, None),
    ("create_library_branch",   "POST",   "/api/v1/library-branches",                           401, 403, 403, 403, 403, 403, 403, 201, (201, "librarian_a")),
    ("update_library_branch",   "PATCH",  "/api/v1/library-branches/{branch_id}",               401, 403, 403, 403, 403, 403, 403, 200, (200, "librarian_a")),
    ("add_library_room",        "POST",   "/api/v1/library-branches/{branch_id}/rooms",         401, 403, 403, 403, 403, 403, 403, 201, (201, "librarian_a")),
    ("put_library_exception",   "PUT",    "/api/v1/library-branches/{branch_id}/exceptions/{day}", 401, 403, 403, 403, 403, 403, 403, 200, (200, "librarian_a")),
    ("delete_library_exception", "DELETE", "/api/v1/library-branches/{branch_id}/exceptions/{day}", 401, 403, 403, 403, 403, 403, 403, 204, (204, "librarian_a")),
    ("set_library_occupancy",   "PUT",    "/api/v1/library-branches/{branch_id}/occupancy",     401, 403, 403, 403, 403, 403, 403, 200, (200, "librarian_a")),
    # places: estates, buildings, grids and alliances of community A (its staff: street A's organiser,
    # community A's admin); reading estates, buildings, units and alliances is public
    ("list_estates",            "GET",    "/api/v1/estates",                                    200, 200, 200, 200, 200, 200, 200, 200, None),
    ("create_estate",           "POST",   "/api/v1/estates",                                    401, 403, 403, 403, 403, 403, 403, 201, (201, "organiser_a")),
    ("get_estate",              "GET",    "/api/v1/estates/{estate_id}",                        200, 200, 200, 200, 200, 200, 200, 200, None),
    ("update_estate",           "PATCH",  "/api/v1/estates/{estate_id}",                        401, 403, 403, 403, 403, 403, 403, 200, (200, "admin_a")),
    ("list_buildings",          "GET",    "/api/v1/estates/{estate_id}/buildings",              200, 200, 200, 200, 200, 200, 200, 200, None),
    ("add_building",            "POST",   "/api/v1/estates/{estate_id}/buildings",              401, 403, 403, 403, 403, 403, 403, 201, (201, "organiser_a")),
    ("import_units",            "POST",   "/api/v1/estates/{estate_id}/units/import",           401, 403, 403, 403, 403, 403, 403, 200, (200, "admin_a")),
    ("count_estate_residents",  "GET",    "/api/v1/estates/{estate_id}/residents",              401, 403, 403, 403, 403, 403, 403, 200, (200, "admin_a")),
    ("list_units",              "GET",    "/api/v1/buildings/{building_id}/units",              200, 200, 200, 200, 200, 200, 200, 200, None),
    ("add_unit",                "POST",   "/api/v1/buildings/{building_id}/units",              401, 403, 403, 403, 403, 403, 403, 201, (201, "admin_a")),
    ("list_building_heads",     "GET",    "/api/v1/buildings/{building_id}/heads",              401, 403, 403, 403, 403, 403, 403, 200, (200, "admin_a")),
    ("appoint_building_head",   "PUT",    "/api/v1/buildings/{building_id}/heads/{user_id}",    401, 403, 403, 403, 403, 403, 403, 200, (200, "admin_a")),
    ("dismiss_building_head",   "DELETE", "/api/v1/buildings/{building_id}/heads/{user_id}",    401, 403, 403, 403, 403, 403, 403, 204, (204, "admin_a")),
    ("create_grid",             "POST",   "/api/v1/grids",                                      401, 403, 403, 403, 403, 403, 403, 201, (201, "admin_a")),
    ("get_grid",                "GET",    "/api/v1/grids/{grid_id}",                            401, 403, 403, 403, 403, 403, 403, 200, (200, "admin_a")),
    ("replace_grid_areas",      "PUT",    "/api/v1/grids/{grid_id}/areas",                      401, 403, 403, 403, 403, 403, 403, 200, (200, "admin_a")),
    ("appoint_grid_worker",     "PUT",    "/api/v1/grids/{grid_id}/workers/{user_id}",          401, 403, 403, 403, 403, 403, 403, 200, (200, "admin_a")),
    ("dismiss_grid_worker",     "DELETE", "/api/v1/grids/{grid_id}/workers/{user_id}",          401, 403, 403, 403, 403, 403, 403, 204, (204, "admin_a")),
    # where one lives: each caller's own (staff live somewhere too)
    ("get_my_residence",        "GET",    "/api/v1/me/residence",                               401, 200, 200, 200, 200, 200, 200, 200, None),
    ("set_my_residence",        "PUT",    "/api/v1/me/residence",                               401, 200, 200, 200, 200, 200, 200, 200, None),
    ("clear_my_residence",      "DELETE", "/api/v1/me/residence",                               401, 204, 204, 204, 204, 204, 204, 204, None),
    # alliances: each call in a fresh community of street A (one alliance per community)
    ("list_alliances",          "GET",    "/api/v1/alliances",                                  200, 200, 200, 200, 200, 200, 200, 200, None),
    ("create_alliance",         "POST",   "/api/v1/alliances",                                  401, 403, 403, 403, 403, 403, 403, 201, (201, "organiser_a")),
    ("get_alliance",            "GET",    "/api/v1/alliances/{alliance_id}",                    200, 200, 200, 200, 200, 200, 200, 200, None),
    ("set_alliance_member",     "PUT",    "/api/v1/alliances/{alliance_id}/members/{estate_id}", 401, 403, 403, 403, 403, 403, 403, 200, (200, "organiser_a")),
    ("remove_alliance_member",  "DELETE", "/api/v1/alliances/{alliance_id}/members/{estate_id}", 401, 403, 403, 403, 403, 403, 403, 204, (204, "organiser_a")),
    ("create_alliance_document", "POST",  "/api/v1/alliances/{alliance_id}/documents",          401, 403, 403, 403, 403, 403, 403, 201, (201, "organiser_a")),
    ("get_alliance_document",   "GET",    "/api/v1/alliance-documents/{document_id}",           200, 200, 200, 200, 200, 200, 200, 200, None),
    ("publish_document_version", "POST",  "/api/v1/alliance-documents/{document_id}/versions",  401, 403, 403, 403, 403, 403, 403, 201, (201, "organiser_a")),
    # residents of a member estate acknowledge (each caller is made one first)
    ("acknowledge_document",    "POST",   "/api/v1/alliance-documents/{document_id}/acknowledgements", 401, 200, 200, 200, 200, 200, 200, 200, None),
    # governance surveys: community A's staff (street A's organiser, community A's admin) run them;
    # what is asked is public, results are public once closed; whoever lives in the audience answers
    # (each caller is made a resident of estate A first); a residents' committee evaluation is
    # answered for by the community's staff
    ("list_surveys",            "GET",    "/api/v1/surveys",                                    200, 200, 200, 200, 200, 200, 200, 200, None),
    ("create_survey",           "POST",   "/api/v1/surveys",                                    401, 403, 403, 403, 403, 403, 403, 201, (201, "organiser_a")),
    ("get_survey",              "GET",    "/api/v1/surveys/{survey_id}",                        200, 200, 200, 200, 200, 200, 200, 200, None),
    ("answer_survey",           "POST",   "/api/v1/surveys/{survey_id}/answers",                401, 204, 204, 204, 204, 204, 204, 204, None),
    ("survey_results",          "GET",    "/api/v1/surveys/{survey_id}/results",                200, 200, 200, 200, 200, 200, 200, 200, None),
    ("create_owner_poll",       "POST",   "/api/v1/owner-polls",                                401, 403, 403, 403, 403, 403, 403, 201, (201, "admin_a")),
    ("create_evaluation",       "POST",   "/api/v1/evaluations",                                401, 403, 403, 403, 403, 403, 403, 201, (201, "organiser_a")),
    ("write_evaluation_response", "PUT",  "/api/v1/evaluations/{survey_id}/response",           401, 403, 403, 403, 403, 403, 403, 204, (204, "admin_a")),
    ("property_company_evaluations", "GET", "/api/v1/property-companies/{company_id}/evaluations", 200, 200, 200, 200, 200, 200, 200, 200, None),
    # volunteers: one's own profile (404: none yet), teams (public), their members and routes
    ("save_volunteer_profile",  "POST",   "/api/v1/volunteers",                                 401, 201, 201, 200, 201, 201, 201, 201, None),
    ("get_my_volunteer_profile", "GET",   "/api/v1/volunteers/me",                              401, 404, 404, 200, 404, 404, 404, 404, None),
    ("erase_my_volunteer_identity", "DELETE", "/api/v1/volunteers/me/identity",                 401, 404, 404, 200, 404, 404, 404, 404, None),
    ("list_teams",              "GET",    "/api/v1/teams",                                      200, 200, 200, 200, 200, 200, 200, 200, None),
    ("get_team",                "GET",    "/api/v1/teams/{team_id}",                            200, 200, 200, 200, 200, 200, 200, 200, None),
    ("create_team",             "POST",   "/api/v1/teams",                                      401, 403, 403, 403, 403, 403, 403, 201, (201, "admin_a")),
    ("update_team",             "PATCH",  "/api/v1/teams/{team_id}",                            401, 403, 403, 403, 403, 403, 403, 200, (200, "coordinator_a")),
    ("appoint_team_coordinator", "PUT",   "/api/v1/teams/{team_id}/coordinators/{user_id}",     401, 403, 403, 403, 403, 403, 403, 200, (200, "coordinator_a")),
    ("dismiss_team_coordinator", "DELETE", "/api/v1/teams/{team_id}/coordinators/{user_id}",    401, 403, 403, 403, 403, 403, 403, 200, (200, "coordinator_a")),
    ("list_team_members",       "GET",    "/api/v1/teams/{team_id}/members",                    401, 403, 403, 403, 403, 403, 403, 200, (200, "coordinator_a")),
    ("approve_team_member",     "POST",   "/api/v1/teams/{team_id}/members/{user_id}/approve",  401, 403, 403, 403, 403, 403, 403, 200, (200, "coordinator_a")),
    ("reject_team_member",      "POST",   "/api/v1/teams/{team_id}/members/{user_id}/reject",   401, 403, 403, 403, 403, 403, 403, 200, (200, "coordinator_a")),
    # joining needs one's own volunteer profile (409 without); leaving, one's own place (404 without)
    ("join_team",               "POST",   "/api/v1/teams/{team_id}/members",                    401, 409, 409, 201, 409, 409, 409, 409, None),
    ("leave_team",              "DELETE", "/api/v1/teams/{team_id}/members/me",                 401, 404, 404, 200, 404, 404, 404, 404, None),
    # routes are not public: members see them (without codes), coordinators also the codes
    ("list_patrol_routes",      "GET",    "/api/v1/teams/{team_id}/routes",                     401, 403, 403, 200, 403, 403, 403, 200, (200, "coordinator_a")),
    ("create_patrol_route",     "POST",   "/api/v1/teams/{team_id}/routes",                     401, 403, 403, 403, 403, 403, 403, 201, (201, "coordinator_a")),
    ("get_patrol_route",        "GET",    "/api/v1/routes/{route_id}",                          401, 404, 404, 200, 404, 404, 404, 200, (200, "coordinator_a")),
    ("update_patrol_route",     "PATCH",  "/api/v1/routes/{route_id}",                          401, 404, 404, 403, 404, 404, 404, 200, (200, "coordinator_a")),
    ("replace_route_checkpoints", "PUT",  "/api/v1/routes/{route_id}/checkpoints",              401, 404, 404, 403, 404, 404, 404, 200, (200, "coordinator_a")),
    ("get_checkpoint_plate",    "GET",    "/api/v1/routes/{route_id}/checkpoints/{checkpoint_id}/plate.png", 401, 404, 404, 403, 404, 404, 404, 200, (200, "coordinator_a")),
    ("get_route_plates_pdf",    "GET",    "/api/v1/routes/{route_id}/plates.pdf",               401, 404, 404, 403, 404, 404, 404, 200, (200, "coordinator_a")),
    # shifts: public to read, planned by the team's coordinators, taken by its members
    ("list_shifts",             "GET",    "/api/v1/shifts",                                     200, 200, 200, 200, 200, 200, 200, 200, None),
    ("get_shift",               "GET",    "/api/v1/shifts/{shift_id}",                          200, 200, 200, 200, 200, 200, 200, 200, None),
    ("create_shift",            "POST",   "/api/v1/teams/{team_id}/shifts",                     401, 403, 403, 403, 403, 403, 403, 201, (201, "coordinator_a")),
    ("copy_week_of_shifts",     "POST",   "/api/v1/teams/{team_id}/shifts/copy-week",           401, 403, 403, 403, 403, 403, 403, 200, (200, "coordinator_a")),
    ("cancel_shift",            "POST",   "/api/v1/shifts/{shift_id}/cancel",                   401, 403, 403, 403, 403, 403, 403, 200, (200, "coordinator_a")),
    ("sign_up_for_shift",       "POST",   "/api/v1/shifts/{shift_id}/signups",                  401, 403, 403, 201, 403, 403, 403, 403, (201, "coordinator_a")),
    ("cancel_shift_signup",     "DELETE", "/api/v1/shifts/{shift_id}/signups/me",               401, 409, 409, 200, 409, 409, 409, 409, None),
    ("shift_attendance_sheet",  "GET",    "/api/v1/shifts/{shift_id}/signups",                  401, 403, 403, 403, 403, 403, 403, 200, (200, "coordinator_a")),
    # attendance: only one's own place on the shift (anyone else's answers like a missing one)
    ("shift_check_in",          "POST",   "/api/v1/shifts/{shift_id}/check-in",                 401, 404, 404, 200, 404, 404, 404, 404, None),
    ("scan_checkpoint",         "POST",   "/api/v1/shifts/{shift_id}/checkpoints/{code}/scan",  401, 404, 404, 200, 404, 404, 404, 404, None),
    ("shift_check_out",         "POST",   "/api/v1/shifts/{shift_id}/check-out",                401, 404, 404, 200, 404, 404, 404, 404, None),
    # hours: one's own ledger; the team's coordinators verify, never their own; others' entries are 404
    ("my_hours",                "GET",    "/api/v1/me/hours",                                   401, 200, 200, 200, 200, 200, 200, 200, None),
    ("my_service_record",       "GET",    "/api/v1/me/hours/record",                            401, 409, 409, 200, 409, 409, 409, 409, None),
    ("check_service_record",    "GET",    "/api/v1/hours/records/{code}",                       200, 200, 200, 200, 200, 200, 200, 200, None),
    ("add_hours",               "POST",   "/api/v1/teams/{team_id}/hours",                      401, 403, 403, 201, 403, 403, 403, 403, (201, "coordinator_a")),
    ("list_team_hours",         "GET",    "/api/v1/teams/{team_id}/hours",                      401, 403, 403, 403, 403, 403, 403, 200, (200, "coordinator_a")),
    ("volunteer_hours_ledger",  "GET",    "/api/v1/teams/{team_id}/members/{user_id}/hours",    401, 403, 403, 403, 403, 403, 403, 200, (200, "coordinator_a")),
    ("team_hours_csv",          "GET",    "/api/v1/teams/{team_id}/hours.csv",                  401, 403, 403, 403, 403, 403, 403, 200, (200, "coordinator_a")),
    ("verify_hours",            "POST",   "/api/v1/hours/{entry_id}/verify",                    401, 404, 404, 403, 404, 404, 404, 200, (200, "coordinator_a")),
    ("reject_hours",            "POST",   "/api/v1/hours/{entry_id}/reject",                    401, 404, 404, 403, 404, 404, 404, 200, (200, "coordinator_a")),
    ("correct_hours",           "POST",   "/api/v1/hours/{entry_id}/corrections",               401, 404, 404, 403, 404, 404, 404, 201, (201, "coordinator_a")),
    ("verify_team_hours",       "POST",   "/api/v1/teams/{team_id}/hours/verify",               401, 403, 403, 403, 403, 403, 403, 200, (200, "coordinator_a")),
    # incidents: the resident's report in community A (team A); its reporter, its coordinators
    ("report_incident",         "POST",   "/api/v1/incidents",                                  401, 201, 201, 201, 201, 201, 201, 201, None),
    ("list_incidents",          "GET",    "/api/v1/incidents",                                  401, 200, 200, 200, 200, 200, 200, 200, (200, "coordinator_a")),
    ("list_incidents_mine",     "GET",    "/api/v1/incidents",                                  401, 200, 200, 200, 200, 200, 200, 200, None),
    ("get_incident",            "GET",    "/api/v1/incidents/{incident_id}",                    401, 200, 404, 404, 404, 404, 404, 200, (200, "coordinator_a")),
    # one forwarded to the police station: its staff read it as the party (text yes, reporter no)
    ("get_forwarded_incident",  "GET",    "/api/v1/incidents/{incident_id}",                    401, 200, 404, 404, 404, 404, 404, 200, (200, "police_a")),
    ("list_incidents_assigned", "GET",    "/api/v1/incidents",                                  401, 200, 200, 200, 200, 200, 200, 200, (200, "police_a")),
    ("update_incident",         "PATCH",  "/api/v1/incidents/{incident_id}",                    401, 403, 404, 404, 404, 404, 404, 200, (200, "coordinator_a")),
    ("upload_incident_photo",   "POST",   "/api/v1/incidents/{incident_id}/photo",              401, 200, 404, 404, 404, 404, 404, 403, (403, "coordinator_a")),
    # the photo of a report: only those who may read the report (its reporter, its coordinators)
    ("get_incident_photo",      "GET",    "/api/v1/incidents/{incident_id}/photo/{rendition}",  401, 200, 404, 404, 404, 404, 404, 200, (200, "coordinator_a")),
    ("get_incident_routing",    "GET",    "/api/v1/communities/{community_id}/incident-routing", 401, 403, 403, 403, 403, 403, 403, 200, (200, "admin_a")),
    ("set_incident_routing",    "PUT",    "/api/v1/communities/{community_id}/incident-routing", 401, 403, 403, 403, 403, 403, 403, 200, (200, "admin_a")),
    # inclusion: one's own profile, children and points; community A's rules and rewards (its admin)
    ("get_my_resident_profile", "GET",    "/api/v1/me/resident-profile",                        401, 200, 404, 404, 404, 404, 404, 404, None),
    ("save_my_resident_profile", "PUT",   "/api/v1/me/resident-profile",                        401, 200, 201, 201, 201, 201, 201, 201, None),
    ("delete_my_resident_profile", "DELETE", "/api/v1/me/resident-profile",                     401, 204, 404, 404, 404, 404, 404, 404, None),
    ("list_my_dependants",      "GET",    "/api/v1/me/dependants",                              401, 200, 200, 200, 200, 200, 200, 200, None),
    ("add_my_dependant",        "POST",   "/api/v1/me/dependants",                              401, 201, 201, 201, 201, 201, 201, 201, None),
    ("remove_my_dependant",     "DELETE", "/api/v1/me/dependants/{dependant_id}",               401, 204, 404, 404, 404, 404, 404, 404, None),
    ("get_my_points",           "GET",    "/api/v1/me/points",                                  401, 200, 200, 200, 200, 200, 200, 200, None),
    ("get_point_rules",         "GET",    "/api/v1/communities/{community_id}/point-rules",     200, 200, 200, 200, 200, 200, 200, 200, None),
    ("replace_point_rules",     "PUT",    "/api/v1/communities/{community_id}/point-rules",     401, 403, 403, 403, 403, 403, 403, 200, (200, "admin_a")),
    ("list_rewards",            "GET",    "/api/v1/rewards",                                    200, 200, 200, 200, 200, 200, 200, 200, None),
    ("list_rewards_inactive",   "GET",    "/api/v1/rewards",                                    401, 403, 403, 403, 403, 403, 403, 200, (200, "admin_a")),
    ("create_reward",           "POST",   "/api/v1/rewards",                                    401, 403, 403, 403, 403, 403, 403, 201, (201, "admin_a")),
    ("get_reward",              "GET",    "/api/v1/rewards/{reward_id}",                        200, 200, 200, 200, 200, 200, 200, 200, None),
    ("get_withdrawn_reward",    "GET",    "/api/v1/rewards/{reward_id}",                        404, 404, 404, 404, 404, 404, 404, 200, (200, "admin_a")),
    ("update_reward",           "PATCH",  "/api/v1/rewards/{reward_id}",                        401, 403, 403, 403, 403, 403, 403, 200, (200, "admin_a")),
    ("upload_reward_image",     "POST",   "/api/v1/rewards/{reward_id}/image",                  401, 403, 403, 403, 403, 403, 403, 200, (200, "admin_a")),
    ("redeem_reward",           "POST",   "/api/v1/rewards/{reward_id}/redemptions",            401, 201, 201, 201, 201, 201, 201, 201, None),
    ("my_redemptions",          "GET",    "/api/v1/me/redemptions",                             401, 200, 200, 200, 200, 200, 200, 200, None),
    ("cancel_my_redemption",    "DELETE", "/api/v1/redemptions/{redemption_id}",                401, 200, 404, 404, 404, 404, 404, 404, None),
    ("fulfil_redemption",       "POST",   "/api/v1/redemptions/{code}/fulfil",                  401, 403, 403, 403, 404, 404, 404, 200, (200, "admin_a")),
    ("staff_cancel_redemption", "POST",   "/api/v1/redemptions/{code}/cancel",                  401, 403, 403, 403, 404, 404, 404, 200, (200, "admin_a")),
    # boards show only residents who opted in (nobody here did, so no name may appear)
    ("get_leaderboard",         "GET",    "/api/v1/leaderboards/{kind}",                        200, 200, 200, 200, 200, 200, 200, 200, None),
    ("get_leaderboard_hours",   "GET",    "/api/v1/leaderboards/{kind}",                        200, 200, 200, 200, 200, 200, 200, 200, None),
    ("participation_statistics", "GET",   "/api/v1/stats/participation",                        401, 403, 403, 403, 403, 403, 403, 200, (200, "organiser_a")),
    ("participation_statistics_csv", "GET", "/api/v1/stats/participation",                      401, 403, 403, 403, 403, 403, 403, 200, (200, "organiser_a")),
    ("participation_by_place",  "GET",    "/api/v1/stats/participation/by-place",               401, 403, 403, 403, 403, 403, 403, 200, (200, "organiser_a")),
    ("participation_by_place_csv", "GET", "/api/v1/stats/participation/by-place",               401, 403, 403, 403, 403, 403, 403, 200, (200, "organiser_a")),
    ("monthly_statistics",      "GET",    "/api/v1/stats/monthly",                              401, 403, 403, 403, 403, 403, 403, 200, (200, "organiser_a")),
    ("monthly_statistics_csv",  "GET",    "/api/v1/stats/monthly",                              401, 403, 403, 403, 403, 403, 403, 200, (200, "organiser_a")),
    ("list_recommendations",    "GET",    "/api/v1/recommendations",                            401, 200, 200, 200, 200, 200, 200, 200, None),
    # governance meetings in community A: convened by its staff (street A's organiser, community A's
    # admin); a draft is theirs alone (404), an announced meeting is public; opinions from residents
    # of the audience (each caller is made one first); an action owned by the police station
    ("list_meetings",           "GET",    "/api/v1/meetings",                                   200, 200, 200, 200, 200, 200, 200, 200, None),
    ("convene_meeting",         "POST",   "/api/v1/meetings",                                   401, 403, 403, 403, 403, 403, 403, 201, (201, "organiser_a")),
    ("get_meeting",             "GET",    "/api/v1/meetings/{meeting_id}",                      200, 200, 200, 200, 200, 200, 200, 200, None),
    ("get_draft_meeting",       "GET",    "/api/v1/meetings/{meeting_id}",                      404, 404, 404, 404, 404, 404, 404, 200, (200, "admin_a")),
    ("announce_meeting",        "POST",   "/api/v1/meetings/{meeting_id}/announce",             401, 404, 404, 404, 404, 404, 404, 200, (200, "organiser_a")),
    ("submit_opinion",          "POST",   "/api/v1/meetings/{meeting_id}/submissions",          401, 201, 201, 201, 201, 201, 201, 201, None),
    ("list_submissions",        "GET",    "/api/v1/meetings/{meeting_id}/submissions",          401, 403, 403, 403, 403, 403, 403, 200, (200, "admin_a")),
    ("list_my_submissions",     "GET",    "/api/v1/meetings/{meeting_id}/submissions/mine",     401, 200, 200, 200, 200, 200, 200, 200, None),
    ("moderate_submission",     "PATCH",  "/api/v1/meeting-submissions/{submission_id}",        401, 404, 404, 404, 404, 404, 404, 200, (200, "organiser_a")),
    ("publish_minutes",         "POST",   "/api/v1/meetings/{meeting_id}/minutes",              401, 403, 403, 403, 403, 403, 403, 201, (201, "organiser_a")),
    ("list_my_meeting_actions", "GET",    "/api/v1/meeting-actions",                            401, 200, 200, 200, 200, 200, 200, 200, (200, "police_a")),
    ("update_meeting_action",   "POST",   "/api/v1/meeting-actions/{action_id}/updates",        401, 404, 404, 404, 404, 404, 404, 201, (201, "police_a")),
    ("community_board",         "GET",    "/api/v1/communities/{community_id}/board",           200, 200, 200, 200, 200, 200, 200, 200, None),
    # notifications: one's own inbox and subscriptions
    ("my_notifications",        "GET",    "/api/v1/me/notifications",                           401, 200, 200, 200, 200, 200, 200, 200, None),
    ("read_notification",       "POST",   "/api/v1/me/notifications/{notice_id}/read",          401, 200, 404, 404, 404, 404, 404, 404, None),
    ("read_all_notifications",  "POST",   "/api/v1/me/notifications/read-all",                  401, 200, 200, 200, 200, 200, 200, 200, None),
    ("my_subscriptions",        "GET",    "/api/v1/me/subscriptions",                           401, 200, 200, 200, 200, 200, 200, 200, None),
    ("record_subscriptions",    "POST",   "/api/v1/me/subscriptions",                           401, 200, 200, 200, 200, 200, 200, 200, None),
]
# fmt: on

# Cells where the app lets through a caller the table refuses: (row, identity) → what it does.
LEAKS: dict[tuple[str, str], str] = {}


# --- how each row is called -----------------------------------------------------------------------


@dataclass
class Call:
    client: httpx.AsyncClient
    w: World
    identity: str
    headers: dict[str, str]
    x: dict[str, Any]

    @property
    def ids(self) -> dict[str, Any]:
        return self.w.ids

    def org(self, name: str) -> str:
        return str(self.w.tree[name].id)

    def get(self, url: str, **kwargs: Any) -> Awaitable[httpx.Response]:
        return self.client.get(url, headers=self.headers, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Awaitable[httpx.Response]:
        return self.client.post(url, headers=self.headers, **kwargs)

    def put(self, url: str, **kwargs: Any) -> Awaitable[httpx.Response]:
        return self.client.put(url, headers=self.headers, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> Awaitable[httpx.Response]:
        return self.client.patch(url, headers=self.headers, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Awaitable[httpx.Response]:
        return self.client.delete(url, headers=self.headers, **kwargs)


Prepare = Callable[[World, str], Awaitable[dict[str, Any]]]
Send = Callable[[Call], Awaitable[httpx.Response]]
AUDITORS = frozenset({"admin_a", "admin_b", "city_admin"})
COORDINATORS_A = frozenset({"coordinator_a", "city_admin"})  # team A's own coordinator, and the city's admin


@dataclass(frozen=True)
class Op:
    send: Send
    prepare: Prepare | None = None
    stand_in: bool = False  # the call spends the caller: a new account with the same roles makes it
    may_see: Mapping[str, frozenset[str]] = field(default_factory=dict)  # secret → who else may read it here
    shows: Mapping[str, frozenset[str]] = field(
        default_factory=dict
    )  # secret (or text) → whose allowed answer must hold it
    # The audit entry an allowed call by staff leaves, exactly one (a change, or a sensitive read).
    audited: str | None = None
    # Whose the entry is: the caller's, or (an invitation accepted) the invited account's own.
    audited_by_caller: bool = True


def image(name: str = "picture.png") -> dict[str, Any]:
    return {"file": (name, aw.png(), "image/png")}


def fresh(builder: Callable[[World], Awaitable[Any]], key: str = "id") -> Prepare:
    async def prepare(w: World, identity: str) -> dict[str, Any]:
        return {key: await builder(w)}

    return prepare


async def _fresh_session(w: World, identity: str) -> dict[str, Any]:
    return {"id": await aw.fresh_session(w.user(identity))}


async def _for_caller(w: World, identity: str, make: Callable[[World, Any], Awaitable[Any]]) -> dict[str, Any]:
    return {} if identity == "anon" else {"made": await make(w, w.user(identity).id)}


async def _pending_member(w: World, identity: str) -> dict[str, Any]:
    return {"user_id": await aw.fresh_member(w, MemberStatus.pending)}


async def _team_coordinator(w: World, identity: str) -> dict[str, Any]:
    return {"user_id": await aw.fresh_member(w, MemberStatus.active, MemberRole.coordinator)}


async def _active_member(w: World, identity: str) -> dict[str, Any]:
    return {"user_id": await aw.fresh_member(w, MemberStatus.active)}


async def _team_with_volunteer(w: World, identity: str) -> dict[str, Any]:
    team_id = await aw.fresh_team(w, w.tree["community_a"])
    await aw.member(team_id, w.user("volunteer").id)
    return {"team_id": team_id}


async def _shift_with_volunteer(w: World, identity: str) -> dict[str, Any]:
    shift_id = await aw.fresh_shift(w)
    await aw.signup(shift_id, w.user("volunteer").id)
    return {"shift_id": shift_id}


async def _team_with_a_week(w: World, identity: str) -> dict[str, Any]:
    """A team of community A (coordinator A coordinates it) with a shift next week, to copy to the week after."""
    team_id = await aw.fresh_team(w, w.tree["community_a"])
    await aw.member(team_id, w.user("coordinator_a").id, MemberRole.coordinator)
    start = datetime.now(CITY_TZ).replace(microsecond=0) + timedelta(days=7)
    await aw.fresh_shift(w, team_id, starts_at=start)
    following = (start + timedelta(days=7)).date()
    return {"team_id": team_id, "from_week": start.date().isoformat(), "to_week": following.isoformat()}


async def _closed_day(w: World, identity: str) -> dict[str, Any]:
    day = aw.later_day(11)
    await aw.put_closed_day(w, day)
    return {"day": day.isoformat()}


async def _resident_redemption(w: World, identity: str) -> dict[str, Any]:
    redemption_id, code = await aw.fresh_redemption(w)
    return {"id": redemption_id, "code": code}


async def _venue_for_branch(w: World, identity: str) -> dict[str, Any]:
    return {"venue_id": await aw.fresh_venue(w, w.tree["library_a"])}


async def _feed_of_resident(w: World, identity: str) -> dict[str, Any]:
    return {"token": await calendars.create_feed(user_id=w.user("resident").id)}


# --- places: fresh objects in community A (or a fresh community of street A, for alliances) -----------


async def _estate_in(community: Any) -> uuid.UUID:
    body = factories.estate_body(community)
    return await place_estates.create_estate(user_id=None, data=msgspec.convert(body, EstateCreate))


async def _estate_a(w: World, identity: str) -> dict[str, Any]:
    return {"estate_id": await _estate_in(w.tree["community_a"])}


async def _building_a(w: World, identity: str) -> dict[str, Any]:
    estate_id = await _estate_in(w.tree["community_a"])
    return {
        "estate_id": estate_id,
        "building_id": await place_estates.add_building(user_id=None, estate_id=estate_id, label="1幢"),
    }


async def _building_with_head(w: World, identity: str) -> dict[str, Any]:
    made = await _building_a(w, identity)
    head = await factories.resident()
    await place_grids.appoint_building_head(user_id=None, building_id=made["building_id"], head_id=head.id)
    return {**made, "user_id": head.id}


async def _building_and_resident(w: World, identity: str) -> dict[str, Any]:
    return {**await _building_a(w, identity), "user_id": (await factories.resident()).id}


async def _grid_a(w: World, identity: str) -> dict[str, Any]:
    estate_id = await _estate_in(w.tree["community_a"])
    grid_id = await place_grids.create_grid(
        user_id=None, community_id=w.tree["community_a"].id, name={"zh-Hans": "网格"}, areas=[]
    )
    return {"estate_id": estate_id, "grid_id": grid_id, "user_id": (await factories.staff()).id}


async def _grid_with_worker(w: World, identity: str) -> dict[str, Any]:
    made = await _grid_a(w, identity)
    await place_grids.appoint_worker(user_id=None, grid_id=made["grid_id"], worker_id=made["user_id"])
    return made


async def _residence_for_caller(w: World, identity: str) -> dict[str, Any]:
    estate_id = await _estate_in(w.tree["community_a"])
    if identity != "anon":
        await place_residences.set_residence(
            user_id=w.user(identity).id, data=ResidencePut(estate_id=estate_id, consent=True)
        )
    return {"estate_id": estate_id}


async def _fresh_community(w: World, identity: str) -> dict[str, Any]:
    community = await factories.organisation(OrganisationKind.community, w.tree["street_a"])
    return {"community": community, "estate_id": await _estate_in(community)}


async def _alliance(w: World, identity: str) -> dict[str, Any]:
    made = await _fresh_community(w, identity)
    flagship = await _estate_in(made["community"])
    alliance_id = await place_alliances.create_alliance(
        user_id=None,
        community_id=made["community"].id,
        name={"zh-Hans": "联盟"},
        members=[MemberIn(estate_id=flagship, role="flagship")],
    )
    return {**made, "alliance_id": alliance_id, "flagship": flagship}


async def _alliance_with_member(w: World, identity: str) -> dict[str, Any]:
    made = await _alliance(w, identity)
    await place_alliances.set_member(
        user_id=None, alliance_id=made["alliance_id"], estate_id=made["estate_id"], role="allied"
    )
    return made


async def _document(w: World, identity: str) -> dict[str, Any]:
    made = await _alliance(w, identity)
    document_id = await place_alliances.create_document(
        user_id=None, alliance_id=made["alliance_id"], title={"zh-Hans": "公约"}, body={"zh-Hans": "第一条"}
    )
    if identity != "anon":
        await place_residences.set_residence(
            user_id=w.user(identity).id, data=ResidencePut(estate_id=made["flagship"], consent=True)
        )
    return {**made, "document_id": document_id}


def _units_csv() -> dict[str, Any]:
    return {"file": ("units.csv", "楼栋,门牌,面积\n1幢,101,88.5\n".encode("utf-8-sig"), "text/csv")}


# --- governance surveys: fresh surveys of community A, open now (or closed an hour ago) ------------------


def _window(closed: bool = False) -> tuple[str, str]:
    now = datetime.now(UTC).replace(microsecond=0)
    if closed:
        return (now - timedelta(hours=2)).isoformat(), (now - timedelta(hours=1)).isoformat()
    return (now - timedelta(hours=1)).isoformat(), (now + timedelta(days=1)).isoformat()


def _survey_body(community_id: str, closed: bool = False) -> dict[str, Any]:
    opens, closes = _window(closed)
    return {
        "community_id": community_id,
        "title": {"zh-Hans": "社区活动满意度"},
        "audience": "community",
        "audience_id": community_id,
        "opens_at": opens,
        "closes_at": closes,
        "questions": [{"kind": "rating", "text": {"zh-Hans": "满意度"}}],
    }


async def _a_survey(w: World, closed: bool = False) -> uuid.UUID:
    return await survey_services.create_survey(
        user_id=None, data=msgspec.convert(_survey_body(str(w.tree["community_a"].id), closed), SurveyCreate)
    )


async def _survey_a(w: World, identity: str) -> dict[str, Any]:
    return {"survey_id": await _a_survey(w)}


async def _closed_survey_a(w: World, identity: str) -> dict[str, Any]:
    return {"survey_id": await _a_survey(w, closed=True)}


async def _survey_for_caller(w: World, identity: str) -> dict[str, Any]:
    made = await _estate_a(w, identity)
    if identity != "anon":
        await place_residences.set_residence(
            user_id=w.user(identity).id, data=ResidencePut(estate_id=made["estate_id"], consent=True)
        )
    return {"survey_id": await _a_survey(w)}


async def _estate_with_units(w: World, identity: str) -> dict[str, Any]:
    made = await _building_a(w, identity)
    await place_estates.add_unit(user_id=None, building_id=made["building_id"], label="101", floor_area=88.5)
    return made


def _poll_body(c: Any) -> dict[str, Any]:
    opens, closes = _window()
    return {
        "estate_id": str(c.x["estate_id"]),
        "title": {"zh-Hans": "是否更换物业"},
        "opens_at": opens,
        "closes_at": closes,
    }


async def _estate_with_company(w: World, identity: str) -> dict[str, Any]:
    company = await factories.organisation(OrganisationKind.property_company, w.tree["community_a"])
    body = factories.estate_body(w.tree["community_a"], property_company_id=str(company.id))
    estate_id = await place_estates.create_estate(user_id=None, data=msgspec.convert(body, EstateCreate))
    return {"estate_id": estate_id, "company_id": company.id}


def _evaluation_body(c: Any) -> dict[str, Any]:
    opens, closes = _window()
    return {
        "estate_id": str(c.x["estate_id"]),
        "subject": "property_company",
        "year": 2026,
        "opens_at": opens,
        "closes_at": closes,
    }


async def _committee_evaluation(w: World, identity: str) -> dict[str, Any]:
    made = await _estate_a(w, identity)
    opens, closes = _window()
    body = {"estate_id": str(made["estate_id"]), "subject": "residents_committee", "year": 2026}
    data = msgspec.convert({**body, "opens_at": opens, "closes_at": closes}, EvaluationCreate)
    return {"survey_id": await survey_services.create_evaluation(user_id=None, data=data)}


def _shift_body() -> dict[str, Any]:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)
    return {
        "title": {"zh-Hans": "周末巡逻"},
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "capacity": 4,
    }


def _hours_body(**extra: Any) -> dict[str, Any]:
    day = (datetime.now(CITY_TZ) - timedelta(days=2)).date().isoformat()
    return {"minutes": 90, "service_date": day, "content": "敬老活动引导", "reason": "忘记签到", **extra}


def _route_body() -> dict[str, Any]:
    return {
        "name": {"zh-Hans": "东线"},
        "checkpoints": [
            {"name": {"zh-Hans": "南门岗亭"}, "latitude": 31.2946, "longitude": 120.6285},
            {"name": {"zh-Hans": "河边凉亭"}, "latitude": 31.2958, "longitude": 120.6291},
        ],
    }


def _staff_body(c: Call, **way_in: Any) -> dict[str, Any]:
    return {
        "username": f"matrix.new{next(_usernames)}",
        "display_name": "南园新人",
        "role": "organiser",
        "organisation_id": c.org("community_a"),
        **way_in,
    }


_usernames = itertools.count(1)
COMMUNITY_A_ADMINS = frozenset({"admin_a", "city_admin"})

# --- governance meetings -------------------------------------------------------------------------


def _meeting_body(w: World) -> dict[str, Any]:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    return {
        "community_id": str(w.tree["community_a"].id),
        "kind": "consultation",
        "title": {"zh-Hans": "群租整治民情恳谈会"},
        "question": {"zh-Hans": "如何整治群租？"},
        "venue_id": str(w.ids["venue"]),
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "capacity": 40,
        "agenda": [{"title": {"zh-Hans": "整治措施"}}],
        "parties": [str(w.tree["police_a"].id)],
    }


async def _meeting(w: World, *, announce: bool = True) -> uuid.UUID:
    data = msgspec.convert(_meeting_body(w), MeetingCreate, strict=False)
    meeting_id = await meeting_services.convene_meeting(user_id=w.user("organiser_a").id, data=data, cache=w.cache)
    if announce:
        await meeting_services.announce_meeting(user_id=w.user("organiser_a").id, meeting_id=meeting_id, cache=w.cache)
    return meeting_id


async def _open_meeting(w: World, identity: str) -> dict[str, Any]:
    return {"meeting_id": await _meeting(w)}


async def _draft_meeting(w: World, identity: str) -> dict[str, Any]:
    return {"meeting_id": await _meeting(w, announce=False)}


async def _item_of(meeting_id: uuid.UUID) -> uuid.UUID:
    row = await AgendaItem.select(AgendaItem.id).where(AgendaItem.meeting == meeting_id).first()
    return uuid.UUID(str(row["id"]))


async def _meeting_for_caller(w: World, identity: str) -> dict[str, Any]:
    """An open meeting for community A's estates, the caller living in one of them."""
    made = await _residence_for_caller(w, identity)
    meeting_id = await _meeting(w)
    return {**made, "meeting_id": meeting_id, "item_id": await _item_of(meeting_id)}


async def _pending_submission(w: World, identity: str) -> dict[str, Any]:
    made = await _residence_for_caller(w, "anon")
    writer = await factories.resident()
    await place_residences.set_residence(
        user_id=writer.id, data=ResidencePut(estate_id=made["estate_id"], consent=True)
    )
    meeting_id = await _meeting(w)
    data = SubmissionCreate(item_id=await _item_of(meeting_id), text="建议加强门禁登记")
    submission_id = await meeting_submissions.submit(user_id=writer.id, meeting_id=meeting_id, data=data, wechat=None)
    return {"submission_id": submission_id}


async def _begun_meeting(w: World, identity: str) -> dict[str, Any]:
    meeting_id = await _meeting(w)
    event = await Meeting.select(Meeting.event).where(Meeting.id == meeting_id).first()
    moment = datetime.now(UTC) - timedelta(minutes=5)
    await MeetingEvent.update({MeetingEvent.starts_at: moment}).where(MeetingEvent.id == event["event"])
    return {"meeting_id": meeting_id}


MINUTES = {"minutes": {"zh-Hans": "会议纪要"}, "decisions": [{"text": {"zh-Hans": "联合排查"}}]}


async def _police_action(w: World, identity: str) -> dict[str, Any]:
    made = await _begun_meeting(w, identity)
    due = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    action = {"owner_id": str(w.tree["police_a"].id), "title": {"zh-Hans": "上门排查"}, "due_on": due}
    body = {"minutes": {"zh-Hans": "会议纪要"}, "decisions": [{"text": {"zh-Hans": "联合排查"}, "actions": [action]}]}
    data = msgspec.convert(body, MinutesCreate, strict=False)
    await meeting_services.publish_minutes(user_id=w.user("organiser_a").id, meeting_id=made["meeting_id"], data=data)
    row = await Action.select(Action.id).where(Action.meeting == made["meeting_id"]).first()
    return {"action_id": row["id"]}


TREE_READERS = {"南园社区": COMMUNITY_A_ADMINS, "莲花社区": frozenset({"admin_b", "city_admin"})}
STAFF_READERS = {"南园干事": COMMUNITY_A_ADMINS, "莲花管理员": frozenset({"admin_b", "city_admin"})}


def _this_month() -> str:
    return datetime.now(CITY_TZ).strftime("%Y-%m")


COORDINATED = {"volunteer_name": COORDINATORS_A}  # a team's coordinators know its members by name
# An incident's coordinators read its text, and its reporter only masked (the party not even that).
INCIDENT_READERS = {"incident_text": COORDINATORS_A}
EVENT_MANAGERS = frozenset({"organiser_a", "city_admin"})
REWARD_MANAGERS = frozenset({"admin_a", "city_admin"})
RESIDENT = frozenset({"resident"})
PARTY = frozenset({"police_a"})
BOARD = {"neighbour_name": frozenset(IDENTITIES)}  # the one neighbour who opted in is on every board

OPERATIONS: dict[str, Op] = {
    # operations and accounts
    "health": Op(lambda c: c.get("/health")),
    "ready": Op(lambda c: c.get("/ready")),
    "login_with_password": Op(
        lambda c: c.post(f"{V1}/auth/login", json={"username": aw.LOGIN_USERNAME, "password": aw.LOGIN_PASSWORD})
    ),
    "login_with_wechat": Op(
        lambda c: c.post(f"{V1}/auth/wechat", json={"code": c.w.fake.issue_code(f"o-matrix-{c.identity}")})
    ),
    "login_as_developer": Op(
        lambda c: c.post(f"{V1}/auth/dev-login", json={"openid": f"matrix-dev-{c.identity}", "display_name": "开发者"})
    ),
    "get_me": Op(lambda c: c.get(f"{V1}/me")),
    "update_me": Op(lambda c: c.patch(f"{V1}/me", json={"locale": "zh-Hans"})),
    "export_me": Op(
        lambda c: c.get(f"{V1}/me/export"),
        shows={"resident_phone": RESIDENT, "dependant_name": RESIDENT, "volunteer_real_name": frozenset({"volunteer"})},
    ),
    "delete_me": Op(lambda c: c.delete(f"{V1}/me"), stand_in=True),
    "list_locales": Op(lambda c: c.get(f"{V1}/locales")),
    # sessions
    "log_out": Op(lambda c: c.post(f"{V1}/auth/logout"), stand_in=True),
    "log_out_everywhere": Op(lambda c: c.post(f"{V1}/auth/logout-everywhere"), stand_in=True),
    "list_my_sessions": Op(lambda c: c.get(f"{V1}/me/sessions"), shows={"127.0.0.1": frozenset(IDENTITIES)}),
    "end_my_session": Op(
        lambda c: c.delete(f"{V1}/me/sessions/{c.x['id']}"),
        lambda w, who: _fresh_session(w, "resident" if who == "anon" else who),
    ),
    "end_a_residents_session": Op(
        lambda c: c.delete(f"{V1}/me/sessions/{c.x['id']}"), lambda w, who: _fresh_session(w, "resident")
    ),
    "change_my_password": Op(
        lambda c: c.put(
            f"{V1}/me/password",
            json={"current_password": aw.STAFF_PASSWORD, "new_password": "a new matrix password"},
        ),
        stand_in=True,
    ),
    # the audit trail
    "list_audit_entries": Op(lambda c: c.get(f"{V1}/audit"), shows={"accounts.role_granted": AUDITORS}),
    "list_audit_entries_csv": Op(
        lambda c: c.get(f"{V1}/audit", params={"format": "csv"}), shows={"accounts.role_granted": AUDITORS}
    ),
    # administration
    "list_organisations": Op(lambda c: c.get(f"{V1}/organisations"), shows=TREE_READERS),
    "get_organisation": Op(lambda c: c.get(f"{V1}/organisations/{c.org('community_a')}")),
    "create_organisation": Op(
        lambda c: c.post(
            f"{V1}/organisations",
            json={
                "kind": "library",
                "parent_id": c.org("community_a"),
                "name": {"zh-Hans": "南园书屋", "en": "Reading Room"},
            },
        ),
        audited="accounts.organisation_created",
    ),
    "rename_organisation": Op(
        lambda c: c.patch(f"{V1}/organisations/{c.x['id']}", json={"name": {"en": "Reading Room", "ja": "書房"}}),
        fresh(aw.fresh_library),
        audited="accounts.organisation_renamed",
    ),
    "move_organisation": Op(
        lambda c: c.post(f"{V1}/organisations/{c.x['id']}/move", json={"parent_id": c.org("community_b")}),
        fresh(aw.fresh_library),
        audited="accounts.organisation_moved",
    ),
    "retire_organisation": Op(
        lambda c: c.post(f"{V1}/organisations/{c.x['id']}/retire"),
        fresh(aw.fresh_library),
        audited="accounts.organisation_retired",
    ),
    "restore_organisation": Op(
        lambda c: c.post(f"{V1}/organisations/{c.x['id']}/restore"),
        fresh(lambda w: aw.fresh_library(w, retired=True)),
        audited="accounts.organisation_restored",
    ),
    "list_staff": Op(lambda c: c.get(f"{V1}/staff"), shows=STAFF_READERS),
    "get_staff": Op(lambda c: c.get(f"{V1}/staff/{c.ids['staff_a']}"), shows={"南园干事": COMMUNITY_A_ADMINS}),
    "create_staff": Op(
        lambda c: c.post(f"{V1}/staff", json=_staff_body(c, password="told by phone 1")),
        audited="accounts.staff_created",
    ),
    "create_staff_invited": Op(
        lambda c: c.post(f"{V1}/staff", json=_staff_body(c, invite=True)),
        audited="accounts.staff_created",
        shows={"/console/invite/": COMMUNITY_A_ADMINS},
    ),
    "grant_staff_role": Op(
        lambda c: c.post(
            f"{V1}/staff/{c.x['id']}/roles", json={"organisation_id": c.org("community_a"), "role": "organiser"}
        ),
        fresh(lambda w: aw.fresh_staff(w, role=Role.coordinator)),
        audited="accounts.role_granted",
    ),
    "revoke_staff_role": Op(
        lambda c: c.delete(f"{V1}/staff/{c.x['id']}/roles/{c.org('community_a')}/organiser"),
        fresh(aw.fresh_staff),
        audited="accounts.role_revoked",
    ),
    "disable_staff": Op(
        lambda c: c.post(f"{V1}/staff/{c.x['id']}/disable"), fresh(aw.fresh_staff), audited="accounts.account_disabled"
    ),
    "enable_staff": Op(
        lambda c: c.post(f"{V1}/staff/{c.x['id']}/enable"),
        fresh(lambda w: aw.fresh_staff(w, disabled=True)),
        audited="accounts.account_enabled",
    ),
    "reset_staff_password": Op(
        lambda c: c.post(f"{V1}/staff/{c.x['id']}/reset-password", json={"password": "told by phone 2"}),
        fresh(aw.fresh_staff),
        audited="accounts.password_set",
    ),
    "reset_staff_password_invite": Op(
        lambda c: c.post(f"{V1}/staff/{c.x['id']}/reset-password", json={"invite": True}),
        fresh(aw.fresh_staff),
        audited="accounts.invite_issued",
    ),
    "get_invite": Op(
        lambda c: c.get(f"{V1}/auth/invites/{c.ids['invite_token']}"), shows={"受邀同事": frozenset(IDENTITIES)}
    ),
    "accept_invite": Op(
        lambda c: c.post(f"{V1}/auth/invites/{c.x['token']}", json={"password": "chosen by the invited"}),
        fresh(aw.fresh_invite, key="token"),
        audited="accounts.invite_accepted",
        audited_by_caller=False,  # whoever holds the link, the entry names the account it opened
    ),
    # events
    "list_categories": Op(lambda c: c.get(f"{V1}/categories")),
    "event_vocabulary": Op(lambda c: c.get(f"{V1}/event-vocabulary")),
    "list_venues": Op(lambda c: c.get(f"{V1}/venues")),
    "create_venue": Op(
        lambda c: c.post(
            f"{V1}/venues",
            json={
                "organisation_id": c.org("street_a"),
                "community_id": c.org("community_a"),
                "name": {"zh-Hans": "新场地", "en": "New venue"},
                "latitude": 31.2946,
                "longitude": 120.6285,
            },
        ),
        audited="events.venue_created",
    ),
    "list_events": Op(lambda c: c.get(f"{V1}/events")),
    "list_events_mine": Op(
        lambda c: c.get(f"{V1}/events", params={"mine": "true"}), shows={"draft_title": EVENT_MANAGERS}
    ),
    "create_event": Op(
        lambda c: c.post(
            f"{V1}/events", json=factories.event_body(c.w.tree["street_a"], SimpleNamespace(id=c.ids["venue"]))
        ),
        audited="events.event_created",
    ),
    "get_event": Op(lambda c: c.get(f"{V1}/events/{c.ids['published']}")),
    "event_for_me": Op(lambda c: c.get(f"{V1}/events/{c.ids['published']}/for-me")),
    "get_draft_event": Op(lambda c: c.get(f"{V1}/events/{c.ids['draft']}"), shows={"draft_title": EVENT_MANAGERS}),
    "update_event": Op(
        lambda c: c.patch(f"{V1}/events/{c.x['id']}", json={"title": {"zh-Hans": "改了"}}),
        fresh(aw.fresh_event),
        audited="events.event_changed",
    ),
    "publish_event": Op(
        lambda c: c.post(f"{V1}/events/{c.x['id']}/publish"),
        fresh(lambda w: aw.fresh_event(w, publish=False)),
        audited="events.event_published",
    ),
    "cancel_event": Op(
        lambda c: c.post(f"{V1}/events/{c.x['id']}/cancel"), fresh(aw.fresh_event), audited="events.event_cancelled"
    ),
    "complete_event": Op(
        lambda c: c.post(f"{V1}/events/{c.x['id']}/complete"),
        fresh(aw.fresh_started_event),
        audited="events.event_completed",
    ),
    "upload_poster": Op(
        lambda c: c.post(f"{V1}/events/{c.ids['poster_event']}/poster", files=image()),
        audited="events.poster_uploaded",
    ),
    "remove_poster": Op(
        lambda c: c.delete(f"{V1}/events/{c.x['id']}/poster"),
        fresh(aw.fresh_poster_event),
        audited="events.poster_removed",
    ),
    "get_share_card": Op(lambda c: c.get(f"{V1}/events/{c.ids['published']}/share-card")),
    "get_draft_share_card": Op(lambda c: c.get(f"{V1}/events/{c.ids['draft']}/share-card")),
    "resolve_share_link": Op(lambda c: c.get(f"{V1}/share-links/{c.ids['share_code']}")),
    "event_calendar": Op(lambda c: c.get(f"{V1}/events/{c.ids['draft']}/calendar.ics")),
    "get_media": Op(lambda c: c.get(f"/media/{c.ids['media']}")),
    # registrations
    "sign_up": Op(lambda c: c.post(f"{V1}/events/{c.ids['open_event']}/registrations", json={"party_size": 1})),
    "sign_up_for_draft": Op(lambda c: c.post(f"{V1}/events/{c.ids['draft']}/registrations", json={"party_size": 1})),
    "my_registrations": Op(lambda c: c.get(f"{V1}/me/registrations"), shows={"registration_id": RESIDENT}),
    "get_registration": Op(lambda c: c.get(f"{V1}/registrations/{c.ids['registration']}")),
    "cancel_registration": Op(
        lambda c: c.delete(f"{V1}/registrations/{c.x['id']}"),
        fresh(lambda w: aw.fresh_registration(w, w.user("resident").id)),
    ),
    "get_ticket": Op(lambda c: c.get(f"{V1}/registrations/{c.ids['registration']}/ticket"), shows={"ticket": RESIDENT}),
    "get_ticket_png": Op(lambda c: c.get(f"{V1}/registrations/{c.ids['registration']}/ticket.png")),
    "list_event_registrations": Op(
        lambda c: c.get(f"{V1}/events/{c.ids['published']}/registrations"),
        may_see={"registration_id": EVENT_MANAGERS},
        shows={"registration_id": EVENT_MANAGERS},
        audited="events.attendees_read",
    ),
    "list_event_registrations_csv": Op(
        lambda c: c.get(f"{V1}/events/{c.ids['published']}/registrations", params={"format": "csv"}),
        may_see={"registration_id": EVENT_MANAGERS},
        shows={"李*梅": EVENT_MANAGERS, "138****8001": EVENT_MANAGERS},
        audited="events.attendees_read",
    ),
    "check_in": Op(
        lambda c: c.post(f"{V1}/events/{c.ids['door_event']}/check-ins", json={"ticket": c.x["ticket"]}),
        fresh(aw.fresh_ticket, "ticket"),
        audited="events.ticket_checked_in",
    ),
    "create_calendar_feed": Op(lambda c: c.post(f"{V1}/me/calendar-feed")),
    "revoke_calendar_feed": Op(
        lambda c: c.delete(f"{V1}/me/calendar-feed"),
        lambda w, who: _for_caller(w, who, lambda w, user_id: calendars.create_feed(user_id=user_id)),
    ),
    "my_calendar_feed": Op(lambda c: c.get(f"{V1}/me/calendar.ics", params={"token": c.x["token"]}), _feed_of_resident),
    # libraries
    "list_library_branches": Op(lambda c: c.get(f"{V1}/library-branches")),
    "get_library_branch": Op(lambda c: c.get(f"{V1}/library-branches/{c.ids['branch']}")),
    "create_library_branch": Op(
        lambda c: c.post(f"{V1}/library-branches", json=aw.branch_body(c.w, c.x["venue_id"])),
        _venue_for_branch,
        audited="libraries.branch_created",
    ),
    "update_library_branch": Op(
        lambda c: c.patch(f"{V1}/library-branches/{c.ids['branch']}", json={"e_reading_seats": 33}),
        audited="libraries.branch_changed",
    ),
    "add_library_room": Op(
        lambda c: c.post(
            f"{V1}/library-branches/{c.ids['branch']}/rooms", json={"name": {"zh-Hans": "自习室"}, "seats": 12}
        ),
        audited="libraries.room_added",
    ),
    "put_library_exception": Op(
        lambda c: c.put(f"{V1}/library-branches/{c.ids['branch']}/exceptions/{aw.later_day(9)}", json={"closed": True}),
        audited="libraries.date_exception_set",
    ),
    "delete_library_exception": Op(
        lambda c: c.delete(f"{V1}/library-branches/{c.ids['branch']}/exceptions/{c.x['day']}"),
        _closed_day,
        audited="libraries.date_exception_removed",
    ),
    "set_library_occupancy": Op(
        lambda c: c.put(f"{V1}/library-branches/{c.ids['branch']}/occupancy", json={"free_seats": 7}),
        audited="libraries.seats_reported",
    ),
    # places
    "list_estates": Op(lambda c: c.get(f"{V1}/estates", params={"community_id": c.org("community_a")})),
    "create_estate": Op(
        lambda c: c.post(f"{V1}/estates", json=factories.estate_body(c.w.tree["community_a"])),
        audited="places.estate_created",
    ),
    "get_estate": Op(lambda c: c.get(f"{V1}/estates/{c.x['estate_id']}"), _estate_a),
    "update_estate": Op(
        lambda c: c.patch(f"{V1}/estates/{c.x['estate_id']}", json={"households": 999}),
        _estate_a,
        audited="places.estate_changed",
    ),
    "list_buildings": Op(lambda c: c.get(f"{V1}/estates/{c.x['estate_id']}/buildings"), _building_a),
    "add_building": Op(
        lambda c: c.post(f"{V1}/estates/{c.x['estate_id']}/buildings", json={"label": "9幢"}),
        _estate_a,
        audited="places.building_added",
    ),
    "import_units": Op(
        lambda c: c.post(f"{V1}/estates/{c.x['estate_id']}/units/import", files=_units_csv()),
        _estate_a,
        audited="places.units_imported",
    ),
    "count_estate_residents": Op(lambda c: c.get(f"{V1}/estates/{c.x['estate_id']}/residents"), _estate_a),
    "list_units": Op(lambda c: c.get(f"{V1}/buildings/{c.x['building_id']}/units"), _building_a),
    "add_unit": Op(
        lambda c: c.post(f"{V1}/buildings/{c.x['building_id']}/units", json={"label": "301", "floor_area": 90}),
        _building_a,
        audited="places.unit_added",
    ),
    "list_building_heads": Op(lambda c: c.get(f"{V1}/buildings/{c.x['building_id']}/heads"), _building_with_head),
    "appoint_building_head": Op(
        lambda c: c.put(f"{V1}/buildings/{c.x['building_id']}/heads/{c.x['user_id']}"),
        _building_and_resident,
        audited="places.building_head_appointed",
    ),
    "dismiss_building_head": Op(
        lambda c: c.delete(f"{V1}/buildings/{c.x['building_id']}/heads/{c.x['user_id']}"),
        _building_with_head,
        audited="places.building_head_dismissed",
    ),
    # the grid is an organisation (accounts' entry); what it covers is set by replace_grid_areas
    "create_grid": Op(
        lambda c: c.post(f"{V1}/grids", json={"community_id": c.org("community_a"), "name": {"zh-Hans": "新网格"}}),
        audited="accounts.organisation_created",
    ),
    "get_grid": Op(lambda c: c.get(f"{V1}/grids/{c.x['grid_id']}"), _grid_with_worker),
    "replace_grid_areas": Op(
        lambda c: c.put(f"{V1}/grids/{c.x['grid_id']}/areas", json={"areas": [{"estate_id": str(c.x["estate_id"])}]}),
        _grid_a,
        audited="places.grid_areas_replaced",
    ),
    "appoint_grid_worker": Op(
        lambda c: c.put(f"{V1}/grids/{c.x['grid_id']}/workers/{c.x['user_id']}"),
        _grid_a,
        audited="accounts.role_granted",
    ),
    "dismiss_grid_worker": Op(
        lambda c: c.delete(f"{V1}/grids/{c.x['grid_id']}/workers/{c.x['user_id']}"),
        _grid_with_worker,
        audited="accounts.role_revoked",
    ),
    "get_my_residence": Op(lambda c: c.get(f"{V1}/me/residence"), _residence_for_caller),
    "set_my_residence": Op(
        lambda c: c.put(f"{V1}/me/residence", json={"estate_id": str(c.x["estate_id"]), "consent": True}),
        lambda w, who: _estate_a(w, who),
    ),
    "clear_my_residence": Op(lambda c: c.delete(f"{V1}/me/residence"), _residence_for_caller),
    "list_alliances": Op(lambda c: c.get(f"{V1}/alliances")),
    "create_alliance": Op(
        lambda c: c.post(
            f"{V1}/alliances",
            json={
                "community_id": str(c.x["community"].id),
                "name": {"zh-Hans": "新联盟"},
                "members": [{"estate_id": str(c.x["estate_id"]), "role": "flagship"}],
            },
        ),
        _fresh_community,
        audited="places.alliance_created",
    ),
    "get_alliance": Op(lambda c: c.get(f"{V1}/alliances/{c.x['alliance_id']}"), _alliance),
    "set_alliance_member": Op(
        lambda c: c.put(f"{V1}/alliances/{c.x['alliance_id']}/members/{c.x['estate_id']}", json={"role": "partner"}),
        _alliance,
        audited="places.alliance_member_set",
    ),
    "remove_alliance_member": Op(
        lambda c: c.delete(f"{V1}/alliances/{c.x['alliance_id']}/members/{c.x['estate_id']}"),
        _alliance_with_member,
        audited="places.alliance_member_removed",
    ),
    "create_alliance_document": Op(
        lambda c: c.post(
            f"{V1}/alliances/{c.x['alliance_id']}/documents",
            json={"title": {"zh-Hans": "共同业主公约"}, "body": {"zh-Hans": "第一条"}},
        ),
        _alliance,
        audited="places.document_created",
    ),
    "get_alliance_document": Op(lambda c: c.get(f"{V1}/alliance-documents/{c.x['document_id']}"), _document),
    "publish_document_version": Op(
        lambda c: c.post(
            f"{V1}/alliance-documents/{c.x['document_id']}/versions", json={"body": {"zh-Hans": "第二版"}}
        ),
        _document,
        audited="places.document_version_published",
    ),
    "acknowledge_document": Op(
        lambda c: c.post(f"{V1}/alliance-documents/{c.x['document_id']}/acknowledgements"), _document
    ),
    # volunteers
    "save_volunteer_profile": Op(
        lambda c: c.post(f"{V1}/volunteers", json={"consent": True, "skills": ["急救"]}), stand_in=True
    ),
    "get_my_volunteer_profile": Op(lambda c: c.get(f"{V1}/volunteers/me")),
    "erase_my_volunteer_identity": Op(lambda c: c.delete(f"{V1}/volunteers/me/identity"), stand_in=True),
    "list_teams": Op(lambda c: c.get(f"{V1}/teams")),
    "get_team": Op(lambda c: c.get(f"{V1}/teams/{c.ids['team_a']}")),
    "create_team": Op(
        lambda c: c.post(
            f"{V1}/teams",
            json={"community_id": c.org("community_a"), "kind": "patrol", "name": {"zh-Hans": "新巡逻队"}},
        ),
        audited="volunteers.team_created",
    ),
    "update_team": Op(
        lambda c: c.patch(f"{V1}/teams/{c.ids['team_a']}", json={"description": {"zh-Hans": f"{c.identity} 改了介绍"}}),
        audited="volunteers.team_changed",
    ),
    "appoint_team_coordinator": Op(
        lambda c: c.put(f"{V1}/teams/{c.ids['team_a']}/coordinators/{c.x['user_id']}"),
        _active_member,
        audited="volunteers.coordinator_appointed",
    ),
    "dismiss_team_coordinator": Op(
        lambda c: c.delete(f"{V1}/teams/{c.ids['team_a']}/coordinators/{c.x['user_id']}"),
        _team_coordinator,
        audited="volunteers.coordinator_dismissed",
    ),
    "list_team_members": Op(
        lambda c: c.get(f"{V1}/teams/{c.ids['team_a']}/members"), may_see=COORDINATED, shows=COORDINATED
    ),
    "approve_team_member": Op(
        lambda c: c.post(f"{V1}/teams/{c.ids['team_a']}/members/{c.x['user_id']}/approve"),
        _pending_member,
        audited="volunteers.member_approved",
    ),
    "reject_team_member": Op(
        lambda c: c.post(f"{V1}/teams/{c.ids['team_a']}/members/{c.x['user_id']}/reject"),
        _pending_member,
        audited="volunteers.member_rejected",
    ),
    "join_team": Op(
        lambda c: c.post(f"{V1}/teams/{c.x['id']}/members"), fresh(lambda w: aw.fresh_team(w, w.tree["community_a"]))
    ),
    "leave_team": Op(lambda c: c.delete(f"{V1}/teams/{c.x['team_id']}/members/me"), _team_with_volunteer),
    "list_patrol_routes": Op(
        lambda c: c.get(f"{V1}/teams/{c.ids['team_a']}/routes"), shows={"checkpoint_code_0": COORDINATORS_A}
    ),
    "create_patrol_route": Op(
        lambda c: c.post(f"{V1}/teams/{c.ids['team_a']}/routes", json=_route_body()),
        audited="volunteers.route_created",
    ),
    "get_patrol_route": Op(
        lambda c: c.get(f"{V1}/routes/{c.ids['route_main']}"), shows={"checkpoint_code_0": COORDINATORS_A}
    ),
    "update_patrol_route": Op(
        lambda c: c.patch(
            f"{V1}/routes/{c.ids['route_edit']}", json={"name": {"zh-Hans": f"北园夜巡线{uuid.uuid4().hex[:4]}"}}
        ),  # a new name for each caller: each allowed call changes the route
        audited="volunteers.route_changed",
    ),
    "replace_route_checkpoints": Op(
        lambda c: c.put(
            f"{V1}/routes/{c.ids['route_edit']}/checkpoints", json={"checkpoints": _route_body()["checkpoints"]}
        ),
        audited="volunteers.checkpoints_replaced",
    ),
    "get_checkpoint_plate": Op(
        lambda c: c.get(f"{V1}/routes/{c.ids['route_main']}/checkpoints/{c.ids['checkpoint_main']}/plate.png")
    ),
    "get_route_plates_pdf": Op(lambda c: c.get(f"{V1}/routes/{c.ids['route_main']}/plates.pdf")),
    "list_shifts": Op(lambda c: c.get(f"{V1}/shifts")),
    "get_shift": Op(lambda c: c.get(f"{V1}/shifts/{c.ids['shift_main']}")),
    "create_shift": Op(
        lambda c: c.post(f"{V1}/teams/{c.ids['team_a']}/shifts", json=_shift_body()),
        audited="volunteers.shift_planned",
    ),
    "copy_week_of_shifts": Op(
        lambda c: c.post(
            f"{V1}/teams/{c.x['team_id']}/shifts/copy-week",
            json={"from_week": c.x["from_week"], "to_week": c.x["to_week"]},
        ),
        _team_with_a_week,
        audited="volunteers.shifts_copied",
    ),
    "cancel_shift": Op(
        lambda c: c.post(f"{V1}/shifts/{c.x['id']}/cancel"),
        fresh(aw.fresh_shift),
        audited="volunteers.shift_cancelled",
    ),
    "sign_up_for_shift": Op(lambda c: c.post(f"{V1}/shifts/{c.x['id']}/signups"), fresh(aw.fresh_shift)),
    "cancel_shift_signup": Op(lambda c: c.delete(f"{V1}/shifts/{c.x['shift_id']}/signups/me"), _shift_with_volunteer),
    "shift_attendance_sheet": Op(
        lambda c: c.get(f"{V1}/shifts/{c.ids['shift_main']}/signups"), may_see=COORDINATED, shows=COORDINATED
    ),
    "shift_check_in": Op(
        lambda c: c.post(f"{V1}/shifts/{c.x['id']}/check-in"), fresh(lambda w: aw.ongoing_shift(w, checked_in=False))
    ),
    "scan_checkpoint": Op(
        lambda c: c.post(f"{V1}/shifts/{c.x['id']}/checkpoints/{c.ids['checkpoint_codes'][0]}/scan"),
        fresh(lambda w: aw.ongoing_shift(w, checked_in=True, route=True)),
    ),
    "shift_check_out": Op(
        lambda c: c.post(f"{V1}/shifts/{c.x['id']}/check-out"), fresh(lambda w: aw.ongoing_shift(w, checked_in=True))
    ),
    # hours
    "my_hours": Op(lambda c: c.get(f"{V1}/me/hours")),
    "my_service_record": Op(lambda c: c.get(f"{V1}/me/hours/record")),
    "check_service_record": Op(lambda c: c.get(f"{V1}/hours/records/{c.ids['record_code']}")),
    "add_hours": Op(lambda c: c.post(f"{V1}/teams/{c.ids['team_a']}/hours", json=_hours_body())),
    "list_team_hours": Op(
        lambda c: c.get(f"{V1}/teams/{c.ids['team_a']}/hours"), may_see=COORDINATED, shows=COORDINATED
    ),
    "volunteer_hours_ledger": Op(
        lambda c: c.get(f"{V1}/teams/{c.ids['team_a']}/members/{c.w.user('volunteer').id}/hours"),
        may_see=COORDINATED,
        shows=COORDINATED,
        audited="volunteers.volunteer_hours_read",
    ),
    "team_hours_csv": Op(
        lambda c: c.get(f"{V1}/teams/{c.ids['team_a']}/hours.csv", params={"month": _this_month()}),
        may_see=COORDINATED,
        shows=COORDINATED,
        audited="volunteers.team_hours_exported",
    ),
    "verify_hours": Op(
        lambda c: c.post(f"{V1}/hours/{c.x['id']}/verify"), fresh(aw.fresh_entry), audited="volunteers.hours_verified"
    ),
    "reject_hours": Op(
        lambda c: c.post(f"{V1}/hours/{c.x['id']}/reject", json={"note": "当天未排班"}),
        fresh(aw.fresh_entry),
        audited="volunteers.hours_rejected",
    ),
    "correct_hours": Op(
        lambda c: c.post(
            f"{V1}/hours/{c.ids['entry_verified']}/corrections", json={"minutes": 15, "reason": "少记了一刻钟"}
        ),
        audited="volunteers.hours_corrected",
    ),
    "verify_team_hours": Op(
        lambda c: c.post(f"{V1}/teams/{c.ids['team_a']}/hours/verify", json={"entry_ids": [str(c.x["id"])]}),
        fresh(aw.fresh_entry),
        audited="volunteers.hours_verified",
    ),
    # incidents
    "report_incident": Op(
        lambda c: c.post(
            f"{V1}/incidents", json={"community_id": c.org("community_a"), "kind": "noise", "text": "广场舞音响太响"}
        )
    ),
    "list_incidents": Op(
        lambda c: c.get(f"{V1}/incidents", params={"scope": "coordinating"}),
        may_see=INCIDENT_READERS,
        shows={"incident_text": COORDINATORS_A},
    ),
    "get_forwarded_incident": Op(
        lambda c: c.get(f"{V1}/incidents/{c.ids['forwarded_incident']}"),
        may_see={**INCIDENT_READERS, "incident_text": COORDINATORS_A | PARTY},
        shows={"incident_text": COORDINATORS_A | PARTY | RESIDENT},
    ),
    "list_incidents_assigned": Op(
        lambda c: c.get(f"{V1}/incidents", params={"scope": "assigned"}),
        may_see={"incident_text": PARTY},
        shows={"incident_text": PARTY},
    ),
    "list_incidents_mine": Op(
        lambda c: c.get(f"{V1}/incidents", params={"scope": "mine"}), shows={"incident_text": RESIDENT}
    ),
    "get_incident": Op(
        lambda c: c.get(f"{V1}/incidents/{c.ids['incident']}"),
        may_see=INCIDENT_READERS,
        shows={"incident_text": COORDINATORS_A | RESIDENT},
    ),
    "update_incident": Op(
        lambda c: c.patch(f"{V1}/incidents/{c.x['id']}", json={"status": "acknowledged", "note": "已收到"}),
        fresh(aw.fresh_incident),
        may_see=INCIDENT_READERS,
        audited="volunteers.incident_acknowledged",
    ),
    "upload_incident_photo": Op(lambda c: c.post(f"{V1}/incidents/{c.ids['photo_incident']}/photo", files=image())),
    "get_incident_photo": Op(lambda c: c.get(f"{V1}/incidents/{c.ids['photo_shown_incident']}/photo/w240.webp")),
    "get_incident_routing": Op(lambda c: c.get(f"{V1}/communities/{c.org('community_a')}/incident-routing")),
    "set_incident_routing": Op(
        lambda c: c.put(
            f"{V1}/communities/{c.org('community_a')}/incident-routing",
            json={"routes": [{"kind": "noise", "party": "police"}]},
        ),
        audited="volunteers.incident_routing_changed",
    ),
    # inclusion
    "get_my_resident_profile": Op(lambda c: c.get(f"{V1}/me/resident-profile")),
    "save_my_resident_profile": Op(
        lambda c: c.put(f"{V1}/me/resident-profile", json={"consent": True, "languages": ["zh"]}), stand_in=True
    ),
    "delete_my_resident_profile": Op(lambda c: c.delete(f"{V1}/me/resident-profile"), stand_in=True),
    "list_my_dependants": Op(lambda c: c.get(f"{V1}/me/dependants"), shows={"dependant_name": RESIDENT}),
    "add_my_dependant": Op(
        lambda c: c.post(f"{V1}/me/dependants", json={"display_name": "小明", "birth_year": datetime.now(UTC).year - 5})
    ),
    "remove_my_dependant": Op(lambda c: c.delete(f"{V1}/me/dependants/{c.x['id']}"), fresh(aw.fresh_dependant)),
    "get_my_points": Op(lambda c: c.get(f"{V1}/me/points")),
    "get_point_rules": Op(lambda c: c.get(f"{V1}/communities/{c.org('community_a')}/point-rules")),
    "replace_point_rules": Op(
        lambda c: c.put(
            f"{V1}/communities/{c.org('community_a')}/point-rules",
            json={"rules": [{"kind": "attendance", "points": 12, "daily_cap": 36}]},
        ),
        audited="inclusion.point_rules_replaced",
    ),
    "list_rewards": Op(lambda c: c.get(f"{V1}/rewards", params={"community_id": c.org("community_a")})),
    "list_rewards_inactive": Op(
        lambda c: c.get(f"{V1}/rewards", params={"community_id": c.org("community_a"), "include_inactive": "true"}),
        shows={"hidden_reward": REWARD_MANAGERS},
    ),
    "create_reward": Op(
        lambda c: c.post(
            f"{V1}/rewards",
            json={
                "community_id": c.org("community_a"),
                "name": {"zh-Hans": "环保购物袋"},
                "points_cost": 120,
                "stock": 50,
            },
        ),
        audited="inclusion.reward_created",
    ),
    "get_reward": Op(lambda c: c.get(f"{V1}/rewards/{c.ids['reward']}")),
    "get_withdrawn_reward": Op(
        lambda c: c.get(f"{V1}/rewards/{c.ids['reward_hidden']}"), shows={"hidden_reward": REWARD_MANAGERS}
    ),
    "update_reward": Op(
        lambda c: c.patch(f"{V1}/rewards/{c.ids['reward']}", json={"stock_change": 1}),
        audited="inclusion.reward_changed",
    ),
    "upload_reward_image": Op(
        lambda c: c.post(f"{V1}/rewards/{c.ids['reward']}/image", files=image()),
        audited="inclusion.reward_image_changed",
    ),
    "redeem_reward": Op(lambda c: c.post(f"{V1}/rewards/{c.ids['reward_open']}/redemptions")),
    "my_redemptions": Op(lambda c: c.get(f"{V1}/me/redemptions"), shows={"pickup_code": RESIDENT}),
    "cancel_my_redemption": Op(lambda c: c.delete(f"{V1}/redemptions/{c.x['id']}"), _resident_redemption),
    "fulfil_redemption": Op(
        lambda c: c.post(f"{V1}/redemptions/{c.x['code']}/fulfil"),
        _resident_redemption,
        audited="inclusion.redemption_handed_over",
    ),
    "staff_cancel_redemption": Op(
        lambda c: c.post(f"{V1}/redemptions/{c.x['code']}/cancel"),
        _resident_redemption,
        audited="inclusion.redemption_cancelled",
    ),
    "get_leaderboard": Op(
        lambda c: c.get(f"{V1}/leaderboards/points", params={"community_id": c.org("community_a")}), shows=BOARD
    ),
    "get_leaderboard_hours": Op(
        lambda c: c.get(f"{V1}/leaderboards/volunteer-hours", params={"community_id": c.org("community_a")}),
        shows=BOARD,
    ),
    "participation_statistics": Op(
        lambda c: c.get(f"{V1}/stats/participation", params={"community_id": c.org("community_a")})
    ),
    "participation_statistics_csv": Op(
        lambda c: c.get(f"{V1}/stats/participation", params={"community_id": c.org("community_a"), "format": "csv"}),
        audited="inclusion.statistics_exported",
    ),
    "participation_by_place": Op(
        lambda c: c.get(f"{V1}/stats/participation/by-place", params={"community_id": c.org("community_a")})
    ),
    "participation_by_place_csv": Op(
        lambda c: c.get(
            f"{V1}/stats/participation/by-place", params={"community_id": c.org("community_a"), "format": "csv"}
        ),
        audited="inclusion.place_statistics_exported",
    ),
    "monthly_statistics": Op(lambda c: c.get(f"{V1}/stats/monthly", params={"community_id": c.org("community_a")})),
    "monthly_statistics_csv": Op(
        lambda c: c.get(f"{V1}/stats/monthly", params={"community_id": c.org("community_a"), "format": "csv"}),
        audited="inclusion.monthly_statistics_exported",
    ),
    "list_recommendations": Op(lambda c: c.get(f"{V1}/recommendations")),
    # governance surveys
    "list_surveys": Op(lambda c: c.get(f"{V1}/surveys", params={"community_id": c.org("community_a")}), _survey_a),
    "create_survey": Op(
        lambda c: c.post(f"{V1}/surveys", json=_survey_body(c.org("community_a"))), audited="governance.survey_created"
    ),
    "get_survey": Op(lambda c: c.get(f"{V1}/surveys/{c.x['survey_id']}"), _survey_a),
    "answer_survey": Op(
        lambda c: c.post(f"{V1}/surveys/{c.x['survey_id']}/answers", json={"answers": [{"question": 0, "rating": 4}]}),
        _survey_for_caller,
    ),
    "survey_results": Op(lambda c: c.get(f"{V1}/surveys/{c.x['survey_id']}/results"), _closed_survey_a),
    "create_owner_poll": Op(
        lambda c: c.post(f"{V1}/owner-polls", json=_poll_body(c)), _estate_with_units, audited="governance.poll_created"
    ),
    "create_evaluation": Op(
        lambda c: c.post(f"{V1}/evaluations", json=_evaluation_body(c)),
        _estate_with_company,
        audited="governance.evaluation_created",
    ),
    "write_evaluation_response": Op(
        lambda c: c.put(f"{V1}/evaluations/{c.x['survey_id']}/response", json={"text": {"zh-Hans": "谢谢监督"}}),
        _committee_evaluation,
        audited="governance.evaluation_response_written",
    ),
    "property_company_evaluations": Op(
        lambda c: c.get(f"{V1}/property-companies/{c.x['company_id']}/evaluations", params={"year": 2026}),
        _estate_with_company,
    ),
    # notifications
    # governance meetings
    "list_meetings": Op(lambda c: c.get(f"{V1}/meetings", params={"community_id": c.org("community_a")})),
    "convene_meeting": Op(lambda c: c.post(f"{V1}/meetings", json=_meeting_body(c.w)), audited="events.event_created"),
    "get_meeting": Op(lambda c: c.get(f"{V1}/meetings/{c.x['meeting_id']}"), _open_meeting),
    "get_draft_meeting": Op(lambda c: c.get(f"{V1}/meetings/{c.x['meeting_id']}"), _draft_meeting),
    "announce_meeting": Op(
        lambda c: c.post(f"{V1}/meetings/{c.x['meeting_id']}/announce"),
        _draft_meeting,
        audited="events.event_published",
    ),
    "submit_opinion": Op(
        lambda c: c.post(
            f"{V1}/meetings/{c.x['meeting_id']}/submissions", json={"item_id": str(c.x["item_id"]), "text": "我有意见"}
        ),
        _meeting_for_caller,
    ),
    "list_submissions": Op(lambda c: c.get(f"{V1}/meetings/{c.x['meeting_id']}/submissions"), _open_meeting),
    "list_my_submissions": Op(lambda c: c.get(f"{V1}/meetings/{c.x['meeting_id']}/submissions/mine"), _open_meeting),
    "moderate_submission": Op(
        lambda c: c.patch(f"{V1}/meeting-submissions/{c.x['submission_id']}", json={"status": "accepted"}),
        _pending_submission,
        audited="governance.submission_accepted",
    ),
    "publish_minutes": Op(
        lambda c: c.post(f"{V1}/meetings/{c.x['meeting_id']}/minutes", json=MINUTES),
        _begun_meeting,
        audited="governance.minutes_published",
    ),
    "list_my_meeting_actions": Op(lambda c: c.get(f"{V1}/meeting-actions"), _police_action),
    "update_meeting_action": Op(
        lambda c: c.post(f"{V1}/meeting-actions/{c.x['action_id']}/updates", json={"status": "in_progress"}),
        _police_action,
        audited="governance.action_updated",
    ),
    "community_board": Op(lambda c: c.get(f"{V1}/communities/{c.org('community_a')}/board")),
    "my_notifications": Op(
        lambda c: c.get(f"{V1}/me/notifications", params={"limit": 100}), shows={"pickup_code": RESIDENT}
    ),
    "read_notification": Op(
        lambda c: c.post(f"{V1}/me/notifications/{c.x['id']}/read"),
        fresh(lambda w: aw.fresh_notice(w, w.user("resident").id)),
    ),
    "read_all_notifications": Op(
        lambda c: c.post(f"{V1}/me/notifications/read-all"), lambda w, who: _for_caller(w, who, aw.fresh_notice)
    ),
    "my_subscriptions": Op(lambda c: c.get(f"{V1}/me/subscriptions")),
    "record_subscriptions": Op(lambda c: c.post(f"{V1}/me/subscriptions", json={"results": {TEMPLATE: "accept"}})),
}


# --- the world, per backend -----------------------------------------------------------------------

TEMPLATE = "tplRewardReady0000000001"  # one configured template, so subscriptions can be recorded
UNLIMITED = 1_000_000  # the matrix is not a rate-limit test: its many calls from one address pass


class HeldJobs:
    """Jobs are queued and never run: nothing changes tables behind the snapshots' backs."""

    async def enqueue(self, name: str, *, key: str | None, run_at: datetime | None, kwargs: dict[str, Any]) -> bool:
        return True

    async def drain(self) -> None:
        return None


@pytest.fixture(scope="module", params=BACKENDS)
async def world(request: pytest.FixtureRequest, workdir: Any, _wechat_server: Any) -> AsyncIterator[World]:
    backend = request.param
    fake, base_url = _wechat_server
    fake.reset()
    redis = Redis.from_url(request.getfixturevalue("redis_url")) if backend == "postgres" else None
    if redis is not None:
        await redis.flushdb()
    settings = make_settings(
        request.getfixturevalue(f"{backend}_url"),
        fake,
        base_url,
        workdir,
        login_rate_limit=UNLIMITED,
        signup_rate_limit=UNLIMITED,
        calendar_rate_limit=UNLIMITED,
        calendar_feed_rate_limit=UNLIMITED,
        poster_rate_limit=UNLIMITED,
        record_check_rate_limit=UNLIMITED,
        redemption_rate_limit=UNLIMITED,
        reward_image_rate_limit=UNLIMITED,
        incident_rate_limit=UNLIMITED,
        incident_photo_rate_limit=UNLIMITED,
        wechat_template_reward_ready=TEMPLATE,
    )
    app = build_app(settings, redis)
    async with serve_in_process(app) as client:
        await _clean(app)
        current = app.state.runtime
        previous, current.runner = current.runner, HeldJobs()
        token = runtime.bind(current)
        try:
            w = await aw.build_world(app, client, settings)
            w.fake = fake
            yield w
        finally:
            runtime.unbind(token)
            current.runner = previous
            await _clean(app)
    if redis is not None:
        await redis.aclose()


_FINGERPRINT_SQL: dict[bool, str] = {}


def _fingerprint_sql(postgres: bool) -> str:
    """One query for every table: its row count and all its rows as one string (or their MD5)."""
    if postgres not in _FINGERPRINT_SQL:
        parts = []
        for table in all_tables():
            name = table._meta.tablename
            if postgres:
                parts.append(
                    f"SELECT '{name}' AS t, COUNT(*) AS n, MD5(COALESCE(STRING_AGG(x::text, '|' ORDER BY x::text), '')) AS h FROM \"{name}\" x"
                )
            else:
                row = " || ',' || ".join(f'quote("{column._meta.db_column_name}")' for column in table._meta.columns)
                parts.append(
                    f"SELECT '{name}' AS t, COUNT(*) AS n, GROUP_CONCAT(r, '|') AS h FROM (SELECT {row} AS r FROM \"{name}\" ORDER BY r)"
                )
        _FINGERPRINT_SQL[postgres] = " UNION ALL ".join(parts)
    return _FINGERPRINT_SQL[postgres]


async def fingerprint() -> dict[str, tuple[int, str]]:
    """Every table of the app: (rows, digest of all its rows)."""
    rows = await User.raw(_fingerprint_sql(is_postgres(User._meta.db)))
    return {row["t"]: (int(row["n"]), hashlib.sha256(str(row["h"] or "").encode()).hexdigest()) for row in rows}


# --- the checks -------------------------------------------------------------------------------------

TEXTUAL = ("json", "text/", "csv", "calendar")


def _sent(request: httpx.Request) -> str:
    try:
        body = request.content.decode(errors="ignore")
    except httpx.RequestNotRead:  # a multipart upload: its file is an image, not text we check
        body = ""
    return httpx.URL(str(request.url)).path + "?" + str(request.url.params) + body


def leaked(w: World, op: Op, identity: str, response: httpx.Response) -> list[str]:
    """The private values in the answer that the caller may not read (what it sent excepted)."""
    if not any(kind in response.headers.get("content-type", "") for kind in TEXTUAL):
        return []
    body, sent = response.text, _sent(response.request)
    return [
        name
        for name, secret in w.secrets.items()
        if secret.value in body
        and secret.value not in sent
        and identity not in secret.holders
        and identity not in op.may_see.get(name, frozenset())
    ]


def missing(w: World, op: Op, identity: str, response: httpx.Response) -> list[str]:
    """What an allowed answer must hold and does not: proof that a list which hides others' rows
    is not simply empty."""

    def value(name: str) -> str:
        return w.secrets[name].value if name in w.secrets else name  # a secret's name, or the text itself

    return [name for name, readers in op.shows.items() if identity in readers and value(name) not in response.text]


async def unaudited(op: Op, caller: Any, response: httpx.Response) -> list[str]:
    """What is wrong with the audit entries an allowed call of an audited row left in its request."""
    if not op.audited or not response.is_success:
        return []
    rows = await AuditEntry.select(AuditEntry.action, AuditEntry.actor).where(
        AuditEntry.request_id == response.headers["x-request-id"]
    )
    found = [(row["action"], str(row["actor"]) if op.audited_by_caller else "") for row in rows]
    if found != [(op.audited, str(caller) if op.audited_by_caller else "")]:
        return [f"expected one audit entry {op.audited} by the caller, found {found}"]
    return []


# A time in an answer: one convention everywhere, UTC written with Z (what people read is text).
_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d)?$")


def local_times(response: httpx.Response) -> list[str]:
    """Every time in a JSON answer written with an offset other than Z, or with none."""
    if not response.headers.get("content-type", "").startswith("application/json"):
        return []
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and _TIME.match(value):
            found.append(value)

    walk(response.json())
    return found


def verdict(
    w: World, op: Op, identity: str, want: int, response: httpx.Response, before: dict[str, Any], after: dict[str, Any]
) -> list[str]:
    wrong = []
    if response.status_code != want:
        wrong.append(f"{identity}: expected {want}, got {response.status_code} {response.text[:200]}")
    changed = sorted(name for name in before if before[name] != after.get(name))
    if response.is_success:
        if response.request.method in MUTATING and not changed:
            wrong.append(f"{identity}: allowed with {response.status_code}, but no table changed")
        wrong += [f"{identity}: the answer does not show {name}" for name in missing(w, op, identity, response)]
        wrong += [f"{identity}: a time not in UTC: {text}" for text in local_times(response)]
    else:
        if not response.headers.get("content-type", "").startswith(PROBLEM):
            wrong.append(f"{identity}: a refusal that is not problem+json ({response.headers.get('content-type')})")
        if changed:
            wrong.append(f"{identity}: refused with {response.status_code}, but tables changed: {', '.join(changed)}")
    wrong += [
        f"{identity}: the answer ({response.status_code}) shows {name}" for name in leaked(w, op, identity, response)
    ]
    return wrong


# --- the tests ----------------------------------------------------------------------------------------


def _params() -> list[Any]:
    params = []
    for name, method, path, *codes, owner in MATRIX:
        expected = dict(zip(IDENTITIES, codes, strict=True))
        if owner is not None:
            status, who = owner
            expected[who] = status
        leaks = [f"{who}: {what}" for (row, who), what in LEAKS.items() if row == name]
        marks = [pytest.mark.xfail(strict=True, reason="LEAK: " + "; ".join(leaks))] if leaks else []
        params.append(pytest.param(name, expected, id=name, marks=marks))
    return params


@pytest.mark.parametrize(("row", "expected"), _params())
async def test_matrix(world: World, row: str, expected: dict[str, int]) -> None:
    op = OPERATIONS[row]
    wrong: list[str] = []
    # Refused callers first: what an allowed call changes can never make a refusal look clean.
    for identity in sorted(expected, key=lambda who: 200 <= expected[who] < 300):
        context = await op.prepare(world, identity) if op.prepare else {}
        headers = world.headers[identity]
        caller = None if identity == "anon" else world.user(identity).id
        if op.stand_in and identity != "anon":
            stand_in = await aw.stand_in(world, identity)
            headers, caller = factories.token_for(stand_in), stand_in.id
        before = await fingerprint()
        response = await op.send(Call(world.client, world, identity, headers, context))
        wrong += verdict(world, op, identity, expected[identity], response, before, await fingerprint())
        wrong += [f"{identity}: {problem}" for problem in await unaudited(op, caller, response)]
    assert not wrong, f"{row}:\n  " + "\n  ".join(wrong)


def test_every_operation_has_a_row() -> None:
    """A new endpoint without a row here fails: the matrix is the document's operations, exactly."""
    from backend.app import create_app

    settings = Settings.from_env({}, env="test", database_url="sqlite:///:memory:", secret_key=SECRET)
    document = create_app(settings).openapi_schema.to_schema()
    operations = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert {(method, path) for _, method, path, *_ in MATRIX} == operations
    names = [row[0] for row in MATRIX]
    assert len(names) == len(set(names)) and set(names) == set(OPERATIONS), "every row has one way to call it"
    assert all(len(row) == 3 + len(IDENTITIES) + 1 for row in MATRIX)
    assert len(IDENTITIES) == 8 and len(operations) >= 118
