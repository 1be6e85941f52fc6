"""Reads of customers, scoped to the company and to the caller's record scope."""

from __future__ import annotations

from typing import NamedTuple

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower, Trim, Upper
from django.utils.translation import gettext_lazy

from ordercrm.accounts.access import Access
from ordercrm.core.exceptions import Conflict, NotFound, ValidationFailed
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
    """``details``: ``customer_id`` and ``reason`` (as given when it was deactivated);
    ``details["merged_into"]`` names the surviving customer of a merged duplicate."""

    code = "customers.inactive"
    message = gettext_lazy(
        "This customer is inactive (%(reason)s); reactivate it to take new orders."
    )


class CustomerMerged(CustomerInactive):
    message = gettext_lazy(
        "This customer was merged into %(code)s %(name)s; take the order for that customer."
    )


class CustomerBlocked(Conflict):
    """``details``: ``blocked_until`` (ISO date) and ``reason``."""

    code = "customers.blocked"
    message = gettext_lazy(
        "This customer is blocked until %(until)s (%(reason)s): quotations only, no orders."
    )
    http_status = 409


def require_not_blocked(customer: Customer, today) -> None:
    """Raise ``customers.blocked`` while the customer's block runs (``today`` is the
    company's); from its date on the block has lifted by itself."""
    if customer.blocked_on(today):
        raise CustomerBlocked(
            params={"until": customer.blocked_until.isoformat(), "reason": customer.blocked_reason},
            details={
                "customer_id": str(customer.pk),
                "blocked_until": customer.blocked_until.isoformat(),
                "reason": customer.blocked_reason,
            },
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
    reason = customer.inactive_reason or gettext_lazy("no reason given")
    raise CustomerInactive(
        params={"reason": reason},
        details={"customer_id": str(customer.pk), "reason": customer.inactive_reason},
    )


def customer_contacts(customer: Customer, *, include_inactive: bool = False) -> QuerySet[Contact]:
    """The customer's contacts, primary first; removed ones only with ``include_inactive``."""
    contacts = Contact.objects.for_company(customer.company_id).filter(customer=customer)
    return contacts if include_inactive else contacts.filter(is_active=True)


def customer_addresses(customer: Customer, *, include_inactive: bool = False) -> QuerySet[Address]:
    """The customer's addresses by kind, defaults first; removed ones only on request."""
    addresses = Address.objects.for_company(customer.company_id).filter(customer=customer)
    return addresses if include_inactive else addresses.filter(is_active=True)


class _Known(NamedTuple):
    pk: object
    code: str
    name: str
    tax_id: str
    phone: str
    is_active: bool


class DuplicateFinder:
    """Who looks like the same party — same name (ignoring case and surrounding spaces), same
    tax ID (ignoring case), or the same phone on the customer or one of its contacts — for
    many candidates at once: the customers that could match any of them are loaded in two
    queries, then each candidate is answered from memory. ``add`` puts a customer created
    meanwhile in the picture, so the later rows of an import chunk see the earlier ones.
    A merged duplicate is already resolved (it points at its survivor) and never matches.
    Also answers whether a customer code is taken (ignoring case)."""

    def __init__(self, company: Company, candidates=(), codes=()):
        self.company = company
        self.taken: set[str] = set()
        self.by_id: dict = {}
        self.created: set = set()  # added by ``add``: made by this batch's caller
        self.index: dict[tuple, set] = {}  # (what, key) → customer ids
        self._undo: list[tuple] = []
        self._remembered: dict = {}
        self.load(candidates, codes)

    def remember(self, key, compute):
        """``compute()``, once per batch: for answers that hold for the whole batch (the
        company's default terms, the actor's team), so a row does not ask again."""
        if key not in self._remembered:
            self._remembered[key] = compute()
        return self._remembered[key]

    def load(self, candidates, codes=()) -> None:
        """Load the customers that could match more candidates (the next chunk of a run);
        what was loaded or added before stays known."""
        company = self.company
        candidates = list(candidates)
        names = {c.get("name", "").strip().casefold() for c in candidates} - {""}
        tax_ids = {c.get("tax_id", "").strip().upper() for c in candidates} - {""}
        phones = {c.get("phone", "").strip() for c in candidates} - {""}
        codes = {str(c).strip().casefold() for c in codes} - {""}
        condition = Q(pk__in=[])
        if names:
            condition |= Q(name_key__in=names)
        if tax_ids:
            condition |= Q(tax_key__in=tax_ids)
        if phones:
            contacts = Contact.objects.for_company(company).filter(phone__in=phones)
            condition |= Q(phone__in=phones) | Q(pk__in=contacts.values("customer_id"))
        if codes:
            condition |= Q(code_key__in=codes)
        if not (names or tax_ids or phones or codes):
            return
        found = list(
            Customer.objects.for_company(company)
            .annotate(
                name_key=Lower(Trim("name")), tax_key=Upper(Trim("tax_id")), code_key=Lower("code")
            )
            .filter(condition)
            .order_by("code")
        )
        mark = self.mark()
        self.taken |= {c.code.casefold() for c in found}
        for customer in found:
            if customer.merged_into_id is None and customer.pk not in self.by_id:
                self._add(customer)
        if phones and found:
            for customer_id, phone in (
                Contact.objects.for_company(company)
                .filter(customer_id__in=[c.pk for c in found], phone__in=phones)
                .values_list("customer_id", "phone")
            ):
                if customer_id in self.by_id:
                    self.add_contact_phone(customer_id, phone)
        del self._undo[mark:]  # what is in the database is never undone

    def _index(self, what: str, key: str, customer_id) -> None:
        if key and customer_id not in self.index.get((what, key), ()):
            self.index.setdefault((what, key), set()).add(customer_id)
            self._undo.append((what, key, customer_id))

    def add(self, customer: Customer) -> None:
        """A customer the caller just created (visible to them; forgotten by ``restore``).
        Kept as its few compared fields, so a run of 100,000 rows holds no model objects."""
        self._add(
            _Known(
                customer.pk,
                customer.code,
                customer.name,
                customer.tax_id,
                customer.phone,
                customer.is_active,
            )
        )
        self.created.add(customer.pk)

    def _add(self, customer: Customer) -> None:
        self.by_id[customer.pk] = customer
        self._index("code", customer.code.strip().casefold(), customer.pk)
        self._index("name", customer.name.strip().casefold(), customer.pk)
        self._index("tax", customer.tax_id.strip().casefold(), customer.pk)
        self._index("phone", customer.phone.strip(), customer.pk)

    def add_contact_phone(self, customer_id, phone: str) -> None:
        self._index("phone", phone.strip(), customer_id)

    def mark(self) -> int:
        """A point to go back to when the writes since are rolled back (a failed row)."""
        return len(self._undo)

    def restore(self, mark: int) -> None:
        while len(self._undo) > mark:
            what, key, customer_id = self._undo.pop()
            self.index[(what, key)].discard(customer_id)
            if what == "code":
                self.by_id.pop(customer_id, None)
                self.created.discard(customer_id)

    def code_taken(self, code: str) -> bool:
        code = code.strip().casefold()
        return code in self.taken or bool(self.index.get(("code", code)))

    def find(self, *, name: str, tax_id: str = "", phone: str = "", exclude_id=None):
        ids = set(self.index.get(("name", name.strip().casefold()), ()))
        if tax_id.strip():
            ids |= self.index.get(("tax", tax_id.strip().casefold()), set())
        if phone.strip():
            ids |= self.index.get(("phone", phone.strip()), set())
        ids.discard(exclude_id)
        return sorted((self.by_id[i] for i in ids), key=lambda c: c.code)[:10]


def customer_find_duplicates(
    *, company: Company, name: str, tax_id: str = "", phone: str = "", exclude_id=None
) -> list[Customer]:
    """Customers of ``company`` that look like the same party (:class:`DuplicateFinder`)."""
    candidate = {"name": name, "tax_id": tax_id, "phone": phone}
    return DuplicateFinder(company, [candidate]).find(**candidate, exclude_id=exclude_id)


def customer_possible_duplicates(
    access: Access | None,
    *,
    company: Company,
    name: str,
    tax_id: str = "",
    phone: str = "",
    exclude_id=None,
    finder: DuplicateFinder | None = None,
) -> dict:
    """What the create form warns of: ``matches`` (id, code, name, active) the caller may see
    and ``hidden``, true when other matches exist outside their scope (never named). A
    system caller (``access`` None) sees all. ``finder`` answers from a batch already loaded."""
    if finder is not None:
        matches = finder.find(name=name, tax_id=tax_id, phone=phone, exclude_id=exclude_id)
    else:
        matches = customer_find_duplicates(
            company=company, name=name, tax_id=tax_id, phone=phone, exclude_id=exclude_id
        )
    if not matches:
        return {"matches": [], "hidden": False}
    own = [c for c in matches if finder is not None and c.pk in finder.created]
    matches = [c for c in matches if c not in own]
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
            for c in sorted([*own, *visible], key=lambda c: c.code)
        ],
        "hidden": len(visible) < len(matches),
    }


def payment_term_list(company):
    """The company's payment terms, shortest first (order and customer forms)."""
    from ordercrm.customers.models import PaymentTerm

    return (
        PaymentTerm.objects.for_company(company).prefetch_related("lines").order_by("days", "name")
    )
