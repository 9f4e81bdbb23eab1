from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-05T17:18:12:855220"
VERSION = "1.38.0"
DESCRIPTION = "hours entries keep their shift's title per locale; a withdrawn status"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="volunteers", description=DESCRIPTION)

    manager.add_column(
        table_class_name="HoursEntry",
        tablename="volunteer_hours_entry",
        column_name="title",
        db_column_name="title",
        column_class_name="JSON",
        column_class=JSON,
        params={
            "default": "{}",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.alter_column(
        table_class_name="HoursEntry",
        tablename="volunteer_hours_entry",
        column_name="status",
        db_column_name="status",
        params={
            "choices": Enum(
                "HoursStatus",
                {
                    "pending": "pending",
                    "verified": "verified",
                    "rejected": "rejected",
                    "withdrawn": "withdrawn",
                },
            )
        },
        old_params={
            "choices": Enum(
                "HoursStatus",
                {
                    "pending": "pending",
                    "verified": "verified",
                    "rejected": "rejected",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
