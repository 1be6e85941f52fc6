"""Request and response bodies of payment terms with schedules (``api/v1/terms.py``) and of
invoice instalments."""

from __future__ import annotations

from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from ordercrm.api.base import Amount, Date, Id, Quantity
from ordercrm.api.v1.fields import Dec, In, Text
from ordercrm.customers.models import PaymentTerm, PaymentTermLine

BaseName = Literal["invoice", "order"]


class TermLineIn(In):
    percent: Dec(PaymentTermLine, "percent")
    base: BaseName = "invoice"
    months: int = Field(0, ge=0, le=120)
    after_month_end: bool = False
    days: int = Field(0, ge=0, le=3650)
    month_end: bool = False
    day_of_month: int | None = Field(None, ge=1, le=31)


class PaymentTermIn(In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "30 % on order, 70 % net 30",
                    "lines": [
                        {"percent": "30", "base": "order"},
                        {"percent": "70", "days": 30},
                    ],
                }
            ]
        }
    )

    name: Text(PaymentTerm, "name")
    lines: list[TermLineIn] = Field(..., min_length=1, max_length=12)
    is_default: bool = False
    advance_percent: Dec(PaymentTerm, "advance_percent") | None = Field(
        None,
        description="Share of the order total to be paid before dispatch "
        "(`fulfilment.advance_unpaid`), deducted from the final invoice; 0: none.",
    )


class PaymentTermPatch(In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"version": 1, "lines": [{"percent": "100", "days": 30, "month_end": True}]}
            ]
        }
    )

    version: int | None = None
    name: Text(PaymentTerm, "name") | None = None
    lines: list[TermLineIn] | None = Field(None, min_length=1, max_length=12)
    is_default: bool | None = None
    advance_percent: Dec(PaymentTerm, "advance_percent") | None = None


class TermLineOut(Schema):
    position: int
    percent: Quantity
    base: str
    months: int
    after_month_end: bool
    days: int
    month_end: bool
    day_of_month: int | None = None
    description: str


class PaymentTermOut(Schema):
    id: Id
    name: str
    days: int
    is_default: bool
    advance_percent: Quantity
    version: int
    description: str = Field(description="The schedule in words, in the reader's language.")
    lines: list[TermLineOut] = Field(
        description="The instalments; none: 100 % `days` after the invoice date."
    )


class InstalmentOut(Schema):
    position: int
    percent: Quantity
    due_date: Date
    amount: Amount
    amount_paid: Amount
    amount_credited: Amount
    open_amount: Amount
    description: str
