"""Drawing a share card: what it says in the caller's language, where each line goes, and the PNG.
CPU work (``render_card``) runs in a worker thread.

The event's poster, when it has one, fills the top of the card as far as the words below it
leave room; without one, a dark panel carries the category and the title. The code that opens
the event sits at the bottom, with the call to action beside it, always in the same place."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

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
FOOTER = 20  # the dark band along the bottom edge
QR_SIDE = 240
QR_PAD = 16  # white frame around the code
QR_BOX = (MARGIN + QR_PAD, CARD_SIZE[1] - FOOTER - 56 - QR_SIDE, QR_SIDE)  # left, top, side: where the code goes
_CTA_LEFT = QR_BOX[0] + QR_SIDE + QR_PAD + 28
_CTA_WIDTH = CARD_SIZE[0] - MARGIN - _CTA_LEFT
_TEXT_BOTTOM = QR_BOX[1] - QR_PAD - 48  # the words above the code end here
_GAP = 56  # between the panel or poster and the words under it
POSTER_MAX_HEIGHT = 760
MIN_POSTER_HEIGHT = 380
_MAX_CODE_PIXELS = 2000 * 2000
_MAX_POSTER_PIXELS = 4000 * 4000

PAPER = (248, 244, 236)
INK = (33, 37, 41)
MUTED = (100, 106, 112)
ACCENT = (178, 58, 72)  # 海棠红
SLATE = (47, 62, 70)  # 黛, the dark tiles over Suzhou's white walls
SLATE_LIGHT = (58, 75, 85)
WHITE = (255, 255, 255)
RGB = tuple[int, int, int]
Box = tuple[int, int, int, int]


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
    pill: Box  # the category's background
    icons: list[tuple[str, tuple[int, int]]]  # ("clock" | "pin", top-left)
    bar: Box | None = None  # the accent under the title (on paper)
    panel: Box | None = None  # the dark panel that stands in for a poster
    poster: Box | None = None  # where the poster goes, cropped to fill it
    marks: list[Box] = field(default_factory=list)  # the moon gate drawn on the panel


def _font(size: int, locale: str, bold: bool = False) -> ImageFont.FreeTypeFont:
    return fonts.cjk_font(size, locale=locale, bold=bold)


def layout_card(text: CardText, poster: tuple[int, int] | None = None) -> Layout:
    """Where everything goes: with a poster of ``poster`` = (width, height) pixels, the poster
    takes the top as far as the category, title, time and venue under it allow; without one, a
    dark panel holds the category and title. The code and the call to action end the card."""
    return _with_poster(text, poster) if poster else _without_poster(text)


def _rows(text: CardText) -> list[tuple[str, str, list[str]]]:
    """The time (one line) and the venue (up to two), each after its icon."""
    return [
        (icon, locale, fonts.wrap(value, _font(32, locale), CONTENT_WIDTH - 52, max_lines=lines))
        for icon, value, locale, lines in (
            ("clock", text.when, text.locale, 1),
            ("pin", text.venue, text.venue_locale, 2),
        )
    ]


def _rows_height(rows: list[tuple[str, str, list[str]]]) -> int:
    return sum(46 * len(lines) for _, _, lines in rows) + 22 * (len(rows) - 1)


def _place_rows(
    rows: list[tuple[str, str, list[str]]], y: int, runs: list[TextRun]
) -> list[tuple[str, tuple[int, int]]]:
    icons = []
    for icon, locale, lines in rows:
        icons.append((icon, (MARGIN, y + 6)))
        for line in lines:
            runs.append(TextRun(line, (MARGIN + 52, y), 32, locale, INK))
            y += 46
        y += 22
    return icons


def _pill(text: CardText, x: int, y: int) -> tuple[Box, TextRun]:
    category = fonts.ellipsize(text.category, _font(28, text.locale), CONTENT_WIDTH - 40)
    width = int(_font(28, text.locale).getlength(category)) + 40
    return (x, y, x + width, y + 52), TextRun(category, (x + 20, y + 26), 28, text.locale, WHITE, anchor="lm")


def _call_to_action(text: CardText) -> list[TextRun]:
    """Beside the code, centred on it; a translation may break its own lines (\\n) where a
    reader would, which character-by-character wrapping of Japanese cannot know."""
    font = _font(26, text.locale, bold=True)
    lines = [
        line for part in text.call_to_action.split("\n") for line in fonts.wrap(part, font, _CTA_WIDTH, max_lines=3)
    ]
    lines = lines[:5]
    y = QR_BOX[1] + (QR_SIDE - 38 * len(lines)) // 2
    runs = []
    for line in lines:
        runs.append(TextRun(line, (_CTA_LEFT, y), 26, text.locale, INK, bold=True))
        y += 38
    return runs


def _without_poster(text: CardText) -> Layout:
    rows = _rows(text)
    # The panel takes whatever the time and venue leave; the title stands at its foot, the
    # category above it, as on a theatre bill.
    panel_height = _TEXT_BOTTOM - _rows_height(rows) - _GAP
    title = fonts.wrap(text.title, _font(64, text.title_locale, bold=True), CONTENT_WIDTH, max_lines=4)
    y = panel_height - 64 - 86 * len(title)
    pill, category = _pill(text, MARGIN, y - 52 - 32)
    runs = [category]
    for line in title:
        runs.append(TextRun(line, (MARGIN, y), 64, text.title_locale, WHITE, bold=True))
        y += 86
    icons = _place_rows(rows, panel_height + 6 + _GAP, runs)
    moon = (CARD_SIZE[0] - 300, 64, CARD_SIZE[0] + 100, 464)  # a 月洞门, the round garden gate
    return Layout(
        runs=runs + _call_to_action(text),
        pill=pill,
        icons=icons,
        panel=(0, 0, CARD_SIZE[0], panel_height),
        marks=[moon],
    )


def _with_poster(text: CardText, poster: tuple[int, int]) -> Layout:
    rows = _rows(text)
    natural = round(CARD_SIZE[0] * poster[1] / max(1, poster[0]))
    # A third line of title only if the poster keeps a fair share of the card.
    for max_lines in (3, 2):
        title = fonts.wrap(text.title, _font(52, text.title_locale, bold=True), CONTENT_WIDTH, max_lines=max_lines)
        words = 52 + 24 + 70 * len(title) + 48 + _rows_height(rows)
        height = max(0, min(natural, POSTER_MAX_HEIGHT, _TEXT_BOTTOM - words - _GAP))
        if height >= min(natural, MIN_POSTER_HEIGHT):
            break
    y = height + _GAP + (_TEXT_BOTTOM - words - _GAP - height) // 2  # a short poster leaves room above and below
    pill, category = _pill(text, MARGIN, y)
    runs = [category]
    y += 52 + 24
    for line in title:
        runs.append(TextRun(line, (MARGIN, y), 52, text.title_locale, INK, bold=True))
        y += 70
    bar = (MARGIN, y + 14, MARGIN + 80, y + 20)
    icons = _place_rows(rows, y + 48, runs)
    return Layout(
        runs=runs + _call_to_action(text), pill=pill, icons=icons, bar=bar, poster=(0, 0, CARD_SIZE[0], height)
    )


def render_card(text: CardText, *, wxacode: bytes | None, link: str, poster: bytes | None = None) -> bytes:
    """The card as a 750×1334 PNG: the poster when there is a usable one; the mini-program code
    when it is a usable image, else a QR of ``link``. CPU work: call it in a worker thread."""
    picture = _poster_image(poster) if poster else None
    layout = layout_card(text, picture.size if picture else None)
    card = Image.new("RGB", CARD_SIZE, PAPER)
    draw = ImageDraw.Draw(card)
    if layout.panel is not None:
        draw.rectangle(layout.panel, fill=SLATE)
        for ring in layout.marks:
            draw.ellipse(ring, outline=SLATE_LIGHT, width=14)
        draw.rectangle((0, layout.panel[3], CARD_SIZE[0], layout.panel[3] + 6), fill=ACCENT)
    if picture is not None and layout.poster is not None and layout.poster[3] > 0:
        card.paste(_cropped(picture, layout.poster), layout.poster[:2])
    draw.rectangle((0, CARD_SIZE[1] - FOOTER, CARD_SIZE[0], CARD_SIZE[1]), fill=SLATE)
    draw.rounded_rectangle(layout.pill, radius=26, fill=ACCENT)
    if layout.bar is not None:
        draw.rectangle(layout.bar, fill=ACCENT)
    for icon, (x, y) in layout.icons:
        (_draw_clock if icon == "clock" else _draw_pin)(draw, x, y)
    for run in layout.runs:
        draw.text(run.xy, run.text, font=_font(run.size, run.locale, run.bold), fill=run.fill, anchor=run.anchor)

    left, top, side = QR_BOX
    frame = (left - QR_PAD, top - QR_PAD, left + side + QR_PAD, top + side + QR_PAD)
    draw.rounded_rectangle(frame, radius=20, fill=WHITE, outline=(226, 220, 208), width=2)
    code = _code_image(wxacode) if wxacode else None
    if code is None:
        code = _qr_image(link)
    card.paste(code, (left + (side - code.width) // 2, top + (side - code.height) // 2))
    buffer = io.BytesIO()
    card.save(buffer, format="PNG")
    return buffer.getvalue()


def _poster_image(data: bytes) -> Image.Image | None:
    """The stored poster rendition (our own JPEG), or None if it cannot be read."""
    try:
        image: Image.Image = Image.open(io.BytesIO(data))
        if image.width * image.height > _MAX_POSTER_PIXELS:
            raise ValueError(f"{image.width}×{image.height} is too large for a card")
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        log.warning("share_card.poster_unusable", error=str(error))
        return None
    return image.convert("RGB")


def _cropped(picture: Image.Image, box: Box) -> Image.Image:
    """The poster scaled to the box's width and cut to its height, keeping the upper middle
    (where a poster's own title usually is)."""
    width, height = box[2] - box[0], box[3] - box[1]
    scaled_height = max(height, round(picture.height * width / picture.width))
    scaled = picture.resize((width, scaled_height), Image.Resampling.LANCZOS)
    top = (scaled_height - height) * 3 // 10
    return scaled.crop((0, top, width, top + height))


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
