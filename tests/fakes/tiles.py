"""A map tile server on loopback for the routes' maps (no internet in tests): ``/{z}/{x}/{y}.png``
answers a plain tile drawn for that address (a pale ground, a grid and its own z/x/y written on
it, so a map made of them shows where each tile landed); anything else is 404. It remembers the
tiles it was asked for."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image, ImageDraw

TILE_PATH = re.compile(r"^/(\d+)/(\d+)/(\d+)\.png$")


class TileServer:
    def __init__(self) -> None:
        self.asked: list[tuple[int, int, int]] = []
        self.base = ""

    @property
    def template(self) -> str:
        return f"{self.base}/{{z}}/{{x}}/{{y}}.png"


def draw_tile(z: int, x: int, y: int) -> bytes:
    tile = Image.new("RGB", (256, 256), (236, 240, 228))
    draw = ImageDraw.Draw(tile)
    for step in range(0, 256, 64):
        draw.line((step, 0, step, 256), fill=(214, 220, 205))
        draw.line((0, step, 256, step), fill=(214, 220, 205))
    draw.rectangle((0, 120, 256, 136), fill=(170, 205, 235))  # a canal through every tile
    draw.text((8, 8), f"{z}/{x}/{y}", fill=(120, 120, 120))
    buffer = io.BytesIO()
    tile.save(buffer, format="PNG")
    return buffer.getvalue()


@contextmanager
def serve_tiles() -> Iterator[TileServer]:
    tiles = TileServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = TILE_PATH.match(self.path)
            if not found:
                self.send_error(404)
                return
            z, x, y = (int(part) for part in found.groups())
            tiles.asked.append((z, x, y))
            body = draw_tile(z, x, y)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tiles.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tiles
    finally:
        server.shutdown()
        server.server_close()
