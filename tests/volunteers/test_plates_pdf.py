"""All plates of a route as a printable PDF, over HTTP (both databases): A4 pages of
``PLATES_PER_PAGE`` plates, each QR code read back from the rendered page as a phone would read
the printout, and decoding to that plate's code; the checkpoint names in the community's language
and the viewer's; the same refusals as the single plate PNG."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import httpx
import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from backend.volunteers.teams.plates_pdf import PLATES_PER_PAGE
from backend.volunteers.teams.tables import Checkpoint
from tests import factories
from tests.volunteers import builders
from tests.volunteers.test_routes import create, crew

__all__ = ["crew"]
Client = httpx.AsyncClient
SHOTS = Path(__file__).resolve().parents[1] / "browser" / "artefacts"  # kept, not committed


def decoded_codes(pdf: bytes, *, keep: str | None = None) -> list[list[str]]:
    """Per page, the QR codes a scanner reads off the page rendered at print resolution."""
    document = pypdfium2.PdfDocument(pdf)
    pages: list[list[str]] = []
    for index in range(len(document)):
        image = document[index].render(scale=200 / 72).to_pil()
        if keep and index == 0:
            SHOTS.mkdir(exist_ok=True)
            image.save(SHOTS / keep)
        found = zxingcpp.read_barcodes(image)
        # top to bottom, then left to right: the plates' order on the sheet
        found.sort(key=lambda b: (round(b.position.top_left.y / 200), b.position.top_left.x))
        pages.append([b.text for b in found])
    return pages


def page_text(page: Any) -> str:
    return str(page.extract_text()).replace("\x00", "")  # pypdf leaves the two-byte codes' zero bytes


async def test_the_plates_pdf_puts_every_checkpoint_on_a4_and_its_qr_scans(
    client: Client, crew: dict[str, Any]
) -> None:
    made = await create(
        client,
        crew,
        checkpoints=[
            {
                "name": {"zh-Hans": f"南园{n}号楼", "ja": f"南園{n}号棟"},
                "latitude": 31.29 + n / 1000,
                "longitude": 120.62,
            }
            for n in range(1, PLATES_PER_PAGE + 2)
        ],
    )
    assert made.status_code == 201, made.text
    route = made.json()
    answer = await client.get(
        f"/api/v1/routes/{route['id']}/plates.pdf",
        headers={**factories.token_for(crew["lead"]), "Accept-Language": "ja"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["cache-control"] == "private, no-store"
    reader = PdfReader(io.BytesIO(answer.content))
    assert len(reader.pages) == 2  # five plates, four to a page
    for page in reader.pages:  # A4 portrait, in points
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    codes = [stop["code"] for stop in sorted(route["checkpoints"], key=lambda s: s["position"])]
    assert decoded_codes(answer.content, keep="plates-pdf-ja.png") == [codes[:PLATES_PER_PAGE], codes[PLATES_PER_PAGE:]]
    text = "".join(page_text(page) for page in reader.pages)
    for n in range(1, PLATES_PER_PAGE + 2):
        assert f"南园{n}号楼" in text and f"南園{n}号棟" in text  # the community's name and the viewer's
        assert f"巡回ポイント {n}" in text  # the heading in the viewer's language
    assert f"{codes[0][:4]} {codes[0][4:]}" in text


async def test_a_viewer_in_the_communitys_language_sees_each_name_once(client: Client, crew: dict[str, Any]) -> None:
    route = (await create(client, crew)).json()
    answer = await client.get(
        f"/api/v1/routes/{route['id']}/plates.pdf",
        headers={**factories.token_for(crew["lead"]), "Accept-Language": "zh-Hans"},
    )
    assert answer.status_code == 200, answer.text
    reader = PdfReader(io.BytesIO(answer.content))
    assert len(reader.pages) == 1
    text = page_text(reader.pages[0])
    assert text.count("巡更点2") == 1 and "Checkpoint 2" not in text
    assert decoded_codes(answer.content, keep="plates-pdf-zh-Hans.png") == [[c["code"] for c in route["checkpoints"]]]


async def test_the_plates_pdf_is_refused_as_the_plate_png_is(client: Client, crew: dict[str, Any]) -> None:
    route = (await create(client, crew)).json()
    url = f"/api/v1/routes/{route['id']}/plates.pdf"
    assert (await client.get(url)).status_code == 401
    member = await client.get(url, headers=factories.token_for(crew["member"]))
    assert member.status_code == 403 and member.headers["content-type"].startswith("application/problem+json")
    assert (await client.get(url, headers=factories.token_for(crew["outsider"]))).status_code == 404
    missing = await client.get(f"/api/v1/routes/{uuid.uuid4()}/plates.pdf", headers=factories.token_for(crew["lead"]))
    assert missing.status_code == 404


@pytest.mark.parametrize("count", [PLATES_PER_PAGE * 2])
async def test_full_pages_hold_exactly_their_plates(client: Client, crew: dict[str, Any], count: int) -> None:
    team = crew["team"]
    row, _stops = await builders.route(team, stops=count)
    answer = await client.get(f"/api/v1/routes/{row.id}/plates.pdf", headers=factories.token_for(crew["lead"]))
    assert answer.status_code == 200, answer.text
    rows = await Checkpoint.select(Checkpoint.code).where(Checkpoint.route == row.id).order_by(Checkpoint.position)
    codes = [r["code"] for r in rows]
    assert decoded_codes(answer.content) == [codes[:PLATES_PER_PAGE], codes[PLATES_PER_PAGE:]]
