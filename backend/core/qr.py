"""QR codes as PNG, drawn by segno (pure Python; no image library needed for this)."""

from __future__ import annotations

import base64
import io

import segno


def qr_png(data: str, *, scale: int = 8, border: int = 2) -> bytes:
    buffer = io.BytesIO()
    # Error correction M survives a scuffed phone screen or a creased printout.
    segno.make(data, error="m", micro=False).save(buffer, kind="png", scale=scale, border=border)
    return buffer.getvalue()


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()
