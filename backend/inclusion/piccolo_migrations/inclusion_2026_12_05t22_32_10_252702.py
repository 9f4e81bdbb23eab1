from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.column_types import Varchar

ID = "2026-12-05T22:32:10:252702"
VERSION = "1.38.0"
DESCRIPTION = "two point rule kinds and reasons for a say in self-governance: meeting_opinion, survey_answer"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="inclusion", description=DESCRIPTION)

    manager.alter_column(
        table_class_name="PointRule",
        tablename="inclusion_point_rule",
        column_name="kind",
        db_column_name="kind",
        params={
            "choices": Enum(
                "PointRuleKind",
                {
                    "attendance": "attendance",
                    "first_event": "first_event",
                    "first_event_after_arrival": "first_event_after_arrival",
                    "volunteer_hour": "volunteer_hour",
                    "youth_bonus": "youth_bonus",
                    "brought_neighbour": "brought_neighbour",
                    "meeting_opinion": "meeting_opinion",
                    "survey_answer": "survey_answer",
                },
            )
        },
        old_params={
            "choices": Enum(
                "PointRuleKind",
                {
                    "attendance": "attendance",
                    "first_event": "first_event",
                    "first_event_after_arrival": "first_event_after_arrival",
                    "volunteer_hour": "volunteer_hour",
                    "youth_bonus": "youth_bonus",
                    "brought_neighbour": "brought_neighbour",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="PointEntry",
        tablename="inclusion_point_entry",
        column_name="reason",
        db_column_name="reason",
        params={
            "choices": Enum(
                "PointReason",
                {
                    "attendance": "attendance",
                    "first_event": "first_event",
                    "first_event_after_arrival": "first_event_after_arrival",
                    "volunteer_hours": "volunteer_hours",
                    "youth_bonus": "youth_bonus",
                    "brought_neighbour": "brought_neighbour",
                    "meeting_opinion": "meeting_opinion",
                    "survey_answer": "survey_answer",
                    "redemption": "redemption",
                    "redemption_refund": "redemption_refund",
                    "expiry": "expiry",
                    "adjustment": "adjustment",
                },
            )
        },
        old_params={
            "choices": Enum(
                "PointReason",
                {
                    "attendance": "attendance",
                    "first_event": "first_event",
                    "first_event_after_arrival": "first_event_after_arrival",
                    "volunteer_hours": "volunteer_hours",
                    "youth_bonus": "youth_bonus",
                    "brought_neighbour": "brought_neighbour",
                    "redemption": "redemption",
                    "redemption_refund": "redemption_refund",
                    "expiry": "expiry",
                    "adjustment": "adjustment",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
