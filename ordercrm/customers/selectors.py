"""Reads of customers, scoped to the company and to the caller's record scope."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy

from ordercrm.accounts.access import Access
from ordercrm.core.exceptions import NotFound, ValidationFailed
from ordercrm.core.ids import parse_id
from ordercrm.core.models import Company
from ordercrm.core.permissions import Perm
from ordercrm.customers.models import Address, Contact, Customer

CUSTOMER_STATUSES = ("active", "inactive", "all")


def customer_list(
    access: Access, *, search: str = "", include_inactive: bool = False, status: str = ""
) -> QuerySet[Customer]:
    """Customers the caller may see: the company's, narrowed to own/team by record scope.

    ``search`` matches code, name, tax ID, phone, and contact name or phone. ``status`` is
    ``active`` (the default), ``inactive`` or ``all``; ``include_inactive`` means ``all``.
    """
    access.require(Perm.CUSTOMER_VIEW)
    customers = (
        Customer.objects.for_company(access.company)
        .filter(access.owner_filter("owner", "team"))
        .select_related("owner", "team", "payment_terms")
    )
    status = status if status in CUSTOMER_STATUSES else ""
    status = status or ("all" if include_inactive else "active")
    if status != "all":
        customers = customers.filter(is_active=status == "active")
    search = search.strip()
    if search:
        matching_contacts = (
            Contact.objects.for_company(access.company)
            .filter(
                Q(name__icontains=search) | Q(phone__icontains=search) | Q(email__icontains=search)
            )
            .values("customer_id")
        )
        customers = customers.filter(
            Q(code__icontains=search)
            | Q(name__icontains=search)
            | Q(tax_id=search)
            | Q(phone__icontains=search)
            | Q(email__icontains=search)
            | Q(pk__in=matching_contacts)
        )
    return customers.order_by("code")


def customer_get(access: Access, customer_id) -> Customer:
    """One visible customer; ``core.not_found`` if it does not exist or is out of scope."""
    customer = customer_list(access, include_inactive=True).filter(pk=parse_id(customer_id)).first()
    if customer is None:
        raise NotFound(details={"customer_id": str(customer_id)})
    return customer


def customer_find(access: Access, text: str) -> Customer:
    """One visible customer by id, exact code, or a search that matches exactly one.

    ``core.not_found`` when nothing matches; ``customers.ambiguous`` (with up to ten
    candidates in the message) when several do."""
    from django.utils.translation import gettext_lazy as _

    text = text.strip()
    try:
        return customer_get(access, parse_id(text))
    except (NotFound, ValueError, TypeError):
        pass
    by_code = customer_list(access).filter(code__iexact=text).first()
    if by_code is not None:
        return by_code
    found = list(customer_list(access, search=text)[:11])
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFound(
            _("No customer matches “%(text)s”."), params={"text": text}, details={"text": text}
        )
    raise ValidationFailed(
        _("Several customers match; use a code: %(codes)s"),
        code="customers.ambiguous",
        params={"codes": ", ".join(f"{c.code} ({c.name})" for c in found[:10])},
    )


class CustomerInactive(ValidationFailed):
    """``details["merged_into"]`` names the surviving customer of a merged duplicate."""

    code = "customers.inactive"
    message = gettext_lazy("This customer is inactive; reactivate it to take new orders.")


class CustomerMerged(CustomerInactive):
    message = gettext_lazy(
        "This customer was merged into %(code)s %(name)s; take the order for that customer."
    )


def customer_for_new_order(access: Access, customer_id) -> Customer:
    """A visible customer that may get a new order (entry, duplicate, reorder, template):
    an inactive one raises ``customers.inactive``, naming the survivor if it was merged."""
    customer = customer_get(access, customer_id)
    if customer.is_active:
        return customer
    if customer.merged_into_id:
        survivor = customer.merged_into
        raise CustomerMerged(
            params={"code": survivor.code, "name": survivor.name},
            details={"merged_into": str(survivor.pk)},
        )
    raise CustomerInactive(details={"customer_id": str(customer.pk)})


def customer_contacts(customer: Customer, *, include_inactive: bool = False) -> QuerySet[Contact]:
    """The customer's contacts, primary first; removed ones only with ``include_inactive``."""
    contacts = Contact.objects.for_company(customer.company_id).filter(customer=customer)
    return contacts if include_inactive else contacts.filter(is_active=True)


def customer_addresses(customer: Customer, *, include_inactive: bool = False) -> QuerySet[Address]:
    """The customer's addresses by kind, defaults first; removed ones only on request."""
    addresses = Address.objects.for_company(customer.company_id).filter(customer=customer)
    return addresses if include_inactive else addresses.filter(is_active=True)


def customer_find_duplicates(
    *, company: Company, name: str, tax_id: str = "", phone: str = "", exclude_id=None
) -> list[Customer]:
    """Customers of ``company`` that look like the same party: same name (ignoring case and
    surrounding spaces), same tax ID, or the same phone on the customer or one of its contacts."""
    condition = Q(name__iexact=name.strip())
    if tax_id.strip():
        condition |= Q(tax_id__iexact=tax_id.strip())
    if phone.strip():
        phone_contacts = (
            Contact.objects.for_company(company).filter(phone=phone.strip()).values("customer_id")
        )
        condition |= Q(phone=phone.strip()) | Q(pk__in=phone_contacts)
    # a merged duplicate is already resolved; it points at its survivor instead
    matches = Customer.objects.for_company(company).filter(condition, merged_into__isnull=True)
    if exclude_id is not None:
        matches = matches.exclude(pk=exclude_id)
    return list(matches.order_by("code")[:10])


def customer_possible_duplicates(
    access: Access | None,
    *,
    company: Company,
    name: str,
    tax_id: str = "",
    phone: str = "",
    exclude_id=None,
) -> dict:
    """What the create form warns of: ``matches`` (id, code, name, active) the caller may see
    and ``hidden``, true when other matches exist outside their scope (never named). A
    system caller (``access`` None) sees all."""
    matches = customer_find_duplicates(
        company=company, name=name, tax_id=tax_id, phone=phone, exclude_id=exclude_id
    )
    visible = (
        matches
        if access is None
        else list(
            customer_list(access, include_inactive=True)
            .filter(pk__in=[c.pk for c in matches])
            .order_by("code")
        )
    )
    return {
        "matches": [
            {"id": str(c.pk), "code": c.code, "name": c.name, "is_active": c.is_active}
            for c in visible
        ],
        "hidden": len(visible) < len(matches),
    }


def payment_term_list(company):
    """The company's payment terms, shortest first (order and customer forms)."""
    from ordercrm.customers.models import PaymentTerm

    return PaymentTerm.objects.for_company(company).order_by("days", "name")
