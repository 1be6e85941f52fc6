"""Which customers buy from which price list: the assignment (a service) and its read.

A customer's price list is a customer field (``Customer.price_list``), so assigning one is a
customer change and goes through ``customer_update``: the list must be in the customer's
currency (``price_list``), the caller needs ``customer_edit`` and must be able to see the
customer, the change is audited and bumps the customer's version. Pricing
(``catalog.pricing``) then prefers that list while it is active and valid on the order date.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from ordercrm.accounts.access import Access, access_for
from ordercrm.catalog.models import PriceList
from ordercrm.core.exceptions import ValidationFailed
from ordercrm.core.permissions import Perm
from ordercrm.customers import selectors
from ordercrm.customers.models import Customer
from ordercrm.customers.services import customer_update


def price_list_customers(access: Access, price_list: PriceList) -> QuerySet[Customer]:
    """The customers the caller may see whose own list is ``price_list``, by code."""
    return (
        selectors.customer_list(access, include_inactive=True)
        .filter(price_list=price_list)
        .order_by("code")
    )


@transaction.atomic
def customer_price_list_set(
    *, customer: Customer, price_list: PriceList | None, actor, version: int | None = None
) -> Customer:
    """Give ``customer`` its own ``price_list`` (``None``: back to the default list of its
    currency). Refused as ``customer_update`` refuses: another currency or company
    (``core.validation_failed`` on ``price_list``), a stale ``version``
    (``customers.stale_version``), no ``customer_edit``."""
    return customer_update(customer=customer, actor=actor, version=version, price_list=price_list)


@transaction.atomic
def price_list_assign(*, price_list: PriceList, codes: list[str], actor) -> list[Customer]:
    """Assign ``price_list`` to the customers with these codes, all or none. A code the caller
    cannot see, or a customer in another currency, refuses the whole batch with
    ``core.validation_failed`` (``details.fields.customers`` names each code)."""
    access = access_for(actor, price_list.company)
    access.require(Perm.PRODUCT_EDIT)
    visible = selectors.customer_list(access, include_inactive=True)
    wanted = [code.strip() for code in codes if code and code.strip()]
    matching = reduce(or_, (Q(code__iexact=code) for code in wanted), Q(pk__in=[]))
    found = {c.code.lower(): c for c in visible.filter(matching)}
    problems = []
    for code in wanted:
        customer = found.get(code.lower())
        if customer is None:
            problems.append(_("%(code)s: no such customer.") % {"code": code})
        elif customer.currency != price_list.currency:
            problems.append(
                _("%(code)s buys in %(currency)s.")
                % {"code": customer.code, "currency": customer.currency}
            )
    if not wanted:
        problems.append(_("Enter at least one customer code."))
    if problems:
        raise ValidationFailed(details={"fields": {"customers": problems}})
    customers = [found[code.lower()] for code in dict.fromkeys(wanted)]
    return [
        customer_price_list_set(customer=customer, price_list=price_list, actor=actor)
        for customer in customers
    ]
