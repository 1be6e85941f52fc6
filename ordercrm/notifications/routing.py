"""Who hears about an event: customer emails, webhooks and in-app notifications.

``route(event)`` returns the deliveries to create and the notifications to write; the worker
calls it once per event, in the transaction that marks the event dispatched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from ordercrm.accounts.access import access_for
from ordercrm.accounts.models import Membership
from ordercrm.core.documents import document_language
from ordercrm.core.models import Event
from ordercrm.core.permissions import Perm
from ordercrm.notifications.messages import MESSAGES
from ordercrm.notifications.models import Channel, EmailKind, WebhookSubscription
from ordercrm.sales import workflow
from ordercrm.sales.workflow import OrderEvent

EMAIL_FOR_EVENT = {
    OrderEvent.CONFIRMED: EmailKind.ORDER_CONFIRMATION,
    OrderEvent.SENT: EmailKind.ORDER_CONFIRMATION,  # sent again on request, from the order page
    "shipment.dispatched": EmailKind.SHIPPING_NOTICE,
    "invoice.issued": EmailKind.INVOICE,
    "payment.received": EmailKind.PAYMENT_RECEIPT,
    # only when the company tells customers (the event's ``notify_customer``)
    OrderEvent.EXPIRED: EmailKind.QUOTATION_EXPIRED,
    # returns (RMA): the customer hears at each step that concerns them
    "rma.approved": EmailKind.RMA_APPROVED,
    "rma.received": EmailKind.RMA_RECEIVED,
    "rma.credited": EmailKind.RMA_REFUNDED,
    "rma.replaced": EmailKind.RMA_REPLACED,
}
# After-sales case events the customer is written about (service.workflow.CaseEvent).
CASE_EMAIL_FOR_EVENT = {
    "case.created": EmailKind.CASE_RECEIVED,
    "case.replied": EmailKind.CASE_REPLY,
    "case.resolved": EmailKind.CASE_RESOLVED,
}


# Events after which an order may wait for approval: each action that may end there (the
# workflow table says which), and an approval level given with more to come. A submit
# without reasons went on to confirmed and asks nobody.
ASKS_FOR_APPROVAL = frozenset(
    {row.event for row in workflow.TABLE if row.may_wait_for_approval} - {OrderEvent.APPROVED}
    | {OrderEvent.APPROVAL_STEP}
)


@dataclass(frozen=True)
class DeliverySpec:
    channel: str
    recipient: str
    kind: str = ""
    language: str = ""
    webhook_id: Any = None


@dataclass(frozen=True)
class NotificationSpec:
    user: Any
    kind: str
    title: str  # worded in the recipient's language at sending (old rows show only this)
    url: str
    order_id: Any = None  # the order it names: only members who may see it are told
    message: str = ""  # the key in ``messages.MESSAGES``, worded for each reader when read
    params: dict = field(default_factory=dict)


def _spec(user, kind: str, message: str, url: str, order_id, **params) -> NotificationSpec:
    """A notification of ``MESSAGES[message]`` for ``user``, kept as key and values."""
    title = _title(user, MESSAGES[message], **params)
    return NotificationSpec(user, kind, title, url, order_id, message, params)


def _order_of(event: Event):
    from ordercrm.sales.models import SalesOrder

    if event.entity_type == "sales.salesorder":
        order_id = event.entity_id
    else:
        order_id = event.payload.get("order_id")
    if not order_id:
        return None
    return (
        SalesOrder.objects.for_company(event.company_id)
        .select_related("customer", "contact", "salesperson", "submitted_by")
        .filter(pk=order_id)
        .first()
    )


def _customer_of(event: Event):
    from ordercrm.customers.models import Customer

    customer_id = event.payload.get("customer_id")
    if customer_id:
        return Customer.objects.for_company(event.company_id).filter(pk=customer_id).first()
    order = _order_of(event)
    return order.customer if order else None


def _case_of(event: Event):
    from ordercrm.service.models import Case

    if event.entity_type != "service.case":
        return None
    return (
        Case.objects.for_company(event.company_id)
        .select_related("customer", "contact", "assignee", "team__manager")
        .filter(pk=event.entity_id)
        .first()
    )


def case_email(event: Event) -> DeliverySpec | None:
    """The customer's email about their case (to the case's contact, else the customer), in
    the customer's language."""
    kind = CASE_EMAIL_FOR_EVENT.get(event.type)
    case = _case_of(event) if kind else None
    if case is None:
        return None
    address = (case.contact.email if case.contact else "") or case.customer.email
    if not address:
        return None
    return DeliverySpec(
        Channel.EMAIL, address, kind=kind, language=document_language(case.customer.language)
    )


def escalation_email(event: Event) -> DeliverySpec | None:
    """A breached SLA is emailed to the manager of the case's team, in their language."""
    if event.type != "case.escalated":
        return None
    case = _case_of(event)
    manager = case.team.manager if case is not None and case.team else None
    if manager is None or not manager.is_active or not manager.email:
        return None
    return DeliverySpec(
        Channel.EMAIL,
        manager.email,
        kind=EmailKind.CASE_ESCALATION,
        language=document_language(getattr(manager, "language", "") or ""),
    )


def customer_email(event: Event) -> DeliverySpec | None:
    if event.type.startswith("case."):
        return case_email(event) or escalation_email(event)
    kind = EMAIL_FOR_EVENT.get(event.type)
    if kind is None:
        return None
    if event.type == OrderEvent.EXPIRED and not event.payload.get("notify_customer"):
        return None
    order = _order_of(event) if event.type != "payment.received" else None
    customer = order.customer if order else _customer_of(event)
    if customer is None:
        return None
    address = (order.contact.email if order and order.contact else "") or customer.email
    if event.type == OrderEvent.SENT:
        address = event.payload.get("to") or address
    if not address:
        return None
    return DeliverySpec(
        Channel.EMAIL, address, kind=kind, language=document_language(customer.language)
    )


def webhooks(event: Event) -> list[DeliverySpec]:
    return [
        DeliverySpec(Channel.WEBHOOK, hook.url, kind=str(hook.pk), webhook_id=hook.pk)
        for hook in WebhookSubscription.objects.for_company(event.company_id).filter(is_active=True)
        if hook.wants(event.type)
    ]


def _approvers(event: Event, order) -> list:
    """Members who may give an approval the order now waits for, and can see it."""
    from ordercrm.sales import approvals
    from ordercrm.sales.selectors import order_list

    level = approvals.current_level(order)
    if not level:
        return []
    people = []
    for membership in Membership.objects.filter(
        company_id=event.company_id, is_active=True, user__is_active=True
    ).select_related("user", "company"):
        user = membership.user
        if user.pk == order.submitted_by_id:
            continue
        access = access_for(user, membership.company)
        if not approvals.decidable(access, level):
            continue
        if access.can(Perm.ORDER_APPROVE) and order_list(access).filter(pk=order.pk).exists():
            people.append(user)
    return people


def _title(user, message: str, **params) -> str:
    with translation.override(getattr(user, "language", "") or None):
        return _(message) % params


def _may_see_order(user, company, order_id) -> bool:
    from ordercrm.sales.selectors import order_list

    access = access_for(user, company)
    return access.can(Perm.ORDER_VIEW) and order_list(access).filter(pk=order_id).exists()


def notifications(event: Event) -> list[NotificationSpec]:
    """In-app notifications of ``event``, each only to a member who may see the order it
    names now (an owner who lost the order to another team, or left, is not told of it)."""
    if event.type.startswith("case."):
        return _case_notifications(event)
    specs = (
        _payment_notifications(event)
        if event.type == "payment.received"
        else _order_notifications(event)
    )
    company = event.company
    seen: dict = {}
    kept = []
    for spec in specs:
        key = (spec.user.pk, spec.order_id)
        if key not in seen:
            seen[key] = spec.user.is_active and _may_see_order(spec.user, company, spec.order_id)
        if seen[key]:
            kept.append(spec)
    return kept


def _case_notifications(event: Event) -> list[NotificationSpec]:
    """Escalation to the team's manager and the assignee, a warning to the assignee, a new
    assignment to the assignee; each only to a member who may see the case now."""
    from ordercrm.service.selectors import case_list

    case = _case_of(event)
    if case is None:
        return []
    url = f"/service/cases/{case.pk}/"
    people: list[tuple[object, str]] = []
    if event.type == "case.escalated":
        manager = case.team.manager if case.team else None
        people += [(u, "case_escalated") for u in (manager, case.assignee) if u is not None]
    elif event.type == "case.sla_warning":
        if case.assignee:
            people.append((case.assignee, "case_sla_warning"))
    elif event.type in ("case.created", "case.updated"):
        if (
            case.assignee
            and case.assignee_id != event.actor_id
            and (event.type == "case.created" or "assignee" in event.payload.get("fields", []))
        ):
            people.append((case.assignee, "case_assigned"))
    elif (
        event.type == "case.commented"
        and event.payload.get("kind") == "customer"
        and case.assignee
        and case.assignee_id != event.actor_id
    ):
        people.append((case.assignee, "case_customer_answered"))
    kept, seen = [], set()
    for user, message in people:
        if user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        access = access_for(user, event.company)
        if access.is_member and case_list(access).filter(pk=case.pk).exists():
            spec = _spec(user, message, message, url, None, number=case.number)
            kept.append(spec)
    return kept


def _order_notifications(event: Event) -> list[NotificationSpec]:
    order = _order_of(event)
    specs: list[NotificationSpec] = []
    if order is None:
        return specs
    url = f"/orders/{order.pk}/"
    number = order.number
    owners = {u for u in (order.salesperson, order.submitted_by) if u is not None}

    def tell(users, kind, message):
        specs.extend(_spec(user, kind, message, url, order.pk, number=number) for user in users)

    if event.type in ASKS_FOR_APPROVAL:
        if event.type != OrderEvent.SUBMITTED or event.payload.get("reasons"):
            tell(
                _approvers(event, order),
                "approval_requested",
                "approval_requested",
            )
    elif event.type in DECISIONS:
        # the decision's comment travels with it: the rep reads why, not only that
        plain, worded, comment_field = DECISIONS[event.type]
        comment = _excerpt(event.payload.get(comment_field) or "")
        message = worded if comment else plain
        for user in owners:
            specs.append(
                _spec(
                    user, "approval_decided", message, url, order.pk, number=number, comment=comment
                )
            )
    elif event.type == OrderEvent.COMMENTED:
        specs += _mention_notifications(event, order, url)
    elif event.type == OrderEvent.HELD:
        tell(owners, "order_held", "held")
    elif event.type == OrderEvent.BACKORDER_FILLED:
        tell(owners, "backorder_filled", "backorder_filled")
    return specs


# event → (message without a comment, message with it, the payload field with the comment)
DECISIONS = {
    OrderEvent.APPROVED: ("approved", "approved_with", "comment"),
    OrderEvent.REJECTED: ("rejected", "rejected_with", "reason"),
    OrderEvent.CHANGES_REQUESTED: ("changes_requested", "changes_requested_with", "comment"),
}
EXCERPT = 200  # a notification title holds 300 characters


def _excerpt(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def _mention_notifications(event: Event, order, url: str) -> list[NotificationSpec]:
    """Each colleague named ``@username`` in a comment (``notifications`` keeps only those
    who may see the order)."""
    from ordercrm.accounts.models import User
    from ordercrm.sales.models import OrderComment

    ids = event.payload.get("mentions") or []
    if not ids:
        return []
    comment = (
        OrderComment.objects.for_company(event.company_id)
        .filter(pk=event.payload.get("comment_id"))
        .first()
    )
    text = _excerpt(comment.text if comment else "")
    author = str(event.actor) if event.actor else ""
    return [
        _spec(
            user,
            "mentioned",
            "mentioned",
            url,
            order.pk,
            author=author,
            number=order.number,
            comment=text,
        )
        for user in User.objects.filter(pk__in=ids, is_active=True)
    ]


def _payment_notifications(event: Event) -> list[NotificationSpec]:
    from ordercrm.sales.models import SalesOrder

    specs = []
    for order in (
        SalesOrder.objects.for_company(event.company_id)
        .filter(pk__in=event.payload.get("order_ids", []))
        .select_related("salesperson")
    ):
        if order.salesperson is not None:
            specs.append(
                _spec(
                    order.salesperson,
                    "payment_received",
                    "payment_received",
                    f"/orders/{order.pk}/",
                    order.pk,
                    number=order.number,
                )
            )
    return specs


def route(event: Event) -> tuple[list[DeliverySpec], list[NotificationSpec]]:
    deliveries = webhooks(event)
    email = customer_email(event)
    if email is not None:
        deliveries.append(email)
    return deliveries, notifications(event)
