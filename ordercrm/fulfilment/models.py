"""Shipments of confirmed orders and receipts of returned goods.

A shipment's lines reference order lines; dispatching it consumes their reservations, writes
the stock moves and raises ``qty_shipped``. A return line references a shipment line;
receiving it puts stock back and raises ``qty_returned`` on both.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ordercrm.core.models import CompanyOwned
from ordercrm.core.money import QUANTITY_FIELD

ZERO = Decimal("0")


class ShipmentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    DISPATCHED = "dispatched", _("Dispatched")
    CANCELLED = "cancelled", _("Cancelled")


class Shipment(CompanyOwned):
    number = models.CharField(_("number"), max_length=32)
    order = models.ForeignKey(
        "sales.SalesOrder", verbose_name=_("order"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ShipmentStatus.choices, default=ShipmentStatus.DRAFT
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("warehouse"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: ship from wherever the order's stock is reserved."),
    )
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    shipping_address = models.JSONField(_("shipping address"), default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="shipment_number_unique")
        ]
        indexes = [models.Index(fields=["company", "status", "created_at"])]

    def __str__(self) -> str:
        return self.number


class ShipmentLine(CompanyOwned):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        "sales.SalesOrderLine",
        # The database foreign key protects shipped lines; DO_NOTHING keeps deleting draft
        # lines a single statement (PROTECT would make Django query this table first).
        on_delete=models.DO_NOTHING,
        related_name="+",
    )
    product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("description"), max_length=500, blank=True)
    quantity = models.DecimalField(_("quantity"), **QUANTITY_FIELD)
    qty_returned = models.DecimalField(_("returned"), **QUANTITY_FIELD, default=ZERO)

    class Meta:
        verbose_name = _("shipment line")
        verbose_name_plural = _("shipment lines")
        ordering = ["shipment", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "order_line"], name="shipment_line_order_line_unique"
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="shipment_line_positive"),
            models.CheckConstraint(
                condition=Q(qty_returned__gte=0) & Q(qty_returned__lte=F("quantity")),
                name="shipment_line_returned_within_shipped",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.quantity}"


class ReturnReceipt(CompanyOwned):
    """Goods a customer sent back, received into a warehouse. Whether they are credited or
    replaced is decided by after-sales."""

    number = models.CharField(_("number"), max_length=32)
    shipment = models.ForeignKey(
        Shipment, verbose_name=_("shipment"), on_delete=models.PROTECT, related_name="returns"
    )
    order = models.ForeignKey("sales.SalesOrder", on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("warehouse"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("return receipt")
        verbose_name_plural = _("return receipts")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="return_number_unique")
        ]

    def __str__(self) -> str:
        return self.number


class ReturnLine(CompanyOwned):
    receipt = models.ForeignKey(ReturnReceipt, on_delete=models.CASCADE, related_name="lines")
    shipment_line = models.ForeignKey(ShipmentLine, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), **QUANTITY_FIELD)

    class Meta:
        ordering = ["receipt", "created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="return_line_positive")
        ]

    def __str__(self) -> str:
        return f"{self.receipt_id} {self.quantity}"


class ExceptionKind(models.TextChoices):
    """What went wrong with a shipment: cancelled before it left, or a delivery that failed."""

    CANCELLED = "cancelled", _("Shipment cancelled before dispatch")
    REFUSED = "refused", _("Refused by the customer")
    UNDELIVERABLE = "undeliverable", _("Could not be delivered")
    LOST = "lost", _("Lost in transit")
    DAMAGED = "damaged", _("Damaged in transit")


# The goods of these delivery failures come back to the warehouse (into stock when recreated);
# lost and damaged goods do not.
GOODS_COME_BACK = frozenset({ExceptionKind.REFUSED, ExceptionKind.UNDELIVERABLE})
DELIVERY_FAILURES = frozenset(ExceptionKind.values) - {ExceptionKind.CANCELLED}


class ExceptionResolution(models.TextChoices):
    RECREATE = "recreate", _("Recreate: ship what is open again")
    CLOSE = "close", _("Do not recreate: close the rest")


class FulfilmentException(CompanyOwned):
    """The order's fulfilment exception raised by one shipment (cancelled, or its delivery
    failed), open until someone chooses to recreate it or not (``fulfilment.services.
    fulfilment_exception_resolve``)."""

    order = models.ForeignKey(
        "sales.SalesOrder", verbose_name=_("order"), on_delete=models.PROTECT, related_name="+"
    )
    shipment = models.ForeignKey(
        Shipment, verbose_name=_("shipment"), on_delete=models.PROTECT, related_name="exceptions"
    )
    kind = models.CharField(_("exception"), max_length=16, choices=ExceptionKind.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution = models.CharField(
        _("decision"), max_length=16, choices=ExceptionResolution.choices, blank=True
    )
    resolved_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    new_shipment = models.ForeignKey(
        Shipment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("fulfilment exception")
        verbose_name_plural = _("fulfilment exceptions")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["shipment"],
                condition=Q(resolution=""),
                name="fulfilment_exception_one_open_per_shipment",
            )
        ]
        indexes = [models.Index(fields=["company", "order", "resolution"])]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.kind}"

    @property
    def is_open(self) -> bool:
        return not self.resolution
