from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.column_types import Varchar

ID = "2026-11-26T23:26:28:271472"
VERSION = "1.38.0"
DESCRIPTION = "organisation kinds for incident parties"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="accounts", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="Organisation",
        tablename="account_organisation",
        column_name="kind",
        db_column_name="kind",
        params={
            "choices": Enum(
                "OrganisationKind",
                {
                    "city": "city",
                    "district": "district",
                    "street": "street",
                    "community": "community",
                    "library": "library",
                    "cultural_centre": "cultural_centre",
                    "volunteer_association": "volunteer_association",
                    "property_company": "property_company",
                    "owners_committee": "owners_committee",
                    "police_station": "police_station",
                    "city_management": "city_management",
                },
            )
        },
        old_params={
            "choices": Enum(
                "OrganisationKind",
                {
                    "city": "city",
                    "district": "district",
                    "street": "street",
                    "community": "community",
                    "library": "library",
                    "cultural_centre": "cultural_centre",
                    "volunteer_association": "volunteer_association",
                    "property_company": "property_company",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
