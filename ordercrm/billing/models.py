"""Invoices and credit notes (one table, ``kind``), their lines, payments and allocations.

Invoice lines reference order lines (and the shipment line they bill); credit-note lines
reference the invoice line they credit. Amounts are stored per line and per document in the
document currency and, beside them, in the company currency (base): an invoice's
``company_gross_total`` at its own rate (the order's confirmed rate), a payment's
``amount_base`` at the payment's rate, and each allocation at both rates, the gap being the
exchange difference realised by that allocation (``billing.services._allocate``).
Only ``billing.services`` writes these tables.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import GreaterThan
from django.utils.translation import gettext_lazy as _

from ordercrm.core.models import CompanyOwned
from ordercrm.core.money import AMOUNT_FIELD, PERCENT_FIELD, PRICE_FIELD, QUANTITY_FIELD, RATE_FIELD

ZERO = Decimal("0")
CENT_FRACTION = Decimal("0.0001")


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


class Invoice(CompanyOwned):
    kind = models.CharField(
        _("type"), max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE
    )
    number = models.CharField(
        _("number"), max_length=32, blank=True, help_text=_("Given when the invoice is issued.")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    order = models.ForeignKey(
        "sales.SalesOrder", verbose_name=_("order"), on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    shipment = models.ForeignKey(
        "fulfilment.Shipment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    credited_invoice = models.ForeignKey(
        "self",
        verbose_name=_("credited invoice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_notes",
    )
    currency = models.CharField(_("currency"), max_length=3)
    exchange_rate = models.DecimalField(_("exchange rate"), **RATE_FIELD)
    issue_date = models.DateField(_("invoice date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    billing_address = models.JSONField(_("billing address"), default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    net_total = models.DecimalField(_("net total"), **AMOUNT_FIELD, default=ZERO)
    tax_total = models.DecimalField(_("tax"), **AMOUNT_FIELD, default=ZERO)
    gross_total = models.DecimalField(_("total"), **AMOUNT_FIELD, default=ZERO)
    company_gross_total = models.DecimalField(
        _("total (company currency)"), **AMOUNT_FIELD, default=ZERO
    )
    amount_paid = models.DecimalField(_("paid"), **AMOUNT_FIELD, default=ZERO)
    amount_credited = models.DecimalField(_("credited"), **AMOUNT_FIELD, default=ZERO)
    # In the company currency at the invoice's rate: Σ allocations' ``invoice_base_amount``
    # and Σ credit notes' ``company_gross_total``; a settled invoice has nothing left in base.
    amount_paid_base = models.DecimalField(
        _("paid (company currency)"), **AMOUNT_FIELD, default=ZERO
    )
    amount_credited_base = models.DecimalField(
        _("credited (company currency)"), **AMOUNT_FIELD, default=ZERO
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "number"], condition=~Q(number=""), name="invoice_number_unique"
            ),
            # One live invoice per shipment: a dispatched shipment is never invoiced twice.
            models.UniqueConstraint(
                fields=["shipment"],
                condition=Q(kind="invoice") & ~Q(status="cancelled"),
                name="invoice_one_per_shipment",
            ),
            models.CheckConstraint(
                condition=Q(gross_total__gte=F("net_total") + F("tax_total") - CENT_FRACTION)
                & Q(gross_total__lte=F("net_total") + F("tax_total") + CENT_FRACTION),
                name="invoice_net_plus_tax_is_gross",
            ),
            models.CheckConstraint(
                condition=Q(amount_paid__gte=0) & Q(amount_credited__gte=0),
                name="invoice_settled_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(
                    amount_paid__lte=F("gross_total") - F("amount_credited") + CENT_FRACTION
                ),
                name="invoice_paid_within_open",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "customer", "status"]),
            models.Index(fields=["company", "order"]),
            models.Index(fields=["company", "issue_date"]),
            # Open invoices (receivables aging, overdue on the dashboard and in approvals):
            # the few still open, not every invoice ever issued (1M at 1M orders).
            models.Index(
                fields=["company", "customer"],
                condition=Q(
                    status__in=[InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID],
                    kind=InvoiceKind.INVOICE,
                ),
                name="billing_invoice_open",
            ),
        ]

    def __str__(self) -> str:
        return self.number or str(_("Draft"))

    @property
    def open_amount(self) -> Decimal:
        """What is still to be paid: total − credited − paid (invoices only)."""
        return self.gross_total - self.amount_credited - self.amount_paid

    @property
    def open_base(self) -> Decimal:
        """The open amount in the company currency at the invoice's rate; 0 when settled."""
        return self.company_gross_total - self.amount_credited_base - self.amount_paid_base


class InvoiceLine(CompanyOwned):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        "sales.SalesOrderLine", on_delete=models.DO_NOTHING, related_name="+"
    )
    shipment_line = models.ForeignKey(
        "fulfilment.ShipmentLine",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
    )
    credited_line = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveIntegerField()
    description = models.CharField(_("description"), max_length=500, blank=True)
    quantity = models.DecimalField(_("quantity"), **QUANTITY_FIELD)
    unit_price = models.DecimalField(_("unit price"), **PRICE_FIELD)
    discount_percent = models.DecimalField(_("discount (%)"), **PERCENT_FIELD, default=ZERO)
    tax_percent = models.DecimalField(_("tax rate (%)"), **PERCENT_FIELD, default=ZERO)
    net = models.DecimalField(_("subtotal"), **AMOUNT_FIELD)
    tax = models.DecimalField(_("tax"), **AMOUNT_FIELD)
    gross = models.DecimalField(_("total"), **AMOUNT_FIELD)
    qty_credited = models.DecimalField(_("credited"), **QUANTITY_FIELD, default=ZERO)
    qty_over_invoiced = models.DecimalField(
        _("beyond invoiceable"),
        **QUANTITY_FIELD,
        default=ZERO,
        help_text=_(
            "How much of the quantity lies beyond the invoiceable, within the billing tolerance."
        ),
    )
    net_credited = models.DecimalField(**AMOUNT_FIELD, default=ZERO)
    tax_credited = models.DecimalField(**AMOUNT_FIELD, default=ZERO)

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=0), name="invoice_line_qty_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(qty_credited__gte=0) & Q(qty_credited__lte=F("quantity")),
                name="invoice_line_credited_within_invoiced",
            ),
            models.CheckConstraint(
                condition=Q(qty_over_invoiced__gte=0) & Q(qty_over_invoiced__lte=F("quantity")),
                name="invoice_line_over_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(gross__gte=F("net") + F("tax") - CENT_FRACTION)
                & Q(gross__lte=F("net") + F("tax") + CENT_FRACTION),
                name="invoice_line_net_plus_tax_is_gross",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}#{self.position}"


class InvoiceInstalment(CompanyOwned):
    """One instalment of an issued invoice, from its payment terms (``customers.terms``):
    a share of the total with its own due date. ``amount_paid``/``amount_credited`` are the
    invoice's paid and credited amounts spread over its instalments (payments settle the
    earliest first, credit notes lower the last first; ``customers.terms.spread``), kept by
    billing whenever the invoice's are; aging and overdue read them."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="instalments")
    position = models.PositiveSmallIntegerField()
    percent = models.DecimalField(_("percentage (%)"), **PERCENT_FIELD)
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount"), **AMOUNT_FIELD)
    amount_paid = models.DecimalField(_("paid"), **AMOUNT_FIELD, default=ZERO)
    amount_credited = models.DecimalField(_("credited"), **AMOUNT_FIELD, default=ZERO)
    # Its share of the invoice's open base (``Invoice.open_base``), in proportion to what is
    # open on each instalment (``billing.exchange.split_base``): the instalments' open base
    # amounts add up to the invoice's to the cent, so aging in the company currency
    # reconciles with the receivable balances. Kept with ``amount_paid``/``amount_credited``.
    open_base = models.DecimalField(_("open (company currency)"), **AMOUNT_FIELD, default=ZERO)
    description = models.CharField(_("terms"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "position"], name="instalment_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(amount_paid__gte=0) & Q(amount_credited__gte=0),
                name="instalment_settled_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(amount_paid__lte=F("amount") - F("amount_credited") + CENT_FRACTION),
                name="instalment_paid_within_open",
            ),
        ]
        indexes = [models.Index(fields=["company", "due_date"])]

    def __str__(self) -> str:
        return f"{self.invoice_id}/{self.position}"

    @property
    def open_amount(self) -> Decimal:
        return self.amount - self.amount_credited - self.amount_paid


# What is still open, in SQL: on an instalment (``InvoiceInstalment.open_amount``) and on an
# invoice (``Invoice.open_amount``). "Open" for a receivable is written once: an issued or
# part-paid invoice with ``INVOICE_OPEN`` > 0 (``billing.selectors.open_invoices``).
INSTALMENT_OPEN = F("amount") - F("amount_credited") - F("amount_paid")
INVOICE_OPEN = F("gross_total") - F("amount_credited") - F("amount_paid")
OPEN_INVOICE_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)
INVOICE_IS_OPEN = Q(kind=InvoiceKind.INVOICE, status__in=OPEN_INVOICE_STATUSES) & Q(
    GreaterThan(INVOICE_OPEN, 0)
)


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CASH = "cash", _("Cash")
    CARD = "card", _("Card")
    CHEQUE = "cheque", _("Cheque")
    ALIPAY = "alipay", _("Alipay")
    WECHAT_PAY = "wechat_pay", _("WeChat Pay")
    OTHER = "other", _("Other")


class Payment(CompanyOwned):
    """Money received from a customer. What is not allocated to invoices is customer credit
    (an advance when it names an order, applied to that order's next invoice)."""

    number = models.CharField(_("number"), max_length=32)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    order = models.ForeignKey(
        "sales.SalesOrder",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("An advance for this order, applied to its next invoice."),
    )
    method = models.CharField(_("payment method"), max_length=16, choices=PaymentMethod.choices)
    amount = models.DecimalField(_("amount"), **AMOUNT_FIELD)
    currency = models.CharField(_("currency"), max_length=3)
    exchange_rate = models.DecimalField(_("exchange rate"), **RATE_FIELD, default=Decimal(1))
    received_on = models.DateField(_("payment date"))
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    amount_allocated = models.DecimalField(_("allocated"), **AMOUNT_FIELD, default=ZERO)
    amount_refunded = models.DecimalField(
        _("refunded"),
        **AMOUNT_FIELD,
        default=ZERO,
        help_text=_("Paid back to the customer, or the whole amount when the payment is void."),
    )
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    # In the company currency at the payment's rate. What allocations and refunds take of it
    # is kept beside, so amount_base = allocated + refunded + unallocated base, to the cent.
    amount_base = models.DecimalField(_("amount (company currency)"), **AMOUNT_FIELD, default=ZERO)
    amount_allocated_base = models.DecimalField(**AMOUNT_FIELD, default=ZERO)
    amount_refunded_base = models.DecimalField(**AMOUNT_FIELD, default=ZERO)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_on", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="payment_number_unique"),
            models.UniqueConstraint(
                fields=["company", "customer", "reference"],
                condition=~Q(reference=""),
                name="payment_reference_unique_per_customer",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
            models.CheckConstraint(
                condition=Q(amount_allocated__gte=0)
                & Q(amount_allocated__lte=F("amount") + CENT_FRACTION),
                name="payment_allocated_within_amount",
            ),
            # Refunds come out of what is not allocated: allocated + refunded ≤ amount.
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0)
                & Q(amount_refunded__lte=F("amount") - F("amount_allocated") + CENT_FRACTION),
                name="payment_refunded_within_unallocated",
            ),
        ]
        indexes = [models.Index(fields=["company", "customer", "received_on"])]

    def __str__(self) -> str:
        return self.number

    @property
    def unallocated(self) -> Decimal:
        """Customer credit left on this payment: neither allocated nor refunded."""
        return self.amount - self.amount_allocated - self.amount_refunded

    @property
    def unallocated_base(self) -> Decimal:
        """The unallocated credit in the company currency at the payment's rate."""
        return self.amount_base - self.amount_allocated_base - self.amount_refunded_base


# The SQL twins of ``Payment.unallocated`` and ``unallocated_base``, for the aggregates.
UNALLOCATED = F("amount") - F("amount_allocated") - F("amount_refunded")
UNALLOCATED_BASE = F("amount_base") - F("amount_allocated_base") - F("amount_refunded_base")
# And of ``Invoice.open_base``.
OPEN_BASE = F("company_gross_total") - F("amount_credited_base") - F("amount_paid_base")


class RefundKind(models.TextChoices):
    REFUND = "refund", _("Refund")
    VOID = "void", _("Void")


class PaymentRefund(CompanyOwned):
    """Money of a payment's unallocated credit paid back to the customer (``refund``), or a
    payment recorded in error written off whole (``void``). Append-only; numbered
    ``RF-{year}-{seq}``."""

    number = models.CharField(_("number"), max_length=32)
    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="refunds"
    )
    kind = models.CharField(_("type"), max_length=8, choices=RefundKind.choices)
    amount = models.DecimalField(_("amount"), **AMOUNT_FIELD)
    currency = models.CharField(_("currency"), max_length=3)
    refunded_on = models.DateField(_("date"))
    method = models.CharField(_("payment method"), max_length=16, blank=True)
    reason = models.CharField(_("reason"), max_length=500)
    refunded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What it takes of the payment's unallocated credit in the company currency.
    base_amount = models.DecimalField(_("amount (company currency)"), **AMOUNT_FIELD, default=ZERO)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="refund_number_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_positive"),
        ]

    def __str__(self) -> str:
        return self.number


class PaymentAllocation(CompanyOwned):
    """Part of a payment applied to an invoice (same currency). In the company currency it
    is worth ``base_amount`` at the payment's rate and settles ``invoice_base_amount`` of the
    invoice at the invoice's rate; ``exchange_difference`` = the former − the latter (a gain
    when positive, a loss when negative), realised when the allocation is made."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(_("amount"), **AMOUNT_FIELD)
    base_amount = models.DecimalField(_("amount (company currency)"), **AMOUNT_FIELD, default=ZERO)
    invoice_base_amount = models.DecimalField(
        _("at the invoice's rate"), **AMOUNT_FIELD, default=ZERO
    )
    exchange_difference = models.DecimalField(
        _("exchange difference"), **AMOUNT_FIELD, default=ZERO
    )

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_positive"),
            # (within a hundredth of a cent: SQLite compares decimals as floating point)
            models.CheckConstraint(
                condition=Q(
                    exchange_difference__gte=F("base_amount")
                    - F("invoice_base_amount")
                    - CENT_FRACTION
                )
                & Q(
                    exchange_difference__lte=F("base_amount")
                    - F("invoice_base_amount")
                    + CENT_FRACTION
                ),
                name="allocation_difference_is_gap",
            ),
        ]
        indexes = [models.Index(fields=["company", "created_at"])]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.invoice_id}: {self.amount}"


class RevaluationRun(CompanyOwned):
    """An unrealised revaluation of the open foreign-currency receivables on ``date``
    (``billing.revaluation``): each open invoice's open amount at the run's rate against its
    open base at its own rate. A report for finance; it never changes an invoice. One per
    company and day: a second is refused unless it replaces the first."""

    date = models.DateField(_("revaluation date"))
    # {"USD": "7.25", …}: the rate used per currency (company currency per unit)
    rates = models.JSONField(_("rates"), default=dict)
    # which rates finance entered; the others came from the company's rate table
    entered = models.JSONField(default=list, blank=True)
    open_base = models.DecimalField(_("open (company currency)"), **AMOUNT_FIELD, default=ZERO)
    revalued_base = models.DecimalField(_("revalued"), **AMOUNT_FIELD, default=ZERO)
    gain = models.DecimalField(_("unrealised gain"), **AMOUNT_FIELD, default=ZERO)
    loss = models.DecimalField(_("unrealised loss"), **AMOUNT_FIELD, default=ZERO)
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("run by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("revaluation")
        verbose_name_plural = _("revaluations")
        ordering = ["-date", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["company", "date"], name="revaluation_one_per_day"),
        ]

    def __str__(self) -> str:
        return self.date.isoformat()

    @property
    def difference(self) -> Decimal:
        """The net unrealised difference: gain + loss (loss negative)."""
        return self.gain + self.loss


class RevaluationLine(CompanyOwned):
    """One open invoice in a revaluation run: ``open_amount`` (document currency) at the
    run's ``rate`` is ``revalued_base``; ``difference`` = that − ``open_base`` (its open base
    at the invoice's own ``invoice_rate``); gain +, loss −."""

    run = models.ForeignKey(RevaluationRun, on_delete=models.CASCADE, related_name="lines")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(_("currency"), max_length=3)
    open_amount = models.DecimalField(_("open amount"), **AMOUNT_FIELD)
    invoice_rate = models.DecimalField(_("invoice rate"), **RATE_FIELD)
    open_base = models.DecimalField(_("open (company currency)"), **AMOUNT_FIELD)
    rate = models.DecimalField(_("revaluation rate"), **RATE_FIELD)
    revalued_base = models.DecimalField(_("revalued"), **AMOUNT_FIELD)
    difference = models.DecimalField(_("unrealised difference"), **AMOUNT_FIELD)

    class Meta:
        ordering = ["run", "currency", "invoice"]
        constraints = [
            models.UniqueConstraint(fields=["run", "invoice"], name="revaluation_line_once"),
            models.CheckConstraint(
                condition=Q(difference__gte=F("revalued_base") - F("open_base") - CENT_FRACTION)
                & Q(difference__lte=F("revalued_base") - F("open_base") + CENT_FRACTION),
                name="revaluation_line_difference_is_gap",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}: {self.invoice_id}"
