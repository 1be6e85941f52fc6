"""Reads of notifications: a user's in-app notifications and unread count, deliveries, the
events feed scoped like the records the events name, and an order's activity: its own
timeline merged with the billing and email facts about it (this app sits above sales,
fulfilment and billing, so it may see them all)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db.models import CharField, Func, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ordercrm.accounts.access import Access
from ordercrm.accounts.roles import RecordScope
from ordercrm.core.models import Event
from ordercrm.core.permissions import Perm
from ordercrm.notifications.models import Delivery, Notification
from ordercrm.sales import workflow


def notification_list(user, company, *, unread_only: bool = False) -> QuerySet[Notification]:
    notes = Notification.objects.for_company(company).filter(user=user)
    return notes.filter(read_at__isnull=True) if unread_only else notes


def unread_count(user, company) -> int:
    return Notification.objects.for_company(company).filter(user=user, read_at__isnull=True).count()


def deliveries_of_event(company, event_id) -> QuerySet[Delivery]:
    return Delivery.objects.for_company(company).filter(event_id=event_id).order_by("created_at")


# ---------------------------------------------------------------- events feed


class _UUIDText(Func):
    """A UUID column as ``str(uuid)`` writes it (``Event.entity_id``): SQLite keeps 32 hex
    digits, PostgreSQL a uuid, so each needs its own spelling to compare with the text."""

    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        parts = [(1, 8), (9, 4), (13, 4), (17, 4), (21, 12)]
        text = " || '-' || ".join(f"substr({sql}, {start}, {length})" for start, length in parts)
        return f"({text})", list(params) * len(parts)

    def as_sql(self, compiler, connection, **extra):
        return compiler.compile(Cast(self.source_expressions[0], TextField()))


def _orders(access):
    from ordercrm.sales.selectors import order_list

    return order_list(access)


def _shipments(access):
    from ordercrm.fulfilment.selectors import shipment_list

    return shipment_list(access)


def _returns(access):
    from ordercrm.fulfilment.models import ReturnReceipt

    return ReturnReceipt.objects.for_company(access.company).filter(
        order_id__in=_orders(access).order_by().values("pk")
    )


def _rmas(access):
    from ordercrm.returns.models import ReturnAuthorization

    return ReturnAuthorization.objects.for_company(access.company).filter(
        order_id__in=_orders(access).order_by().values("pk")
    )


def _invoices(access):
    from ordercrm.billing.selectors import invoice_list

    return invoice_list(access)


def _payments(access):
    from ordercrm.billing.selectors import payment_list

    return payment_list(access)


def _customers(access):
    from ordercrm.customers.selectors import customer_list

    return customer_list(access, include_inactive=True)


# entity type → (permission to see that kind of record, the records the caller may see; None
# when the kind has no owner or team, so the permission decides alone).
def _cases(access: Access):
    from ordercrm.service.selectors import case_list

    return case_list(access)


EVENT_ENTITIES: dict[str, tuple[str, Callable[[Access], QuerySet] | None]] = {
    "service.case": (Perm.CUSTOMER_VIEW, _cases),
    "sales.salesorder": (Perm.ORDER_VIEW, _orders),
    "fulfilment.shipment": (Perm.ORDER_VIEW, _shipments),
    "fulfilment.returnreceipt": (Perm.ORDER_VIEW, _returns),
    "returns.returnauthorization": (Perm.ORDER_VIEW, _rmas),
    "billing.invoice": (Perm.ORDER_VIEW, _invoices),
    "billing.payment": (Perm.CUSTOMER_VIEW, _payments),
    "customers.customer": (Perm.CUSTOMER_VIEW, _customers),
    "catalog.product": (Perm.PRODUCT_VIEW, None),
    "inventory.warehouse": (Perm.STOCK_VIEW, None),
}


def visible_events(access: Access) -> Q:
    """The condition on ``Event`` for what ``access`` may see: an event is visible when the
    record it names is (through that record's own selector: an order event to who sees the
    order, a payment event to who sees its customer…). Events of other kinds of records are
    shown only to members who see every record of the company."""
    if not access.is_member:
        return Q(pk__in=[])
    condition = Q(pk__in=[])
    for entity_type, (perm, visible) in EVENT_ENTITIES.items():
        if not access.can(perm):
            continue
        if visible is None or access.scope == RecordScope.COMPANY:
            condition |= Q(entity_type=entity_type)
        else:
            keys = visible(access).order_by().annotate(_key=_UUIDText("pk")).values("_key")
            condition |= Q(entity_type=entity_type, entity_id__in=keys)
    if access.scope == RecordScope.COMPANY:
        condition |= ~Q(entity_type__in=list(EVENT_ENTITIES))
    return condition


def event_feed(access: Access, *, type: str = "") -> QuerySet[Event]:
    """The outbox as a feed (``core.audit_view``), scoped by :func:`visible_events`."""
    access.require(Perm.AUDIT_VIEW)
    feed = Event.objects.for_company(access.company).filter(visible_events(access))
    return feed.filter(type=type) if type else feed


# ---------------------------------------------------------------- an order's activity


@dataclass(frozen=True)
class Activity:
    """One fact of an order's life, worded in the reader's language."""

    at: Any
    kind: str  # order | comment | invoice | credit_note | payment | email
    actor: Any
    title: str
    detail: str = ""
    status: str = ""  # emails: the delivery status (pending, sent, failed, dead)
    status_label: str = ""
    error: str = ""  # emails: the last error, for those who may see it
    delivery_id: Any = None


# Audit actions of an order, as the timeline words them (others read "Changed"): the
# workflow actions' own words from the workflow table, then the facts that are no transition.
ORDER_TITLES = {
    **{row.name: row.done_title for row in workflow.TABLE if row.done_title},
    "create": gettext_lazy("Created"),
    "update": gettext_lazy("Edited"),
    "add_lines": gettext_lazy("Lines added"),
    "approve_step": gettext_lazy("Approved"),
    "send": gettext_lazy("Email to the customer requested"),
    "backorder_fill": gettext_lazy("Backorder filled"),
    "decline_backorder": gettext_lazy("Backorder declined"),
    "fulfilment_exception_resolve": gettext_lazy("Fulfilment exception decided"),
}
# The reason or comment an action carries, by the field its audit entry keeps it in.
REASON_FIELDS = ("reason", "hold_reason", "comment")


def _after(changes: dict, name: str):
    value = (changes or {}).get(name)
    return value[1] if isinstance(value, list) and len(value) == 2 else None


def _order_fact(item) -> Activity:
    changes = item.details if isinstance(item.details, dict) else {}
    action, detail = item.title, ""
    row = workflow.BY_NAME.get(action)
    if row is not None and row.done_title_confirmed and _after(changes, "status") == "confirmed":
        title = str(row.done_title_confirmed)  # submitted and confirmed at once
    elif action == "ship":
        title = _("Shipped %(number)s") % {"number": changes.get("shipment", "")}
        detail = " ".join(
            part
            for part in (changes.get("carrier", ""), changes.get("tracking_number", ""))
            if part
        )
    elif action == "return_receive":
        title = _("Return %(number)s received") % {"number": changes.get("return", "")}
    elif action == "fulfilment_exception":
        title = _("Fulfilment exception on %(number)s") % {"number": changes.get("shipment", "")}
        detail = changes.get("note", "") if isinstance(changes.get("note"), str) else ""
    else:
        title = str(ORDER_TITLES.get(action, _("Changed")))
    for name in REASON_FIELDS:
        if not detail and isinstance(_after(changes, name), str):
            detail = _after(changes, name)
    return Activity(item.at, "order", item.actor, title, detail)


def _money(currency: str, amount) -> str:
    from django.utils.translation import get_language

    from ordercrm.core.documents import Formatter

    return Formatter(get_language() or "en").money(amount, currency)


def order_activity(access, order_id) -> list[Activity]:
    """Everything that happened to one order, each fact once, oldest first, worded in the
    active language: the order's own changes (its audit entries, not the outbox events that
    mirror them) and comments, invoices and credit notes issued or cancelled, payments
    received, and the emails sent about the order, its shipments, invoices and payments
    with their delivery status. Only members who may change settings see a failed email's
    error. A fixed number of queries, however many documents the order has."""
    from ordercrm.billing import selectors as billing_selectors
    from ordercrm.billing.models import Invoice, InvoiceKind, Payment
    from ordercrm.core.models import AuditEntry
    from ordercrm.core.permissions import Perm
    from ordercrm.fulfilment.selectors import shipment_list
    from ordercrm.notifications.models import Channel, EmailKind
    from ordercrm.sales import selectors as sales_selectors

    order = sales_selectors.order_get(access, order_id)
    facts = [
        Activity(item.at, "comment", item.actor, _("Comment"), str(item.details))
        if item.kind == "comment"
        else _order_fact(item)
        for item in sales_selectors.order_timeline(access, order.pk, events=False)
    ]
    invoices = {i.pk: i for i in billing_selectors.invoice_list(access, order_id=order.pk)}
    payments = {p.pk: p for p in billing_selectors.order_payments(access, order)}
    documents = {(Invoice._meta.label_lower, str(pk)): i for pk, i in invoices.items()} | {
        (Payment._meta.label_lower, str(pk)): p for pk, p in payments.items()
    }
    entries = AuditEntry.objects.for_company(order.company_id).filter(
        entity_type__in={key[0] for key in documents} or {""},
        entity_id__in=[key[1] for key in documents],
        action__in=("issue", "cancel", "create"),
    )
    for entry in entries.select_related("actor"):
        document = documents.get((entry.entity_type, entry.entity_id))
        if document is None:
            continue
        if isinstance(document, Payment):
            if entry.action != "create":
                continue
            facts.append(
                Activity(
                    entry.created_at,
                    "payment",
                    entry.actor,
                    _("Payment %(number)s received") % {"number": document.number},
                    f"{_money(document.currency, document.amount)} · "
                    f"{document.get_method_display()}",
                )
            )
            continue
        credit = document.kind == InvoiceKind.CREDIT_NOTE
        if entry.action == "issue":
            title = _("Credit note %(number)s issued") if credit else _("Invoice %(number)s issued")
        elif entry.action == "cancel":
            title = _("Invoice %(number)s cancelled")
        else:
            continue  # a draft is not a fact the customer sees; its issue is
        detail = _money(document.currency, document.gross_total)
        if credit and document.reason:
            detail = f"{detail} · {document.reason}"
        facts.append(
            Activity(
                entry.created_at,
                "credit_note" if credit else "invoice",
                entry.actor,
                title % {"number": document.number},
                detail,
            )
        )
    shipment_ids = list(shipment_list(access, order_id=order.pk).values_list("pk", flat=True))
    about = [str(order.pk), *map(str, shipment_ids), *map(str, invoices), *map(str, payments)]
    see_errors = access.can(Perm.SETTINGS_EDIT)
    kinds = dict(EmailKind.choices)
    for delivery in Delivery.objects.for_company(order.company_id).filter(
        channel=Channel.EMAIL, event__entity_id__in=about
    ):
        facts.append(
            Activity(
                delivery.created_at,
                "email",
                None,
                _("Email: %(kind)s to %(recipient)s")
                % {
                    "kind": kinds.get(delivery.kind, delivery.kind),
                    "recipient": delivery.recipient,
                },
                _("attempt %(count)s") % {"count": delivery.attempts}
                if delivery.attempts > 1
                else "",
                status=delivery.status,
                status_label=delivery.get_status_display(),
                error=delivery.last_error if see_errors else "",
                delivery_id=delivery.pk,
            )
        )
    rank = {"order": 0, "comment": 1, "invoice": 2, "credit_note": 2, "payment": 3, "email": 4}
    return sorted(facts, key=lambda fact: (fact.at, rank[fact.kind]))


# ---------------------------------------------------------------- deliveries and the outbox


def delivery_list(access, *, status: str = "", channel: str = "") -> QuerySet[Delivery]:
    """Every email and webhook delivery of the company, newest first, with its event (for
    the order it is about): what an admin checks when a customer says nothing arrived.
    Admins only (``core.permission_denied``)."""
    from ordercrm.core.permissions import Perm
    from ordercrm.notifications.models import DeliveryStatus

    access.require(Perm.SETTINGS_EDIT)
    deliveries = Delivery.objects.for_company(access.company).select_related("event")
    if status in DeliveryStatus.values:
        deliveries = deliveries.filter(status=status)
    if channel:
        deliveries = deliveries.filter(channel=channel)
    return deliveries.order_by("-created_at", "-id")


def order_id_of(event) -> str | None:
    """The order an event is about: the order itself, or the one its payload names."""
    if event.entity_type == "sales.salesorder":
        return event.entity_id
    order_ids = event.payload.get("order_ids") or []
    return event.payload.get("order_id") or (order_ids[0] if order_ids else None)


@dataclass(frozen=True)
class OutboxMessage:
    name: str  # the file in EMAIL_FILE_PATH
    at: Any
    subject: str
    to: str
    body: str
    attachments: list


def outbox_enabled() -> bool:
    """Whether mail goes to the local outbox (Django's file backend), as without
    ``ORDERCRM_PRODUCTION``."""
    from django.conf import settings

    return settings.EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend"


def _read_outbox_file(path) -> list[OutboxMessage]:
    import datetime
    import email
    from email import policy

    data = path.read_bytes()
    at = datetime.datetime.fromtimestamp(path.stat().st_mtime, tz=datetime.UTC)
    messages = []
    # Django's file backend separates the messages of one connection with a line of dashes;
    # parsed from bytes, so 8-bit UTF-8 bodies decode as they were written
    for raw in data.split(b"\n" + b"-" * 79 + b"\n"):
        if not raw.strip():
            continue
        message = email.message_from_bytes(raw.lstrip(b"\n"), policy=policy.default)
        body = message.get_body(preferencelist=("plain", "html"))
        messages.append(
            OutboxMessage(
                name=path.name,
                at=at,
                subject=str(message.get("subject", "")),
                to=str(message.get("to", "")),
                body=body.get_content() if body is not None else "",
                attachments=[part.get_filename() or "" for part in message.iter_attachments()],
            )
        )
    return messages


def outbox_messages(access, *, limit: int = 50) -> list[OutboxMessage]:
    """The newest messages of the local outbox (``EMAIL_FILE_PATH``), newest first; empty
    when mail goes over SMTP. Admins only."""
    from django.conf import settings

    from ordercrm.core.permissions import Perm

    access.require(Perm.SETTINGS_EDIT)
    folder = settings.EMAIL_FILE_PATH
    if not outbox_enabled() or not folder or not Path(folder).is_dir():
        return []
    files = sorted(Path(folder).glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
    found: list[OutboxMessage] = []
    for path in files[:limit]:
        found.extend(reversed(_read_outbox_file(path)))
    return found[:limit]


def outbox_message(access, name: str) -> list[OutboxMessage]:
    """The messages of one outbox file, by its name (no path: ``core.not_found``)."""
    from django.conf import settings

    from ordercrm.core.exceptions import NotFound
    from ordercrm.core.permissions import Perm

    access.require(Perm.SETTINGS_EDIT)
    path = Path(settings.EMAIL_FILE_PATH or ".") / name
    if not outbox_enabled() or "/" in name or not name.endswith(".log") or not path.is_file():
        raise NotFound(details={"message": name})
    return _read_outbox_file(path)
