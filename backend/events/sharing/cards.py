"""Drawing a share card: what it says in the caller's language, where each line goes, and the PNG.
CPU work (``render_card``) runs in a worker thread."""

from __future__ import annotations

import io
from dataclasses import dataclass

import structlog
from PIL import Image, ImageDraw, ImageFont

from backend.core import fonts
from backend.core.i18n import N_, _, format_interval, get_locale, pick
from backend.core.qr import qr_modules, qr_png
from backend.events.catalogue.tables import Event, Venue
from backend.events.catalogue.texts import texts
from backend.events.catalogue.vocabulary import category_name

log = structlog.get_logger("linli.share_cards")

CALL_TO_ACTION = N_("Scan the code to see the event and sign up")


@dataclass(frozen=True)
class CardText:
    """What a card says, already in its language; ``*_locale`` chooses the face it is drawn in
    (a title that fell back to Chinese on a Korean card is drawn in the Chinese face)."""

    locale: str
    category: str
    title: str
    title_locale: str
    when: str
    venue: str
    venue_locale: str
    call_to_action: str


def card_text(event: Event, venue: Venue) -> CardText:
    locale = get_locale()
    title, title_locale = pick(texts(event.title))
    venue_name, venue_locale = pick(texts(venue.name))
    return CardText(
        locale=locale,
        category=category_name(event.category),
        title=title,
        title_locale=title_locale or locale,
        when=format_interval(event.starts_at, event.ends_at),
        venue=venue_name,
        venue_locale=venue_locale or locale,
        call_to_action=_(CALL_TO_ACTION),
    )


# --- drawing -------------------------------------------------------------------------------------

CARD_SIZE = (750, 1334)
MARGIN = 64
CONTENT_WIDTH = CARD_SIZE[0] - 2 * MARGIN
QR_SIDE = 320
QR_BOX = ((CARD_SIZE[0] - QR_SIDE) // 2, 856, QR_SIDE)  # left, top, side: where the code goes
_MAX_CODE_PIXELS = 2000 * 2000

PAPER = (248, 244, 236)
INK = (33, 37, 41)
MUTED = (100, 106, 112)
ACCENT = (178, 58, 72)  # 海棠红
SLATE = (47, 62, 70)  # 黛, the dark tiles over Suzhou's white walls
WHITE = (255, 255, 255)
RGB = tuple[int, int, int]


@dataclass(frozen=True)
class TextRun:
    """One line of text as drawn: its font is ``fonts.cjk_font(size, locale=, bold=)``."""

    text: str
    xy: tuple[int, int]
    size: int
    locale: str
    fill: RGB
    bold: bool = False
    anchor: str = "la"


@dataclass(frozen=True)
class Layout:
    runs: list[TextRun]
    pill: tuple[int, int, int, int]  # the category's background
    bar: tuple[int, int, int, int]  # the accent under the title
    icons: list[tuple[str, tuple[int, int]]]  # ("clock" | "pin", top-left)


def _font(size: int, locale: str, bold: bool = False) -> ImageFont.FreeTypeFont:
    return fonts.cjk_font(size, locale=locale, bold=bold)


# The category, title, time and venue stand centred in the space above the code.
_BLOCK_TOP, _BLOCK_BOTTOM = 72, QR_BOX[1] - 72


def layout_card(text: CardText) -> Layout:
    """Where every line of a card goes: category pill, title, time, venue, call to action."""
    category = fonts.ellipsize(text.category, _font(28, text.locale), CONTENT_WIDTH - 40)
    pill_width = int(_font(28, text.locale).getlength(category)) + 40
    title = fonts.wrap(text.title, _font(60, text.title_locale, bold=True), CONTENT_WIDTH, max_lines=4)
    rows = [
        (icon, locale, fonts.wrap(value, _font(32, locale), CONTENT_WIDTH - 52, max_lines=2))
        for icon, value, locale in (("clock", text.when, text.locale), ("pin", text.venue, text.venue_locale))
    ]
    height = 52 + 28 + 84 * len(title) + 56 + sum(46 * len(lines) + 22 for _, _, lines in rows)
    y = max(_BLOCK_TOP, _BLOCK_TOP + (_BLOCK_BOTTOM - _BLOCK_TOP - height) // 2)

    pill = (MARGIN, y, MARGIN + pill_width, y + 52)
    runs = [TextRun(category, (MARGIN + 20, y + 26), 28, text.locale, WHITE, anchor="lm")]
    y += 52 + 28
    for line in title:
        runs.append(TextRun(line, (MARGIN, y), 60, text.title_locale, INK, bold=True))
        y += 84
    bar = (MARGIN, y + 16, MARGIN + 80, y + 22)
    y += 56
    icons: list[tuple[str, tuple[int, int]]] = []
    for icon, locale, lines in rows:
        icons.append((icon, (MARGIN, y + 6)))
        for line in lines:
            runs.append(TextRun(line, (MARGIN + 52, y), 32, locale, INK))
            y += 46
        y += 22

    cta_y = QR_BOX[1] + QR_SIDE + 46
    for line in fonts.wrap(text.call_to_action, _font(26, text.locale), CONTENT_WIDTH, max_lines=2):
        runs.append(TextRun(line, (CARD_SIZE[0] // 2, cta_y), 26, text.locale, MUTED, anchor="ma"))
        cta_y += 36
    return Layout(runs=runs, pill=pill, bar=bar, icons=icons)


def render_card(text: CardText, *, wxacode: bytes | None, link: str) -> bytes:
    """The card as a 750×1334 PNG; the mini-program code when it is a usable image, else a QR of
    ``link``. CPU work: call it in a worker thread."""
    layout = layout_card(text)
    card = Image.new("RGB", CARD_SIZE, PAPER)
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, CARD_SIZE[0], 20), fill=SLATE)
    draw.rectangle((0, 20, CARD_SIZE[0], 26), fill=ACCENT)
    draw.rectangle((0, CARD_SIZE[1] - 20, CARD_SIZE[0], CARD_SIZE[1]), fill=SLATE)
    draw.rounded_rectangle(layout.pill, radius=26, fill=ACCENT)
    draw.rectangle(layout.bar, fill=ACCENT)
    for icon, (x, y) in layout.icons:
        (_draw_clock if icon == "clock" else _draw_pin)(draw, x, y)
    for run in layout.runs:
        draw.text(run.xy, run.text, font=_font(run.size, run.locale, run.bold), fill=run.fill, anchor=run.anchor)

    left, top, side = QR_BOX
    frame = (left - 20, top - 20, left + side + 20, top + side + 20)
    draw.rounded_rectangle(frame, radius=24, fill=WHITE, outline=(226, 220, 208), width=2)
    mark = _code_image(wxacode) if wxacode else None
    if mark is None:
        mark = _qr_image(link)
    card.paste(mark, (left + (side - mark.width) // 2, top + (side - mark.height) // 2))
    buffer = io.BytesIO()
    card.save(buffer, format="PNG")
    return buffer.getvalue()


def _draw_clock(draw: ImageDraw.ImageDraw, x: int, y: int) -> None:
    draw.ellipse((x, y, x + 30, y + 30), outline=ACCENT, width=3)
    draw.line((x + 15, y + 15, x + 15, y + 6), fill=ACCENT, width=3)
    draw.line((x + 15, y + 15, x + 22, y + 19), fill=ACCENT, width=3)


def _draw_pin(draw: ImageDraw.ImageDraw, x: int, y: int) -> None:
    draw.polygon([(x + 4, y + 15), (x + 26, y + 15), (x + 15, y + 32)], fill=ACCENT)
    draw.ellipse((x + 3, y, x + 27, y + 24), fill=ACCENT)
    draw.ellipse((x + 10, y + 7, x + 20, y + 17), fill=PAPER)


def _code_image(data: bytes) -> Image.Image | None:
    """WeChat's code scaled into the QR box, or None if it is not an image we can use."""
    try:
        image: Image.Image = Image.open(io.BytesIO(data))
        if image.width * image.height > _MAX_CODE_PIXELS:
            raise ValueError(f"{image.width}×{image.height} is too large for a code")
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        log.warning("share_card.wxacode_unusable", error=str(error))
        return None
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA")
    if image.width > QR_SIDE or image.height > QR_SIDE:
        image.thumbnail((QR_SIDE, QR_SIDE), Image.Resampling.LANCZOS)
    elif (factor := QR_SIDE // max(image.width, image.height)) > 1:
        image = image.resize((image.width * factor, image.height * factor), Image.Resampling.NEAREST)
    # A transparent code (WeChat's is_hyaline) lies on white, not on black.
    flat = Image.new("RGB", image.size, WHITE)
    flat.paste(image, mask=image.getchannel("A") if image.mode == "RGBA" else None)
    return flat


def _qr_image(link: str) -> Image.Image:
    """A QR code of ``link``, in whole pixels per module, as large as fits the QR box."""
    scale = max(1, QR_SIDE // qr_modules(link))
    return Image.open(io.BytesIO(qr_png(link, scale=scale, dark="#212529", light="#ffffff"))).convert("RGB")
