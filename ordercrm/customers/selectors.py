"""Reads of customers, scoped to the company and to the caller's record scope."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ordercrm.accounts.access import Access
from ordercrm.core.exceptions import NotFound
from ordercrm.core.ids import parse_id
from ordercrm.core.models import Company
from ordercrm.core.permissions import Perm
from ordercrm.customers.models import Address, Contact, Customer


def customer_list(
    access: Access, *, search: str = "", include_inactive: bool = False
) -> QuerySet[Customer]:
    """Customers the caller may see: the company's, narrowed to own/team by record scope.

    ``search`` matches code, name, tax ID, phone, and contact name or phone.
    """
    access.require(Perm.CUSTOMER_VIEW)
    customers = (
        Customer.objects.for_company(access.company)
        .filter(access.owner_filter("owner", "team"))
        .select_related("owner", "team", "payment_terms")
    )
    if not include_inactive:
        customers = customers.filter(is_active=True)
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

    from ordercrm.core.exceptions import ValidationFailed

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


def customer_contacts(customer: Customer) -> QuerySet[Contact]:
    return Contact.objects.for_company(customer.company_id).filter(customer=customer)


def customer_addresses(customer: Customer) -> QuerySet[Address]:
    return Address.objects.for_company(customer.company_id).filter(customer=customer)


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
    matches = Customer.objects.for_company(company).filter(condition)
    if exclude_id is not None:
        matches = matches.exclude(pk=exclude_id)
    return list(matches.order_by("code")[:10])


def payment_term_list(company):
    """The company's payment terms, shortest first (order and customer forms)."""
    from ordercrm.customers.models import PaymentTerm

    return PaymentTerm.objects.for_company(company).order_by("days", "name")
