"""The statistics room's charts: SVG drawn on the server by matplotlib (its SVG backend, no
JavaScript), inlined in the page so they print, scale and can be read by tests.

Text stays text (``svg.fonttype = none``): the reader's browser draws the Chinese, Japanese and
Korean labels with its own fonts, so they are sharp and legible whatever fonts the server has;
the server only measures them (with Noto CJK where installed) to lay the chart out. A suppressed
cell is never drawn as a value: it is a hatched bar marked "<5", and the legend says why.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # matplotlib is imported when the first chart is drawn, not when the app starts
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# Families the server measures with and the browser draws with, in the reader's script first.
FONTS: dict[str, list[str]] = {
    "zh-Hans": ["Noto Sans CJK SC"],
    "zh-Hant": ["Noto Sans CJK TC"],
    "ja": ["Noto Sans CJK JP"],
    "ko": ["Noto Sans CJK KR"],
    "en": [],
}
CJK = ["Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK JP", "Noto Sans CJK KR"]
INK, MUTED, LINE = "#1f2328", "#59636e", "#d8dee4"
HATCH_FILL, HATCH_LINE, HATCH = "#ffffff", "#59636e", "///"
# Okabe–Ito: told apart by people with colour blindness too.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999")
ACCENT = "#0b6e4f"
SUPPRESSED_MARK = "<5"

_lock = threading.Lock()  # matplotlib's font and text caches are shared: one chart at a time


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # None: a suppressed cell
    color: str = ACCENT


def _figure(locale: str, height: float = 3.2) -> tuple[Figure, Axes]:
    import matplotlib

    matplotlib.use("svg")
    from matplotlib.figure import Figure

    matplotlib.rcParams.update(
        {
            "svg.fonttype": "none",
            "font.family": ["DejaVu Sans", *FONTS.get(locale, []), *CJK],
            "font.size": 10,
            "axes.edgecolor": LINE,
            "axes.labelcolor": INK,
            "xtick.color": MUTED,
            "ytick.color": MUTED,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    figure = Figure(figsize=(7.2, height), layout="constrained")
    axes = figure.add_subplot()
    axes.grid(axis="y", color=LINE, linewidth=0.6)
    axes.set_axisbelow(True)
    return figure, axes


def _svg(figure: Figure, name: str, label: str) -> str:
    """The figure as inline SVG: no XML prologue, sized by CSS, ids unique to this chart."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": name}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = _presented(buffer.getvalue())
    text = text[text.index("<svg") :]
    text = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", text, count=1)
    label = label.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return text.replace("<svg", f'<svg class="chart" role="img" aria-label="{label}" stroke-linejoin="round"', 1)


_STYLE = re.compile(r' style="([^"]*)"')
_SHEET = re.compile(r"<style[^>]*>.*?</style>|<metadata>.*?</metadata>", re.S)


def _attributes(match: re.Match[str]) -> str:
    pairs = (part.split(":", 1) for part in match.group(1).split(";") if ":" in part)
    return "".join(f' {key.strip()}="{value.strip()}"' for key, value in pairs)


def _presented(svg: str) -> str:
    """Styles as SVG presentation attributes: the site's Content-Security-Policy refuses inline
    styles (the ``style`` attribute and ``<style>``), not attributes such as ``fill``."""
    return _STYLE.sub(_attributes, _SHEET.sub("", svg))


def _legend(axes: Axes, handles: list[Artist], columns: int) -> None:
    axes.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.14),
        ncol=columns,
        frameon=False,
        fontsize=9,
        handlelength=1.4,
        columnspacing=1.2,
    )


def _y_axis(axes: Axes, *, known: bool) -> None:
    """Whole numbers on the axis; none at all when every month is hidden (there is no scale)."""
    from matplotlib.ticker import MaxNLocator

    if known:
        axes.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    else:
        axes.set_yticks([])


def _hatched(label: str) -> Artist:
    from matplotlib.patches import Patch

    return Patch(label=label, facecolor=HATCH_FILL, edgecolor=HATCH_LINE, hatch=HATCH, linewidth=0.8)


def _hidden_bar(axes: Axes, x: float, height: float, width: float, bottom: float = 0.0, mark: bool = True) -> None:
    """A suppressed cell: hatched, and (``mark``) "<5" above it."""
    axes.bar(x, height, width, bottom=bottom, facecolor=HATCH_FILL, edgecolor=HATCH_LINE, hatch=HATCH, linewidth=0.8)
    if mark:
        axes.text(x, bottom + height, SUPPRESSED_MARK, ha="center", va="bottom", fontsize=8, color=MUTED)


def bar_chart(
    *, name: str, label: str, months: Sequence[str], series: Sequence[Series], suppressed: str, locale: str
) -> str:
    """Bars per month (side by side when several series); a suppressed cell a hatched stub "<5"."""
    from matplotlib.patches import Patch

    with _lock:
        figure, axes = _figure(locale)
        shown = [v for s in series for v in s.values if v is not None]
        stub = max(max(shown, default=0) * 0.06, 0.5)
        width = 0.8 / len(series)
        any_hidden = False
        for n, item in enumerate(series):
            for i, value in enumerate(item.values):
                x = i - 0.4 + width * (n + 0.5)
                if value is None:
                    any_hidden = True
                    _hidden_bar(axes, x, stub, width * 0.92)
                else:
                    axes.bar(x, value, width * 0.92, color=item.color)
        axes.set_xticks(range(len(months)), months, rotation=45 if len(months) > 8 else 0)
        axes.set_xlim(-0.6, len(months) - 0.4)
        axes.set_ylim(0, max(max(shown, default=0) * 1.12, stub * 6))
        _y_axis(axes, known=bool(shown))
        handles: list[Artist] = [Patch(color=s.color, label=s.name) for s in series] if len(series) > 1 else []
        if any_hidden:
            handles.append(_hatched(suppressed))
        if handles:
            _legend(axes, handles, min(len(handles), 3))
        return _svg(figure, name, label)


def stacked_chart(
    *,
    name: str,
    label: str,
    months: Sequence[str],
    series: Sequence[Series],
    totals: Sequence[float | None],
    suppressed: str,
    locale: str,
    shares: bool = False,
) -> str:
    """Stacked bars per month; what the suppressed cells hold together (the total less what is
    shown, which the reader could work out anyway) is one hatched block on top, marked "<5" when
    the whole month is hidden."""
    from matplotlib.patches import Patch
    from matplotlib.ticker import PercentFormatter

    with _lock:
        figure, axes = _figure(locale, height=3.6)
        known = [t for t in totals if t is not None]
        top = 1.0 if shares else max(known, default=0)
        stub = max(top * 0.06, 0.5) if not shares else 0.06
        any_hidden = False
        for i, total in enumerate(totals):
            bottom = 0.0
            for item in series:
                value = item.values[i]
                if value:
                    axes.bar(i, value, 0.7, bottom=bottom, color=item.color)
                    bottom += value
            if total is None:
                any_hidden = True
                _hidden_bar(axes, i, stub, 0.7)
            elif total - bottom > 1e-9 and any(item.values[i] is None for item in series):
                any_hidden = True
                _hidden_bar(axes, i, total - bottom, 0.7, bottom=bottom, mark=False)
        axes.set_xticks(range(len(months)), months, rotation=45 if len(months) > 8 else 0)
        axes.set_xlim(-0.6, len(months) - 0.4)
        if shares:
            axes.set_ylim(0, 1.0)
            axes.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        else:
            axes.set_ylim(0, max(top * 1.1, stub * 3))
            _y_axis(axes, known=bool(known))
        handles: list[Artist] = [Patch(color=s.color, label=s.name) for s in series]
        if any_hidden:
            handles.append(_hatched(suppressed))
        _legend(axes, handles, 3 if len(handles) > 4 else len(handles))
        return _svg(figure, name, label)
