"""All plates of a patrol route on A4 sheets (PDF), to print, cut along the dashed lines and fix
at the checkpoints.

Each plate carries what the single plate PNG carries (``routes.checkpoint_plate``): the
checkpoint's code as a QR code (the payload a volunteer's scan sends) and written out, its order
on the route, its name in the community's language (the city's, zh-Hans) and, when the viewer
reads another language, in the viewer's too; the route and the team are named small at the top.
Coordinators only, like the PNG: anyone holding the codes could "scan" every plate from the sofa.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio
import anyio.to_thread

from backend.core.errors import Forbidden
from backend.core.fonts import face_index, font_file
from backend.core.i18n import DEFAULT_LOCALE, _, get_locale, pick, use_locale
from backend.core.qr import qr_png
from backend.volunteers.teams.guards import get_team
from backend.volunteers.teams.queries import read_route, visible_route

if TYPE_CHECKING:
    from fpdf import FPDF  # ~0.6 s to import: only the drawing loads it

# Two columns, two rows: a plate of 95 × 138 mm with a QR code of 62 mm scans from a few metres.
COLUMNS, ROWS = 2, 2
PLATES_PER_PAGE = COLUMNS * ROWS
PAGE_W, PAGE_H = 210.0, 297.0
MARGIN = 10.0
QR_SIDE = 62.0
_limiter = anyio.CapacityLimiter(2)  # CPU work in worker threads: a few at a time


@dataclass(frozen=True)
class Plate:
    position: int
    code: str
    name: str  # in the community's language
    name_locale: str
    viewer_name: str | None  # in the viewer's language, when it differs
    viewer_name_locale: str | None


@dataclass(frozen=True)
class PlateSheet:
    route_name: str
    team_name: str
    locale: str  # the viewer's: headings and labels
    plates: list[Plate]


async def route_plates_pdf(*, user_id: uuid.UUID, route_id: uuid.UUID) -> tuple[bytes, int]:
    """(the PDF, how many plates) of every checkpoint of the route, in walking order; 404 outside
    the team, 403 for its members who do not coordinate it (as the plate PNG)."""
    route, coordinator = await visible_route(user_id=user_id, route_id=route_id)
    if not coordinator:
        raise Forbidden()
    view = await read_route(user_id=user_id, route_id=route_id)
    team = await get_team(route["team"])
    viewer = get_locale()
    plates = []
    for row in view.checkpoints:
        name, served = pick(row["name"], DEFAULT_LOCALE)
        own, own_served = pick(row["name"], viewer)
        plates.append(
            Plate(
                position=row["position"],
                code=row["code"],
                name=name,
                name_locale=served or DEFAULT_LOCALE,
                viewer_name=own if own != name else None,
                viewer_name_locale=(own_served or viewer) if own != name else None,
            )
        )
    sheet = PlateSheet(
        route_name=pick(route["name"], viewer)[0],
        team_name=pick(team.name, viewer)[0],  # type: ignore[arg-type]  # JSON column: a dict
        locale=viewer,
        plates=plates,
    )
    body = await anyio.to_thread.run_sync(render_plates_pdf, sheet, limiter=_limiter)
    return body, len(plates)


def _family(pdf: FPDF, locale: str, *, bold: bool = False) -> str:
    """The Noto CJK face for a language (each language its own family: a name in Japanese is drawn
    with Japanese shapes beside a heading in Chinese)."""
    family = f"noto-{locale}".lower()
    style = "B" if bold else ""
    if f"{family}{style}" not in pdf.fonts:
        pdf.add_font(
            family, style, fname=str(font_file(bold=bold)), collection_font_number=face_index(locale, bold=bold)
        )
    return family


def render_plates_pdf(sheet: PlateSheet) -> bytes:
    """The PDF, labels in the viewer's language (run in a worker thread: the locale set here)."""
    from fpdf import FPDF

    with use_locale(sheet.locale):
        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_title(_("Checkpoint plates: {route}").format(route=sheet.route_name))
        pdf.set_lang(sheet.locale)
        if not sheet.plates:
            pdf.add_page()
            pdf.set_font(_family(pdf, sheet.locale), "", 12)
            pdf.set_xy(MARGIN, MARGIN)
            pdf.cell(0, 10, _("This route has no checkpoints."))
        for index, plate in enumerate(sheet.plates):
            if index % PLATES_PER_PAGE == 0:
                pdf.add_page()
                _cut_lines(pdf)
            slot = index % PLATES_PER_PAGE
            _plate(pdf, sheet, plate, column=slot % COLUMNS, row=slot // COLUMNS)
        return bytes(pdf.output())


def _cell_size() -> tuple[float, float]:
    return (PAGE_W - 2 * MARGIN) / COLUMNS, (PAGE_H - 2 * MARGIN) / ROWS


def _cut_lines(pdf: FPDF) -> None:
    width, height = _cell_size()
    pdf.set_draw_color(160, 160, 160)
    pdf.set_line_width(0.2)
    with pdf.local_context():
        pdf.set_dash_pattern(dash=2, gap=2)
        for column in range(COLUMNS + 1):
            x = MARGIN + column * width
            pdf.line(x, MARGIN, x, PAGE_H - MARGIN)
        for row in range(ROWS + 1):
            y = MARGIN + row * height
            pdf.line(MARGIN, y, PAGE_W - MARGIN, y)


def _centred(pdf: FPDF, x: float, y: float, width: float, height: float, text: str) -> None:
    pdf.set_xy(x, y)
    pdf.cell(width, height, _fitted(pdf, text, width), align="C")


def _fitted(pdf: FPDF, text: str, width: float) -> str:
    """The text, cut with an ellipsis where it would run past the plate."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _plate(pdf: FPDF, sheet: PlateSheet, plate: Plate, *, column: int, row: int) -> None:
    width, height = _cell_size()
    left, top = MARGIN + column * width, MARGIN + row * height + 10  # the block centred on the plate
    inner = width - 10
    pdf.set_text_color(90, 90, 90)
    pdf.set_font(_family(pdf, sheet.locale), "", 8.5)
    _centred(pdf, left + 5, top + 5, inner, 5, f"{sheet.team_name} · {sheet.route_name}")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(_family(pdf, sheet.locale, bold=True), "B", 15)
    heading = _("Patrol checkpoint {position}").format(position=plate.position)
    _centred(pdf, left + 5, top + 11, inner, 9, heading)
    qr = qr_png(plate.code, scale=10, border=2)
    pdf.image(io.BytesIO(qr), x=left + (width - QR_SIDE) / 2, y=top + 22, w=QR_SIDE, h=QR_SIDE)
    y = top + 22 + QR_SIDE + 4
    pdf.set_font(_family(pdf, plate.name_locale, bold=True), "B", 16)
    _centred(pdf, left + 5, y, inner, 9, plate.name)
    y += 9
    if plate.viewer_name and plate.viewer_name_locale:
        pdf.set_font(_family(pdf, plate.viewer_name_locale), "", 11)
        _centred(pdf, left + 5, y, inner, 6, plate.viewer_name)
    y += 8
    pdf.set_font(_family(pdf, "en"), "", 14)
    _centred(pdf, left + 5, y, inner, 7, f"{plate.code[:4]} {plate.code[4:]}")
