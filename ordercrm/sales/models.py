"""Sales orders, their lines with progress counters, revisions, comments and templates."""

from __future__ import annotations

import functools
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ordercrm.core.models import CompanyOwned, CompanyQuerySet, ShippingPolicy
from ordercrm.core.money import AMOUNT_FIELD, PERCENT_FIELD, PRICE_FIELD, QUANTITY_FIELD, RATE_FIELD
from ordercrm.sales import workflow
from ordercrm.sales.workflow import Status

ZERO = Decimal("0")
CENT_FRACTION = Decimal("0.0001")
# Quantities have four decimals; SQLite compares them as doubles, so bounds between sums of
# quantities get a tolerance far below the smallest quantity step.
QTY_TOLERANCE = Decimal("0.00001")


class InvoicingPolicy(models.TextChoices):
    ON_ORDER = "on_order", _("On order")
    ON_SHIPMENT = "on_shipment", _("On shipment")
    MANUAL = "manual", _("Manual")


class LineKind(models.TextChoices):
    PRODUCT = "product", _("Product")
    SECTION = "section", _("Section")
    NOTE = "note", _("Note")


class SalesOrderQuerySet(CompanyQuerySet):
    """Orders by the workflow's named status sets (``sales.workflow``: each set's meaning is
    written there once), so SQL filters and in-memory checks agree."""

    def booked(self) -> SalesOrderQuerySet:
        return self.filter(status__in=workflow.BOOKED)

    def open(self) -> SalesOrderQuerySet:
        return self.filter(status__in=workflow.OPEN)

    def committed(self) -> SalesOrderQuerySet:
        return self.filter(status__in=workflow.COMMITTED)

    def shippable(self) -> SalesOrderQuerySet:
        return self.filter(status__in=workflow.SHIPPABLE)

    def invoiceable(self) -> SalesOrderQuerySet:
        return self.filter(status__in=workflow.INVOICEABLE)


@functools.cache
def _columns_saved(model) -> tuple[str, ...]:
    return tuple(
        field.name
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in model.PROGRESS_COLUMNS
    )


class SalesOrder(CompanyOwned):
    number = models.CharField(_("number"), max_length=32)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    billing_address = models.JSONField(_("billing address"), default=dict, blank=True)
    shipping_address = models.JSONField(_("shipping address"), default=dict, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    exchange_rate = models.DecimalField(
        _("exchange rate"),
        **RATE_FIELD,
        null=True,
        blank=True,
        help_text=_("Company currency per unit of the order currency; fixed at confirmation."),
    )
    exchange_rate_overridden = models.BooleanField(
        _("exchange rate set by hand"),
        default=False,
        help_text=_("Set by someone allowed to override the company rate table."),
    )
    price_list = models.ForeignKey(
        "catalog.PriceList",
        verbose_name=_("price list"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("salesperson"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.SalesTeam",
        verbose_name=_("sales team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    order_date = models.DateField(_("order date"))
    requested_date = models.DateField(_("requested delivery date"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    payment_terms = models.ForeignKey(
        "customers.PaymentTerm",
        verbose_name=_("payment terms"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    invoicing_policy = models.CharField(
        _("invoicing policy"),
        max_length=16,
        choices=InvoicingPolicy.choices,
        default=InvoicingPolicy.ON_SHIPMENT,
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("warehouse"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: reserve from all warehouses in their allocation order."),
    )
    shipping_policy = models.CharField(
        _("shipping policy"), max_length=20, choices=ShippingPolicy.choices, blank=True
    )
    customer_reference = models.CharField(_("customer PO reference"), max_length=64, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    discount_percent = models.DecimalField(_("order discount (%)"), **PERCENT_FIELD, default=ZERO)
    net_total = models.DecimalField(_("net total"), **AMOUNT_FIELD, default=ZERO)
    tax_total = models.DecimalField(_("tax"), **AMOUNT_FIELD, default=ZERO)
    gross_total = models.DecimalField(_("total"), **AMOUNT_FIELD, default=ZERO)
    amount_paid = models.DecimalField(
        _("paid"),
        **AMOUNT_FIELD,
        default=ZERO,
        help_text=_("Maintained by billing from payment allocations."),
    )
    company_net_total = models.DecimalField(**AMOUNT_FIELD, null=True, blank=True)
    company_tax_total = models.DecimalField(**AMOUNT_FIELD, null=True, blank=True)
    company_gross_total = models.DecimalField(**AMOUNT_FIELD, null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    revision = models.PositiveIntegerField(_("revision"), default=0)
    line_count = models.PositiveIntegerField(default=0)
    hold_reason = models.CharField(_("hold reason"), max_length=200, blank=True)
    # Set when what stayed open on a line was declined (no backorder): the lines' ``qty_closed``
    # hold how much, the audit entry why. Written by ``counters.order_lines_close``.
    backorder_declined = models.BooleanField(_("backorder declined"), default=False)
    # Every product line is a service (not stock-tracked): nothing is reserved or shipped, the
    # lines are invoiceable as ordered and the order completes once invoiced and paid. Set
    # where the order reserves stock (confirmation, amendment, resume: ``services.stock``).
    services_only = models.BooleanField(_("services only"), default=False)
    # Where the order stands on each progress axis (``sales.progress_sql``, the rule of
    # ``sales.progress``), stored so the lists filter on an index instead of probing every
    # order's lines. Written only by ``counters.order_progress_store``, one statement, after
    # every write that moves what the rule reads (line counters, lines, amounts, a status
    # change); ``save()`` leaves them alone, so an instance loaded before cannot undo it.
    fulfilment_progress = models.CharField(max_length=20, default="not_shipped", editable=False)
    invoicing_progress = models.CharField(max_length=20, default="not_invoiced", editable=False)
    payment_progress = models.CharField(max_length=20, default="unpaid", editable=False)
    credit_hold = models.BooleanField(
        _("credit hold"), default=False, help_text=_("Held by finance; only finance releases it.")
    )
    amount_invoiced = models.DecimalField(
        _("invoiced"),
        **AMOUNT_FIELD,
        default=ZERO,
        help_text=_("Maintained by billing: invoiced minus credited, in the order currency."),
    )
    approval_fingerprint = models.CharField(
        max_length=64,
        blank=True,
        help_text="Digest of what the approval rules looked at when the order was confirmed.",
    )
    # Why the order is in its status. Pending approval: the approval reasons as a JSON list
    # (the rules' figures); rejected, sent back, cancelled, closed: the person's words. Read
    # it through ``approval_reasons`` and ``status_note``, which know the two encodings.
    status_reason = models.CharField(_("reason"), max_length=500, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_order = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The one-time token of the entry form that made this order: the same form submitted
    # again (double click, Back and resubmit, a second tab) finds this order instead of
    # making a second one. Unique per company, enforced by the database.
    entry_token = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("sales order")
        verbose_name_plural = _("sales orders")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="sales_order_number_unique"),
            models.UniqueConstraint(
                fields=["company", "entry_token"],
                condition=Q(entry_token__isnull=False),
                name="sales_order_entry_token_once",
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="order_discount_0_100",
            ),
            models.CheckConstraint(
                condition=Q(net_total__gte=0) & Q(tax_total__gte=0),
                name="order_totals_not_negative",
            ),
            # A tolerance far below a cent: SQLite compares decimals as doubles.
            models.CheckConstraint(
                condition=Q(gross_total__gte=F("net_total") + F("tax_total") - CENT_FRACTION)
                & Q(gross_total__lte=F("net_total") + F("tax_total") + CENT_FRACTION),
                name="order_net_plus_tax_is_gross",
            ),
        ]
        indexes = [
            # The lists' keyset order (newest first): with it a page of 50 out of 100k orders
            # reads 51 index entries (0.5 ms) instead of sorting them all (350 ms).
            models.Index(fields=["company", "-created_at", "-id"], name="sales_order_recent"),
            models.Index(fields=["company", "status", "created_at"]),
            models.Index(fields=["company", "customer", "created_at"]),
            models.Index(fields=["company", "salesperson", "created_at"]),
            # The dashboard's recent activity (``sales.selectors.recent_orders``): ten
            # index entries instead of sorting every order (350 ms at 100k orders).
            models.Index(fields=["company", "-status_changed_at"], name="sales_order_changed"),
            # The dashboard's months (``sales.selectors.monthly_figures``): the last six
            # months' orders, not a scan of every order.
            models.Index(fields=["company", "order_date"], name="sales_order_dated"),
            # The progress filters, in the lists' keyset order: a page of the few orders in a
            # rare state reads its own index entries, however many orders there are.
            *(
                models.Index(
                    fields=["company", f"{axis}_progress", "-created_at", "-id"],
                    name=f"sales_order_{axis}",
                )
                for axis in ("fulfilment", "invoicing", "payment")
            ),
        ]

    # as on every CompanyOwned model: ``all_objects`` first, so it stays the default manager
    all_objects = models.Manager()
    objects = models.Manager.from_queryset(SalesOrderQuerySet)()

    PROGRESS_COLUMNS = ("fulfilment_progress", "invoicing_progress", "payment_progress")

    def save(self, *args, **kwargs):
        """An update writes every column but the stored progress (see the fields)."""
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = _columns_saved(type(self))
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.number

    @property
    def effective_shipping_policy(self) -> str:
        """The policy this order ships by: its own, or (an order stored before the policy was
        kept per order) the company's."""
        return self.shipping_policy or self.company.shipping_policy

    @property
    def approval_reasons(self) -> list[dict]:
        """The reasons the order waits for approval (empty in any other status)."""
        import json

        if self.status != Status.PENDING_APPROVAL or not self.status_reason.startswith("["):
            return []
        return json.loads(self.status_reason)

    @property
    def status_note(self) -> str:
        """The person's words for the status (a rejection, a request for changes, a cancel or
        close reason); empty while the order waits for approval."""
        return "" if self.status_reason.startswith("[") else self.status_reason


class SalesOrderLine(CompanyOwned):
    """One line. Counters (reserved, shipped, …) only move through inventory and billing services."""

    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    kind = models.CharField(
        _("type"), max_length=10, choices=LineKind.choices, default=LineKind.PRODUCT
    )
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.CharField(_("description"), max_length=500, blank=True)
    unit = models.ForeignKey(
        "catalog.Unit",
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    quantity = models.DecimalField(_("quantity"), **QUANTITY_FIELD, default=ZERO)
    unit_price = models.DecimalField(_("unit price"), **PRICE_FIELD, default=ZERO)
    list_unit_price = models.DecimalField(_("price-list price"), **PRICE_FIELD, default=ZERO)
    price_overridden = models.BooleanField(_("price overridden"), default=False)
    # The price rule that computed the price-list price (``catalog.pricing``), if one did.
    price_rule = models.ForeignKey(
        "catalog.PriceRule",
        verbose_name=_("price rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    discount_percent = models.DecimalField(_("discount (%)"), **PERCENT_FIELD, default=ZERO)
    tax_rate = models.ForeignKey(
        "catalog.TaxRate",
        verbose_name=_("tax rate"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    tax_percent = models.DecimalField(_("tax rate (%)"), **PERCENT_FIELD, default=ZERO)
    requested_date = models.DateField(_("requested delivery date"), null=True, blank=True)
    net = models.DecimalField(_("subtotal"), **AMOUNT_FIELD, default=ZERO)
    tax = models.DecimalField(_("tax"), **AMOUNT_FIELD, default=ZERO)
    gross = models.DecimalField(_("total"), **AMOUNT_FIELD, default=ZERO)
    unit_cost = models.DecimalField(_("cost"), **PRICE_FIELD, default=ZERO)
    qty_reserved = models.DecimalField(_("reserved"), **QUANTITY_FIELD, default=ZERO)
    qty_shipped = models.DecimalField(_("shipped"), **QUANTITY_FIELD, default=ZERO)
    qty_returned = models.DecimalField(_("returned"), **QUANTITY_FIELD, default=ZERO)
    qty_invoiced = models.DecimalField(_("invoiced"), **QUANTITY_FIELD, default=ZERO)
    qty_credited = models.DecimalField(_("credited"), **QUANTITY_FIELD, default=ZERO)
    qty_closed = models.DecimalField(_("short-closed"), **QUANTITY_FIELD, default=ZERO)
    # Units that came back on a return to be sent again (a replacement, or the repaired item):
    # the line owes them once more, so they count as open to ship (``open_quantity``) and
    # are never billed again (``progress.line_invoiceable``). Written by ``counters.
    # order_lines_replace``; net shipped = shipped − replaced.
    qty_replaced = models.DecimalField(_("to send again"), **QUANTITY_FIELD, default=ZERO)
    # Returned units never invoiced whose price was paid back from an advance (returns: a
    # refund line settled against the advance): settled like a credited unit, so never
    # billed (``progress.line_invoiceable``) and counted as done on the invoicing axis.
    # Written by ``counters.order_lines_refund``.
    qty_refunded = models.DecimalField(_("refunded from advance"), **QUANTITY_FIELD, default=ZERO)
    # Shipped beyond the ordered quantity within the over-delivery tolerance
    # (``fulfilment.tolerances``): the line delivers that much more, so what is open stays
    # ordered + over-delivered − closed − net shipped, never negative. Written by
    # ``counters.order_lines_ship``.
    qty_over_delivered = models.DecimalField(_("over-delivered"), **QUANTITY_FIELD, default=ZERO)
    # The product was a kit when the line was entered: its components are copied onto the
    # line (``OrderLineComponent``) and reserved, shipped and returned in its place.
    is_kit = models.BooleanField(_("kit"), default=False)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "position"], name="order_line_position_unique"
            ),
            # A negative unit price is a discount or rebate line (sales.services.lines
            # allows it on products that are not stock-tracked); the order total stays >= 0.
            models.CheckConstraint(condition=Q(quantity__gte=0), name="line_qty_not_negative"),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="line_discount_0_100",
            ),
            models.CheckConstraint(
                condition=Q(gross__gte=F("net") + F("tax") - CENT_FRACTION)
                & Q(gross__lte=F("net") + F("tax") + CENT_FRACTION),
                name="line_net_plus_tax_is_gross",
            ),
            models.CheckConstraint(
                condition=Q(qty_reserved__gte=0)
                & Q(qty_shipped__gte=0)
                & Q(qty_returned__gte=0)
                & Q(qty_invoiced__gte=0)
                & Q(qty_credited__gte=0)
                & Q(qty_closed__gte=0)
                & Q(qty_replaced__gte=0)
                & Q(qty_refunded__gte=0)
                & Q(qty_over_delivered__gte=0),
                name="line_counters_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(
                    qty_shipped__lte=F("quantity")
                    - F("qty_closed")
                    + F("qty_replaced")
                    + F("qty_over_delivered")
                    + QTY_TOLERANCE
                ),
                name="line_shipped_within_ordered",
            ),
            models.CheckConstraint(
                condition=Q(
                    qty_reserved__lte=F("quantity")
                    - F("qty_shipped")
                    - F("qty_closed")
                    + F("qty_replaced")
                    + F("qty_over_delivered")
                    + QTY_TOLERANCE
                ),
                name="line_reserved_within_open",
            ),
            models.CheckConstraint(
                condition=Q(qty_returned__lte=F("qty_shipped")), name="line_returned_within_shipped"
            ),
            models.CheckConstraint(
                condition=Q(qty_replaced__lte=F("qty_returned")),
                name="line_replaced_within_returned",
            ),
            models.CheckConstraint(
                condition=Q(qty_credited__lte=F("qty_invoiced")),
                name="line_credited_within_invoiced",
            ),
            models.CheckConstraint(
                condition=Q(qty_refunded__lte=F("qty_returned") - F("qty_replaced")),
                name="line_refunded_within_returned",
            ),
            models.CheckConstraint(
                condition=Q(qty_closed__lte=F("quantity")), name="line_closed_within_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.position}"

    @property
    def open_quantity(self) -> Decimal:
        """What is still to ship: ordered + over-delivered − short-closed − net shipped
        (shipped − what came back to be sent again)."""
        return self.quantity + self.qty_over_delivered - self.qty_closed - self.net_shipped

    @property
    def delivered_percent(self) -> Decimal:
        """Net shipped as a percentage of what is due (ordered − closed), capped at 100: an
        over-delivery within tolerance shows as 100 %, never more."""
        due = self.quantity - self.qty_closed
        if due <= 0:
            return Decimal("100") if self.qty_shipped > 0 else ZERO
        return min(self.net_shipped * 100 / due, Decimal("100")).quantize(Decimal("0.01"))

    @property
    def net_shipped(self) -> Decimal:
        """Shipped, less the returned units the line owes again (replacement, repair)."""
        return self.qty_shipped - self.qty_replaced

    @property
    def backordered(self) -> Decimal:
        """Open quantity with no stock reserved for it (stock-tracked product lines only;
        the caller knows whether the product is tracked)."""
        return max(self.open_quantity - self.qty_reserved, ZERO)


class OrderLineComponent(CompanyOwned):
    """A kit's component as the order line copied it (``quantity`` per kit), so a later
    change to the kit leaves the order as entered. Its id is the reservation's
    ``order_line_id`` in inventory: each component holds its own stock for the kit line, always
    ``sales.kits.scaled(line counter, quantity)`` (reserved, shipped, returned)."""

    # The database foreign key guards it; DO_NOTHING keeps deleting an order's lines a
    # single statement (``sales.kits.forget`` deletes these rows first, only for kit lines).
    line = models.ForeignKey(SalesOrderLine, on_delete=models.DO_NOTHING, related_name="components")
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("component"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(_("quantity per kit"), **QUANTITY_FIELD)
    position = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("kit component")
        verbose_name_plural = _("kit components")
        ordering = ["line", "position"]
        constraints = [
            models.UniqueConstraint(fields=["line", "product"], name="order_line_component_once"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="order_line_component_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_id}"


class OrderRevision(CompanyOwned):
    """What an order looked like at each revision, and what changed from the previous one."""

    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="revisions")
    revision = models.PositiveIntegerField()
    snapshot = models.JSONField()
    diff = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["order", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["order", "revision"], name="order_revision_unique")
        ]

    def __str__(self) -> str:
        return f"{self.order_id} r{self.revision}"


class OrderComment(CompanyOwned):
    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("comment"))

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.text[:50]


class OrderTemplate(CompanyOwned):
    """A named set of lines for fast entry, for the whole company or one customer."""

    name = models.CharField(_("name"), max_length=100)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty: shared with the whole company."),
    )
    lines = models.JSONField(default=list, help_text="[{product_id, quantity, description}]")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A deactivated template is no longer offered in order entry but stays for the record.
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("order template")
        verbose_name_plural = _("order templates")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "customer", "name"], name="order_template_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class RuleKind(models.TextChoices):
    ORDER_TOTAL = "order_total", _("Order total (company currency) at least")
    LINE_DISCOUNT = "line_discount", _("Any line discount above (%)")
    MARGIN = "margin", _("Order margin below (%)")
    CREDIT_LIMIT = "credit_limit", _("Credit exposure over the customer's limit")
    STOCK_SHORTFALL = "stock_shortfall", _("Stock short at submission")
    OVERDUE_INVOICES = "overdue_invoices", _("Customer has invoices overdue more than (days)")
    NEW_CUSTOMER = "new_customer", _("New customer (first order)")
    BELOW_PRICE_LIST = "below_price_list", _("Unit price below the price list")
    EXCHANGE_RATE = (
        "exchange_rate",
        _("Exchange rate differs from the company rate table by more than the tolerance"),
    )


class ApprovalRule(CompanyOwned):
    """When an order needs approval, and whose: sequential steps, each satisfied by one
    approval from anyone holding its role or named in it."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("condition"), max_length=20, choices=RuleKind.choices)
    threshold = models.DecimalField(
        _("threshold"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("approval rule")
        verbose_name_plural = _("approval rules")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApprovalRuleStep(CompanyOwned):
    rule = models.ForeignKey(ApprovalRule, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(_("step"), default=1)
    role = models.CharField(
        _("role"), max_length=20, blank=True, help_text=_("Anyone with this role may approve.")
    )
    approvers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approvers"),
        blank=True,
        related_name="+",
        help_text=_("Or any one of these people."),
    )

    class Meta:
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")
        ordering = ["rule", "position"]

    def __str__(self) -> str:
        return f"{self.rule_id} #{self.position}"


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    VOID = "void", _("Void")


class OrderApproval(CompanyOwned):
    """One approval an order needs for one submission, at one level of the sequence.

    All approvals of level N must be given before level N + 1 is asked. ``fingerprint``
    binds them to what the rules looked at: if the order changes, they are void."""

    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="approvals")
    revision = models.PositiveIntegerField()
    fingerprint = models.CharField(max_length=64)
    level = models.PositiveIntegerField()
    role = models.CharField(max_length=20, blank=True)
    approver_ids = models.JSONField(default=list, blank=True)
    reasons = models.JSONField(default=list)
    status = models.CharField(
        max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["order", "level", "created_at"]
        indexes = [models.Index(fields=["company", "status", "role"])]

    def __str__(self) -> str:
        return f"{self.order_id} L{self.level} {self.status}"
