"""Domain errors as the lines a page shows inline, in the user's language."""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from ordercrm.core.exceptions import DomainError


def field_label(name: str) -> str:
    """A field named in an error's details, as its translated label: the model field's own
    ``verbose_name`` (one source for the form's label and the error), so a user reads
    "数量" where the service said ``quantity``."""
    from ordercrm.billing.models import Invoice, Payment
    from ordercrm.catalog.models import Product
    from ordercrm.customers.models import Contact, Customer
    from ordercrm.inventory.models import StockMove
    from ordercrm.sales.models import SalesOrder, SalesOrderLine

    aliases = {"discount": "discount_percent", "product_id": "product", "customer_id": "customer"}
    name = aliases.get(name, name)
    models = (SalesOrderLine, SalesOrder, Product, Customer, Contact, Payment, Invoice, StockMove)
    for model in models:
        try:
            label = getattr(model._meta.get_field(name), "verbose_name", None)
        except FieldDoesNotExist:
            continue
        if label:  # a reverse relation has none
            return str(capfirst(label))
    return name


def error_lines(error: DomainError) -> list[str]:
    """A domain error as readable lines: the message, then field or line problems."""
    texts = [error.text]
    details = error.details or {}
    for field, problems in (details.get("fields") or {}).items():
        texts += [f"{field_label(field)}: {p}" for p in problems]
    for index, fields in (
        (details.get("lines") or {}).items() if isinstance(details.get("lines"), dict) else []
    ):
        for field, problems in fields.items():
            texts += [
                _("Line %(n)s, %(field)s: %(problem)s")
                % {"n": int(index) + 1, "field": field_label(field), "problem": p}
                for p in problems
            ]
    for number, problems in (details.get("rows") or {}).items():  # pasted text, by row
        texts += [_("Row %(n)s: %(problem)s") % {"n": number, "problem": p} for p in problems]
    if isinstance(details.get("lines"), list):
        for item in details["lines"]:
            if "reserved" in item and "change" in item:  # inventory.below_reserved
                texts.append(
                    _(
                        "%(sku)s in %(warehouse)s: %(on_hand)s on hand, %(reserved)s reserved "
                        "for orders, %(available)s free; this needs %(needed)s."
                    )
                    % {
                        "sku": item.get("sku", ""),
                        "warehouse": item.get("warehouse", ""),
                        "on_hand": item["on_hand"],
                        "reserved": item["reserved"],
                        "available": item.get("available", ""),
                        "needed": item["change"].lstrip("-"),
                    }
                )
            elif "shortfall" in item:
                texts.append(
                    _("%(sku)s: %(shortfall)s short (%(available)s available)")
                    % {
                        "sku": item.get("sku", ""),
                        "shortfall": item["shortfall"],
                        "available": item["available"],
                    }
                )
    return texts
