"""A route's map as one PNG drawn on the server: the tiles of the configured source
(``LINLI_MAP_TILES``, a ``https://…/{z}/{x}/{y}.png`` template) under the checkpoints, numbered
in walking order and joined by the path walked.

Why on the server and not a map script in the browser: the console runs no script of ours unless
a browser API needs one, its pages' CSP lets images come only from the site itself, and a staff
member's browser then never talks to the tile provider (it learns nothing of who looks at which
patrol route). One image of a route answers what the page asks: where the checkpoints are and in
which order. Tiles are fetched with a short timeout and kept in a small in-process cache; a tile
that does not come is left grey (the checkpoints are still drawn, and the page lists them with
their coordinates).
"""

from __future__ import annotations

import asyncio
import io
import math
import uuid
from collections import OrderedDict
from dataclasses import dataclass

import anyio
import anyio.to_thread
import httpx
from PIL import Image, ImageDraw, ImageFont

from backend.core import fonts
from backend.volunteers.teams.queries import read_route

TILE = 256
WIDTH, HEIGHT = 960, 540
PADDING = 48  # pixels kept free around the checkpoints
MAX_ZOOM, MIN_ZOOM = 18, 3
FETCH_TIMEOUT = 4.0
CACHE_TILES = 512
_cache: OrderedDict[str, bytes] = OrderedDict()
_limiter = anyio.CapacityLimiter(2)


@dataclass(frozen=True)
class Stop:
    position: int
    latitude: float
    longitude: float


def world_pixel(latitude: float, longitude: float, zoom: int) -> tuple[float, float]:
    """Web Mercator (the tiles' projection): the point's pixel on the whole world at ``zoom``."""
    size = TILE * 2**zoom
    latitude = max(min(latitude, 85.0511), -85.0511)
    x = (longitude + 180.0) / 360.0 * size
    sin = math.sin(math.radians(latitude))
    y = (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * size
    return x, y


def fitting_zoom(stops: list[Stop]) -> int:
    """The closest zoom at which every checkpoint fits in the picture, padding kept."""
    for zoom in range(MAX_ZOOM, MIN_ZOOM - 1, -1):
        points = [world_pixel(s.latitude, s.longitude, zoom) for s in stops]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        if max(xs) - min(xs) <= WIDTH - 2 * PADDING and max(ys) - min(ys) <= HEIGHT - 2 * PADDING:
            return zoom
    return MIN_ZOOM


def tile_url(template: str, zoom: int, x: int, y: int) -> str:
    return template.replace("{z}", str(zoom)).replace("{x}", str(x)).replace("{y}", str(y))


async def _tile(client: httpx.AsyncClient, url: str) -> bytes | None:
    if url in _cache:
        _cache.move_to_end(url)
        return _cache[url]
    try:
        answer = await client.get(url)
    except httpx.HTTPError:
        return None
    if answer.status_code != 200 or not answer.headers.get("content-type", "").startswith("image/"):
        return None
    _cache[url] = answer.content
    while len(_cache) > CACHE_TILES:
        _cache.popitem(last=False)
    return answer.content


async def route_map_png(*, user_id: uuid.UUID, route_id: uuid.UUID, tiles: str, attribution: str) -> bytes | None:
    """The map of a route the caller may see (404 outside its team, as the route itself); None
    when the route has no checkpoints or no tile source is configured."""
    view = await read_route(user_id=user_id, route_id=route_id)
    stops = [Stop(row["position"], row["latitude"], row["longitude"]) for row in view.checkpoints]
    if not stops or not tiles:
        return None
    zoom = fitting_zoom(stops)
    points = [world_pixel(s.latitude, s.longitude, zoom) for s in stops]
    centre_x = (min(p[0] for p in points) + max(p[0] for p in points)) / 2
    centre_y = (min(p[1] for p in points) + max(p[1] for p in points)) / 2
    left, top = centre_x - WIDTH / 2, centre_y - HEIGHT / 2
    last = 2**zoom - 1
    wanted = [
        (x, y)
        for x in range(math.floor(left / TILE), math.floor((left + WIDTH) / TILE) + 1)
        for y in range(math.floor(top / TILE), math.floor((top + HEIGHT) / TILE) + 1)
        if 0 <= y <= last
    ]
    headers = {"User-Agent": "Linli (community volunteers' patrol routes)"}
    async with httpx.AsyncClient(timeout=FETCH_TIMEOUT, headers=headers, follow_redirects=True) as client:
        bodies = await asyncio.gather(*(_tile(client, tile_url(tiles, zoom, x % (last + 1), y)) for x, y in wanted))
    fetched = dict(zip(wanted, bodies, strict=True))
    placed = [(p[0] - left, p[1] - top) for p in points]
    return await anyio.to_thread.run_sync(
        _draw, fetched, left, top, placed, [s.position for s in stops], attribution, limiter=_limiter
    )


def _draw(
    fetched: dict[tuple[int, int], bytes | None],
    left: float,
    top: float,
    placed: list[tuple[float, float]],
    numbers: list[int],
    attribution: str,
) -> bytes:
    picture = Image.new("RGB", (WIDTH, HEIGHT), (229, 227, 223))
    for (x, y), body in fetched.items():
        if body is None:
            continue
        try:
            tile = Image.open(io.BytesIO(body)).convert("RGB")
        except OSError:  # not an image after all: left grey
            continue
        picture.paste(tile, (round(x * TILE - left), round(y * TILE - top)))
    draw = ImageDraw.Draw(picture)
    if len(placed) > 1:
        draw.line(placed, fill=(255, 255, 255), width=9, joint="curve")
        draw.line(placed, fill=(200, 30, 45), width=5, joint="curve")
    label = _font(20, bold=True)
    for (px, py), number in zip(placed, numbers, strict=True):
        draw.ellipse((px - 17, py - 17, px + 17, py + 17), fill=(200, 30, 45), outline=(255, 255, 255), width=3)
        draw.text((px, py), str(number), font=label, fill="white", anchor="mm")
    if attribution:
        small = _font(13)
        box = draw.textbbox((0, 0), attribution, font=small)
        width, height = box[2] - box[0], box[3] - box[1]
        draw.rectangle((WIDTH - width - 12, HEIGHT - height - 10, WIDTH, HEIGHT), fill=(255, 255, 255))
        draw.text((WIDTH - width - 6, HEIGHT - height - 7), attribution, font=small, fill=(40, 40, 40))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return fonts.cjk_font(size, locale="zh-Hans", bold=bold)
    except fonts.FontMissing:
        return ImageFont.load_default(size)
