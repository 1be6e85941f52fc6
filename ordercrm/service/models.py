"""After-sales cases (工单 / 客诉), their lines, comments and attachments; the SLA policies
and the working calendar their clocks run on; warranty terms.

A case names a customer and, usually, an order and quantities of its lines. Its SLA due
times are computed when the case changes (``service.sla``) and stored, so the desk sorts
and the periodic check filters on columns, never recomputing a calendar.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ordercrm.core.models import CompanyOwned
from ordercrm.core.money import QUANTITY_FIELD
from ordercrm.service.workflow import CaseStatus


class CaseChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    WEB = "web", _("Web")
    VISIT = "visit", _("Visit")


class CaseType(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    RETURN_REQUEST = "return_request", _("Return request")
    REPAIR = "repair", _("Repair")
    QUESTION = "question", _("Question")
    WARRANTY_CLAIM = "warranty_claim", _("Warranty claim")


class CasePriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class SlaState(models.TextChoices):
    NONE = "none", _("No SLA")
    OK = "ok", _("On time")
    WARNING = "warning", _("Due soon")
    BREACHED = "breached", _("Breached")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")


class Case(CompanyOwned):
    number = models.CharField(_("number"), max_length=32)
    status = models.CharField(
        _("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.NEW
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    order = models.ForeignKey(
        "sales.SalesOrder",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    channel = models.CharField(
        _("channel"), max_length=16, choices=CaseChannel.choices, default=CaseChannel.PHONE
    )
    case_type = models.CharField(
        _("type"), max_length=20, choices=CaseType.choices, default=CaseType.COMPLAINT
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=CasePriority.choices, default=CasePriority.NORMAL
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), max_length=20000, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.SalesTeam",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolution = models.TextField(_("resolution"), max_length=20000, blank=True)
    status_note = models.CharField(_("reason"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # SLA clocks (service.sla): targets in working minutes, due times stored on every change
    response_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True)
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    response_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(_("paused since"), null=True, blank=True)
    paused_minutes = models.PositiveIntegerField(default=0)  # working minutes spent paused
    # the nearest due time still to be met (null: nothing due, or paused): the desk sorts on it
    next_due = models.DateTimeField(_("next due"), null=True, blank=True)
    sla_state = models.CharField(
        _("SLA"), max_length=10, choices=SlaState.choices, default=SlaState.NONE
    )
    response_warned = models.BooleanField(default=False)
    resolution_warned = models.BooleanField(default=False)
    response_breached = models.BooleanField(_("first response breached"), default=False)
    resolution_breached = models.BooleanField(_("resolution breached"), default=False)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="case_number_unique"),
            models.CheckConstraint(condition=Q(version__gte=1), name="case_version_positive"),
        ]
        indexes = [
            models.Index(fields=["company", "status", "next_due"]),
            models.Index(fields=["company", "customer", "status"]),
            models.Index(fields=["company", "order"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def breached(self) -> bool:
        return self.response_breached or self.resolution_breached


class CaseLine(CompanyOwned):
    """A quantity of one order line the case is about."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        "sales.SalesOrderLine",
        verbose_name=_("order line"),
        # The database foreign key protects a case's lines; DO_NOTHING keeps deleting a
        # draft's lines one statement (PROTECT would make Django query this table first, in
        # batches that grow with the line count).
        on_delete=models.DO_NOTHING,
        related_name="+",
    )
    quantity = models.DecimalField(_("quantity"), **QUANTITY_FIELD)

    class Meta:
        verbose_name = _("case line")
        constraints = [
            models.UniqueConstraint(fields=["case", "order_line"], name="case_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="case_line_quantity_positive"),
        ]


class CommentKind(models.TextChoices):
    REPLY = "reply", _("Reply to the customer")
    INTERNAL = "internal", _("Internal note")
    CUSTOMER = "customer", _("Message from the customer")


class CaseComment(CompanyOwned):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="comments")
    kind = models.CharField(
        _("kind"), max_length=10, choices=CommentKind.choices, default=CommentKind.REPLY
    )
    body = models.TextField(_("message"), max_length=20000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("case comment")
        ordering = ["created_at"]


class CaseAttachment(CompanyOwned):
    """A photo or PDF on a case, kept through Django's storage (``service.attachments``
    checks its size and sniffs its type before it is stored)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        CaseComment, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="cases/%Y/%m/", max_length=300)
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=64)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("attachment")
        ordering = ["created_at"]


class SlaPolicy(CompanyOwned):
    """How soon a case of one type and priority is answered and resolved, in working hours."""

    case_type = models.CharField(_("type"), max_length=20, choices=CaseType.choices)
    priority = models.CharField(_("priority"), max_length=10, choices=CasePriority.choices)
    response_hours = models.DecimalField(
        _("first response within (working hours)"), max_digits=6, decimal_places=2
    )
    resolution_hours = models.DecimalField(
        _("resolution within (working hours)"), max_digits=6, decimal_places=2
    )

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "case_type", "priority"], name="sla_policy_unique"
            ),
            models.CheckConstraint(
                condition=Q(response_hours__gt=0) & Q(resolution_hours__gte=F("response_hours")),
                name="sla_policy_hours_valid",
            ),
        ]


class ServiceSettings(CompanyOwned):
    """A company's after-sales settings (one row; defaults when missing)."""

    use_china_calendar = models.BooleanField(
        _("follow China's official holidays and make-up working days"), default=True
    )
    reopen_days = models.PositiveIntegerField(_("reopen within (days)"), default=14)
    warning_percent = models.PositiveIntegerField(
        _("warn when this share of the SLA time is used (%)"), default=80
    )
    # a resolved case the customer did not come back on closes by itself (0 = never)
    close_after_days = models.PositiveIntegerField(
        _("close resolved cases after (days)"), default=7
    )

    class Meta:
        verbose_name = _("service settings")
        constraints = [
            models.UniqueConstraint(fields=["company"], name="service_settings_one"),
            models.CheckConstraint(
                condition=Q(warning_percent__gte=1) & Q(warning_percent__lte=99),
                name="service_settings_warning_range",
            ),
        ]


class WorkingHours(CompanyOwned):
    """One working interval of a weekday (0 = Monday), in the company's time zone."""

    weekday = models.PositiveSmallIntegerField(_("weekday"))
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("working hours")
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="working_hours_weekday"),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="working_hours_order"),
        ]


class CalendarDay(CompanyOwned):
    """A company's own word on one date: a holiday (not working) or a working day; it
    overrides the weekly hours and China's calendar."""

    date = models.DateField(_("date"))
    is_working = models.BooleanField(_("working day"), default=False)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["company", "date"], name="calendar_day_unique")
        ]


class WarrantyTerm(CompanyOwned):
    """Warranty months of a product, or of every product of a category (the product's own
    term wins, then its category's, then the parent categories')."""

    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    category = models.ForeignKey(
        "catalog.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    months = models.PositiveIntegerField(_("warranty (months)"))

    class Meta:
        verbose_name = _("warranty term")
        constraints = [
            models.CheckConstraint(
                condition=Q(product__isnull=False, category__isnull=True)
                | Q(product__isnull=True, category__isnull=False),
                name="warranty_term_one_target",
            ),
            models.UniqueConstraint(
                fields=["company", "product"],
                condition=Q(product__isnull=False),
                name="warranty_term_product_unique",
            ),
            models.UniqueConstraint(
                fields=["company", "category"],
                condition=Q(category__isnull=False),
                name="warranty_term_category_unique",
            ),
            models.CheckConstraint(
                condition=Q(months__gte=1) & Q(months__lte=240), name="warranty_term_months"
            ),
        ]
