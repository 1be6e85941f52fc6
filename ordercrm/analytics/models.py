"""Read models of sales kept from events, and sales targets.

``OrderFact`` holds each order's contribution at the fact grain (one row per order, day,
product, customer, salesperson, team, region and currency); ``SalesFact`` is the same without
the order: the table reports read. Both are derived from the documents by ``facts.derive`` and
kept by ``refresh`` (incrementally from the outbox, or rebuilt). ``ProcessedEvent`` records
each event applied, in the same transaction as its effect, so an event counts once.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ordercrm.core.models import Company, CompanyOwned
from ordercrm.core.money import AMOUNT_FIELD, PERCENT_FIELD, QUANTITY_FIELD

ZERO = Decimal("0")

# Every measure a fact carries: a quantity (except money collected), an amount in the order's
# currency and the same amount in the company's base currency at the order's fixed rate.
MEASURES = ("ordered", "shipped", "returned", "invoiced", "credited", "collected")
QTY_MEASURES = ("ordered", "shipped", "returned", "invoiced", "credited")


def measure_columns() -> list[str]:
    names = [f"{m}_qty" for m in QTY_MEASURES]
    for m in MEASURES:
        names += [f"{m}_amount", f"{m}_base"]
    return names


COLUMNS = tuple(measure_columns())
DIMENSIONS = (
    "day",
    "product_id",
    "customer_id",
    "salesperson_id",
    "team_id",
    "region",
    "currency",
)


def _ref(model: str, label, **extra):
    # The facts are a derived copy: no database constraint ties them to the documents, so a
    # rebuild never waits on (or blocks) the document tables.
    return models.ForeignKey(
        model,
        verbose_name=label,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        **extra,
    )


class FactBase(CompanyOwned):
    day = models.DateField(_("date"))
    product = _ref("catalog.Product", _("product"))
    customer = _ref("customers.Customer", _("customer"))
    salesperson = _ref(settings.AUTH_USER_MODEL, _("salesperson"), null=True, blank=True)
    team = _ref("accounts.SalesTeam", _("sales team"), null=True, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    ordered_qty = models.DecimalField(**QUANTITY_FIELD, default=ZERO)
    shipped_qty = models.DecimalField(**QUANTITY_FIELD, default=ZERO)
    returned_qty = models.DecimalField(**QUANTITY_FIELD, default=ZERO)
    invoiced_qty = models.DecimalField(**QUANTITY_FIELD, default=ZERO)
    credited_qty = models.DecimalField(**QUANTITY_FIELD, default=ZERO)
    ordered_amount = models.DecimalField(**AMOUNT_FIELD, default=ZERO)
    ordered_base = models.DecimalField(**AMOUNT_FIELD, default=ZERO)
    shipped_amount = models.DecimalField(**AMOUNT_FIELD, default=ZERO)
    shipped_base = models.DecimalField(**AMOUNT_FIELD, default=ZERO)
    returned_amount = models.DecimalField(**AMOUNT_FIELD, default=ZERO)
    returned_base = models.DecimalField(**AMOUNT_FIELD, default=ZERO)
    invoiced_amount = models.DecimalField(**AMOUNT_FIELD, default=ZERO)
    invoiced_base = models.DecimalField(**AMOUNT_FIELD, default=ZERO)
    credited_amount = models.DecimalField(**AMOUNT_FIELD, default=ZERO)
    credited_base = models.DecimalField(**AMOUNT_FIELD, default=ZERO)
    collected_amount = models.DecimalField(**AMOUNT_FIELD, default=ZERO)
    collected_base = models.DecimalField(**AMOUNT_FIELD, default=ZERO)

    class Meta:
        abstract = True


class OrderFact(FactBase):
    """One order's share of the facts; the drill-down behind a report cell reads it."""

    order = _ref("sales.SalesOrder", _("order"))

    class Meta:
        indexes = [
            models.Index(fields=["company", "order"], name="order_fact_order"),
            models.Index(fields=["company", "day"], name="order_fact_day"),
        ]


class SalesFact(FactBase):
    """The sales facts at (company, day, product, customer, salesperson, team, region,
    currency). ``key`` digests the dimensions (unique per company: nullable columns would
    make a plain unique constraint let duplicates through)."""

    key = models.CharField(max_length=40)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "key"], name="sales_fact_key_unique")
        ]
        indexes = [
            models.Index(fields=["company", "day"], name="sales_fact_day"),
            models.Index(fields=["company", "salesperson", "day"], name="sales_fact_rep_day"),
        ]


class ProcessedEvent(models.Model):
    """An outbox event the facts have taken in, written with its effect (exactly once)."""

    event_id = models.UUIDField(primary_key=True)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    event_at = models.DateTimeField()
    processed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["company", "event_at"], name="processed_event_at")]

    def __str__(self) -> str:
        return str(self.event_id)


class FactState(models.Model):
    """Per company: how current the facts are. ``as_of``: every event before it is applied
    (shown on every report as "data as of"); ``watermark``: where the next scan starts (minus
    the grace window, ``ANALYTICS_GRACE_SECONDS``, for transactions that commit late). The
    row is locked while a worker applies events, so one worker at a time writes a company's
    facts."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="+")
    as_of = models.DateTimeField(null=True, blank=True)
    watermark = models.DateTimeField(null=True, blank=True)
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.company_id}: {self.as_of}"


class Basis(models.TextChoices):
    BOOKED = "booked", _("Booked (ordered − returned)")
    INVOICED = "invoiced", _("Invoiced (invoiced − credit notes)")
    COLLECTED = "collected", _("Collected (payments received)")


class PerformanceSettings(models.Model):
    """The company's chosen basis for attainment."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="+")
    basis = models.CharField(
        _("attainment basis"), max_length=12, choices=Basis.choices, default=Basis.INVOICED
    )

    def __str__(self) -> str:
        return self.basis


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class TargetMetric(models.TextChoices):
    AMOUNT = "amount", _("Amount")
    QUANTITY = "quantity", _("Quantity")


class SalesTarget(CompanyOwned):
    """A sales target of one salesperson or one team for a period, by amount (company
    currency) or quantity, optionally for one product category."""

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
        on_delete=models.PROTECT,
        related_name="+",
    )
    period_kind = models.CharField(_("period"), max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField(_("from"))
    metric = models.CharField(
        _("measure"), max_length=8, choices=TargetMetric.choices, default=TargetMetric.AMOUNT
    )
    category = models.ForeignKey(
        "catalog.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    value = models.DecimalField(_("target"), **AMOUNT_FIELD)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("sales target")
        verbose_name_plural = _("sales targets")
        ordering = ["period_start", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(salesperson__isnull=False, team__isnull=True)
                | Q(salesperson__isnull=True, team__isnull=False),
                name="target_one_owner",
            ),
            models.CheckConstraint(condition=Q(value__gt=0), name="target_positive"),
            models.UniqueConstraint(
                fields=["company", "salesperson", "period_kind", "period_start", "metric"],
                condition=Q(team__isnull=True, category__isnull=True),
                name="target_rep_unique",
            ),
            models.UniqueConstraint(
                fields=[
                    "company",
                    "salesperson",
                    "period_kind",
                    "period_start",
                    "metric",
                    "category",
                ],
                condition=Q(team__isnull=True, category__isnull=False),
                name="target_rep_category_unique",
            ),
            models.UniqueConstraint(
                fields=["company", "team", "period_kind", "period_start", "metric"],
                condition=Q(salesperson__isnull=True, category__isnull=True),
                name="target_team_unique",
            ),
            models.UniqueConstraint(
                fields=["company", "team", "period_kind", "period_start", "metric", "category"],
                condition=Q(salesperson__isnull=True, category__isnull=False),
                name="target_team_category_unique",
            ),
        ]


class CreditSplit(CompanyOwned):
    """A salesperson's share of an order shared between salespeople (e.g. 60 / 40). The
    shares of an order add up to 100 %; an order without shares is all its salesperson's."""

    order = models.ForeignKey(
        "sales.SalesOrder", verbose_name=_("order"), on_delete=models.CASCADE, related_name="+"
    )
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("salesperson"),
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
    percent = models.DecimalField(_("share (%)"), **PERCENT_FIELD)

    class Meta:
        verbose_name = _("credit split")
        verbose_name_plural = _("credit splits")
        ordering = ["-percent", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "order", "salesperson"], name="credit_split_unique"
            ),
            models.CheckConstraint(
                condition=Q(percent__gt=0, percent__lte=100), name="credit_split_percent"
            ),
        ]
