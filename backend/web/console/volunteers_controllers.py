"""The coordinators' room (``/console/volunteers``): the hours waiting for verification in the
teams one coordinates (verified or rejected one at a time or many at once), the month's CSV, and
a week of shifts: plan one, cancel one, and the live attendance sheet.

Every handler calls what the API's hours and shifts controllers call (``volunteers.api``:
``verify_entry``, ``verify_entries``, ``reject_entry``, ``team_entries``, ``team_month_export``,
``create_shift``, ``cancel_shift``, ``attendance_sheet``), with the coordinator as the caller, so
the same checks answer: never one's own hours, another team's entry not found, another team's
sheet forbidden, a shift that has begun not cancelled."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from contextlib import suppress
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from babel.dates import format_skeleton
from babel.lists import format_list
from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.handlers import BaseRouteHandler
from litestar.response import Template

from backend.accounts.api import Permission, held_permissions
from backend.core import clock
from backend.core.context import Principal
from backend.core.errors import DomainError, Forbidden, NotFound, PendingFieldProblem
from backend.core.i18n import CITY_TZ, N_, _, babel_locale, format_hours, ngettext, pick
from backend.volunteers import api as volunteers
from backend.web.console.account_controllers import Form
from backend.web.console.edge import city_time, form_values, go, page, parse_form, provide_me, signed_in, staff
from backend.web.console.listing import Listing

ROOT = "/console/volunteers"
SORTS = ("date", "volunteer", "hours", "team")
TIMES = ("starts_at", "ends_at")
DONE = {
    "shift_planned": N_("The shift is planned. Team members can sign up for it now."),
    "shift_cancelled": N_("The shift is cancelled. Everyone who had a place will be told."),
    "shifts_copied": N_("The shifts are copied into this week; ones already planned here were left as they were."),
}

# A flag on an entry (copied from the attendance) as a sentence the coordinator reads.
FLAG_SENTENCES: Mapping[str, str] = {
    "auto_checkout": N_("Did not check out: the attendance was closed automatically at the end of the shift."),
    "below_attendance_rule": N_("Was there for less of the shift than its attendance rule asks."),
    "entered_by_coordinator": N_("Entered by a coordinator on the volunteer's behalf."),
}
# What a bulk decision could not do, per entry (the API's skip codes).
SKIP_CODES = ("cannot_verify_own_hours", "hours_entry_decided", "hours_entry_not_found")


def skipped_sentence(code: str, count: int) -> str:
    if code == "cannot_verify_own_hours":
        return ngettext(
            "{count} entry is your own hours: another coordinator must decide on it.",
            "{count} entries are your own hours: another coordinator must decide on them.",
            count,
        ).format(count=count)
    if code == "hours_entry_decided":
        return ngettext(
            "{count} entry had already been decided.", "{count} entries had already been decided.", count
        ).format(count=count)
    return ngettext(
        "{count} entry was not found in your teams.", "{count} entries were not found in your teams.", count
    ).format(count=count)


async def requires_coordination(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """The room opens to those who coordinate volunteers somewhere (``coordinate_volunteers``)."""
    if Permission.coordinate_volunteers not in await held_permissions(staff(connection).id):
        raise Forbidden()


def flag_sentences(flags: Iterable[str]) -> list[str]:
    """Flags in words: ``missed_checkpoint:2`` and ``:3`` become one sentence naming 2 and 3."""
    missed = sorted(int(flag.split(":", 1)[1]) for flag in flags if flag.startswith("missed_checkpoint:"))
    sentences = []
    for flag in flags:
        if flag == "missed_checkpoints":
            sentences.append(missed_sentence(missed))
        elif flag in FLAG_SENTENCES:
            sentences.append(_(FLAG_SENTENCES[flag]))
        elif not flag.startswith("missed_checkpoint:"):
            sentences.append(flag)
    if missed and "missed_checkpoints" not in flags:
        sentences.append(missed_sentence(missed))
    return sentences


def missed_sentence(positions: list[int]) -> str:
    if not positions:
        return _("Missed checkpoints on the route.")
    listed = format_list([str(p) for p in positions], locale=babel_locale())
    return ngettext(
        "Did not scan checkpoint {positions}.", "Did not scan checkpoints {positions}.", len(positions)
    ).format(positions=listed)


def local_input(moment: datetime | None) -> str:
    """A time as a ``datetime-local`` input shows it: Suzhou time, to the minute."""
    return moment.astimezone(CITY_TZ).strftime("%Y-%m-%dT%H:%M") if moment else ""


def week_start(value: str | None) -> date:
    """The Monday of the week asked for (any day of it, YYYY-MM-DD), else of this week."""
    day = clock.city_today()
    if value:
        with suppress(ValueError):
            day = date.fromisoformat(value)
    return day - timedelta(days=day.weekday())


def shift_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """The shift form as the API's JSON: times typed in Suzhou time (one that does not parse is
    left as typed, and the schema refuses it naming the field)."""
    values = form_values({k: v for k, v in data.items() if k != "team_id"})
    for name in TIMES:
        raw = values.get(name)
        if isinstance(raw, str):
            values[name] = city_time(raw)  # one that does not parse is left for the schema to refuse
    return values


class VolunteersController(Controller):
    path = "/volunteers"  # under the console router's /console
    include_in_schema = False
    guards = [signed_in, requires_coordination]
    dependencies = {"me": Provide(provide_me, sync_to_thread=False)}

    # --- the hours waiting for a decision -------------------------------------------------------------

    @get("/")
    async def queue(self, request: Request[Any, Any, Any], me: Principal) -> Template:
        return await self._queue(request, me)

    async def _queue(self, request: Request[Any, Any, Any], me: Principal, **context: Any) -> Template:
        listing = Listing.read(ROOT, request.query_params, sorts=SORTS, default_sort="date", filters=("team", "q"))
        teams = await _teams(me)
        chosen = _chosen_team(teams, listing.filters.get("team"))
        rows: list[volunteers.TeamHoursEntryRead] = []
        for team in [chosen] if chosen else teams:
            found = await volunteers.team_entries(user_id=me.id, team_id=team.id, status="pending", limit=None)
            rows += [volunteers.team_entry_read(row) for row in found]
        text = listing.filters.get("q", "").casefold()
        if text:
            rows = [r for r in rows if text in _who(r).casefold() or text in r.content.casefold()]
        rows.sort(key=_SORT_KEYS[listing.key], reverse=listing.descending)
        listing.total = len(rows)
        shown = rows[listing.offset : listing.offset + listing.size]
        today = clock.city_today()
        return await page(
            request,
            "console/volunteers/queue.html",
            listing=listing,
            teams=[(t.id, pick(t.name)[0]) for t in teams],
            chosen=chosen,
            entries=[_entry_context(row, me) for row in shown],
            pending_hours=format_hours(sum(r.minutes for r in rows)),
            month=today.strftime("%Y-%m"),
            csv_months=[_month_back(today, back) for back in range(3)],
            tab="hours",
            outcome=outcome_sentences(request.query_params),
            **context,
        )

    @post("/hours/{entry_id:uuid}/verify")
    async def verify_one(
        self, request: Request[Any, Any, Any], me: Principal, entry_id: uuid.UUID, data: Form
    ) -> Response[Any]:
        await volunteers.verify_entry(user_id=me.id, entry_id=entry_id)
        return go(request, _back(data, done="verified", count=1))

    @post("/hours/{entry_id:uuid}/reject")
    async def reject_one(
        self, request: Request[Any, Any, Any], me: Principal, entry_id: uuid.UUID, data: Form
    ) -> Response[Any]:
        note: volunteers.HoursReject = parse_form(form_values(_only(data, "note")), volunteers.HoursReject)
        await volunteers.reject_entry(user_id=me.id, entry_id=entry_id, note=note.note)
        return go(request, _back(data, done="rejected", count=1))

    @post("/hours/decide")
    async def decide_many(self, request: Request[Any, Any, Any], me: Principal, data: Form) -> Response[Any]:
        """Ticked entries verified (the API's bulk verification, per team) or rejected with one note."""
        values = form_values(_only(data, "entry_ids"), lists=frozenset({"entry_ids"}))
        if not values.get("entry_ids"):
            raise DomainError("nothing_chosen", N_("Tick at least one entry first."), status=422)
        chosen: volunteers.HoursVerifyMany = parse_form(values, volunteers.HoursVerifyMany)
        if data.get("action") == "reject":
            note: volunteers.HoursReject = parse_form(form_values(_only(data, "note")), volunteers.HoursReject)
            done, skipped = await _reject_many(me, chosen.entry_ids, note.note)
            what = "rejected"
        else:
            done, skipped = await _verify_many(me, chosen.entry_ids)
            what = "verified"
        return go(request, _back(data, done=what, count=done, **{f"skip_{code}": n for code, n in skipped.items()}))

    @get("/teams/{team_id:uuid}/hours.csv")
    async def month_csv(self, me: Principal, team_id: uuid.UUID, month: str) -> Response[bytes]:
        """The API's CSV (``team_month_export``: audited as a sensitive read, as the API's is)."""
        rows = await volunteers.team_month_export(user_id=me.id, team_id=team_id, month=month)
        return Response(
            volunteers.hours_csv(rows),
            media_type="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="hours-{team_id}-{month}.csv"',
                "Cache-Control": "private, no-store",
            },
        )

    # --- shifts -----------------------------------------------------------------------------------------

    @get("/shifts")
    async def week(self, request: Request[Any, Any, Any], me: Principal) -> Template:
        teams = await _teams(me)
        chosen = _chosen_team(teams, request.query_params.get("team"))
        monday = week_start(request.query_params.get("week"))
        start = datetime(monday.year, monday.month, monday.day, tzinfo=CITY_TZ)
        found = []
        for team in [chosen] if chosen else teams:
            found += await volunteers.list_shifts(
                viewer_id=me.id, team_id=team.id, starts_from=start, starts_to=start + timedelta(days=7), limit=100
            )
        shifts = [volunteers.shift_read(view) for view in await volunteers.shift_views(found, viewer_id=me.id)]
        shifts.sort(key=lambda s: s.starts_at)
        now = clock.now()
        locale = babel_locale()
        days = []
        for offset in range(7):
            day = monday + timedelta(days=offset)
            days.append(
                {
                    "date": day,
                    "name": locale.days["format"]["wide"][day.weekday()],
                    "label": format_skeleton("MMMd", day, locale=locale),
                    "today": day == clock.city_today(),
                    "shifts": [_shift_context(s, now) for s in shifts if s.starts_at.astimezone(CITY_TZ).date() == day],
                }
            )
        team_query = f"&team={chosen.id}" if chosen else ""
        return await page(
            request,
            "console/volunteers/week.html",
            teams=[(t.id, pick(t.name)[0]) for t in teams],
            chosen=chosen,
            days=days,
            week_label=f"{days[0]['label']} – {days[-1]['label']}",
            previous=f"{ROOT}/shifts?week={monday - timedelta(days=7)}{team_query}",
            following=f"{ROOT}/shifts?week={monday + timedelta(days=7)}{team_query}",
            this_week=f"{ROOT}/shifts?week={clock.city_today()}{team_query}",
            monday=monday.isoformat(),
            done=DONE.get(request.query_params.get("done", "")),
            tab="shifts",
        )

    @get("/shifts/new")
    async def new_shift(self, request: Request[Any, Any, Any], me: Principal) -> Template:
        return await _shift_form(request, me, {"team_id": request.query_params.get("team", "")})

    @post("/shifts/new")
    async def plan_shift(self, request: Request[Any, Any, Any], me: Principal, data: Form) -> Response[Any]:
        try:
            team_id = uuid.UUID(str(data.get("team_id", "")))
        except ValueError:
            raise _team_refused() from None
        body: volunteers.ShiftCreate = parse_form(shift_values(data), volunteers.ShiftCreate)
        shift = await volunteers.create_shift(user_id=me.id, team_id=team_id, data=body)
        day = shift.starts_at.astimezone(CITY_TZ).date()
        return go(request, f"{ROOT}/shifts?week={day}&team={team_id}&done=shift_planned")

    @get("/shifts/{shift_id:uuid}")
    async def sheet(self, request: Request[Any, Any, Any], me: Principal, shift_id: uuid.UUID) -> Template:
        """The live attendance sheet (the API's ``shift_attendance_sheet``); htmx refreshes its table."""
        sheet = volunteers.sheet_read(await volunteers.attendance_sheet(user_id=me.id, shift_id=shift_id))
        context = _sheet_context(sheet)
        if request.headers.get("hx-request") == "true" and request.query_params.get("part") == "rows":
            return await page(request, "console/volunteers/_sheet_rows.html", **context)
        return await page(request, "console/volunteers/sheet.html", tab="shifts", **context)

    @get("/shifts/{shift_id:uuid}/cancel")
    async def cancel_page(self, request: Request[Any, Any, Any], me: Principal, shift_id: uuid.UUID) -> Template:
        sheet = volunteers.sheet_read(await volunteers.attendance_sheet(user_id=me.id, shift_id=shift_id))
        return await page(request, "console/volunteers/cancel.html", tab="shifts", **_sheet_context(sheet))

    @post("/shifts/{shift_id:uuid}/cancel")
    async def cancel(self, request: Request[Any, Any, Any], me: Principal, shift_id: uuid.UUID) -> Response[Any]:
        shift = await volunteers.cancel_shift(user_id=me.id, shift_id=shift_id)
        day = shift.starts_at.astimezone(CITY_TZ).date()
        return go(request, f"{ROOT}/shifts?week={day}&team={shift.team}&done=shift_cancelled")


# --- helpers -------------------------------------------------------------------------------------------

_SORT_KEYS: Mapping[str, Any] = {
    "date": lambda r: (r.service_date, r.created_at),
    "volunteer": lambda r: _who(r),
    "hours": lambda r: r.minutes,
    "team": lambda r: r.team.name,
}


def _who(row: volunteers.TeamHoursEntryRead) -> str:
    return row.volunteer.display_name or row.volunteer.real_name_masked or ""


async def _teams(me: Principal) -> list[volunteers.CoordinatedTeam]:
    teams = await volunteers.coordinated_teams(user_id=me.id)
    return sorted(teams, key=lambda t: pick(t.name)[0])


def _chosen_team(teams: list[volunteers.CoordinatedTeam], value: str | None) -> volunteers.CoordinatedTeam | None:
    """The team a filter names; one the person does not coordinate is not found, as in the API."""
    if not value:
        return None
    for team in teams:
        if str(team.id) == value:
            return team
    raise NotFound("team_not_found", N_("This team does not exist."))


def _team_refused() -> DomainError:
    error = DomainError("validation_failed", N_("Some fields are not valid."), status=422)
    error.problems = [PendingFieldProblem("team_id", N_("Choose a team."), "required", {})]  # type: ignore[attr-defined]
    return error


def _only(data: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {name: data[name] for name in names if name in data}


def _month_back(today: date, back: int) -> str:
    year, month = today.year, today.month - back
    while month < 1:
        year, month = year - 1, month + 12
    return f"{year:04d}-{month:02d}"


def _back(data: Mapping[str, Any], **done: Any) -> str:
    """After a decision: the queue as it was (its filters and page), saying what was done."""
    back = str(data.get("back") or ROOT)
    if not back.startswith(ROOT) or "\\" in back:
        back = ROOT
    where = urlsplit(back)
    kept = [(k, v) for k, v in parse_qsl(where.query) if k not in {"done", "count"} and not k.startswith("skip_")]
    return where.path + "?" + urlencode([*kept, *done.items()])


async def _verify_many(me: Principal, entry_ids: list[uuid.UUID]) -> tuple[int, dict[str, int]]:
    """The API's bulk verification, once per team the person coordinates: an entry is verified in
    its own team, and what no team could verify says why (own hours, decided, not found)."""
    verified: set[uuid.UUID] = set()
    reasons: dict[uuid.UUID, str] = {}
    for team in await _teams(me):
        outcome = await volunteers.verify_entries(user_id=me.id, team_id=team.id, entry_ids=entry_ids)
        answer = volunteers.bulk_read(outcome)
        verified |= set(answer.verified)
        for skip in answer.skipped:
            if skip.code != "hours_entry_not_found":
                reasons[skip.id] = skip.code
    skipped: dict[str, int] = {}
    for entry_id in dict.fromkeys(entry_ids):
        if entry_id not in verified:
            code = reasons.get(entry_id, "hours_entry_not_found")
            skipped[code] = skipped.get(code, 0) + 1
    return len(verified), skipped


async def _reject_many(me: Principal, entry_ids: list[uuid.UUID], note: str) -> tuple[int, dict[str, int]]:
    """The API's rejection, entry by entry, with one note; each refusal counted by its code."""
    done, skipped = 0, dict[str, int]()
    for entry_id in dict.fromkeys(entry_ids):
        try:
            await volunteers.reject_entry(user_id=me.id, entry_id=entry_id, note=note)
            done += 1
        except DomainError as refusal:  # one refused entry does not stop the others
            if refusal.code not in SKIP_CODES:
                raise
            skipped[refusal.code] = skipped.get(refusal.code, 0) + 1
    return done, skipped


def _entry_context(row: volunteers.TeamHoursEntryRead, me: Principal) -> dict[str, Any]:
    return {
        "row": row,
        "who": row.volunteer.display_name,
        "masked": row.volunteer.real_name_masked,
        "hours": format_hours(row.minutes),
        "flags": flag_sentences(row.flags),
        "own": row.volunteer.id == me.id,
    }


def outcome_sentences(query: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What the queue says after a decision (``?done=verified&count=3&skip_…=1``): (class, text)."""
    said, lines = query.get("done"), []
    try:
        count = int(str(query.get("count") or 0))
    except ValueError:
        count = 0
    if said == "verified":
        lines.append(
            ("good", ngettext("{count} entry verified.", "{count} entries verified.", count).format(count=count))
        )
    elif said == "rejected":
        lines.append(
            ("good", ngettext("{count} entry rejected.", "{count} entries rejected.", count).format(count=count))
        )
    for code in SKIP_CODES:
        try:
            skipped = int(str(query.get(f"skip_{code}") or 0))
        except ValueError:
            continue
        if skipped > 0:
            lines.append(("warn", skipped_sentence(code, skipped)))
    return lines


def _shift_context(shift: volunteers.ShiftRead, now: datetime) -> dict[str, Any]:
    return {
        "shift": shift,
        "taken": shift.capacity - shift.seats_left,
        "live": shift.starts_at - timedelta(minutes=30) <= now < shift.ends_at,
        "started": shift.starts_at <= now,
        "over": shift.ends_at <= now,
    }


def _sheet_context(sheet: volunteers.AttendanceSheet) -> dict[str, Any]:
    shift = sheet.shift
    stops = shift.route.checkpoint_count if shift.route else 0
    rows = []
    for row in sheet.signups:
        scanned = sorted({scan.position for scan in row.scans})
        closed_flags = [f for f in row.flags if f.startswith("missed_checkpoint:")]
        if closed_flags:
            missed = sorted(int(f.split(":", 1)[1]) for f in closed_flags)
        else:  # still out: a checkpoint before the last one scanned was passed without a scan
            missed = [p for p in range(1, max(scanned, default=0)) if p not in scanned]
        rows.append(
            {
                "row": row,
                "scanned": scanned,
                "missed": missed,
                "missed_text": missed_sentence(missed) if missed else "",
                "flags": [s for s in flag_sentences(f for f in row.flags if not f.startswith("missed_checkpoint"))],
                "credited": format_hours(row.credited_minutes) if row.credited_minutes is not None else None,
            }
        )
    now = clock.now()
    return {
        "sheet": sheet,
        "shift": shift,
        "stops": stops,
        "week_of": shift.starts_at.astimezone(CITY_TZ).date().isoformat(),
        "rows": rows,
        "counts": sheet.counts,
        "to_tell": sheet.counts.get("signed_up", 0),
        "live": shift.starts_at - timedelta(minutes=30) <= now < shift.ends_at and shift.status == "scheduled",
        "started": shift.starts_at <= now,
        "status_names": {
            "signed_up": _("Has a place"),
            "attended": _("Attended"),
            "cancelled": _("Cancelled"),
            "no_show": _("Did not come"),
        },
    }


async def _shift_form(
    request: Request[Any, Any, Any], me: Principal, values: Mapping[str, Any], *, status: int = 200
) -> Template:
    teams = await _teams(me)
    routes = []
    for team in teams:  # a route is offered under its team's name; the service checks it is the team's
        for view in await volunteers.list_routes(user_id=me.id, team_id=team.id):
            label = f"{pick(team.name)[0]} · {pick(view.route['name'])[0]}"
            routes.append((view.route["id"], f"{label} ({len(view.checkpoints)})"))
    start = (clock.now() + timedelta(days=1)).astimezone(CITY_TZ).replace(hour=19, minute=0, second=0, microsecond=0)
    return await page(
        request,
        "console/volunteers/shift_form.html",
        status=status,
        teams=[(t.id, pick(t.name)[0]) for t in teams],
        routes=routes,
        values={
            "starts_at": local_input(start),
            "ends_at": local_input(start + timedelta(hours=2)),
            "capacity": 6,
            "min_attendance_percent": 60,
            **values,
        },
        tab="shifts",
    )
