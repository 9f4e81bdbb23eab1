import re

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

ID = "2026-12-05T21:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "search index: trigrams over search_text (pg_trgm; SQLite FTS5)"

# Hand-written (an index Piccolo cannot describe). Search text from now on writes every character
# outside ASCII as "Z" and five hex digits (catalogue.texts.search_key), so trigram indexes see
# Chinese, Japanese and Korean whatever the database's locale, and one or two such characters
# make a needle long enough for a trigram. Existing rows are rewritten the same way first.
#
# PostgreSQL: pg_trgm (a trusted extension of PostgreSQL's contrib, which Debian's server package
# carries) and a GIN index that serves search_text LIKE '%...%'.
# SQLite: an FTS5 table with the trigram tokenizer (SQLite 3.34 or later) over event_event's own
# rows (external content, by rowid), kept in step by three triggers. A VACUUM may renumber the
# rowids of a table without an INTEGER PRIMARY KEY: after one, rebuild the index with
# INSERT INTO event_event_search(event_event_search) VALUES ('rebuild').

_NOT_ASCII = re.compile(r"[^\x00-\x7f]")


def _key(text: str) -> str:
    return _NOT_ASCII.sub(lambda m: f"Z{ord(m.group()):05X}", text)


POSTGRES = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS event_event_search_trgm ON event_event USING gin (search_text gin_trgm_ops)",
)
SQLITE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS event_event_search USING fts5("
    "search_text, content='event_event', content_rowid='rowid', tokenize='trigram case_sensitive 1')",
    "CREATE TRIGGER IF NOT EXISTS event_event_search_insert AFTER INSERT ON event_event BEGIN "
    "INSERT INTO event_event_search (rowid, search_text) VALUES (new.rowid, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS event_event_search_delete AFTER DELETE ON event_event BEGIN "
    "INSERT INTO event_event_search (event_event_search, rowid, search_text) "
    "VALUES ('delete', old.rowid, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS event_event_search_update AFTER UPDATE OF search_text ON event_event BEGIN "
    "INSERT INTO event_event_search (event_event_search, rowid, search_text) "
    "VALUES ('delete', old.rowid, old.search_text); "
    "INSERT INTO event_event_search (rowid, search_text) VALUES (new.rowid, new.search_text); END",
    "INSERT INTO event_event_search (event_event_search) VALUES ('rebuild')",
)


class Event(Table, tablename="event_event"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def search_index():
        for row in await Event.raw("SELECT id, search_text FROM event_event"):
            written = _key(row["search_text"] or "")
            if written != row["search_text"]:
                await Event.raw("UPDATE event_event SET search_text = {} WHERE id = {}", written, row["id"])
        for statement in POSTGRES if isinstance(Event._meta.db, PostgresEngine) else SQLITE:
            await Event.raw(statement)

    manager.add_raw(search_index)
    return manager
