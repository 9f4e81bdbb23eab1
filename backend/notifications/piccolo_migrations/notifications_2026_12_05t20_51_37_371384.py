from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.column_types import Varchar

ID = "2026-12-05T20:51:37:371384"
VERSION = "1.38.0"
DESCRIPTION = ""


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="notifications", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="Notice",
        tablename="notification_notice",
        column_name="kind",
        db_column_name="kind",
        params={
            "choices": Enum(
                "NoticeKind",
                {
                    "registration_confirmed": "registration_confirmed",
                    "registration_waitlisted": "registration_waitlisted",
                    "registration_promoted": "registration_promoted",
                    "event_changed": "event_changed",
                    "event_cancelled": "event_cancelled",
                    "event_reminder": "event_reminder",
                    "shift_reminder": "shift_reminder",
                    "shift_cancelled": "shift_cancelled",
                    "hours_verified": "hours_verified",
                    "reward_ready": "reward_ready",
                    "incident_changed": "incident_changed",
                    "minutes_published": "minutes_published",
                    "action_changed": "action_changed",
                },
            )
        },
        old_params={
            "choices": Enum(
                "NoticeKind",
                {
                    "registration_confirmed": "registration_confirmed",
                    "registration_waitlisted": "registration_waitlisted",
                    "registration_promoted": "registration_promoted",
                    "event_changed": "event_changed",
                    "event_cancelled": "event_cancelled",
                    "event_reminder": "event_reminder",
                    "shift_reminder": "shift_reminder",
                    "shift_cancelled": "shift_cancelled",
                    "hours_verified": "hours_verified",
                    "reward_ready": "reward_ready",
                    "incident_changed": "incident_changed",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="OutboundMessage",
        tablename="notification_outbound",
        column_name="kind",
        db_column_name="kind",
        params={
            "choices": Enum(
                "NoticeKind",
                {
                    "registration_confirmed": "registration_confirmed",
                    "registration_waitlisted": "registration_waitlisted",
                    "registration_promoted": "registration_promoted",
                    "event_changed": "event_changed",
                    "event_cancelled": "event_cancelled",
                    "event_reminder": "event_reminder",
                    "shift_reminder": "shift_reminder",
                    "shift_cancelled": "shift_cancelled",
                    "hours_verified": "hours_verified",
                    "reward_ready": "reward_ready",
                    "incident_changed": "incident_changed",
                    "minutes_published": "minutes_published",
                    "action_changed": "action_changed",
                },
            )
        },
        old_params={
            "choices": Enum(
                "NoticeKind",
                {
                    "registration_confirmed": "registration_confirmed",
                    "registration_waitlisted": "registration_waitlisted",
                    "registration_promoted": "registration_promoted",
                    "event_changed": "event_changed",
                    "event_cancelled": "event_cancelled",
                    "event_reminder": "event_reminder",
                    "shift_reminder": "shift_reminder",
                    "shift_cancelled": "shift_cancelled",
                    "hours_verified": "hours_verified",
                    "reward_ready": "reward_ready",
                    "incident_changed": "incident_changed",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
