"""The points supermarket (积分超市): rewards and their redemptions."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import JSON, UUID, Boolean, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table


class RedemptionStatus(str, Enum):
    reserved = "reserved"  # points and stock taken; waiting for pickup
    fulfilled = "fulfilled"
    cancelled = "cancelled"


class Reward(Table, tablename="inclusion_reward"):
    """An item of the points supermarket (积分超市)."""

    id = UUID(primary_key=True)
    community = ForeignKey(LazyTableReference("Organisation", module_path="backend.accounts.tables"), null=False)
    name = JSON(default={}, help_text="{locale: name}")
    description = JSON(default={}, help_text="{locale: text}")
    image = JSON(default={}, help_text="{rendition: media path}")
    points_cost = Integer()
    stock = Integer(help_text="items left; never below zero")
    per_resident_limit = Integer(default=1)
    active_from = Timestamptz(null=True, default=None)
    active_until = Timestamptz(null=True, default=None)
    withdrawn = Boolean(default=False)
    created_by = ForeignKey(LazyTableReference("User", module_path="backend.accounts.tables"), null=True, default=None)
    created_at = Timestamptz()


class Redemption(Table, tablename="inclusion_redemption"):
    id = UUID(primary_key=True)
    reward = ForeignKey(Reward, null=False)
    user = ForeignKey(LazyTableReference("User", module_path="backend.accounts.tables"), null=False)
    points = Integer()
    pickup_code = Varchar(length=16, unique=True)
    status = Varchar(length=16, choices=RedemptionStatus, default=RedemptionStatus.reserved.value)
    idempotency_key = Varchar(length=128, null=True, default=None)
    created_at = Timestamptz()
    fulfilled_at = Timestamptz(null=True, default=None)
    fulfilled_by = ForeignKey(
        LazyTableReference("User", module_path="backend.accounts.tables"), null=True, default=None
    )
    cancelled_at = Timestamptz(null=True, default=None)
