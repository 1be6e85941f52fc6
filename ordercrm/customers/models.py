"""Customers with their contacts, addresses, payment terms and tags."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ordercrm.core.models import CompanyOwned
from ordercrm.core.money import AMOUNT_FIELD, PERCENT_FIELD


class PaymentTerm(CompanyOwned):
    """When an invoice falls due: a schedule of instalments (``lines``, percentages adding up
    to 100, each with its due-date rule; ``customers.terms``), or without lines 100 %
    ``days`` after the invoice date (0 = immediately)."""

    name = models.CharField(_("name"), max_length=64)
    days = models.PositiveSmallIntegerField(
        _("days"), default=30, help_text=_("Without instalments: days after the invoice date.")
    )
    is_default = models.BooleanField(_("default"), default=False)
    advance_percent = models.DecimalField(
        _("required advance (%)"),
        **PERCENT_FIELD,
        default=Decimal("0"),
        help_text=_(
            "Share of the order total to be paid before anything is dispatched; it is "
            "deducted from the order's final invoice. 0: no advance."
        ),
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("payment terms")
        verbose_name_plural = _("payment terms")
        ordering = ["days"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="payment_term_name_unique"),
            models.UniqueConstraint(
                fields=["company"], condition=Q(is_default=True), name="payment_term_one_default"
            ),
            models.CheckConstraint(
                condition=Q(advance_percent__gte=0) & Q(advance_percent__lte=100),
                name="payment_term_advance_0_100",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def schedule_lines(self) -> list:
        """The term as ``customers.terms.TermLine`` rules: its lines, or 100 % ``days``."""
        from ordercrm.customers.terms import TermLine

        lines = list(self.lines.all())
        if lines:
            return [line.rule() for line in lines]
        return [TermLine(percent=Decimal(100), days=self.days)]

    def describe(self) -> str:
        """The schedule in words, e.g. ``30 % on the order date / 70 % 30 days after the
        invoice date``."""
        from django.utils.translation import gettext

        from ordercrm.core.money import plain

        lines = list(self.lines.all()) or [PaymentTermLine(percent=Decimal(100), days=self.days)]
        text = " / ".join(line.describe() for line in lines)
        if self.advance_percent:
            advance = gettext("advance %(percent)s %% before dispatch") % {
                "percent": plain(self.advance_percent)
            }
            text = f"{advance}; {text}"
        return text


class TermBase(models.TextChoices):
    INVOICE = "invoice", _("invoice date")
    ORDER = "order", _("order date")


class PaymentTermLine(CompanyOwned):
    """One instalment of a payment term: ``percent`` of the invoice total, due by the rule
    of ``customers.terms.due_date`` (months, end of month, days, end of month, day of month)
    from the invoice or the order date."""

    term = models.ForeignKey(PaymentTerm, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    percent = models.DecimalField(_("percentage (%)"), **PERCENT_FIELD)
    base = models.CharField(
        _("counted from"), max_length=8, choices=TermBase.choices, default=TermBase.INVOICE
    )
    months = models.PositiveSmallIntegerField(_("number of months"), default=0)
    after_month_end = models.BooleanField(_("from the end of that month"), default=False)
    days = models.PositiveSmallIntegerField(_("days"), default=0)
    month_end = models.BooleanField(_("then to the end of the month"), default=False)
    day_of_month = models.PositiveSmallIntegerField(_("on day of month"), null=True, blank=True)

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["term", "position"]
        constraints = [
            models.UniqueConstraint(fields=["term", "position"], name="term_line_position_unique"),
            models.CheckConstraint(
                condition=Q(percent__gt=0) & Q(percent__lte=100), name="term_line_percent_0_100"
            ),
            models.CheckConstraint(
                condition=Q(day_of_month__isnull=True)
                | (Q(day_of_month__gte=1) & Q(day_of_month__lte=31)),
                name="term_line_day_of_month_1_31",
            ),
            models.CheckConstraint(
                condition=Q(months__lte=120) & Q(days__lte=3650), name="term_line_delay_bounded"
            ),
        ]

    def __str__(self) -> str:
        return self.describe()

    def rule(self):
        from ordercrm.customers.terms import TermLine

        return TermLine(
            percent=self.percent,
            base=self.base,
            months=self.months,
            after_month_end=self.after_month_end,
            days=self.days,
            month_end=self.month_end,
            day_of_month=self.day_of_month,
        )

    def describe(self) -> str:
        """``30 % on the order date``, ``70 % 30 days after the invoice date, end of month``."""
        from django.utils.translation import gettext

        from ordercrm.core.money import plain

        parts = []
        base = TermBase(self.base).label
        if not (self.months or self.days or self.after_month_end):
            parts.append(gettext("on the %(base)s") % {"base": base})
        else:
            delay = []
            if self.months:
                delay.append(gettext("%(n)s months") % {"n": self.months})
            if self.after_month_end:
                delay.append(gettext("to the end of that month"))
            if self.days:
                delay.append(gettext("%(n)s days") % {"n": self.days})
            parts.append(
                gettext("%(delay)s after the %(base)s") % {"delay": ", ".join(delay), "base": base}
            )
        if self.month_end:
            parts.append(gettext("end of month"))
        if self.day_of_month:
            parts.append(gettext("on day %(n)s of the month") % {"n": self.day_of_month})
        return f"{plain(self.percent)} % " + ", ".join(parts)


class CustomerTag(CompanyOwned):
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="customer_tag_unique")
        ]

    def __str__(self) -> str:
        return self.name


class CustomerKind(models.TextChoices):
    COMPANY = "company", _("Company")
    PERSON = "person", _("Person")


class Customer(CompanyOwned):
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("type"), max_length=16, choices=CustomerKind.choices, default=CustomerKind.COMPANY
    )
    tax_id = models.CharField(_("tax ID"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=64, blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.CharField(_("website"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    currency = models.CharField(_("currency"), max_length=3)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("salesperson"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
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
    tags = models.ManyToManyField(
        CustomerTag, verbose_name=_("tags"), blank=True, related_name="customers"
    )
    credit_limit = models.DecimalField(
        _("credit limit"),
        **AMOUNT_FIELD,
        null=True,
        blank=True,
        help_text=_("In the company currency. Empty: no limit."),
    )
    credit_hold = models.BooleanField(
        _("credit hold"),
        default=False,
        help_text=_("No order of this customer is confirmed while set (finance sets it)."),
    )
    credit_hold_reason = models.CharField(_("credit hold reason"), max_length=200, blank=True)
    # Blocked until a date (not included): no quotation of this customer becomes an order
    # before it (``customers.blocked``); quotations are still made. The block lifts by itself.
    blocked_until = models.DateField(_("blocked until"), null=True, blank=True)
    blocked_reason = models.CharField(_("reason for the block"), max_length=200, blank=True)
    # Receivables in the company currency, maintained by billing inside its transactions so
    # the credit check reads them in one row instead of summing every invoice.
    receivable_balance = models.DecimalField(
        _("unpaid invoices"), **AMOUNT_FIELD, default=Decimal("0")
    )
    advance_balance = models.DecimalField(
        _("unallocated advances"), **AMOUNT_FIELD, default=Decimal("0")
    )
    oldest_unpaid_due_date = models.DateField(_("oldest unpaid due date"), null=True, blank=True)
    payment_terms = models.ForeignKey(
        PaymentTerm,
        verbose_name=_("payment terms"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    price_list = models.ForeignKey(
        "catalog.PriceList",
        verbose_name=_("price list"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    tax_mapping = models.ForeignKey(
        "catalog.TaxMapping",
        verbose_name=_("tax mapping"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Replaces tax rates on this customer's orders (e.g. export zero-rated)."),
    )
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    inactive_reason = models.CharField(_("reason for deactivation"), max_length=200, blank=True)
    # Set when this customer was a duplicate merged into another: its documents moved there
    # and it stays, inactive, so old links and audit entries still resolve.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="customer_code_unique"),
            models.CheckConstraint(
                condition=Q(credit_limit__isnull=True) | Q(credit_limit__gte=Decimal("0")),
                name="customer_credit_limit_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | Q(is_active=False),
                name="customer_merged_is_inactive",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "name"]),
            models.Index(fields=["company", "phone"]),
            models.Index(fields=["company", "tax_id"]),
            models.Index(fields=["company", "owner"]),
        ]

    def blocked_on(self, day) -> bool:
        """Whether the customer is blocked on ``day`` (the company's today)."""
        return self.blocked_until is not None and day < self.blocked_until

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Contact(CompanyOwned):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=64, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    # A removed contact stays (orders name it) but is no longer offered.
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_primary=True), name="contact_one_primary"
            ),
            models.CheckConstraint(
                condition=Q(is_primary=False) | Q(is_active=True),
                name="contact_primary_is_active",
            ),
        ]
        indexes = [models.Index(fields=["company", "phone"])]

    def __str__(self) -> str:
        return self.name


class AddressKind(models.TextChoices):
    BILLING = "billing", _("Billing address")
    SHIPPING = "shipping", _("Shipping address")


class Address(CompanyOwned):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(_("type"), max_length=16, choices=AddressKind.choices)
    recipient = models.CharField(_("recipient"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=64, blank=True)
    line1 = models.CharField(_("address line 1"), max_length=200)
    line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("province / state"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, default="CN")
    is_default = models.BooleanField(_("default"), default=False)
    # A removed address stays for the record but is no longer offered; orders keep snapshots.
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["kind", "-is_default"]
        constraints = [
            # At most one default per kind here; the services keep at least one while the
            # customer has an active address of that kind, so there is exactly one.
            models.UniqueConstraint(
                fields=["customer", "kind"],
                condition=Q(is_default=True),
                name="address_one_default_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(is_default=False) | Q(is_active=True),
                name="address_default_is_active",
            ),
        ]

    def __str__(self) -> str:
        return ", ".join(
            p for p in [self.line1, self.line2, self.city, self.region, self.country] if p
        )

    def as_snapshot(self) -> dict[str, str]:
        """The address as plain data, for copying onto a document that must not change later."""
        return {
            f: getattr(self, f)
            for f in (
                "recipient",
                "phone",
                "line1",
                "line2",
                "city",
                "region",
                "postal_code",
                "country",
            )
        }
