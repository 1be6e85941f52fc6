"""Request and response bodies of the returns routes (``api/v1/returns.py``): return
authorisations (RMA), their lines, receipts and settlements."""

from __future__ import annotations

from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from ordercrm.api.base import DateTime, Id, Quantity
from ordercrm.api.v1.fields import ID, Dec, In, Text
from ordercrm.api.v1.schemas import Page
from ordercrm.returns.models import ReturnAuthorization, ReturnAuthorizationLine

DecisionName = Literal["refund", "replace", "repair", "reject"]
RepairStateName = Literal["awaiting_item", "in_repair", "sending_back", "sent_back"]
ConditionName = Literal["saleable", "quarantine", "scrap"]
RmaStatusName = Literal["requested", "approved", "received", "closed", "rejected", "cancelled"]


class RmaLineIn(In):
    order_line_id: ID
    quantity: Dec(ReturnAuthorizationLine, "quantity")
    decision: DecisionName
    reason: Text(ReturnAuthorizationLine, "reason") = ""


class RmaIn(In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "lines": [
                        {
                            "order_line_id": "0192f3a4-5b6c-7d8e-9f00-112233445566",
                            "quantity": "2",
                            "decision": "refund",
                            "reason": "Damaged in transit",
                        }
                    ],
                    "notes": "Customer called on Monday.",
                }
            ]
        }
    )

    lines: list[RmaLineIn] = Field(..., min_length=1, max_length=500)
    case_id: ID | None = None
    notes: Text(ReturnAuthorization, "notes") = ""
    return_instructions: Text(ReturnAuthorization, "return_instructions") = ""


class RmaActionIn(In):
    version: int | None = None
    reason: Text(ReturnAuthorization, "status_reason") = ""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"version": 2, "reason": "Outside the return period"}]}
    )


class RmaApproveIn(In):
    version: int | None = None
    decisions: dict[ID, DecisionName] | None = Field(
        None, description="A new decision per RMA line id (reject drops a line)."
    )
    return_instructions: Text(ReturnAuthorization, "return_instructions") | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "version": 1,
                    "decisions": {"0190a0b2-0000-7000-8000-000000000001": "replace"},
                    "return_instructions": "Send to Dock 4, Ningbo, with the RMA number.",
                }
            ]
        }
    )


class ReceiveLineIn(In):
    rma_line_id: ID
    quantity: Dec(ReturnAuthorizationLine, "quantity")


class RmaReceiveIn(In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"warehouse_id": "0192f3a4-0000-7d8e-9f00-112233445566", "condition": "saleable"}
            ]
        }
    )

    version: int | None = None
    warehouse_id: ID
    condition: ConditionName = "saleable"
    lines: list[ReceiveLineIn] | None = Field(
        None, max_length=500, description="Omit to receive everything still expected."
    )
    reason: Text(ReturnAuthorization, "status_reason") = ""


class RmaLineOut(Schema):
    id: Id
    position: int
    order_line_id: Id
    product_id: Id | None = None
    description: str
    quantity: Quantity
    decision: str
    reason: str
    quantity_received: Quantity = Field(validation_alias="qty_received")
    quantity_settled: Quantity = Field(validation_alias="qty_settled")
    quantity_sent_back: Quantity = Field(
        validation_alias="qty_sent_back",
        description="Replace / repair: settled units whose no-charge shipment has left.",
    )
    repair_state: RepairStateName | None = Field(
        None,
        description="Repair lines: awaiting_item (still with the customer), in_repair "
        "(received), sending_back (settled on a shipment not yet dispatched), sent_back.",
    )


class ReturnReceiptOut(Schema):
    id: Id
    number: str
    rma_id: Id
    rma_number: str
    order_id: Id
    shipment_id: Id
    shipment_number: str
    warehouse_id: Id
    warehouse_code: str
    condition: str
    created_at: DateTime


class SettlementOut(Schema):
    kind: str
    number: str
    invoice_id: Id | None = None
    shipment_id: Id | None = None
    refund_id: Id | None = Field(
        None, description="A refund of the order's advance (kind advance_refund)."
    )


class RmaOut(Schema):
    """An RMA; ``lines``, ``receipts``, ``settlements`` and ``actions`` are set where one RMA
    is read, ``null`` in lists. ``actions`` are those the caller may take now."""

    id: Id
    number: str
    status: str
    order_id: Id
    order_number: str
    customer_id: Id
    case_id: Id | None = None
    notes: str
    return_instructions: str
    status_reason: str
    version: int
    created_at: DateTime
    lines: list[RmaLineOut] | None = None
    receipts: list[ReturnReceiptOut] | None = None
    settlements: list[SettlementOut] | None = None
    actions: list[str] | None = None


class RmaPage(Page):
    items: list[RmaOut]


class ReturnReceiptPage(Page):
    items: list[ReturnReceiptOut]


class ReturnableOut(Schema):
    order_line_id: Id
    returnable: Quantity
