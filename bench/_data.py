"""Bulk data for the benchmarks: rows copied from the demo's, loaded past the app.

COPY on PostgreSQL, ``executemany`` in batches on SQLite; values stored as Piccolo stores them.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
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
# Volunteer teams and what their hours were spent on (the proposal's 红袖标, 巡逻, 邻里守望).
TEAM_KINDS = (
    ("Red armband", "红袖标"),
    ("Night patrol", "夜间巡逻"),
    ("Neighbourhood watch", "邻里守望"),
    ("Library helpers", "书香志愿"),
    ("Event helpers", "活动志愿"),
    ("Elder care", "助老服务"),
)
HOURS_CONTENT = (
    ("夜间巡逻", "Night patrol"),
    ("文明劝导", "Civility reminders"),
    ("垃圾分类督导", "Waste sorting guide"),
    ("敬老院陪护", "Care home visit"),
    ("社区书屋整理", "Community library shelving"),
    ("活动现场引导", "Event stewarding"),
    ("防汛值守", "Flood watch"),
)
SHIFT_MINUTES = (60, 90, 120, 120, 120, 180, 240)
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
            # For the load only (this connection): no sync per commit, and room for the indexes'
            # pages, which random keys (uuids) touch all over. The app's own connections keep
            # their settings.
            self._sqlite.execute("PRAGMA synchronous=OFF")
            self._sqlite.execute("PRAGMA cache_size=-2000000")
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

    async def count_where(self, table: str, where: str, *args: Any) -> int:
        return int((await self.fetch(f"SELECT count(*) AS n FROM {table} WHERE {where}", *args))[0]["n"])

    # -- writing -------------------------------------------------------------------------------

    async def insert(self, table: str, rows: Iterable[dict[str, Any]], batch: int = 20_000) -> int:
        """Insert dicts (all with the same keys) in batches; the number inserted. On SQLite the
        whole insert is one transaction (executemany per batch inside it)."""
        done = 0
        chunk: list[dict[str, Any]] = []
        if self._sqlite is not None:
            self._sqlite.execute("BEGIN IMMEDIATE")
        try:
            for row in rows:
                chunk.append(row)
                if len(chunk) >= batch:
                    await self._insert_chunk(table, chunk)
                    done += len(chunk)
                    chunk = []
            if chunk:
                await self._insert_chunk(table, chunk)
                done += len(chunk)
        except BaseException:
            if self._sqlite is not None:
                self._sqlite.execute("ROLLBACK")
            raise
        if self._sqlite is not None:
            self._sqlite.execute("COMMIT")
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
        convert = _SQLITE_CONVERT.get
        self._sqlite.executemany(
            f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})',
            ([v if (f := convert(type(v))) is None else f(v) for v in map(row.__getitem__, columns)] for row in chunk),
        )

    @contextlib.asynccontextmanager
    async def bulk(self, *tables: str) -> AsyncIterator[None]:
        """A bulk load of ``tables`` as a real one is made: their secondary indexes dropped before and
        built again after (one sort each instead of millions of random inserts), and no per-row
        checks of foreign keys (the rows are right by construction). The indexes end as the
        migrations made them; the primary keys and unique constraints stay throughout.

        SQLite: also no rollback journal on the loader's connection while it runs (WAL again after:
        the app's own mode). PostgreSQL: ``session_replication_role = replica`` skips the foreign
        keys' triggers (these tables have no others), ``maintenance_work_mem`` sizes the sorts."""
        dropped: list[str] = []
        if self._pg is not None:
            for table in tables:
                rows = await self._pg.fetch(
                    "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS sql "
                    "FROM pg_index i WHERE i.indrelid = $1::regclass AND NOT i.indisprimary "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                    table,
                )
                for row in rows:
                    await self._pg.execute(f"DROP INDEX {row['name']}")
                    dropped.append(row["sql"])
            await self._pg.execute("SET session_replication_role = replica")
        else:
            assert self._sqlite is not None
            for table in tables:
                for name, sql in self._sqlite.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                    (table,),
                ).fetchall():
                    self._sqlite.execute(f'DROP INDEX "{name}"')
                    dropped.append(sql)
            self._sqlite.execute("PRAGMA journal_mode=OFF")
        started = time.perf_counter()
        try:
            yield
        finally:
            loaded = time.perf_counter()
            if self._pg is not None:
                await self._pg.execute("RESET session_replication_role")
                await self._pg.execute("SET maintenance_work_mem = '1GB'")
                for sql in dropped:
                    await self._pg.execute(sql)
                await self._pg.execute("RESET maintenance_work_mem")
            else:
                assert self._sqlite is not None
                for sql in dropped:
                    self._sqlite.execute(sql)
                self._sqlite.execute("PRAGMA journal_mode=WAL")
            done = time.perf_counter()
            print(
                f"  bulk load of {', '.join(tables)}: rows {loaded - started:.1f}s, "
                f"{len(dropped)} indexes built again {done - loaded:.1f}s",
                flush=True,
            )

    async def analyze(self, *vacuum: str) -> None:
        """ANALYZE PostgreSQL, as its autovacuum would after a load; ``vacuum`` names tables to
        VACUUM first, as autovacuum also does after many inserts (PostgreSQL 13+), which marks
        their pages all-visible: what lets an index-only scan skip the table."""
        if self._pg is not None:
            for table in vacuum:
                await self._pg.execute(f"VACUUM {table}")
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

    # -- volunteers, their hours and points (issue 21's growth of the other domains) -------------

    async def add_profiles(self, users: Sequence[uuid.UUID]) -> int:
        """A volunteer profile per user, with a masked real name as staff views show it (no sealed
        data: the reads measured never unseal)."""
        template = await self.template("volunteer_profile")
        now = datetime.now(UTC)
        surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"

        def rows() -> Iterator[dict[str, Any]]:
            for i, user in enumerate(users):
                yield {
                    **template,
                    "id": uuid.uuid4(),
                    "user": user,
                    "real_name_sealed": None,
                    "real_name_masked": f"{surnames[i % len(surnames)]}*{'明华芳伟'[i % 4]}",
                    "id_document": None,
                    "id_number_sealed": None,
                    "id_number_masked": None,
                    "consented_at": now,
                    "created_at": now,
                    "updated_at": now,
                }

        return await self.insert("volunteer_profile", rows(), batch=50_000)

    async def add_teams(self, rosters: Sequence[Sequence[uuid.UUID]], first: int = 0) -> list[uuid.UUID]:
        """One open team per roster in the demo team's community; the roster's first person
        coordinates it, the rest are active members."""
        template = await self.template("volunteer_team")
        now = datetime.now(UTC)
        teams: list[dict[str, Any]] = []
        members: list[dict[str, Any]] = []
        for i, roster in enumerate(rosters, start=first):
            en, zh = TEAM_KINDS[i % len(TEAM_KINDS)]
            team_id = uuid.uuid4()
            teams.append(
                {
                    **template,
                    "id": team_id,
                    "kind": "patrol" if i % 3 == 0 else "other",
                    "name": {"zh-Hans": f"{zh}第{i + 1}队", "en": f"{en} team {i + 1}"},
                    "description": {},
                    "join_mode": "open",
                    "created_by": roster[0],
                    "created_at": now,
                }
            )
            for position, user in enumerate(roster):
                members.append(
                    {
                        "id": uuid.uuid4(),
                        "team": team_id,
                        "user": user,
                        "role": "coordinator" if position == 0 else "member",
                        "status": "active",
                        "created_at": now,
                        "decided_at": None,
                        "decided_by": None,
                    }
                )
        await self.insert("volunteer_team", teams)
        await self.insert("volunteer_team_member", members, batch=50_000)
        return [team["id"] for team in teams]

    async def add_hours(
        self, places: Sequence[tuple[uuid.UUID, uuid.UUID, uuid.UUID]], counts: Sequence[int], months: Sequence[date]
    ) -> int:
        """``counts[i]`` hours entries for ``places[i]`` = (volunteer, team, its coordinator), on
        days of the given months (first days, none after today): mostly shifts served (title kept,
        the shift rows themselves not made: no read measured joins them), some manual claims, a few
        corrections; mostly verified, some pending, a few rejected."""
        now = datetime.now(UTC)
        today = now.date()
        rng = self.rng

        def rows() -> Iterator[dict[str, Any]]:
            for i, created in _in_time_order(rng, counts, months, today):
                user, team, coordinator = places[i]
                day = created.date()
                roll = rng.random()
                zh, en = HOURS_CONTENT[rng.randrange(len(HOURS_CONTENT))]
                if roll < 0.80:
                    kind, minutes, content, title, reason = (
                        "shift",
                        rng.choice(SHIFT_MINUTES),
                        zh,
                        {"zh-Hans": zh, "en": en},
                        "",
                    )
                elif roll < 0.98:
                    kind, minutes, content, title, reason = (
                        "manual",
                        rng.choice(SHIFT_MINUTES),
                        zh,
                        {},
                        "补录：纸质签到表",
                    )
                else:
                    kind, minutes, content, title, reason = (
                        "correction",
                        rng.choice((-30, 30, -60)),
                        zh,
                        {},
                        "签退时间更正",
                    )
                status_roll = rng.random()
                if kind == "correction" or status_roll < 0.90:
                    status = "verified"
                elif status_roll < 0.97 and (today - day).days < 60:
                    status = "pending"
                else:
                    status = "rejected" if status_roll >= 0.97 else "verified"
                decided = status != "pending"
                yield {
                    "id": uuid.uuid4(),
                    "user": user,
                    "team": team,
                    "kind": kind,
                    "minutes": minutes,
                    "service_date": day,
                    "content": content,
                    "title": title,
                    "reason": reason,
                    "shift": None,
                    "signup": None,
                    "corrects": None,
                    "source_key": f"{'manual' if kind != 'shift' else 'shift'}:{uuid.uuid4()}",
                    "flags": [],
                    "status": status,
                    "created_by": user if kind != "correction" else coordinator,
                    "created_at": created,
                    "decided_by": coordinator if decided else None,
                    "decided_at": created + timedelta(days=1) if decided else None,
                    "decision_note": "时间与签到不符" if status == "rejected" else "",
                }

        return await self.insert("volunteer_hours_entry", rows(), batch=50_000)

    async def add_points(
        self, users: Sequence[uuid.UUID], counts: Sequence[int], months: Sequence[date], community: uuid.UUID
    ) -> int:
        """``counts[i]`` points entries for ``users[i]`` in the given months: mostly attendance and
        volunteer hours (expiring a year after), some redemptions, a few refunds and expiries."""
        now = datetime.now(UTC)
        today = now.date()
        rng = self.rng

        def rows() -> Iterator[dict[str, Any]]:
            for i, created in _in_time_order(rng, counts, months, today):
                user = users[i]
                day = created.date()
                en, zh = TOPICS[rng.randrange(len(TOPICS))]
                roll = rng.random()
                expires: datetime | None = None
                activity = ""
                if roll < 0.60:
                    reason, points = "attendance", 10
                    params: dict[str, Any] = {"event": {"zh-Hans": zh, "en": en}, "event_id": str(uuid.uuid4())}
                    activity, expires = f"event:{params['event_id']}", created + timedelta(days=365)
                elif roll < 0.85:
                    minutes = rng.choice(SHIFT_MINUTES)
                    reason, points = "volunteer_hours", minutes // 6
                    params, expires = {"minutes": minutes, "hours": minutes / 60}, created + timedelta(days=365)
                elif roll < 0.95:
                    reason, points = "redemption", -rng.choice((20, 50, 100))
                    params = {"reward": {"zh-Hans": "环保购物袋", "en": "Reusable shopping bag"}}
                elif roll < 0.97:
                    reason, points = "redemption_refund", 20
                    params = {"reward": {"zh-Hans": "环保购物袋", "en": "Reusable shopping bag"}}
                else:
                    reason, points, params = "expiry", -rng.choice((10, 20)), {}
                yield {
                    "id": uuid.uuid4(),
                    "user": user,
                    "community": community,
                    "points": points,
                    "reason": reason,
                    "reason_params": params,
                    "source_key": f"{reason}:{uuid.uuid4()}",
                    "activity_key": activity,
                    "earned_on": day,
                    "expires_at": expires,
                    "created_at": created,
                }

        return await self.insert("inclusion_point_entry", rows(), batch=50_000)


def _month_end(first: date) -> date:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - timedelta(days=1)


def _in_time_order(
    rng: random.Random, counts: Sequence[int], months: Sequence[date], today: date
) -> Iterator[tuple[int, datetime]]:
    """(person's index, when) for ``counts[i]`` entries of each person on random days of the given
    months, in time order, everyone's interleaved: the order a ledger is written in, so that one
    person's rows lie scattered over the table as they would after years of use (not side by
    side, which would flatter any read that fetches them)."""
    buckets: list[list[int]] = [[] for _ in months]
    for i, count in enumerate(counts):
        for _ in range(count):
            buckets[rng.randrange(len(months))].append(i)
    for first, people in zip(months, buckets, strict=True):
        days = (min(today, _month_end(first)) - first).days + 1
        start = datetime(first.year, first.month, first.day, 1, tzinfo=UTC)
        moments = sorted(
            (start + timedelta(days=rng.randrange(days), minutes=rng.randrange(16 * 60)), i) for i in people
        )
        for moment, i in moments:
            yield i, moment


def month_starts(count: int, today: date | None = None) -> list[date]:
    """The first days of the last ``count`` months, this one included, oldest first."""
    day = (today or datetime.now(UTC).date()).replace(day=1)
    months = [day]
    for _ in range(count - 1):
        day = (day - timedelta(days=1)).replace(day=1)
        months.append(day)
    return months[::-1]


def activity(rng: random.Random, count: int, total: int, *, sigma: float = 1.3, cap: int | None = None) -> list[int]:
    """``count`` non-negative entry counts summing to about ``total``, drawn log-normal: most people
    have few entries, a few have very many (at most ``cap``)."""
    weights = [rng.lognormvariate(0.0, sigma) for _ in range(count)]
    scale = total / sum(weights)
    counts = [int(w * scale + rng.random()) for w in weights]
    if cap is not None:
        counts = [min(c, cap) for c in counts]
    return counts


def _qmarks(sql: str) -> str:
    """$1, $2 (asyncpg) to ? (sqlite3)."""
    return re.sub(r"\$\d+", "?", sql)


def _sqlite_value(value: Any) -> Any:
    """As Piccolo stores values in SQLite (see piccolo/engine/sqlite.py adapters)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return str(value.astimezone(UTC)) if value.tzinfo else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _sqlite_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# _sqlite_value by exact type, for the bulk inserts (millions of values).
_SQLITE_CONVERT: dict[type, Any] = {
    uuid.UUID: str,
    datetime: _sqlite_value,
    date: date.isoformat,
    dict: _sqlite_json,
    list: _sqlite_json,
}


def _pg_value(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value
