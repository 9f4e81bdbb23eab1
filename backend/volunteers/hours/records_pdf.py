"""The service record as a PDF: text (searchable, fonts subset), in the holder's language.

Laid out after the fields of China's volunteer service record (志愿服务记录证明): holder and
identity document, service period, total verified hours, what was done and where, the
organisations, the issuer, a record number, the issue date and a verification code with a QR code
to check it (the number checks it as well, and the sheet says so).

Drawing takes about a second, so a record's PDF is drawn once per language and identity and kept
in the private store under the holder's folder; downloading again reads the file.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
from babel.dates import format_date

from backend.core.fonts import face_index, font_file
from backend.core.i18n import CITY_TZ, N_, _, babel_locale, format_hours, pick, use_locale
from backend.core.media import MediaStore
from backend.core.qr import qr_png
from backend.core.values import as_uuid
from backend.volunteers.hours.records import ISSUER, IssuedRecord, grouped_code, verification_url
from backend.volunteers.storage import record_folder

if TYPE_CHECKING:
    # fpdf2 takes ~0.6 s to import: only the drawing below loads it, never a process's start.
    from fpdf import FPDF

FONT = "noto"
MARGIN = 20.0
LABEL_WIDTH = 48.0
QR_SIZE = 36.0
# Rendering is CPU work in worker threads: a few at a time, so downloads cannot starve the API.
_limiter = anyio.CapacityLimiter(2)

ID_DOCUMENT_NAMES: dict[str, str] = {
    "resident_id": N_("Resident identity card"),
    "passport": N_("Passport"),
    "hk_macao_permit": N_("Mainland travel permit for Hong Kong and Macao residents"),
    "taiwan_permit": N_("Mainland travel permit for Taiwan residents"),
    "foreign_permanent_resident": N_("Foreign permanent resident ID card"),
}


@dataclass(frozen=True)
class RecordSheet:
    """Everything printed on a record, gathered before the rendering thread starts."""

    real_name: str
    id_document: str | None
    id_number_masked: str | None
    record_number: str
    code: str
    issued_at: datetime
    period_start: date | None
    period_end: date | None
    total_minutes: int
    teams: list[dict[str, Any]]
    organisations: list[dict[str, Any]]
    verify_url: str


def record_sheet(issued: IssuedRecord, *, public_base_url: str) -> RecordSheet:
    record = issued.record
    summary: dict[str, Any] = record.summary or {}  # type: ignore[assignment]  # JSON read with load_json: a dict
    return RecordSheet(
        real_name=issued.identity.real_name,
        id_document=issued.identity.id_document,
        id_number_masked=issued.identity.id_number_masked,
        record_number=record.record_number,
        code=record.code,
        issued_at=record.issued_at,
        period_start=record.period_start,
        period_end=record.period_end,
        total_minutes=record.total_minutes,
        teams=list(summary.get("teams", [])),
        organisations=list(summary.get("organisations", [])),
        verify_url=verification_url(public_base_url, record.code),
    )


def stored_name(sheet: RecordSheet, record_id: uuid.UUID, locale: str) -> str:
    """The file of one record in one language; a new real name, document or address is a new
    file (the digest says nothing without the record's code, which is part of it)."""
    printed = "\n".join(
        (sheet.code, sheet.real_name, sheet.id_document or "", sheet.id_number_masked or "", sheet.verify_url)
    )
    return f"{record_id}-{locale}-{hashlib.sha256(printed.encode()).hexdigest()[:16]}.pdf"


async def stored_record_pdf(issued: IssuedRecord, *, locale: str, public_base_url: str, store: MediaStore) -> bytes:
    """The record's PDF from the private store, drawn and kept there the first time it is asked
    for (earlier files of the holder in this language are removed: only the latest is kept)."""
    sheet = record_sheet(issued, public_base_url=public_base_url)
    folder = record_folder(as_uuid(issued.record.user))
    path = f"{folder}/{stored_name(sheet, issued.record.id, locale)}"
    found = store.locate(path)
    if found is not None:
        return await anyio.to_thread.run_sync(found.read_bytes)
    body = await anyio.to_thread.run_sync(render_record_pdf, sheet, locale, limiter=_limiter)
    await anyio.to_thread.run_sync(_keep, store, folder, path, locale, body)
    return body


def _keep(store: MediaStore, folder: str, path: str, locale: str, body: bytes) -> None:
    store.write(path, body)
    for earlier in (store.root / folder).glob(f"*-{locale}-*.pdf"):
        if earlier.name != path.rsplit("/", 1)[-1]:
            earlier.unlink(missing_ok=True)


def _day(value: date | datetime | None, locale: str) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(CITY_TZ).date()
    return format_date(value, format="long", locale=babel_locale(locale))


def _hours_text(minutes: int, locale: str) -> str:
    return _("{hours} hours").format(hours=format_hours(minutes, locale))


def render_record_pdf(sheet: RecordSheet, locale: str) -> bytes:
    """The PDF, labels in ``locale`` (run in a worker thread: the locale is set here explicitly)."""
    from fpdf import FPDF

    with use_locale(locale):
        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        pdf.set_margins(MARGIN, 18, MARGIN)
        pdf.set_auto_page_break(True, margin=18)
        pdf.add_font(FONT, "", fname=str(font_file()), collection_font_number=face_index(locale))
        pdf.add_font(FONT, "B", fname=str(font_file(bold=True)), collection_font_number=face_index(locale, bold=True))
        pdf.set_title(_("Volunteer service record"))
        pdf.set_creator(_(ISSUER))
        pdf.set_lang(locale)
        pdf.add_page()
        _heading(pdf)
        _holder(pdf, sheet, locale)
        _service(pdf, sheet, locale)
        _issue(pdf, sheet, locale)
        return bytes(pdf.output())


def _heading(pdf: FPDF) -> None:
    from fpdf.enums import XPos, YPos

    pdf.set_font(FONT, "B", 20)
    pdf.cell(0, 12, _("Volunteer service record"), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 8.5)
    pdf.set_text_color(90, 90, 90)
    notice = _(
        "Issued by this platform from hours verified by team coordinators; "
        "not a certificate of the national volunteer service information system."
    )
    pdf.multi_cell(0, 4.5, notice, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(5)


def _field(pdf: FPDF, label: str, value: str, *, width: float = 0) -> None:
    from fpdf.enums import XPos, YPos

    pdf.set_font(FONT, "B", 10.5)
    pdf.cell(LABEL_WIDTH, 7, label)
    pdf.set_font(FONT, "", 10.5)
    pdf.multi_cell(width, 7, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _holder(pdf: FPDF, sheet: RecordSheet, locale: str) -> None:
    _field(pdf, _("Record number"), sheet.record_number)
    _field(pdf, _("Real name"), sheet.real_name)
    if sheet.id_document:
        document = _(ID_DOCUMENT_NAMES.get(sheet.id_document, sheet.id_document))
        _field(pdf, _("Identity document"), f"{document}  {sheet.id_number_masked or ''}".strip())
    period = f"{_day(sheet.period_start, locale)} – {_day(sheet.period_end, locale)}"
    _field(pdf, _("Service period"), period)
    _field(pdf, _("Total verified hours"), _hours_text(sheet.total_minutes, locale))
    pdf.ln(4)


def _service(pdf: FPDF, sheet: RecordSheet, locale: str) -> None:
    from fpdf.enums import XPos, YPos

    pdf.set_font(FONT, "B", 12)
    pdf.cell(0, 8, _("Service content"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 10)
    with pdf.table(
        col_widths=(58, 58, 27, 27), text_align=("LEFT", "LEFT", "RIGHT", "RIGHT"), line_height=6.5
    ) as table:
        header = table.row()
        for title in (_("Team"), _("Community"), _("Hours"), _("Shifts")):
            header.cell(title)
        for team in sheet.teams:
            row = table.row()
            row.cell(pick(team["name"], locale)[0])
            row.cell(pick(team["community"], locale)[0])
            row.cell(format_hours(team["minutes"], locale))
            row.cell(str(team["shifts"]))
    pdf.ln(4)
    separator = ", " if locale in ("en", "ko") else "、"
    names = separator.join(pick(organisation["name"], locale)[0] for organisation in sheet.organisations)
    _field(pdf, _("Organisations"), names)
    pdf.ln(4)


def _issue(pdf: FPDF, sheet: RecordSheet, locale: str) -> None:
    from fpdf.enums import XPos, YPos

    if pdf.get_y() + QR_SIZE + 12 > pdf.h - 18:
        pdf.add_page()
    top = pdf.get_y()
    left_width = pdf.w - 2 * MARGIN - QR_SIZE - LABEL_WIDTH - 6
    _field(pdf, _("Issued by"), _(ISSUER), width=left_width)
    _field(pdf, _("Issue date"), _day(sheet.issued_at, locale), width=left_width)
    _field(pdf, _("Verification code"), grouped_code(sheet.code), width=left_width)
    pdf.set_font(FONT, "", 8.5)
    pdf.set_text_color(90, 90, 90)
    hint = _("The record number or the verification code checks this record: scan the QR code, or open this address:")
    pdf.multi_cell(LABEL_WIDTH + left_width, 4.5, f"{hint}\n{sheet.verify_url}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.image(io.BytesIO(qr_png(sheet.verify_url, scale=6)), x=pdf.w - MARGIN - QR_SIZE, y=top, w=QR_SIZE, h=QR_SIZE)
