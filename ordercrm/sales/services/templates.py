"""Order templates: named line sets for fast entry, shared with the whole company or kept
for one customer (shown only with that customer), made from scratch or from an order,
edited with a version check, deactivated when no longer wanted."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from ordercrm.accounts.access import access_for
from ordercrm.core import audit, events
from ordercrm.core.exceptions import Conflict, NotFound, ValidationFailed
from ordercrm.core.permissions import Perm
from ordercrm.core.validation import FieldErrors
from ordercrm.customers import selectors as customer_selectors
from ordercrm.sales.models import OrderTemplate, SalesOrder
from ordercrm.sales.services._steps import _visible_orders
from ordercrm.sales.services.drafts import order_create
from ordercrm.sales.services.lines import _build_lines, _company_today, _line_input, _lines_of

TEMPLATE_FIELDS = ["name", "customer", "lines", "is_active"]


class StaleTemplate(Conflict):
    code = "sales.template_stale_version"


def _stored_lines(company, customer, lines: list[dict]) -> list[dict]:
    """Lines checked as an order's would be (products, quantities, the line limit) and kept
    as plain data: kind, product id, quantity, description."""
    probe = SalesOrder(
        company=company,
        customer=customer,
        currency=customer.currency if customer is not None else company.base_currency,
        order_date=_company_today(company),
    )
    if not lines:
        raise ValidationFailed(details={"fields": {"lines": [_("Add at least one line.")]}})
    return [
        {
            "kind": line.kind,
            "product_id": str(line.product_id) if line.product_id else None,
            "quantity": str(line.quantity),
            "description": line.description,
        }
        for line in _build_lines(probe, lines)
    ]


def _clean_name(company, name, customer, exclude_id=None) -> str:
    errors = FieldErrors()
    name = errors.text(
        "name", name if isinstance(name, str) else "", OrderTemplate._meta.get_field("name")
    )
    errors.required("name", name)
    errors.raise_if_any()
    taken = OrderTemplate.objects.for_company(company).filter(name=name, customer=customer)
    if exclude_id is not None:
        taken = taken.exclude(pk=exclude_id)
    if taken.exists():
        raise ValidationFailed(details={"fields": {"name": [_("Already exists.")]}})
    return name


def _customer(access, customer):
    if customer in (None, ""):
        return None
    return customer_selectors.customer_get(access, getattr(customer, "pk", customer))


@transaction.atomic
def template_create(
    *, company, actor, name: str, lines: list[dict], customer=None
) -> OrderTemplate:
    """A named line set (product, quantity, description) for the company or one customer the
    actor may see (``order_edit``). ``core.validation_failed`` for a missing or taken name
    (unique per customer, or among the company-wide ones) and for bad lines."""
    access = access_for(actor, company)
    access.require(Perm.ORDER_EDIT)
    customer = _customer(access, customer)
    name = _clean_name(company, name, customer)
    stored = _stored_lines(company, customer, lines)
    template = OrderTemplate.objects.create(
        company=company, name=name, customer=customer, lines=stored, created_by=actor
    )
    audit.record(
        actor=actor, entity=template, action="create", changes={"name": [None, template.name]}
    )
    events.emit(
        type="order_template.created",
        entity=template,
        actor=actor,
        payload={"name": template.name, "customer_id": str(customer.pk) if customer else None},
    )
    return template


def template_create_from_order(
    *, order: SalesOrder, actor, name: str, for_customer: bool = True
) -> OrderTemplate:
    """A template with a visible order's lines (products, quantities, descriptions; no
    prices: an order from it is priced on its day), for the order's customer or, with
    ``for_customer=False``, the whole company."""
    access = access_for(actor, order.company)
    source = _visible_orders(access).filter(pk=order.pk).first()
    if source is None:
        raise NotFound()
    lines = [
        {
            k: v
            for k, v in _line_input(line).items()
            if k in ("kind", "product", "product_id", "quantity", "description")
        }
        for line in _lines_of(source)
    ]
    return template_create(
        company=source.company,
        actor=actor,
        name=name,
        lines=lines,
        customer=source.customer_id if for_customer else None,
    )


def _lock_template(access, template) -> OrderTemplate:
    from ordercrm.sales.selectors import template_get

    template_get(access, template.pk, include_inactive=True)  # visible, or core.not_found
    return OrderTemplate.objects.for_company(access.company).select_for_update().get(pk=template.pk)


_UNSET = object()


@transaction.atomic
def template_update(
    *,
    template: OrderTemplate,
    actor,
    version: int | None = None,
    name=_UNSET,
    customer=_UNSET,
    lines=_UNSET,
) -> OrderTemplate:
    """Rename, re-share (``customer`` None: company-wide) or replace the lines of a template
    the actor may see. A stale ``version`` raises ``sales.template_stale_version`` with the
    current one; nothing changes on any refusal."""
    access = access_for(actor, template.company)
    access.require(Perm.ORDER_EDIT)
    locked = _lock_template(access, template)
    if version is not None and locked.version != version:
        raise StaleTemplate(details={"current_version": locked.version})
    before = audit.snapshot(locked, ["name", "customer", "lines"])
    new_customer = locked.customer if customer is _UNSET else _customer(access, customer)
    new_name = locked.name if name is _UNSET else name
    locked.name = _clean_name(locked.company, new_name, new_customer, exclude_id=locked.pk)
    locked.customer = new_customer
    if lines is not _UNSET:
        locked.lines = _stored_lines(locked.company, new_customer, lines)
    changed = audit.diff(before, audit.snapshot(locked, ["name", "customer", "lines"]))
    if not changed:
        return locked
    locked.version += 1
    locked.save()
    audit.record(actor=actor, entity=locked, action="update", changes=changed)
    events.emit(
        type="order_template.updated",
        entity=locked,
        actor=actor,
        payload={"fields": sorted(changed)},
    )
    return locked


@transaction.atomic
def template_set_active(*, template: OrderTemplate, actor, active: bool) -> OrderTemplate:
    """Deactivate (no longer offered in entry) or reactivate a template; a repeat is no change."""
    access = access_for(actor, template.company)
    access.require(Perm.ORDER_EDIT)
    locked = _lock_template(access, template)
    if locked.is_active == active:
        return locked
    locked.is_active = active
    locked.version += 1
    locked.save()
    audit.record(
        actor=actor,
        entity=locked,
        action="activate" if active else "deactivate",
        changes={"is_active": [not active, active]},
    )
    events.emit(
        type="order_template.activated" if active else "order_template.deactivated",
        entity=locked,
        actor=actor,
        payload={"name": locked.name},
    )
    return locked


def order_create_from_template(*, template: OrderTemplate, actor, customer, **header) -> SalesOrder:
    """A new draft for ``customer`` with the template's lines at the customer's prices. A
    customer's own template serves only that customer, and an inactive one serves none
    (``sales.template_not_for_customer`` / ``sales.template_inactive``)."""
    customer_id = getattr(customer, "pk", customer)
    if not template.is_active:
        raise ValidationFailed(
            _("This order template is deactivated."), code="sales.template_inactive"
        )
    if template.customer_id is not None and str(template.customer_id) != str(customer_id):
        raise ValidationFailed(
            _("This order template belongs to another customer."),
            code="sales.template_not_for_customer",
        )
    return order_create(
        company=template.company,
        actor=actor,
        customer=customer,
        lines=list(template.lines),
        **header,
    )
