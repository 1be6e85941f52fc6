"""Request and response shapes of the after-sales case API (``v1/service.py``)."""

from __future__ import annotations

from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from ordercrm.api.base import DateTime, Id, Quantity
from ordercrm.api.v1.fields import ID, Dec, In, Text
from ordercrm.api.v1.schemas import Page
from ordercrm.service.models import Case, CaseComment, CaseLine

CaseTypeIn = Literal["complaint", "return_request", "repair", "question", "warranty_claim"]
PriorityIn = Literal["low", "normal", "high", "urgent"]
ChannelIn = Literal["phone", "email", "web", "visit"]
CommentKindIn = Literal["reply", "internal", "customer"]


class CaseLineIn(In):
    order_line_id: ID
    quantity: Dec(CaseLine, "quantity")


class CaseIn(In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "0192f3a4-5b6c-7d8e-9f00-112233445566",
                    "order_id": "0192f3a4-5b6c-7d8e-9f00-112233445577",
                    "subject": "Two units arrived scratched",
                    "case_type": "complaint",
                    "priority": "high",
                    "channel": "email",
                    "lines": [
                        {"order_line_id": "0192f3a4-5b6c-7d8e-9f00-112233445588", "quantity": "2"}
                    ],
                }
            ]
        }
    )

    customer_id: ID
    order_id: ID | None = None
    contact_id: ID | None = None
    subject: Text(Case, "subject")
    description: Text(Case, "description") = ""
    case_type: CaseTypeIn = "complaint"
    priority: PriorityIn = "normal"
    channel: ChannelIn = "phone"
    assignee_id: ID | None = None
    team_id: ID | None = None
    lines: list[CaseLineIn] = Field(default_factory=list, max_length=500)


class CasePatch(In):
    subject: Text(Case, "subject") | None = None
    description: Text(Case, "description") | None = None
    case_type: CaseTypeIn | None = None
    priority: PriorityIn | None = None
    channel: ChannelIn | None = None
    assignee_id: ID | None = None
    team_id: ID | None = None
    version: int | None = Field(None, ge=1, le=2_147_483_647)

    model_config = ConfigDict(json_schema_extra={"examples": [{"priority": "high", "version": 2}]})


class CaseActionIn(In):
    note: Text(Case, "status_note") = ""
    version: int | None = Field(None, ge=1, le=2_147_483_647)

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"note": "Replacement sent", "version": 3}]}
    )


class CommentIn(In):
    body: Text(CaseComment, "body")
    kind: CommentKindIn = "reply"

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"body": "We are sending new casings today.", "kind": "reply"}]
        }
    )


class CaseLineOut(Schema):
    id: Id
    order_line_id: Id
    quantity: Quantity


class CaseRepairOut(Schema):
    """A repair line of one of the case's RMAs: where the item is."""

    rma_line_id: Id = Field(validation_alias="pk")
    order_line_id: Id
    quantity: Quantity
    quantity_received: Quantity = Field(validation_alias="qty_received")
    quantity_sent_back: Quantity = Field(validation_alias="qty_sent_back")
    repair_state: Literal["awaiting_item", "in_repair", "sending_back", "sent_back"] | None = None


class CaseReturnOut(Schema):
    """A return authorisation (RMA) of the case (``/returns/{id}`` has the whole of it)."""

    id: Id
    number: str
    status: str
    repairs: list[CaseRepairOut] = Field(default_factory=list, validation_alias="loaded_repairs")


class CaseOut(Schema):
    """A case; ``lines`` and ``returns`` are set where one case is read, ``null`` in lists."""

    id: Id
    number: str
    status: str
    customer_id: Id
    contact_id: Id | None = None
    order_id: Id | None = None
    case_type: str
    priority: str
    channel: str
    subject: str
    description: str
    assignee_id: Id | None = None
    team_id: Id | None = None
    resolution: str
    version: int
    created_at: DateTime
    first_response_at: DateTime | None = None
    resolved_at: DateTime | None = None
    closed_at: DateTime | None = None
    first_response_due: DateTime | None = None
    resolution_due: DateTime | None = None
    next_due: DateTime | None = None
    sla_state: str
    response_breached: bool
    resolution_breached: bool
    paused: bool = Field(description="The resolution clock is paused (waiting on the customer).")
    lines: list[CaseLineOut] | None = Field(None, validation_alias="loaded_lines")
    returns: list[CaseReturnOut] | None = Field(None, validation_alias="loaded_returns")

    @staticmethod
    def resolve_paused(obj) -> bool:
        return obj.paused_at is not None


class CasePage(Page):
    items: list[CaseOut]


class AttachmentOut(Schema):
    """A photo or PDF on a case; ``download`` is its path under the API (the file, served as
    its sniffed type)."""

    id: Id
    name: str
    content_type: str
    size: int
    comment_id: Id | None = None
    uploaded_by: str | None = None
    created_at: DateTime
    download: str

    @staticmethod
    def resolve_uploaded_by(obj) -> str | None:
        return obj.uploaded_by.username if obj.uploaded_by_id else None

    @staticmethod
    def resolve_download(obj) -> str:
        return f"/api/v1/cases/{obj.case_id}/attachments/{obj.pk}"


class CommentOut(Schema):
    id: Id
    kind: str
    body: str
    author: str | None = None
    created_at: DateTime
    attachments: list[str] = []

    @staticmethod
    def resolve_author(obj) -> str | None:
        return obj.author.username if obj.author else None

    @staticmethod
    def resolve_attachments(obj) -> list[str]:
        return [a.name for a in getattr(obj, "files", [])]
