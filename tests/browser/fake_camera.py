"""A camera for Chromium's fake video capture: a Y4M file (YUV 4:2:0) showing a QR code, which
Chromium reads when a page opens the camera (``--use-file-for-fake-video-capture``)."""

from __future__ import annotations

from pathlib import Path

import segno
from PIL import Image

WIDTH, HEIGHT, FRAMES = 640, 480, 10


def qr_frame(text: str) -> Image.Image:
    """The code held up to the camera: dark on white, filling half the picture."""
    code = segno.make(text, error="m")
    scale = max(1, (HEIGHT // 2) // code.symbol_size(border=4)[0])
    path = Path("/tmp") / f"linli-qr-{abs(hash(text))}.png"
    code.save(str(path), scale=scale, border=4)
    picture = Image.open(path).convert("RGB")
    frame = Image.new("RGB", (WIDTH, HEIGHT), (235, 235, 230))
    frame.paste(picture, ((WIDTH - picture.width) // 2, (HEIGHT - picture.height) // 2))
    return frame


def write_y4m(path: Path, text: str) -> Path:
    """``path`` shows ``text`` as a QR code, a few identical frames (Chromium loops the file)."""
    y, cb, cr = qr_frame(text).convert("YCbCr").split()
    half = (WIDTH // 2, HEIGHT // 2)
    planes = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    header = f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode()
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(header + (b"FRAME\n" + planes) * FRAMES)
    temporary.replace(path)
    return path
