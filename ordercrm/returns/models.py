"""Return authorisations (RMA, 退货授权): one document for many lines of one order, each with
its quantity, reason and decision (refund, replace, repair, reject); the receipts that
brought the goods back and the documents that settled them.

What can still be returned on an order line = shipped − returned − what open RMAs hold
(``selectors.returnable``); ``services.rma_create`` checks it with the order's lines locked.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ordercrm.core.models import CompanyOwned
from ordercrm.core.money import QUANTITY_FIELD
from ordercrm.returns.workflow import Decision, LineState, RepairState, Status
from ordercrm.returns.workflow import repair_state as _repair_state

ZERO = Decimal("0")


class ReturnAuthorization(CompanyOwned):
    number = models.CharField(_("number"), max_length=32)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED
    )
    order = models.ForeignKey(
        "sales.SalesOrder", verbose_name=_("order"), on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The after-sales case it came from (the service app above links it; no foreign key
    # from a lower layer).
    case_id = models.UUIDField(null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    return_instructions = models.TextField(
        _("return instructions"),
        blank=True,
        help_text=_("Sent to the customer when the return is approved."),
    )
    status_reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("return authorisation")
        verbose_name_plural = _("return authorisations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="rma_number_unique")
        ]
        indexes = [
            models.Index(fields=["company", "status", "created_at"]),
            models.Index(fields=["company", "order"]),
            models.Index(fields=["company", "case_id"]),
        ]

    def __str__(self) -> str:
        return self.number


class ReturnAuthorizationLine(CompanyOwned):
    rma = models.ForeignKey(ReturnAuthorization, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    order_line = models.ForeignKey(
        "sales.SalesOrderLine",
        verbose_name=_("order line"),
        # The database foreign key protects returned lines; DO_NOTHING keeps deleting a
        # draft's lines one statement (PROTECT would make Django query this table first).
        on_delete=models.DO_NOTHING,
        related_name="+",
    )
    product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("description"), max_length=500, blank=True)
    quantity = models.DecimalField(_("quantity"), **QUANTITY_FIELD)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    qty_received = models.DecimalField(_("received"), **QUANTITY_FIELD, default=ZERO)
    qty_settled = models.DecimalField(_("settled"), **QUANTITY_FIELD, default=ZERO)
    # replace / repair: settled units whose no-charge shipment has left (repair tracking:
    # the item came in with qty_received and went back with this)
    qty_sent_back = models.DecimalField(_("sent back"), **QUANTITY_FIELD, default=ZERO)

    class Meta:
        verbose_name = _("return line")
        verbose_name_plural = _("return lines")
        ordering = ["rma", "position"]
        constraints = [
            models.UniqueConstraint(fields=["rma", "position"], name="rma_line_position_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="rma_line_positive"),
            models.CheckConstraint(
                condition=Q(qty_received__gte=0) & Q(qty_received__lte=F("quantity")),
                name="rma_line_received_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(qty_settled__gte=0) & Q(qty_settled__lte=F("qty_received")),
                name="rma_line_settled_within_received",
            ),
            models.CheckConstraint(
                condition=Q(qty_sent_back__gte=0) & Q(qty_sent_back__lte=F("qty_settled")),
                name="rma_line_sent_back_within_settled",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rma_id}#{self.position}"

    @property
    def state(self) -> LineState:
        return LineState(
            self.decision, self.quantity, self.qty_received, self.qty_settled, self.qty_sent_back
        )

    @property
    def repair_state(self) -> str | None:
        return _repair_state(self.state, self.rma.status)

    def get_repair_state_display(self) -> str:
        state = self.repair_state
        return RepairState(state).label if state else ""


class Condition(models.TextChoices):
    SALEABLE = "saleable", _("Saleable")
    QUARANTINE = "quarantine", _("Quarantine")
    SCRAP = "scrap", _("Scrap")


class RmaReceipt(CompanyOwned):
    """A return receipt (``fulfilment.ReturnReceipt``) booked for an RMA, and the state the
    goods came back in (saleable goes to a saleable warehouse, quarantine and scrap to one
    that is not)."""

    rma = models.ForeignKey(ReturnAuthorization, on_delete=models.CASCADE, related_name="receipts")
    receipt = models.OneToOneField(
        "fulfilment.ReturnReceipt", on_delete=models.PROTECT, related_name="+"
    )
    condition = models.CharField(_("condition"), max_length=12, choices=Condition.choices)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.rma_id} {self.receipt_id}"


class SettlementKind(models.TextChoices):
    CREDIT_NOTE = "credit_note", _("Credit note")
    SHIPMENT = "shipment", _("Replacement shipment")
    ADVANCE_REFUND = "advance_refund", _("Refund of an advance")


class RmaSettlement(CompanyOwned):
    """A document that settled RMA lines: a credit note or a no-charge shipment."""

    rma = models.ForeignKey(
        ReturnAuthorization, on_delete=models.CASCADE, related_name="settlements"
    )
    kind = models.CharField(max_length=16, choices=SettlementKind.choices)
    invoice = models.ForeignKey(
        "billing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    shipment = models.ForeignKey(
        "fulfilment.Shipment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refund = models.ForeignKey(
        "billing.PaymentRefund", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    number = models.CharField(max_length=32)
    # what it settled: {rma line id: quantity}; a shipment's dispatch moves those lines'
    # qty_sent_back
    lines = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="credit_note") & Q(invoice__isnull=False))
                | (Q(kind="shipment") & Q(shipment__isnull=False))
                | (Q(kind="advance_refund") & Q(refund__isnull=False)),
                name="rma_settlement_has_document",
            )
        ]

    def __str__(self) -> str:
        return self.number
