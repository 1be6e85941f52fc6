"""Subscribers of the outbox: deliveries (email, webhook) with their retry state, webhook
subscriptions, editable email templates, in-app notifications and worker heartbeats."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ordercrm.core.models import CompanyOwned


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Webhook")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed, will retry")
    DEAD = "dead", _("Failed, gave up")


class WebhookSubscription(CompanyOwned):
    url = models.URLField(_("URL"), max_length=500)
    event_types = models.JSONField(
        _("event types"), default=list, help_text=_('Event types to send, or ["*"] for all.')
    )
    secret = models.CharField(_("signing secret"), max_length=128)
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return "*" in self.event_types or event_type in self.event_types


class EmailKind(models.TextChoices):
    ORDER_CONFIRMATION = "order_confirmation", _("Order confirmation")
    SHIPPING_NOTICE = "shipping_notice", _("Shipping notice")
    INVOICE = "invoice", _("Invoice")
    PAYMENT_RECEIPT = "payment_receipt", _("Payment receipt")
    QUOTATION_EXPIRED = "quotation_expired", _("Quotation expired")
    CASE_RECEIVED = "case_received", _("Case received")
    CASE_REPLY = "case_reply", _("Reply from support")
    CASE_RESOLVED = "case_resolved", _("Case resolved")
    CASE_ESCALATION = "case_escalation", _("SLA breach escalation")
    RMA_APPROVED = "rma_approved", _("Return approved")
    RMA_RECEIVED = "rma_received", _("Returned goods received")
    RMA_REFUNDED = "rma_refunded", _("Refund issued")
    RMA_REPLACED = "rma_replaced", _("Replacement on its way")


class EmailTemplate(CompanyOwned):
    """A company's own wording of one email in one language (Django template syntax).
    Without one, the built-in template of that language is used."""

    kind = models.CharField(_("email"), max_length=32, choices=EmailKind.choices)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))

    class Meta:
        verbose_name = _("email template")
        verbose_name_plural = _("email templates")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "kind", "language"], name="email_template_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.language})"


class Delivery(CompanyOwned):
    """One event handed to one subscriber, at least once. The event id travels with it so
    receivers can drop duplicates."""

    event = models.ForeignKey("core.Event", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    webhook = models.ForeignKey(
        WebhookSubscription, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=64, blank=True)
    recipient = models.CharField(_("recipient"), max_length=320)
    language = models.CharField(max_length=10, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    locked_by = models.CharField(max_length=64, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    response_code = models.PositiveIntegerField(_("response code"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "channel", "kind", "recipient"], name="delivery_unique_per_target"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "failed"]),
                name="delivery_due",
            ),
            models.Index(fields=["company", "status", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.recipient} {self.status}"


class Notification(CompanyOwned):
    """A message for one user in the app (approval requested, order held, …)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.ForeignKey("core.Event", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)
    # worded in the recipient's language when sent; shown only when ``message`` is unknown
    title = models.CharField(_("title"), max_length=300)
    message = models.CharField(max_length=40, blank=True)  # key in ``messages.MESSAGES``
    params = models.JSONField(default=dict, blank=True)  # the values the message names
    url = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["event", "user", "kind"], name="notification_once")
        ]
        indexes = [models.Index(fields=["user", "read_at", "created_at"])]

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        """The notification in the active language (the reader's), from its message key and
        values; a row written before keys were kept reads as it was worded when sent."""
        from ordercrm.notifications.messages import render

        return render(self.message, self.params, fallback=self.title)


class WorkerHeartbeat(models.Model):
    """One running worker process, written every few seconds by its own heartbeat thread, so a
    worker busy with a slow delivery still shows it is alive; ``holding`` names what it works
    on now (a delivery, a task) and ``busy_since`` since when, so a hung send is told apart."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    holding = models.JSONField(default=dict, blank=True)
    busy_since = models.DateTimeField(null=True, blank=True)
    sent = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.worker_id
