from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import UUID
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Estate(Table, tablename="places_estate", schema=None):
    id = UUID(
        default=UUID4(),
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
    )


class Organisation(Table, tablename="account_organisation", schema=None):
    id = UUID(
        default=UUID4(),
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
    )


ID = "2026-12-05T20:48:00:262160"
VERSION = "1.38.0"
DESCRIPTION = "reports keep the estate and grid their place resolved to and why they went where; routing rules may name a body by place"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="incidents", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="IncidentRouting",
        tablename="volunteer_incident_routing",
        column_name="receiver",
        db_column_name="receiver",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 32,
            "default": "named",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": Enum(
                "RoutingReceiver",
                {
                    "named": "named",
                    "estate_property_company": "estate_property_company",
                    "estate_owners_committee": "estate_owners_committee",
                    "grid_worker": "grid_worker",
                },
            ),
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="Incident",
        tablename="volunteer_incident",
        column_name="estate",
        db_column_name="estate",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Estate,
            "on_delete": OnDelete.set_null,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
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

    manager.add_column(
        table_class_name="Incident",
        tablename="volunteer_incident",
        column_name="grid",
        db_column_name="grid",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Organisation,
            "on_delete": OnDelete.set_null,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
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

    manager.add_column(
        table_class_name="Incident",
        tablename="volunteer_incident",
        column_name="route_reason",
        db_column_name="route_reason",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 32,
            "default": "routing",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": Enum(
                "RouteReason",
                {
                    "routing": "routing",
                    "default": "default",
                    "estate_property_company": "estate_property_company",
                    "estate_owners_committee": "estate_owners_committee",
                    "grid_worker": "grid_worker",
                    "no_estate": "no_estate",
                    "no_property_company": "no_property_company",
                    "no_owners_committee": "no_owners_committee",
                    "no_grid": "no_grid",
                },
            ),
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
