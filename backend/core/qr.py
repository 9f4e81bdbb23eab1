"""QR codes as PNG, drawn by segno (pure Python; no image library needed for this)."""

from __future__ import annotations

import base64
import io

import segno


def _code(data: str) -> segno.QRCode:
    # Error correction M survives a scuffed phone screen or a creased printout.
    return segno.make(data, error="m", micro=False)


def qr_png(data: str, *, scale: int = 8, border: int = 2, dark: str = "#000", light: str = "#fff") -> bytes:
    buffer = io.BytesIO()
    _code(data).save(buffer, kind="png", scale=scale, border=border, dark=dark, light=light)
    return buffer.getvalue()


def qr_modules(data: str, *, border: int = 2) -> int:
    """Modules across the code, border included: how many pixels one module may take."""
    return int(_code(data).symbol_size(scale=1, border=border)[0])


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()
