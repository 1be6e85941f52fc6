"""Request and response bodies of sales performance (``api/v1/performance.py``): credit
splits of an order, sales targets with their attainment, the leaderboard."""

from __future__ import annotations

from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from ordercrm.analytics.models import CreditSplit, SalesTarget
from ordercrm.api.base import Amount, Date, Id, Quantity
from ordercrm.api.v1.fields import DATE, ID, Dec, In

PeriodKindName = Literal["month", "quarter", "year"]
MetricName = Literal["amount", "quantity"]
BasisName = Literal["booked", "invoiced", "collected"]


class ShareIn(In):
    salesperson: ID = Field(description="The user id of a member of the company.")
    percent: Dec(CreditSplit, "percent")


class CreditSplitIn(In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "shares": [
                        {"salesperson": "0192c7a4-0000-7000-8000-000000000001", "percent": "60"},
                        {"salesperson": "0192c7a4-0000-7000-8000-000000000002", "percent": "40"},
                    ]
                }
            ]
        }
    )
    shares: list[ShareIn] = Field(
        max_length=20,
        description="Shares adding up to 100; an empty list gives the order back to its "
        "salesperson alone.",
    )


class ShareOut(Schema):
    salesperson_id: Id
    salesperson: str
    team_id: Id | None
    percent: Quantity


class CreditSplitOut(Schema):
    order_id: Id
    salesperson_id: Id | None = Field(description="The order's own salesperson.")
    shares: list[ShareOut] = Field(description="Empty: the order's salesperson has it all.")


class TargetIn(In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "salesperson": "0192c7a4-0000-7000-8000-000000000001",
                    "period_kind": "quarter",
                    "period_start": "2027-01-01",
                    "value": "300000",
                }
            ]
        }
    )
    salesperson: ID | None = None
    team: ID | None = None
    period_kind: PeriodKindName
    period_start: DATE = Field(description="Any day of the period; moved to its first day.")
    metric: MetricName = "amount"
    category: ID | None = None
    value: Dec(SalesTarget, "value")


class TargetPatch(In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"value": "320000", "version": 2}]})
    period_kind: PeriodKindName | None = None
    period_start: DATE | None = None
    metric: MetricName | None = None
    category: ID | None = None
    value: Dec(SalesTarget, "value") | None = None
    version: int | None = Field(None, description="Or send If-Match.")


class TargetOut(Schema):
    id: Id
    salesperson_id: Id | None
    team_id: Id | None
    owner: str
    period_kind: PeriodKindName
    period_start: Date
    period_end: Date
    metric: MetricName
    category_id: Id | None
    value: Quantity
    version: int
    basis: BasisName
    actual: Amount = Field(
        description="Net of returns and credit notes, on the basis: money at the currency's "
        "places for an amount target, a quantity without trailing zeros for a quantity one."
    )
    percent: Quantity
    elapsed_percent: Quantity | None = Field(
        description="Share of the period gone by today; null once it is over."
    )
    on_pace: bool


class StandingOut(Schema):
    rank: int
    salesperson_id: Id
    name: str
    actual: Amount
    target: Amount | None
    percent: Quantity | None
    booked: Amount
    invoiced: Amount
    collected: Amount
    returned: Amount
    credited: Amount


class LeaderboardOut(Schema):
    period_kind: PeriodKindName
    first: Date
    last: Date
    basis: BasisName
    currency: str
    standings: list[StandingOut]
