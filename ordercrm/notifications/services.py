"""Write use cases of notifications: marking in-app notifications read, webhook
subscriptions, email templates and resending a delivery (admins)."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ordercrm.accounts.access import access_for
from ordercrm.accounts.roles import RecordScope
from ordercrm.core import audit
from ordercrm.core.exceptions import PermissionDenied, ValidationFailed
from ordercrm.core.permissions import Perm
from ordercrm.notifications import webhook_targets
from ordercrm.notifications.models import (
    Delivery,
    EmailKind,
    EmailTemplate,
    Notification,
    WebhookSubscription,
)


class WebhookScope(PermissionDenied):
    code = "notifications.webhook_scope"
    message = gettext_lazy(
        "A webhook receives every event of the company; only a member who sees all company "
        "records may create one."
    )


def notifications_mark_read(*, user, company, ids=None) -> int:
    """Mark the user's notifications read (all of them when ``ids`` is None)."""
    unread = Notification.objects.for_company(company).filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


@transaction.atomic
def webhook_create(
    *, company, actor, url: str, event_types: list[str], description: str = ""
) -> WebhookSubscription:
    """Subscribe a URL to event types (``["*"]`` for all). The signing secret is generated
    and shown once to the admin, who gives it to the receiver.

    A subscription belongs to the company, not to a person: it receives every event of the
    company of its types, whoever's record it names. So only a member who may see every
    record (``settings_edit`` and company record scope) may create one
    (``notifications.webhook_scope`` otherwise). The URL must reach a public address
    (``webhook_targets``; ``core.validation_failed`` on ``url`` otherwise)."""
    access = access_for(actor, company)
    access.require(Perm.SETTINGS_EDIT)
    if access.scope != RecordScope.COMPANY:
        raise WebhookScope()
    errors = {}
    try:
        webhook_targets.check_url_for_subscription(url)
    except webhook_targets.TargetRefused as error:
        errors["url"] = [str(error.message)]
    if not event_types or not all(isinstance(t, str) and t for t in event_types):
        errors["event_types"] = [_("Choose at least one event type.")]
    if errors:
        raise ValidationFailed(details={"fields": errors})
    hook = WebhookSubscription.objects.create(
        company=company,
        url=url,
        event_types=list(event_types),
        secret=secrets.token_hex(32),
        description=description,
    )
    audit.record(
        actor=actor,
        entity=hook,
        action="create",
        changes={"url": [None, url], "event_types": [None, event_types]},
    )
    return hook


@transaction.atomic
def email_template_set(
    *, company, actor, kind: str, language: str, subject: str, body: str
) -> EmailTemplate:
    """A company's own wording for one email in one language, in Django template syntax over
    the plain fields of ``templating.FIELDS`` (docs/email-templates.md). A template that does
    not parse in the sandbox (``{% load %}``, ``{% include %}``, ``{% debug %}``, a name
    beginning with ``_``…) is refused with ``core.validation_failed``."""
    from django.template import TemplateSyntaxError

    from ordercrm.notifications.templating import compile_template

    access_for(actor, company).require(Perm.SETTINGS_EDIT)
    errors = {}
    if kind not in EmailKind.values:
        errors["kind"] = [_("Unknown email.")]
    for field, source in (("subject", subject), ("body", body)):
        if not source.strip():
            errors[field] = [_("This field is required.")]
            continue
        try:
            compile_template(source)
        except TemplateSyntaxError as error:
            errors[field] = [str(error)]
    if errors:
        raise ValidationFailed(details={"fields": errors})
    template, _created = EmailTemplate.objects.update_or_create(
        company=company, kind=kind, language=language, defaults={"subject": subject, "body": body}
    )
    audit.record(actor=actor, entity=template, action="set", changes={"subject": [None, subject]})
    return template


@transaction.atomic
def delivery_resend(*, company, actor, delivery_id) -> Delivery:
    """Queue one email or webhook delivery again (an admin's decision: the customer did not
    get it, or a receiver was fixed); the worker sends it on its next round. Only members
    who may change settings resend (``core.permission_denied``); an unknown delivery or one
    of another company is ``core.not_found``."""
    from ordercrm.core.exceptions import NotFound
    from ordercrm.core.ids import parse_id
    from ordercrm.notifications import worker

    access_for(actor, company).require(Perm.SETTINGS_EDIT)
    delivery = (
        Delivery.objects.for_company(company)
        .select_for_update()
        .filter(pk=parse_id(delivery_id))
        .first()
    )
    if delivery is None:
        raise NotFound(details={"delivery_id": str(delivery_id)})
    worker.resend(delivery)
    audit.record(
        actor=actor,
        entity=delivery,
        action="resend",
        changes={"status": [delivery.status, "pending"], "attempts": [delivery.attempts, 0]},
    )
    delivery.refresh_from_db()
    return delivery
