"""Images: a 24-megapixel JPEG through the poster pipeline (``backend/core/images.py``).

The JPEG (6000 x 4000, a photo-like mix of gradients, shapes and grain, under the default 8 MB
upload limit) is made once with Pillow. Each run then happens in a fresh child process, so its
peak memory is its own. The child imports the app's image module and the poster code, warms the
pipeline up on a tiny picture (a running server has loaded Pillow's codecs long before; a cold
first call pays for that once), records its baseline, runs one part of the work, and reports

- wall time and CPU time of the call (CPU of the whole process, its worker thread included);
- tracemalloc's peak: memory Python itself allocated (Pillow's pixel buffers are allocated by
  Pillow outside Python's allocator and do not show here);
- ru_maxrss: the child's peak resident memory, pixel buffers included, and its growth over the
  baseline measured just before the call (and /proc's VmHWM, the same peak from the kernel).

The parts (``--parts``):

- ``request``: what the upload does before it answers (``posters.first_renditions``: every width
  up to 960 px, WebP and JPEG);
- ``job``: what the job ``events.poster_renditions`` makes afterwards (the wider renditions);
- ``all``: every rendition at once, as the upload did before issue 21 (and still does for other
  callers of ``process_image``); on a commit before issue 21 only this part exists;
- ``upload``: the whole request, over HTTP: ``POST /api/v1/events/{id}/poster`` (multipart) to
  one ``linli serve`` instance on PostgreSQL and Redis (demo data, an organiser's token). With
  Redis the job goes to the queue and no worker runs here, so the server's CPU is the request's
  own. Reported per upload, after a warm-up upload of a small picture: the client's wall time,
  the server's CPU (``/proc``) and its peak RSS during the upload (VmHWM, reset just before
  through ``/proc/<pid>/clear_refs``) over its RSS just before.

With ``--input png`` or ``png-alpha`` the upload is a drawn 24 MP PNG instead (without or with
transparency), which no decoder can read at a reduced scale.

    .venv/bin/python -m bench.images --quick
    .venv/bin/python -m bench.images
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import PYTHON, REPO, print_header

CHILD = r"""
import asyncio, io, json, resource, sys, time, tracemalloc
from PIL import Image
from backend.core.images import ImageLimits, process_image
part, path = sys.argv[1], sys.argv[2]
choose = None
if part != "all":
    from backend.events.catalogue.posters import first_renditions
    choose = first_renditions if part == "request" else (lambda planned: [k for k in planned if k not in first_renditions(planned)])
# Warm up as a running server is: every codec the call uses loaded once, on a small picture.
small = io.BytesIO()
Image.new("RGB", (200, 120), (90, 120, 150)).save(small, "JPEG")
asyncio.run(process_image(small.getvalue(), limits=ImageLimits()))
data = open(path, "rb").read()
baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
cpu_started, started = time.process_time(), time.perf_counter()
result = asyncio.run(process_image(data, limits=ImageLimits(), **({"choose": choose} if choose else {})))
wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
_, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
hwm_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"vmhwm_mb": hwm_kb / 1024, "cpu_s": cpu,
    "wall_s": wall, "tracemalloc_peak_mb": peak / 2**20, "maxrss_mb": peak_kb / 1024,
    "baseline_rss_mb": baseline_kb / 1024, "renditions": [[r.key, r.width, r.height, len(r.data)] for r in result.renditions],
}))
"""


def make_jpeg(width: int, height: int, max_bytes: int) -> bytes:
    """A photo-like picture: smooth light, hard edges and sensor grain, as a phone would give
    (about 6-7 MiB at 24 MP, like a phone's own JPEG)."""
    from PIL import Image, ImageDraw

    sky = Image.linear_gradient("L").resize((width, height))
    light = Image.radial_gradient("L").resize((width, height))
    grain_a, grain_b = Image.effect_noise((width, height), 40), Image.effect_noise((width, height), 40)
    picture = Image.merge(
        "RGB", (Image.blend(sky, grain_a, 0.35), Image.blend(light, grain_b, 0.35), Image.blend(sky, grain_a, 0.25))
    )
    draw = ImageDraw.Draw(picture)
    step = max(width, height) // 40
    for i in range(0, width, step):  # windows, railings, roof tiles
        draw.rectangle(
            [i, height // 2, i + step // 2, height // 2 + (i * 7919) % (height // 3)],
            fill=((i * 31) % 256, (i * 17) % 256, (i * 7) % 256),
        )
    for quality in (90, 85, 80, 75, 70, 60):
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=quality)
        if out.tell() <= max_bytes:
            return out.getvalue()
    raise RuntimeError("could not make a JPEG under the upload limit")


def make_png(width: int, height: int, alpha: bool) -> bytes:
    """A drawn picture (gradients and shapes, as an editor exports a poster; a photo's grain would
    not fit a PNG of 24 MP under the upload limit), with a gradient of transparency if ``alpha``."""
    from PIL import Image, ImageDraw

    ramp = Image.linear_gradient("L").resize((width, height))
    picture = Image.merge("RGB", (ramp, ramp.transpose(Image.Transpose.ROTATE_180), ramp))
    if alpha:
        picture = picture.convert("RGBA")
        picture.putalpha(ramp.transpose(Image.Transpose.ROTATE_90).resize((width, height)))
    draw = ImageDraw.Draw(picture)
    step = max(width, height) // 40
    for i in range(0, width, step):
        draw.rectangle([i, height // 4, i + step // 2, height * 3 // 4], fill=((i * 31) % 256, 80, 160))
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


MAKER = r"""
import sys
from bench.images import make_jpeg, make_png
path, width, height, limit, kind = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
data = make_jpeg(width, height, limit) if kind == "jpeg" else make_png(width, height, kind == "png-alpha")
open(path, "wb").write(data)
"""


def main(args: argparse.Namespace) -> None:
    from backend.core.images import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, DEFAULT_WIDTHS

    print_header(
        "images: a 24-megapixel JPEG through process_image",
        quick=args.quick,
        size=f"{args.width} x {args.height}",
        runs=args.runs,
        parts=", ".join(args.parts),
        widths=DEFAULT_WIDTHS,
        limits=f"{DEFAULT_MAX_BYTES} bytes, {DEFAULT_MAX_PIXELS} pixels",
        load=False,
    )
    with tempfile.NamedTemporaryFile(suffix=".jpg" if args.input == "jpeg" else ".png") as source:
        # Made in a child too: Linux carries a parent's peak RSS into ru_maxrss across fork and
        # exec, so this process stays small for the children's figures to be their own.
        subprocess.run(
            [PYTHON, "-c", MAKER, source.name, str(args.width), str(args.height), str(DEFAULT_MAX_BYTES), args.input],
            cwd=REPO,
            check=True,
        )
        size = Path(source.name).stat().st_size
        print(f"input: {args.width * args.height / 1e6:.1f} MP {args.input}, {size / 2**20:.2f} MiB")
        for part in args.parts:
            if part == "upload":
                measure_upload(Path(source.name).read_bytes(), args.runs)
            else:
                measure(part, source.name, args.runs)
    print("note: each run is a fresh child process, alone on the machine only if nothing else runs")


def measure(part: str, path: str, runs: int) -> None:
    print(f"\n-- {part}")
    done = []
    for number in range(runs):
        load = os.getloadavg()[0]
        out = subprocess.run([PYTHON, "-c", CHILD, part, path], cwd=REPO, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(out.stderr)
        run = json.loads(out.stdout.strip().splitlines()[-1])
        done.append(run)
        print(
            f"run {number + 1}: wall {run['wall_s'] * 1000:.0f} ms, cpu {run['cpu_s'] * 1000:.0f} ms, "
            f"tracemalloc peak {run['tracemalloc_peak_mb']:.1f} MiB, max RSS {run['maxrss_mb']:.0f} MiB "
            f"(baseline {run['baseline_rss_mb']:.0f} MiB, +{run['maxrss_mb'] - run['baseline_rss_mb']:.0f} MiB; "
            f"VmHWM {run['vmhwm_mb']:.0f} MiB), load average {load:.2f}"
        )
    print("renditions:", ", ".join(f"{key} {w}x{h} {size // 1024} KiB" for key, w, h, size in done[-1]["renditions"]))
    for name, key in (("wall", "wall_s"), ("cpu", "cpu_s")):
        values = [r[key] * 1000 for r in done]
        print(f"{name}: median {statistics.median(values):.0f} ms, min {min(values):.0f} ms, max {max(values):.0f} ms")
    print(
        f"peak RSS: max {max(r['maxrss_mb'] for r in done):.0f} MiB; "
        f"growth over baseline: max {max(r['maxrss_mb'] - r['baseline_rss_mb'] for r in done):.0f} MiB"
    )


def measure_upload(data: bytes, runs: int) -> None:
    """The poster upload over HTTP against one server process (see the module's docstring)."""
    import asyncio
    import uuid
    from datetime import timedelta

    import httpx

    from backend.core.auth import issue_token
    from bench._common import SECRET, app_env, linli, postgres, redis, serve, workdir
    from bench._data import Loader

    async def organiser(url: str) -> tuple[str, uuid.UUID]:
        async with Loader(url) as loader:
            [row] = await loader.fetch(
                "SELECT m.user AS user_id, e.id AS event_id FROM account_membership m "
                "JOIN event_event e ON e.organisation = m.organisation "
                "WHERE m.role = 'organiser' AND e.status = 'published' AND e.starts_at > now() LIMIT 1"
            )
            [session] = await loader.add_sessions([row["user_id"]], timedelta(hours=1))
        token = issue_token(secret=SECRET, user_id=row["user_id"], kind="staff", session_id=session, ttl_seconds=3600)
        return token.token, row["event_id"]

    def status_kib(pid: int, field: str) -> int:
        status = Path(f"/proc/{pid}/status").read_text()
        return next(int(line.split()[1]) for line in status.splitlines() if line.startswith(field))

    def reset_peak(pid: int) -> None:
        """Set the server's VmHWM back to its present RSS (Linux 4.0+: "5" to clear_refs), so the
        peak read after the upload is the upload's own."""
        Path(f"/proc/{pid}/clear_refs").write_text("5")

    async def upload(http: httpx.AsyncClient, path: str, token: str, body: bytes) -> float:
        started = time.perf_counter()
        answer = await http.post(
            path, files={"file": ("poster.jpg", body, "image/jpeg")}, headers={"Authorization": f"Bearer {token}"}
        )
        if answer.status_code != 200:
            raise RuntimeError(f"upload answered {answer.status_code}: {answer.text}")
        return time.perf_counter() - started

    print("\n-- upload (HTTP, one instance, PostgreSQL and Redis)")
    with workdir() as base, postgres(base) as pg, redis(base) as rd:
        env = app_env(pg.url, rd.url, media=base / "media", LINLI_POSTER_RATE_LIMIT="1000")
        linli(env, "migrate")
        linli(env, "seed-demo")
        token, event_id = asyncio.run(organiser(pg.url))
        path = f"/api/v1/events/{event_id}/poster"
        small = io.BytesIO()
        from PIL import Image

        Image.new("RGB", (1600, 1000), (90, 120, 150)).save(small, "JPEG")
        with serve(env, base, name="images") as server:

            async def drive() -> None:
                async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
                    await upload(http, path, token, small.getvalue())  # warm: codecs loaded, pools open
                    walls, cpus, growths = [], [], []
                    for number in range(runs):
                        load = os.getloadavg()[0]
                        reset_peak(server.pid)
                        before_rss, before_cpu = status_kib(server.pid, "VmRSS"), server.cpu_seconds()
                        wall = await upload(http, path, token, data)
                        cpu = server.cpu_seconds() - before_cpu
                        peak = status_kib(server.pid, "VmHWM")
                        growth = (peak - before_rss) / 1024
                        walls.append(wall * 1000)
                        cpus.append(cpu * 1000)
                        growths.append(growth)
                        print(
                            f"run {number + 1}: wall {wall * 1000:.0f} ms, server cpu {cpu * 1000:.0f} ms, "
                            f"server peak RSS {peak / 1024:.0f} MiB (+{growth:.0f} MiB over its RSS just "
                            f"before), load average {load:.2f}"
                        )
                    print(f"wall: median {statistics.median(walls):.0f} ms, max {max(walls):.0f} ms")
                    print(f"server cpu: median {statistics.median(cpus):.0f} ms, max {max(cpus):.0f} ms")
                    print(f"server peak RSS growth: max {max(growths):.0f} MiB")
                    print("server cpu counts in 10 ms ticks (/proc)")

            asyncio.run(drive())


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: one run")
    parser.add_argument("--width", type=int, default=6000)
    parser.add_argument("--height", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--input", choices=("jpeg", "png", "png-alpha"), default="jpeg", help="what is uploaded (default: a photo)"
    )
    parser.add_argument(
        "--parts",
        type=lambda text: text.split(","),
        default=["request", "job", "all", "upload"],
        help="request,job,all,upload",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.runs = 1
    return args


if __name__ == "__main__":
    main(parse())
