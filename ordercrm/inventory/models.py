"""Stock: warehouses, stock levels, the append-only move ledger and reservations.

Two equalities hold at every commit and are asserted at the end of every inventory test:
``StockLevel.on_hand`` = Σ ``StockMove.quantity`` and ``StockLevel.reserved`` = Σ active
``Reservation.quantity`` for the same product and warehouse. Only ``inventory.services``
writes these tables.
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


class Warehouse(CompanyOwned):
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("address"), blank=True)
    sequence = models.PositiveIntegerField(
        _("allocation order"),
        default=10,
        help_text=_("Orders without a warehouse reserve from warehouses in this order."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # A quarantine or scrap store: returned goods booked into it are on hand but never free
    # to promise — orders do not reserve from it and availability leaves it out; moving
    # inspected goods to a saleable warehouse (a transfer) frees them.
    is_saleable = models.BooleanField(
        _("saleable stock"),
        default=True,
        help_text=_("Off for quarantine or scrap: its stock is never reserved for orders."),
    )

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["sequence", "code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="warehouse_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class StockLevel(CompanyOwned):
    """What one warehouse holds of one product, and how much of it is promised to orders."""

    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="levels"
    )
    on_hand = models.DecimalField(_("on hand"), **QUANTITY_FIELD, default=ZERO)
    reserved = models.DecimalField(_("reserved"), **QUANTITY_FIELD, default=ZERO)

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        ordering = ["warehouse", "product"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "warehouse"], name="stock_level_product_warehouse_unique"
            ),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_not_negative"),
            models.CheckConstraint(
                condition=Q(reserved__gte=0) & Q(reserved__lte=F("on_hand")),
                name="stock_reserved_within_on_hand",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}"

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


class MoveKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    SHIPMENT = "shipment", _("Shipment")
    RETURN = "return", _("Return")
    ADJUSTMENT = "adjustment", _("Adjustment")
    TRANSFER = "transfer", _("Transfer")
    # Takes one receipt line back out (wrong delivery, booked twice): the opposite quantity,
    # linked to the line's move by ``reversal_of``; the receipt's own moves stay.
    RECEIPT_REVERSAL = "receipt_reversal", _("Receipt reversal")


class StockMove(CompanyOwned):
    """One change of ``on_hand``: positive in, negative out. Rows are never updated or deleted."""

    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("type"), max_length=16, choices=MoveKind.choices)
    quantity = models.DecimalField(_("quantity"), **QUANTITY_FIELD)
    balance_after = models.DecimalField(_("balance"), **QUANTITY_FIELD)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    reference = models.CharField(
        _("reference"), max_length=64, blank=True, help_text=_("The document behind the move.")
    )
    reference_id = models.UUIDField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversal_of = models.ForeignKey(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The receipt move this move takes back out."),
    )

    class Meta:
        verbose_name = _("stock move")
        verbose_name_plural = _("stock moves")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="stock_move_not_zero"),
            # A receipt line is reversed at most once, whatever races the service loses.
            models.UniqueConstraint(fields=["reversal_of"], name="stock_move_reversed_once"),
            # A reversal always names the move it reverses, and only a reversal does.
            models.CheckConstraint(
                condition=(Q(kind="receipt_reversal") & Q(reversal_of__isnull=False))
                | (~Q(kind="receipt_reversal") & Q(reversal_of__isnull=True)),
                name="stock_move_reversal_linked",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "product", "created_at"]),
            models.Index(fields=["company", "warehouse", "created_at"]),
            models.Index(fields=["company", "reference_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity}"


class Reservation(CompanyOwned):
    """Stock promised to one order line in one warehouse. A row exists only while it holds
    a positive quantity; shipping consumes it, cancelling and closing release it.

    The order line is referenced by id (the inventory layer sits below sales and knows
    nothing of orders beyond these ids and the order number for people to read)."""

    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    order_id = models.UUIDField()
    order_line_id = models.UUIDField()
    reference = models.CharField(max_length=64, blank=True)
    quantity = models.DecimalField(_("reserved"), **QUANTITY_FIELD)

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["order_line_id", "warehouse"], name="reservation_line_warehouse_unique"
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_positive"),
        ]
        indexes = [
            models.Index(fields=["company", "product", "warehouse"]),
            models.Index(fields=["company", "order_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.quantity}"
