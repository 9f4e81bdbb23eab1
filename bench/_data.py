"""Bulk data for the benchmarks: rows copied from the demo's, loaded past the app.

COPY on PostgreSQL, ``executemany`` in batches on SQLite; values stored as Piccolo stores them.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

TOPICS = (
    ("Tea Ceremony", "茶艺体验"),
    ("Paper Cutting", "剪纸工作坊"),
    ("Kunqu Opera", "昆曲欣赏"),
    ("Calligraphy", "书法课"),
    ("Reading Club", "读书会"),
    ("Film Night", "电影之夜"),
    ("Yoga", "瑜伽"),
    ("Chinese Chess", "象棋比赛"),
    ("Pingtan Storytelling", "评弹"),
    ("Embroidery", "苏绣"),
    ("Lantern Making", "花灯制作"),
    ("Photography Walk", "摄影漫步"),
    ("Children's Science", "少儿科学"),
    ("Square Dance", "广场舞"),
    ("Guqin Recital", "古琴演奏"),
    ("Garden History", "园林讲座"),
)
CATEGORIES = (
    "festival",
    "performance",
    "exhibition",
    "lecture",
    "reading",
    "workshop",
    "film",
    "sports",
    "intangible_heritage",
    "children",
    "other",
)
# Suzhou, GCJ-02: where the bench scatters venues and asks "near me".
CITY_LAT, CITY_LNG, CITY_SPAN = 31.30, 120.62, 0.12


def random_point(rng: random.Random) -> tuple[float, float]:
    return CITY_LAT + rng.uniform(-CITY_SPAN, CITY_SPAN), CITY_LNG + rng.uniform(-CITY_SPAN, CITY_SPAN)


class Loader:
    """Bulk inserts that bypass the app: executemany in batches on SQLite, COPY on PostgreSQL.

    Rows are copied from a published demo event and venue (so every column the migrations made is
    filled as the app fills it) with new ids, times, places, titles and search text.
    """

    def __init__(self, database_url: str, seed: int = 1) -> None:
        self.database_url = database_url
        self.is_postgres = database_url.startswith(("postgres://", "postgresql://"))
        self.rng = random.Random(seed)
        self._pg: Any = None
        self._sqlite: sqlite3.Connection | None = None

    async def __aenter__(self) -> Loader:
        if self.is_postgres:
            import asyncpg

            self._pg = await asyncpg.connect(self.database_url)
        else:
            path = self.database_url.removeprefix("sqlite:///")
            self._sqlite = sqlite3.connect(path, timeout=60, isolation_level=None)
            self._sqlite.row_factory = sqlite3.Row
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._pg is not None:
            await self._pg.close()
        if self._sqlite is not None:
            self._sqlite.close()

    # -- reading -------------------------------------------------------------------------------

    async def fetch(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        if self._pg is not None:
            return [dict(r) for r in await self._pg.fetch(sql, *args)]
        assert self._sqlite is not None
        sql = _qmarks(sql)
        return [dict(r) for r in self._sqlite.execute(sql, [_sqlite_value(a) for a in args]).fetchall()]

    async def execute(self, sql: str, *args: Any) -> None:
        if self._pg is not None:
            await self._pg.execute(sql, *args)
            return
        assert self._sqlite is not None
        self._sqlite.execute(_qmarks(sql), [_sqlite_value(a) for a in args])

    async def count(self, table: str) -> int:
        return int((await self.fetch(f"SELECT count(*) AS n FROM {table}"))[0]["n"])

    # -- writing -------------------------------------------------------------------------------

    async def insert(self, table: str, rows: Iterable[dict[str, Any]], batch: int = 20_000) -> int:
        """Insert dicts (all with the same keys) in batches; the number inserted."""
        done = 0
        chunk: list[dict[str, Any]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= batch:
                await self._insert_chunk(table, chunk)
                done += len(chunk)
                chunk = []
        if chunk:
            await self._insert_chunk(table, chunk)
            done += len(chunk)
        return done

    async def _insert_chunk(self, table: str, chunk: list[dict[str, Any]]) -> None:
        columns = list(chunk[0])
        if self._pg is not None:
            records = [tuple(_pg_value(row[c]) for c in columns) for row in chunk]
            await self._pg.copy_records_to_table(table, records=records, columns=columns)
            return
        assert self._sqlite is not None
        quoted = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        self._sqlite.execute("BEGIN IMMEDIATE")
        try:
            self._sqlite.executemany(
                f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})',
                ([_sqlite_value(row[c]) for c in columns] for row in chunk),
            )
        except BaseException:
            self._sqlite.execute("ROLLBACK")
            raise
        self._sqlite.execute("COMMIT")

    async def analyze(self) -> None:
        if self._pg is not None:
            await self._pg.execute("ANALYZE")

    # -- what the benches load -----------------------------------------------------------------

    async def template(self, table: str, where: str = "") -> dict[str, Any]:
        rows = await self.fetch(f"SELECT * FROM {table} {where} LIMIT 1")
        if not rows:
            raise RuntimeError(f"no template row in {table} (run linli seed-demo first)")
        return rows[0]

    async def add_venues(self, count: int) -> list[dict[str, Any]]:
        template = await self.template("event_venue")
        venues = []
        for i in range(count):
            lat, lng = random_point(self.rng)
            venues.append(
                {
                    **template,
                    "id": uuid.uuid4(),
                    "latitude": lat,
                    "longitude": lng,
                    "name": {"zh-Hans": f"社区活动中心 {i}", "en": f"Community Centre {i}"},
                    "address": {"zh-Hans": f"姑苏区 {i} 号"},
                }
            )
        await self.insert("event_venue", venues)
        return venues

    async def add_events(
        self,
        count: int,
        venues: Sequence[dict[str, Any]],
        *,
        registrations_per_event: int = 0,
        capacity: int = 100,
        horizon_days: int = 365,
    ) -> list[uuid.UUID]:
        """``count`` published events in the coming ``horizon_days``, at the given venues."""
        from backend.events.catalogue.texts import search_text

        template = await self.template("event_event", "WHERE status = 'published'")
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        ids: list[uuid.UUID] = []

        def rows() -> Iterator[dict[str, Any]]:
            for i in range(count):
                en, zh = TOPICS[i % len(TOPICS)]
                title = {"zh-Hans": f"{zh} 第{i}期", "en": f"{en} #{i}"}
                summary = {"zh-Hans": f"欢迎邻里参加{zh}。", "en": f"Neighbours welcome: {en.lower()}."}
                venue = venues[self.rng.randrange(len(venues))]
                starts = now + timedelta(minutes=self.rng.randrange(60, horizon_days * 24 * 60))
                event_id = uuid.uuid4()
                ids.append(event_id)
                yield {
                    **template,
                    "id": event_id,
                    "series": None,
                    "occurrence": 0,
                    "status": "published",
                    "category": CATEGORIES[i % len(CATEGORIES)],
                    "title": title,
                    "summary": summary,
                    "description": summary,
                    "search_text": search_text(title, summary),
                    "starts_at": starts,
                    "ends_at": starts + timedelta(hours=2),
                    "evening_or_weekend": starts.hour >= 10 or starts.weekday() >= 5,
                    "capacity": capacity,
                    "seats_taken": registrations_per_event,
                    "waitlist_count": 0,
                    "queue_counter": registrations_per_event,
                    "registration_opens_at": None,
                    "registration_closes_at": None,
                    "venue": venue["id"],
                    "latitude": venue["latitude"],
                    "longitude": venue["longitude"],
                    "created_at": now,
                    "updated_at": now,
                    "cancelled_at": None,
                    "poster": {},
                }

        await self.insert("event_event", rows())
        return ids

    async def add_users(self, count: int, prefix: str) -> list[uuid.UUID]:
        now = datetime.now(UTC)
        users = [
            {
                "id": uuid.uuid4(),
                "openid": f"{prefix}-{i + 1}",
                "display_name": f"居民{i + 1}",
                "is_staff": False,
                "created_at": now,
            }
            for i in range(count)
        ]
        await self.insert("account_user", users)
        return [u["id"] for u in users]

    async def add_sessions(self, users: Sequence[uuid.UUID], ttl: timedelta) -> list[uuid.UUID]:
        """One open session per user, as a WeChat login would leave; tokens name them by id."""
        now = datetime.now(UTC)
        sessions = [
            {
                "id": uuid.uuid4(),
                "user": user,
                "kind": "wechat",
                "created_at": now,
                "expires_at": now + ttl,
                "revoked_at": None,
                "address": "bench",
            }
            for user in users
        ]
        await self.insert("account_session", sessions)
        return [s["id"] for s in sessions]

    async def add_registrations(
        self, event_ids: Sequence[uuid.UUID], users: Sequence[uuid.UUID], per_event: int
    ) -> int:
        now = datetime.now(UTC)

        def rows() -> Iterator[dict[str, Any]]:
            for event_id in event_ids:
                for number, user in enumerate(self.rng.sample(users, per_event), start=1):
                    yield {
                        "id": uuid.uuid4(),
                        "event": event_id,
                        "user": user,
                        "party_size": 1,
                        "status": "confirmed",
                        "queue_number": number,
                        "created_at": now,
                        "confirmed_at": now,
                    }

        return await self.insert("event_registration", rows(), batch=50_000)


def _qmarks(sql: str) -> str:
    """$1, $2 (asyncpg) to ? (sqlite3)."""
    return re.sub(r"\$\d+", "?", sql)


def _sqlite_value(value: Any) -> Any:
    """As Piccolo stores values in SQLite (see piccolo/engine/sqlite.py adapters)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return str(value.astimezone(UTC)) if value.tzinfo else str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _pg_value(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value
