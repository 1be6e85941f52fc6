"""The sales side of merging duplicate customers (``customers.merging``): orders and
customer templates move to the surviving customer."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ordercrm.customers.merging import MergeStep, register
from ordercrm.sales.models import OrderTemplate, SalesOrder


def _orders(customer):
    return SalesOrder.objects.for_company(customer.company_id).filter(customer=customer)


def _templates(customer):
    return OrderTemplate.objects.for_company(customer.company_id).filter(customer=customer)


def _move_orders(duplicate, survivor, actor) -> int:
    """Every order, whatever its state, now belongs to the survivor; its contact moves with
    the duplicate's contacts and its address copies stay as they were."""
    return _orders(duplicate).update(customer=survivor)


def _move_templates(duplicate, survivor, actor) -> int:
    """Templates names are unique per customer: one the survivor already has under the same
    name keeps the duplicate's code in its name."""
    taken = set(_templates(survivor).values_list("name", flat=True))
    moved = 0
    for template in _templates(duplicate).order_by("name"):
        if template.name in taken:
            template.name = f"{template.name} ({duplicate.code})"[:100]
        template.customer = survivor
        template.save(update_fields=["name", "customer", "updated_at"])
        taken.add(template.name)
        moved += 1
    return moved


def register_merge_steps() -> None:
    register(
        MergeStep(
            "orders",
            _("Sales orders"),
            30,
            lambda customer: _orders(customer).count(),
            _move_orders,
        )
    )
    register(
        MergeStep(
            "templates",
            _("Order templates"),
            40,
            lambda customer: _templates(customer).count(),
            _move_templates,
        )
    )
