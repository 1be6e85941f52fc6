"""The shared kernel's data: companies, the company-scoped base, numbering, audit, outbox."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from ordercrm.core.exceptions import UnscopedQuery
from ordercrm.core.ids import new_id
from ordercrm.core.money import RoundingMode


class TaxRounding(models.TextChoices):
    PER_LINE = "per_line", _("Round tax per line")
    PER_DOCUMENT = "per_document", _("Round tax per document")


class StockPolicy(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", _("Confirm only when all stock is available")
    ALLOW_BACKORDER = "allow_backorder", _("Reserve what is available, backorder the rest")


class ShippingPolicy(models.TextChoices):
    SHIP_AS_AVAILABLE = "ship_as_available", _("Ship as available")
    SHIP_COMPLETE = "ship_complete", _("Ship complete orders only")
    AFTER_PAYMENT = "after_payment", _("Ship after payment in full")


class CreditPolicy(models.TextChoices):
    APPROVAL = "approval", _("Over the credit limit needs approval")
    BLOCK = "block", _("Over the credit limit is refused")
    OFF = "off", _("No credit check")


class Company(models.Model):
    """The tenant boundary: every business row belongs to exactly one company."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    tax_id = models.CharField(_("tax ID"), max_length=64, blank=True)
    base_currency = models.CharField(_("base currency"), max_length=3, default="CNY")
    default_language = models.CharField(
        _("default language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    prices_include_tax = models.BooleanField(_("prices include tax"), default=False)
    tax_rounding = models.CharField(
        _("tax rounding"), max_length=16, choices=TaxRounding.choices, default=TaxRounding.PER_LINE
    )
    rounding_mode = models.CharField(
        _("rounding mode"),
        max_length=16,
        choices=RoundingMode.choices,
        default=RoundingMode.HALF_UP,
    )
    approval_threshold = models.DecimalField(
        _("approval threshold"),
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Orders whose total in the company currency reaches this need approval."),
    )
    exchange_rate_tolerance = models.DecimalField(
        _("exchange rate tolerance (%)"),
        max_digits=7,
        decimal_places=4,
        default=Decimal("2"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_(
            "An order whose exchange rate differs from the company rate table by more than "
            "this needs finance's approval."
        ),
    )
    allow_self_approval = models.BooleanField(_("allow approving one's own orders"), default=False)
    credit_policy = models.CharField(
        _("credit policy"),
        max_length=16,
        choices=CreditPolicy.choices,
        default=CreditPolicy.APPROVAL,
        help_text=_("What confirming an order does when it takes the customer over the limit."),
    )
    stock_policy = models.CharField(
        _("stock policy"),
        max_length=20,
        choices=StockPolicy.choices,
        default=StockPolicy.ALLOW_BACKORDER,
        help_text=_("What confirming an order does when stock is short."),
    )
    shipping_policy = models.CharField(
        _("shipping policy"),
        max_length=20,
        choices=ShippingPolicy.choices,
        default=ShippingPolicy.SHIP_AS_AVAILABLE,
        help_text=_(
            "The default for new orders: ship lines as they become available, or only the whole order."
        ),
    )
    allow_zero_quantity_lines = models.BooleanField(
        _("allow zero-quantity lines"),
        default=True,
        help_text=_("Off: every product line of a quotation or order needs a quantity above zero."),
    )
    quotation_validity_days = models.PositiveIntegerField(
        _("quotation validity (days)"),
        default=30,
        validators=[MaxValueValidator(3650)],
        help_text=_(
            "A new quotation is valid this many days from its order date; 0: no validity date."
        ),
    )
    quotation_expiry_notify = models.BooleanField(
        _("tell the customer when a quotation expires"),
        default=False,
        help_text=_("Email the customer when the daily task cancels an expired quotation."),
    )
    availability_counts_quotations = models.BooleanField(
        _("free stock also counts other open quotations"),
        default=False,
        help_text=_(
            "Off: free stock at quoting is on hand minus reserved. On: other open quotations' "
            "quantities are taken off too."
        ),
    )
    billing_tolerance = models.DecimalField(
        _("billing tolerance (%)"),
        max_digits=7,
        decimal_places=4,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_(
            "A line may be invoiced up to this much beyond its invoiceable quantity; "
            "0: never beyond it."
        ),
    )
    # Delivery tolerances (docs/decisions.md, "Delivery tolerances"); a product may set its own.
    over_delivery_tolerance = models.DecimalField(
        _("over-delivery tolerance (%)"),
        max_digits=7,
        decimal_places=4,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("A line may ship up to this much more than ordered; beyond it is refused."),
    )
    under_delivery_tolerance = models.DecimalField(
        _("under-delivery tolerance (%)"),
        max_digits=7,
        decimal_places=4,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_(
            "A line shipped short by at most this much counts as delivered: the rest is closed, "
            "no backorder."
        ),
    )
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=64, blank=True)
    address = models.TextField(_("address"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Optimistic concurrency of the settings (``accounts.services.company_update``): each
    # change adds one; a write based on an older value is refused.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), default=dj_timezone.now, editable=False)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(base_currency__regex=r"^[A-Z]{3}$"), name="company_currency_iso"
            ),
            models.CheckConstraint(
                condition=Q(exchange_rate_tolerance__gte=0) & Q(exchange_rate_tolerance__lte=100),
                name="company_rate_tolerance_0_100",
            ),
            models.CheckConstraint(
                condition=Q(billing_tolerance__gte=0) & Q(billing_tolerance__lte=100),
                name="company_billing_tolerance_0_100",
            ),
            models.CheckConstraint(
                condition=Q(over_delivery_tolerance__gte=0)
                & Q(over_delivery_tolerance__lte=100)
                & Q(under_delivery_tolerance__gte=0)
                & Q(under_delivery_tolerance__lte=100),
                name="company_delivery_tolerances_0_100",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CompanyQuerySet(models.QuerySet):
    """A queryset that refuses to run until it knows its company.

    ``Model.objects.for_company(c)`` is the normal entry; ``.unscoped()`` is the explicit,
    greppable escape for the few places (migrations, admin, maintenance) that span tenants.
    Evaluating ``Model.objects.filter(...)`` without either raises :class:`UnscopedQuery`, so
    a forgotten company filter fails in the first test instead of leaking data in production.
    """

    _company_scoped = False

    def for_company(self, company) -> CompanyQuerySet:
        company_id = getattr(company, "pk", company)
        if company_id is None:
            raise UnscopedQuery("for_company() needs a company")
        queryset = self.filter(company_id=company_id)
        queryset._company_scoped = True
        return queryset

    def unscoped(self) -> CompanyQuerySet:
        queryset = self._chain()
        queryset._company_scoped = True
        return queryset

    def _clone(self):
        clone = super()._clone()
        clone._company_scoped = self._company_scoped
        return clone

    def _require_scope(self) -> None:
        if not self._company_scoped:
            raise UnscopedQuery(
                f"{self.model.__name__}.objects was queried without for_company() or unscoped()"
            )

    def _scoped_by_lookup(self, kwargs) -> CompanyQuerySet:
        """A get_or_create/update_or_create whose lookup names the company is scoped by it."""
        company = kwargs.get("company", kwargs.get("company_id"))
        return self.for_company(company) if company is not None else self

    def get_or_create(self, defaults=None, **kwargs):
        return super(CompanyQuerySet, self._scoped_by_lookup(kwargs)).get_or_create(
            defaults, **kwargs
        )

    def update_or_create(self, defaults=None, create_defaults=None, **kwargs):
        return super(CompanyQuerySet, self._scoped_by_lookup(kwargs)).update_or_create(
            defaults, create_defaults, **kwargs
        )

    def _fetch_all(self):
        if self._result_cache is None:
            self._require_scope()
        super()._fetch_all()

    def iterator(self, *args, **kwargs):
        self._require_scope()
        return super().iterator(*args, **kwargs)

    def count(self):
        if self._result_cache is None:
            self._require_scope()
        return super().count()

    def exists(self):
        if self._result_cache is None:
            self._require_scope()
        return super().exists()

    def aggregate(self, *args, **kwargs):
        self._require_scope()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs):
        self._require_scope()
        return super().update(**kwargs)

    def bulk_create(self, objs, *args, **kwargs):
        # bulk statements skip save() and its pre_save backstop: check the rows here
        from ordercrm.core.validation import check_columns

        objs = list(objs)
        check_columns(*objs)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        from ordercrm.core.validation import check_columns

        objs = list(objs)
        check_columns(*objs)
        return super().bulk_update(objs, fields, *args, **kwargs)

    def delete(self):
        self._require_scope()
        return super().delete()


CompanyManager = models.Manager.from_queryset(CompanyQuerySet)


class CompanyOwned(models.Model):
    """Base of every business model: a UUID id, the owning company, creation/update times.

    ``all_objects`` comes first and is therefore Django's default manager (used by the admin,
    model forms and related managers, whose rows are already reached through a scoped parent);
    application code queries through ``objects``, which demands a company.
    """

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=dj_timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    all_objects = models.Manager()
    objects = CompanyManager()

    class Meta:
        abstract = True


class NumberSequence(CompanyOwned):
    """The last number handed out per company, document type and year (0 = not yearly)."""

    key = models.CharField(max_length=32)
    year = models.PositiveIntegerField(default=0)
    last_value = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "key", "year"], name="number_sequence_unique_per_company"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key}/{self.year}: {self.last_value}"


class AuditEntry(CompanyOwned):
    """One row per mutation, never updated or deleted: who, from where, what, before/after."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=16)
    entity_type = models.CharField(_("entity type"), max_length=64)
    entity_id = models.CharField(_("entity ID"), max_length=64)
    entity_label = models.CharField(_("entity"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=64)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["company", "entity_type", "entity_id", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.entity_label or self.entity_id} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("audit entries are append-only")


class Event(CompanyOwned):
    """The outbox: one row per committed state change, written in the same transaction.

    Subscribers (email, webhooks, in-app notifications, follow-up work) are fed from here after
    commit, at least once; ``id`` is the stable key they de-duplicate on.
    """

    type = models.CharField(_("type"), max_length=64)
    entity_type = models.CharField(_("entity type"), max_length=64)
    entity_id = models.CharField(_("entity ID"), max_length=64)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payload = models.JSONField(default=dict, blank=True)
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="When the worker fanned it out to its subscribers."
    )

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["company", "entity_type", "entity_id", "created_at"]),
            # The worker's queue: a partial index stays as small as the backlog.
            models.Index(
                fields=["created_at"],
                condition=models.Q(dispatched_at__isnull=True),
                name="event_undispatched",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.entity_id}"


from ordercrm.core.permissions import AccessRight  # noqa: E402  (registers the permissions)

__all__ = ["AccessRight", "AuditEntry", "Company", "CompanyOwned", "Event", "NumberSequence"]
