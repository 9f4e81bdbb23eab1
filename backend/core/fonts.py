"""Fonts for generated images, and fitting text into a width.

Chinese, Japanese and Korean need a font with their glyphs, or Pillow draws empty boxes
("tofu"). We use Noto Sans CJK from the operating system's package (Debian and Ubuntu:
``fonts-noto-cjk``; the project's scripts install it). One ``.ttc`` file holds a face per region:
the same character has a different shape in Simplified Chinese, Traditional Chinese, Japanese and
Korean (e.g. 骨, 直, 令), so the face is chosen by the language of the text, and every face covers
all four scripts, so text that fell back to another language still renders.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from PIL import ImageFont

# Where distributions put Noto Sans CJK (Debian/Ubuntu first: that is what the scripts install).
FONT_DIRS: tuple[Path, ...] = (
    Path("/usr/share/fonts/opentype/noto"),  # Debian, Ubuntu: fonts-noto-cjk
    Path("/usr/share/fonts/google-noto-cjk"),  # Fedora: google-noto-sans-cjk-fonts
    Path("/usr/share/fonts/noto-cjk"),  # Arch: noto-fonts-cjk
    Path("/usr/share/fonts/noto"),  # Alpine: font-noto-cjk
)
REGULAR_FILE = "NotoSansCJK-Regular.ttc"
BOLD_FILE = "NotoSansCJK-Bold.ttc"
INSTALL_HINT = "On Debian or Ubuntu: apt-get install fonts-noto-cjk"

# The face of the .ttc for each of our locales, by family name (the order of faces inside the
# file is not a promise). English uses the Simplified Chinese face: its Latin letters are the
# same in every face, and a card in English may still show Chinese that fell back.
FAMILIES: dict[str, str] = {
    "zh-Hans": "Noto Sans CJK SC",
    "zh-Hant": "Noto Sans CJK TC",
    "ja": "Noto Sans CJK JP",
    "ko": "Noto Sans CJK KR",
    "en": "Noto Sans CJK SC",
}
ELLIPSIS = "…"


class FontMissing(RuntimeError):
    """The CJK font is not installed where we look for it, or lacks a face we need."""


def font_file(*, bold: bool = False) -> Path:
    """The installed Noto Sans CJK collection (regular or bold)."""
    name = BOLD_FILE if bold else REGULAR_FILE
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    looked = ", ".join(str(folder / name) for folder in FONT_DIRS)
    raise FontMissing(f"Noto Sans CJK is not installed (looked for {looked}). {INSTALL_HINT}")


@cache
def _face_indexes(path: Path) -> dict[str, int]:
    """Family name → face index of every face in a .ttc."""
    indexes: dict[str, int] = {}
    index = 0
    while True:
        try:
            face = ImageFont.truetype(str(path), 12, index=index)
        except OSError:  # FreeType's "invalid argument": past the last face
            break
        family, _style = face.getname()
        if family is not None:
            indexes.setdefault(family, index)
        index += 1
    return indexes


def face_index(locale: str, *, bold: bool = False) -> int:
    """The index, inside the collection, of the face drawn for ``locale``."""
    path = font_file(bold=bold)
    family = FAMILIES.get(locale, FAMILIES["en"])
    try:
        return _face_indexes(path)[family]
    except KeyError:
        raise FontMissing(f"{path} has no face named {family!r}. {INSTALL_HINT}") from None


# FreeType faces are not safe to use from two threads at once, and cards render in worker
# threads: each thread keeps its own loaded faces.
_loaded = threading.local()


def cjk_font(size: int, *, locale: str, bold: bool = False) -> ImageFont.FreeTypeFont:
    """Noto Sans CJK at ``size`` pixels, in the face of ``locale``; FontMissing if not installed."""
    index = face_index(locale, bold=bold)
    fonts: dict[tuple[int, int, bool], ImageFont.FreeTypeFont] = _loaded.__dict__.setdefault("fonts", {})
    key = (size, index, bold)
    if key not in fonts:
        fonts[key] = ImageFont.truetype(str(font_file(bold=bold)), size, index=index)
    return fonts[key]


# --- fitting text into a width ------------------------------------------------------------------

# Kinsoku (禁則): these never start a line, and the opening ones never end one.
_NO_LINE_START = set(
    "、。，．,.：:；;？?！!）)］]｝}」』】〕〉》〗”’%％‰・ー…‥々〻ゝゞヽヾ"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ"
)
_NO_LINE_END = set("（(［[｛{「『【〔〈《〖“‘")


def _breaks_anywhere(char: str) -> bool:
    """CJK ideographs, kana and full-width signs: a line may break before and after each.

    Hangul is not among them: Korean puts spaces between words and breaks there, like Latin.
    """
    code = ord(char)
    return (
        0x2E80 <= code <= 0x30FF  # radicals, CJK symbols and punctuation, kana
        or 0x31C0 <= code <= 0x31FF  # strokes, kana extensions
        or 0x3400 <= code <= 0x4DBF  # ideographs extension A
        or 0x4E00 <= code <= 0x9FFF  # ideographs
        or 0xF900 <= code <= 0xFAFF  # compatibility ideographs
        or 0xFE30 <= code <= 0xFE4F  # vertical and compatibility forms
        or 0xFF00 <= code <= 0xFFEF  # full-width and half-width forms
        or 0x20000 <= code <= 0x3FFFF  # ideographs extensions B onwards
    )


def normalise_spaces(text: str) -> str:
    """Every run of white space (Babel's narrow and thin spaces included) as one plain space."""
    return " ".join(text.split())


def _tokens(text: str) -> Iterator[str]:
    """Units that stay on one line: a word, one CJK character, or " " where a break may go."""
    word = ""
    for char in normalise_spaces(text):
        if char == " " or _breaks_anywhere(char):
            if word:
                yield word
                word = ""
            yield char
        else:
            word += char
    if word:
        yield word


def _glue(tokens: Iterator[str]) -> list[str]:
    """Keep a closing sign with the unit before it, and an opening one with the unit after."""
    glued: list[str] = []
    for token in tokens:
        previous = glued[-1] if glued else " "
        if token != " " and previous != " " and (token[0] in _NO_LINE_START or previous[-1] in _NO_LINE_END):
            glued[-1] += token
        else:
            glued.append(token)
    return glued


def _split_long(token: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """A unit wider than a line (a long URL, a very long word) broken between characters."""
    pieces, piece = [], ""
    for char in token:
        if piece and font.getlength(piece + char) > width:
            pieces.append(piece)
            piece = ""
        piece += char
    return [*pieces, piece] if piece else pieces


def wrap(text: str, font: ImageFont.FreeTypeFont, width: float, *, max_lines: int) -> list[str]:
    """``text`` in lines no wider than ``width``: CJK breaks between characters, Latin and Korean
    between words; past ``max_lines`` the last line ends with an ellipsis."""
    lines: list[str] = []
    line = ""
    for token in _glue(_tokens(text)):
        if token == " ":
            line += " " if line else ""
            continue
        if font.getlength(line + token) <= width:
            line += token
            continue
        if line.strip():
            lines.append(line.rstrip())
        pieces = _split_long(token, font, width) if font.getlength(token) > width else [token]
        lines.extend(pieces[:-1])
        line = pieces[-1]
    if line.strip():
        lines.append(line.rstrip())
    if len(lines) <= max_lines:
        return lines
    return [*lines[: max_lines - 1], _with_ellipsis(lines[max_lines - 1], font, width)]


def _with_ellipsis(line: str, font: ImageFont.FreeTypeFont, width: float) -> str:
    while line and font.getlength(line.rstrip() + ELLIPSIS) > width:
        line = line[:-1]
    return line.rstrip() + ELLIPSIS


def ellipsize(text: str, font: ImageFont.FreeTypeFont, width: float) -> str:
    """``text`` on one line, cut with an ellipsis if it is wider than ``width``."""
    text = normalise_spaces(text)
    return text if font.getlength(text) <= width else _with_ellipsis(text, font, width)


def missing_glyphs(text: str, font: ImageFont.FreeTypeFont) -> list[str]:
    """Characters of ``text`` that ``font`` would draw as its .notdef box (tofu).

    Pillow does not expose the character map, so this compares each character's bitmap with the
    bitmap of a code point no font has (U+10FFFD, private use); white space, control and format
    characters draw nothing and are skipped.
    """
    notdef = _bitmap("\U0010fffd", font)
    return [
        char
        for char in dict.fromkeys(text)
        if not char.isspace() and unicodedata.category(char) not in ("Cc", "Cf") and _bitmap(char, font) == notdef
    ]


def _bitmap(char: str, font: ImageFont.FreeTypeFont) -> tuple[tuple[int, int], bytes]:
    mask = font.getmask(char)
    return mask.size, bytes(mask)
