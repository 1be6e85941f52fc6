"""Write use cases for customers, their contacts and addresses."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import list_currencies
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator
from django.db import models, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ordercrm.accounts.access import access_for
from ordercrm.accounts.models import Membership
from ordercrm.core import audit, events
from ordercrm.core.exceptions import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from ordercrm.core.models import Company
from ordercrm.core.numbering import next_value
from ordercrm.core.permissions import Perm
from ordercrm.core.validation import FieldErrors
from ordercrm.customers.models import (
    Address,
    AddressKind,
    Contact,
    Customer,
    CustomerKind,
    CustomerTag,
    PaymentTerm,
)
from ordercrm.customers.selectors import DuplicateFinder, customer_possible_duplicates

CUSTOMER_FIELDS = [
    "code",
    "name",
    "kind",
    "tax_id",
    "phone",
    "email",
    "website",
    "language",
    "currency",
    "owner",
    "team",
    "credit_limit",
    "payment_terms",
    "price_list",
    "tax_mapping",
    "notes",
    "is_active",
]
CONTACT_FIELDS = ["name", "title", "email", "phone", "is_primary"]
ADDRESS_FIELDS = [
    "kind",
    "recipient",
    "phone",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
    "is_default",
]


class PossibleDuplicate(DomainError):
    code = "customers.possible_duplicate"
    message = gettext_lazy(
        "A customer with the same name, tax ID or phone already exists. Confirm to create anyway."
    )
    http_status = 409


class PossibleHiddenDuplicate(PossibleDuplicate):
    """Same code: a client handles both alike; ``details["hidden"]`` says some matches are
    outside the caller's scope, so they are not named."""

    message = gettext_lazy(
        "A customer with this name, tax ID or phone already exists; ask a manager. "
        "Confirm to create anyway."
    )


class StaleCustomer(Conflict):
    code = "customers.stale_version"


# What a customer may owe and when is finance's decision (the credit check in sales reads it).
CREDIT_FIELDS = ("credit_limit", "payment_terms")


class CreditTermsFinanceOnly(PermissionDenied):
    """``details["fields"]`` names the credit fields the actor tried to set."""

    code = "customers.credit_terms_finance_only"
    message = gettext_lazy(
        "Only finance can set a customer's credit limit and payment terms; nothing was changed."
    )


def _refuse_credit_fields(access, fields: list[str]) -> None:
    """Credit limit and payment terms need ``credit_control`` (finance, administrators)."""
    if fields and access is not None and not access.can(Perm.CREDIT_CONTROL):
        message = str(CreditTermsFinanceOnly.message)
        raise CreditTermsFinanceOnly(details={"fields": {f: [message] for f in sorted(fields)}})


def _is_currency(code: str) -> bool:
    return code in list_currencies()


def _check_email(values: dict, errors: FieldErrors) -> None:
    """An email, when given, is one address Django's ``EmailValidator`` accepts (surrounding
    spaces dropped; empty is allowed)."""
    if "email" not in values:
        return
    email = values["email"]
    if email is None:
        values["email"] = ""
        return
    if not isinstance(email, str):
        errors.add("email", _("Enter a valid email address."))
        return
    values["email"] = email = email.strip()
    if not email:
        return
    try:
        EmailValidator()(email)
    except DjangoValidationError:
        errors.add("email", _("Enter a valid email address."))


def _mapping_active(company: Company, mapping) -> bool:
    return type(mapping).objects.for_company(company).filter(pk=mapping.pk, is_active=True).exists()


def _check(company: Company, values: dict, errors: FieldErrors, remember=None, locked=None) -> None:
    """Normalise and validate customer fields in place (``locked``: the customer being
    changed, whose current tax mapping may stay after it was switched off)."""
    _check_email(values, errors)
    if "name" in values:
        values["name"] = (values["name"] or "").strip()
        errors.required("name", values["name"])
    if "kind" in values and values["kind"] not in CustomerKind.values:
        errors.add("kind", _("Choose company or person."))
    if "language" in values and values["language"] not in dict(settings.LANGUAGES):
        errors.add("language", _("Choose one of the supported languages."))
    if "currency" in values:
        values["currency"] = (values["currency"] or "").upper()
        if not _is_currency(values["currency"]):
            errors.add("currency", _("Enter a three-letter ISO currency code."))
    if values.get("credit_limit") not in (None, ""):
        values["credit_limit"] = errors.decimal(
            "credit_limit",
            values["credit_limit"],
            minimum=Decimal("0"),
            column=Customer._meta.get_field("credit_limit"),
        )
    elif "credit_limit" in values:
        values["credit_limit"] = None
    for field in ("team", "payment_terms", "price_list", "tax_mapping"):
        related = values.get(field)
        if related is not None and related.company_id != company.pk:
            errors.add(field, _("Not in this company."))
    mapping = values.get("tax_mapping")
    newly_given = (
        mapping is not None
        and mapping.company_id == company.pk
        and mapping.pk != getattr(locked, "tax_mapping_id", None)
    )
    # whether it is active now, not when the caller read it
    if newly_given and not _mapping_active(company, mapping):
        errors.add("tax_mapping", _("This tax mapping is switched off."))
    price_list = values.get("price_list")
    if (
        price_list is not None
        and values.get("currency")
        and price_list.currency != values["currency"]
    ):
        errors.add("price_list", _("The price list is in another currency."))
    owner = values.get("owner")
    if owner is not None and not (remember or _compute)(
        ("member", owner.pk),
        lambda: Membership.objects.filter(user=owner, company=company, is_active=True).exists(),
    ):
        errors.add("owner", _("Not a member of this company."))


@transaction.atomic
def customer_create(
    *,
    company: Company,
    actor,
    allow_duplicate: bool = False,
    tags: list[str] | None = None,
    finder: DuplicateFinder | None = None,
    contacts: list[dict] | None = None,
    addresses: list[dict] | None = None,
    **values,
) -> Customer:
    """Create a customer, with its first ``contacts`` and ``addresses`` when given (the
    first contact is the primary one, the first address of each kind its default; their
    field errors are named ``contact_FIELD`` and ``KIND_FIELD``, e.g. ``shipping_city``).

    Defaults: the code from the ``CUS`` sequence, the company's language and currency, the
    actor as owner, the default payment terms. Raises ``core.validation_failed`` for bad fields
    and ``customers.possible_duplicate`` when another customer has the same name, tax ID or
    phone, unless ``allow_duplicate``: ``details["matches"]`` names only the matches the actor
    may see; if others exist, ``details["hidden"]`` is true and the message only says a
    customer exists and to ask a manager. ``finder`` (a ``selectors.DuplicateFinder`` loaded
    for a batch, e.g. an import chunk) answers the code and duplicate checks from memory and
    learns the new customer, so a batch costs a fixed number of lookups, not one per row; it
    also remembers the company's default terms and the actor's team for the batch.
    """
    access = access_for(actor, company) if actor is not None else None
    remember = finder.remember if finder is not None else _compute
    if access is not None:
        access.require(Perm.CUSTOMER_EDIT)
    unknown = set(values) - set(CUSTOMER_FIELDS)
    if unknown:
        raise TypeError(f"unknown customer fields: {sorted(unknown)}")
    values.setdefault("language", company.default_language)
    values.setdefault("currency", company.base_currency)
    values.setdefault("name", "")
    if "owner" not in values and actor is not None:
        values["owner"] = actor
    default_terms = remember(
        "default_terms",
        lambda: PaymentTerm.objects.for_company(company).filter(is_default=True).first(),
    )
    _refuse_credit_fields(
        access,
        [
            field
            for field, unset in (("credit_limit", None), ("payment_terms", default_terms))
            if field in values and values[field] not in (unset, "")
        ],
    )
    values.setdefault("payment_terms", default_terms)
    if "team" not in values and access is not None and values.get("owner") == actor:
        values["team"] = remember(("team", actor.pk), lambda: _team_of(actor, company))
    errors = FieldErrors()
    _check(company, values, errors, remember)
    contacts = [_new_contact(values, errors) for values in contacts or ()]
    addresses = [_new_address(values, errors) for values in addresses or ()]
    code = (values.get("code") or "").strip()
    if code and (
        finder.code_taken(code)
        if finder is not None
        else Customer.objects.for_company(company).filter(code__iexact=code).exists()
    ):
        errors.add("code", _("A customer with this code already exists."))
    errors.raise_if_any()
    if not allow_duplicate:
        _raise_duplicate(access, company, values, finder)
    values["code"] = code or f"C{next_value(company=company, key='CUS'):05d}"
    customer = Customer.objects.create(company=company, **values)
    if finder is not None:
        finder.add(customer)
    if tags:
        customer.tags.set(_tags(company, tags))
    changes = audit.diff({}, audit.snapshot(customer, CUSTOMER_FIELDS))
    for contact in _first_contacts(customer, contacts):
        changes[f"contact:{contact.name}"] = [None, audit.snapshot(contact, CONTACT_FIELDS)]
        if finder is not None:
            finder.add_contact_phone(customer.pk, contact.phone)
    for address in _first_addresses(customer, addresses):
        changes[f"address:{address.kind}"] = [None, str(address)]
    audit.record(actor=actor, entity=customer, action="create", changes=changes)
    events.emit(
        type="customer.created", entity=customer, actor=actor, payload={"code": customer.code}
    )
    return customer


def _compute(_key, compute):
    return compute()


def _team_of(actor, company: Company):
    membership = Membership.objects.filter(user=actor, company=company).only("team").first()
    return membership.team if membership else None


def _new_contact(values: dict, errors: FieldErrors) -> dict:
    """A contact given with a new customer, cleaned; its errors go to ``contact_FIELD``."""
    unknown = set(values) - set(CONTACT_FIELDS)
    if unknown:
        raise TypeError(f"unknown contact fields: {sorted(unknown)}")
    values = {**values, "name": values.get("name") or ""}
    own = FieldErrors()
    _clean_texts(Contact, values, own, ("name",))
    _check_email(values, own)
    for field, messages in own.fields.items():
        for message in messages:
            errors.add(f"contact_{field}", message)
    return values


def _new_address(values: dict, errors: FieldErrors) -> dict:
    """An address given with a new customer, cleaned; its errors go to ``KIND_FIELD``."""
    unknown = set(values) - set(ADDRESS_FIELDS)
    if unknown:
        raise TypeError(f"unknown address fields: {sorted(unknown)}")
    kind = values.get("kind")
    own = FieldErrors()
    if kind not in AddressKind.values:
        own.add("kind", _("Choose billing or shipping."))
    cleaned = {"line1": "", "city": "", **{k: v for k, v in values.items() if k != "kind"}}
    _clean_texts(Address, cleaned, own, ("line1", "city"))
    for field, messages in own.fields.items():
        for message in messages:
            errors.add(f"{kind if kind in AddressKind.values else 'address'}_{field}", message)
    return {**cleaned, "kind": kind, "is_default": bool(values.get("is_default"))}


def _first_contacts(customer: Customer, contacts: list[dict]) -> list[Contact]:
    """The contacts of a customer that has none yet: one primary, the first unless another
    is marked primary (as ``contact_add`` would leave them, without its look-ups)."""
    if not contacts:
        return []
    primary = next((i for i, c in enumerate(contacts) if c.get("is_primary")), 0)
    return Contact.objects.bulk_create(
        [
            Contact(
                company_id=customer.company_id,
                customer=customer,
                **{**values, "is_primary": i == primary},
            )
            for i, values in enumerate(contacts)
        ]
    )


def _first_addresses(customer: Customer, addresses: list[dict]) -> list[Address]:
    """The addresses of a customer that has none yet: one default per kind, the first of the
    kind unless another of it is marked default (as ``address_add`` would leave them)."""
    chosen: dict[str, int] = {}
    for i, values in enumerate(addresses):
        marked = chosen.get(values["kind"])
        if marked is None or (values["is_default"] and not addresses[marked]["is_default"]):
            chosen[values["kind"]] = i
    return Address.objects.bulk_create(
        [
            Address(
                company_id=customer.company_id,
                customer=customer,
                **{**values, "is_default": chosen[values["kind"]] == i},
            )
            for i, values in enumerate(addresses)
        ]
    )


def _raise_duplicate(access, company: Company, values: dict, finder=None) -> None:
    """Name only the matches the caller may see; the others are only said to exist, in a
    generic message (``customer_possible_duplicates``, which the form's live check uses too)."""
    found = customer_possible_duplicates(
        access,
        company=company,
        name=values["name"],
        tax_id=values.get("tax_id", ""),
        phone=values.get("phone", ""),
        finder=finder,
    )
    if not found["matches"] and not found["hidden"]:
        return
    shown = [{k: m[k] for k in ("id", "code", "name")} for m in found["matches"]]
    if found["hidden"]:
        raise PossibleHiddenDuplicate(details={"matches": shown, "hidden": True})
    raise PossibleDuplicate(details={"matches": shown, "hidden": False})


def _tags(company: Company, names: list[str]) -> list[CustomerTag]:
    result = []
    for name in sorted({n.strip() for n in names if n.strip()}):
        tag, _created = CustomerTag.objects.get_or_create(company=company, name=name)
        result.append(tag)
    return result


def _lock_customer(customer: Customer) -> Customer:
    locked = (
        Customer.objects.for_company(customer.company_id)
        .select_for_update()
        .filter(pk=customer.pk)
        .first()
    )
    if locked is None:
        raise NotFound()
    return locked


@transaction.atomic
def customer_update(
    *,
    customer: Customer,
    actor,
    version: int | None = None,
    tags: list[str] | None = None,
    **changes,
) -> Customer:
    """Change customer fields. With ``version``, a stale write raises
    ``customers.stale_version`` (details carry the current version) and changes nothing.

    The credit limit and payment terms are finance's (``credit_control``): changing them
    without it raises ``customers.credit_terms_finance_only`` naming the fields, and nothing
    changes; sending their current values is no change. Finance may change only those
    without ``customer_edit``."""
    access = access_for(actor, customer.company) if actor is not None else None
    if access is not None and (tags is not None or set(changes) - set(CREDIT_FIELDS)):
        access.require(Perm.CUSTOMER_EDIT)
    unknown = set(changes) - set(CUSTOMER_FIELDS)
    if unknown:
        raise TypeError(f"unknown customer fields: {sorted(unknown)}")
    locked = _lock_customer(customer)
    if version is not None and locked.version != version:
        raise StaleCustomer(details={"current_version": locked.version})
    company = locked.company
    values = {**{"currency": locked.currency, "price_list": locked.price_list}, **changes}
    errors = FieldErrors()
    _check(company, values, errors, locked=locked)
    _refuse_credit_fields(
        access,
        [
            field
            for field in CREDIT_FIELDS
            if field in changes
            and field not in errors.fields
            and values[field] != getattr(locked, field)
        ],
    )
    if access is not None and not access.can(Perm.CUSTOMER_EDIT):
        access.require(Perm.CREDIT_CONTROL)
    if "code" in changes:
        code = (changes["code"] or "").strip()
        values["code"] = code
        errors.required("code", code)
        if (
            Customer.objects.for_company(company)
            .filter(code__iexact=code)
            .exclude(pk=locked.pk)
            .exists()
        ):
            errors.add("code", _("A customer with this code already exists."))
    errors.raise_if_any()
    before = audit.snapshot(locked, CUSTOMER_FIELDS)
    for field in changes:
        setattr(locked, field, values[field])
    locked.version += 1
    locked.save()
    changed = audit.diff(before, audit.snapshot(locked, CUSTOMER_FIELDS))
    if tags is not None:
        old = sorted(locked.tags.values_list("name", flat=True))
        locked.tags.set(_tags(company, tags))
        new = sorted(locked.tags.values_list("name", flat=True))
        if old != new:
            changed["tags"] = [old, new]
    if changed:
        audit.record(actor=actor, entity=locked, action="update", changes=changed)
        events.emit(
            type="customer.updated", entity=locked, actor=actor, payload={"fields": sorted(changed)}
        )
    return locked


@transaction.atomic
def contact_add(*, customer: Customer, actor, **values) -> Contact:
    """Add a contact to a customer the actor may see; marking it primary demotes the
    previous primary contact, and a customer's first active contact is its primary."""
    unknown = set(values) - set(CONTACT_FIELDS)
    if unknown:
        raise TypeError(f"unknown contact fields: {sorted(unknown)}")
    _contact_or_address_access(actor, customer)
    customer = _lock_customer(customer)
    errors = FieldErrors()
    values["name"] = values.get("name") or ""
    _clean_texts(Contact, values, errors, ("name",))
    _check_email(values, errors)
    errors.raise_if_any()
    contacts = Contact.objects.for_company(customer.company_id).filter(
        customer=customer, is_active=True
    )
    if values.get("is_primary") or not contacts.exists():
        contacts.filter(is_primary=True).update(is_primary=False)
        values["is_primary"] = True
    contact = Contact.objects.create(company_id=customer.company_id, customer=customer, **values)
    audit.record(
        actor=actor,
        entity=customer,
        action="contact_add",
        changes={f"contact:{contact.name}": [None, audit.snapshot(contact, CONTACT_FIELDS)]},
    )
    return contact


@transaction.atomic
def address_add(*, customer: Customer, actor, **values) -> Address:
    """Add an address to a customer the actor may see; the first active address of a kind
    (billing/shipping) becomes that kind's default, and a new default demotes the old one."""
    unknown = set(values) - set(ADDRESS_FIELDS)
    if unknown:
        raise TypeError(f"unknown address fields: {sorted(unknown)}")
    _contact_or_address_access(actor, customer)
    customer = _lock_customer(customer)
    errors = FieldErrors()
    if values.get("kind") not in AddressKind.values:
        errors.add("kind", _("Choose billing or shipping."))
    values.setdefault("line1", "")
    values.setdefault("city", "")
    cleaned = {k: v for k, v in values.items() if k != "kind"}
    _clean_texts(Address, cleaned, errors, ("line1", "city"))
    values.update(cleaned)
    values["is_default"] = bool(values.get("is_default"))
    errors.raise_if_any()
    addresses = Address.objects.for_company(customer.company_id).filter(
        customer=customer, kind=values["kind"], is_active=True
    )
    if values.get("is_default") or not addresses.exists():
        addresses.filter(is_default=True).update(is_default=False)
        values["is_default"] = True
    address = Address.objects.create(company_id=customer.company_id, customer=customer, **values)
    audit.record(
        actor=actor,
        entity=customer,
        action="address_add",
        changes={f"address:{address.kind}": [None, str(address)]},
    )
    return address


@transaction.atomic
def payment_terms_setup_defaults(*, company: Company) -> None:
    """Common terms for a new company (idempotent): immediate, 30 days (default), 60 days,
    named in the company's language."""
    with translation.override(company.default_language):
        terms = [
            (_("Immediate payment"), 0, False),
            (_("30 days"), 30, True),
            (_("60 days"), 60, False),
        ]
    for name, days, is_default in terms:
        PaymentTerm.objects.get_or_create(
            company=company, days=days, defaults={"name": name, "is_default": is_default}
        )


@transaction.atomic
def customer_credit_hold(*, customer: Customer, actor, reason: str) -> Customer:
    """Finance stops confirmations for a customer (``sales.customer_credit_hold`` is raised
    when one of its orders would be confirmed). Setting it again changes nothing."""
    access_for(actor, customer.company).require(Perm.CREDIT_CONTROL)
    locked = _lock_customer(customer)
    if locked.credit_hold:
        return locked
    if not (reason or "").strip():
        raise ValidationFailed(details={"fields": {"reason": [_("Please give a reason.")]}})
    locked.credit_hold, locked.credit_hold_reason = True, reason.strip()
    locked.version += 1
    locked.save()
    audit.record(
        actor=actor,
        entity=locked,
        action="credit_hold",
        changes={"credit_hold": [False, True], "reason": [None, locked.credit_hold_reason]},
    )
    events.emit(
        type="customer.credit_hold",
        entity=locked,
        actor=actor,
        payload={"reason": locked.credit_hold_reason},
    )
    return locked


@transaction.atomic
def customer_credit_release(*, customer: Customer, actor) -> Customer:
    access_for(actor, customer.company).require(Perm.CREDIT_CONTROL)
    locked = _lock_customer(customer)
    if not locked.credit_hold:
        return locked
    old_reason = locked.credit_hold_reason
    locked.credit_hold, locked.credit_hold_reason = False, ""
    locked.version += 1
    locked.save()
    audit.record(
        actor=actor,
        entity=locked,
        action="credit_release",
        changes={"credit_hold": [True, False], "reason": [old_reason, None]},
    )
    events.emit(type="customer.credit_released", entity=locked, actor=actor, payload={})
    return locked


@transaction.atomic
def customer_block(*, customer: Customer, actor, until, reason: str) -> Customer:
    """Block a customer until ``until`` (a date after the company's today): none of its
    quotations becomes an order before then (``customers.blocked`` at submission and
    approval), quotations are still made and edited; from that date the block has lifted by
    itself, with no task to run. Needs ``credit_control``. Refused with
    ``core.validation_failed``: no reason, no date or one not after today. Blocking again
    replaces the date and reason."""
    from ordercrm.core.dates import company_today

    access_for(actor, customer.company).require(Perm.CREDIT_CONTROL)
    locked = _lock_customer(customer)
    errors: dict[str, list[str]] = {}
    if not (reason or "").strip():
        errors["reason"] = [_("Please give a reason.")]
    if until is None or until <= company_today(locked.company):
        errors["until"] = [_("Enter a date after today.")]
    if errors:
        raise ValidationFailed(details={"fields": errors})
    before = [str(locked.blocked_until) if locked.blocked_until else None, locked.blocked_reason]
    locked.blocked_until, locked.blocked_reason = until, reason.strip()[:200]
    locked.version += 1
    locked.save()
    audit.record(
        actor=actor,
        entity=locked,
        action="block",
        changes={
            "blocked_until": [before[0], until.isoformat()],
            "blocked_reason": [before[1] or None, locked.blocked_reason],
        },
    )
    events.emit(
        type="customer.blocked",
        entity=locked,
        actor=actor,
        payload={"until": until.isoformat(), "reason": locked.blocked_reason},
    )
    return locked


@transaction.atomic
def customer_unblock(*, customer: Customer, actor) -> Customer:
    """Lift a block before its date. Unblocking a customer that is not blocked does nothing."""
    access_for(actor, customer.company).require(Perm.CREDIT_CONTROL)
    locked = _lock_customer(customer)
    if locked.blocked_until is None:
        return locked
    before = [locked.blocked_until.isoformat(), locked.blocked_reason]
    locked.blocked_until, locked.blocked_reason = None, ""
    locked.version += 1
    locked.save()
    audit.record(
        actor=actor,
        entity=locked,
        action="unblock",
        changes={"blocked_until": [before[0], None], "blocked_reason": [before[1], None]},
    )
    events.emit(type="customer.unblocked", entity=locked, actor=actor, payload={})
    return locked


# ---------------------------------------------------------------- deactivate, merge


class CustomerMergedStaysInactive(ValidationFailed):
    code = "customers.merged"
    message = gettext_lazy(
        "This customer was merged into another and stays inactive; use the surviving customer."
    )


class MergeRefused(ValidationFailed):
    code = "customers.merge_refused"


def _visible(access, customer_id) -> Customer:
    """The customer as the actor may see it (``core.not_found`` otherwise); a system caller
    (``access`` None) is trusted."""
    from ordercrm.customers.selectors import customer_get

    if access is None:
        return Customer.objects.unscoped().get(pk=customer_id)
    return customer_get(access, customer_id)


def _reason(reason) -> str:
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationFailed(details={"fields": {"reason": [_("Please give a reason.")]}})
    column = Customer._meta.get_field("inactive_reason")
    errors = FieldErrors()
    reason = errors.text("reason", reason, column)
    errors.raise_if_any()
    return reason


def _check_version(locked: Customer, version: int | None) -> None:
    if version is not None and locked.version != version:
        raise StaleCustomer(details={"current_version": locked.version})


@transaction.atomic
def customer_deactivate(
    *, customer: Customer, actor, reason: str, version: int | None = None
) -> Customer:
    """Stop using a customer: it leaves the lists and order entry, and no new order, reorder
    or order from a template is made for it (``customers.inactive``); its open orders,
    invoices and payments carry on. Needs ``customer_edit`` and a reason. Deactivating an
    inactive customer changes nothing."""
    access = access_for(actor, customer.company) if actor is not None else None
    if access is not None:
        access.require(Perm.CUSTOMER_EDIT)
    _visible(access, customer.pk)
    locked = _lock_customer(customer)
    _check_version(locked, version)
    if not locked.is_active:
        return locked
    locked.inactive_reason = _reason(reason)
    locked.is_active = False
    locked.version += 1
    locked.save()
    audit.record(
        actor=actor,
        entity=locked,
        action="deactivate",
        changes={"is_active": [True, False], "reason": [None, locked.inactive_reason]},
    )
    events.emit(
        type="customer.deactivated",
        entity=locked,
        actor=actor,
        payload={"code": locked.code, "reason": locked.inactive_reason},
    )
    return locked


@transaction.atomic
def customer_reactivate(
    *, customer: Customer, actor, reason: str = "", version: int | None = None
) -> Customer:
    """Take an inactive customer back into use (``customer_edit``). A merged duplicate stays
    inactive (``customers.merged``). Reactivating an active customer changes nothing."""
    access = access_for(actor, customer.company) if actor is not None else None
    if access is not None:
        access.require(Perm.CUSTOMER_EDIT)
    _visible(access, customer.pk)
    locked = _lock_customer(customer)
    _check_version(locked, version)
    if locked.is_active:
        return locked
    if locked.merged_into_id:
        raise CustomerMergedStaysInactive(details={"merged_into": str(locked.merged_into_id)})
    old_reason = locked.inactive_reason
    locked.is_active, locked.inactive_reason = True, ""
    locked.version += 1
    locked.save()
    audit.record(
        actor=actor,
        entity=locked,
        action="reactivate",
        changes={
            "is_active": [False, True],
            "reason": [old_reason, (reason or "").strip()[:200] or None],
        },
    )
    events.emit(type="customer.reactivated", entity=locked, actor=actor, payload={})
    return locked


def _merge_pair(access, duplicate, survivor) -> tuple[Customer, Customer]:
    """Refusals that need no lock: other company, the same customer, not visible to both."""
    if duplicate.company_id != survivor.company_id:
        raise MergeRefused(
            _("Only customers of the same company can be merged."),
            details={"duplicate": str(duplicate.pk), "survivor": str(survivor.pk)},
        )
    if duplicate.pk == survivor.pk:
        raise MergeRefused(
            _("Choose two different customers."), details={"survivor": str(survivor.pk)}
        )
    return _visible(access, duplicate.pk), _visible(access, survivor.pk)


def _merge_state_refusal(duplicate: Customer, survivor: Customer) -> None:
    if duplicate.merged_into_id:
        raise MergeRefused(
            _("%(code)s was already merged into another customer."),
            params={"code": duplicate.code},
            details={"merged_into": str(duplicate.merged_into_id)},
        )
    if survivor.merged_into_id:
        raise MergeRefused(
            _("%(code)s was merged into another customer; merge into that one."),
            params={"code": survivor.code},
            details={"merged_into": str(survivor.merged_into_id)},
        )


def customer_merge_preview(*, duplicate: Customer, survivor: Customer, actor) -> dict:
    """What :func:`customer_merge` would move, counted by the same steps, and the refusal it
    would raise (``problem``, a ``DomainError`` or None). Reads only."""
    from ordercrm.customers.merging import merge_steps

    access = access_for(actor, survivor.company)
    access.require(Perm.CUSTOMER_MERGE)
    duplicate, survivor = _merge_pair(access, duplicate, survivor)
    problem = None
    try:
        _merge_state_refusal(duplicate, survivor)
        for step in merge_steps():
            if step.check is not None:
                step.check(duplicate, survivor)
    except DomainError as error:
        problem = error
    return {
        "duplicate": duplicate,
        "survivor": survivor,
        "moves": [(step.key, step.label, step.count(duplicate)) for step in merge_steps()],
        "problem": problem,
    }


@transaction.atomic
def customer_merge(
    *, duplicate: Customer, survivor: Customer, actor, version: int | None = None
) -> Customer:
    """Merge a duplicate into the surviving customer: every registered step
    (``customers.merging``: contacts, addresses, orders, templates, invoices, payments, …)
    moves its records, the survivor gains the duplicate's tags, and the duplicate is
    deactivated and marked ``merged_into`` the survivor. Both are locked (by id); both get
    an audit entry, and one ``customer.merged`` event names the survivor and the counts.

    Needs ``customer_merge`` and both customers in the actor's scope (``core.not_found``
    otherwise); ``customers.merge_refused`` across companies, for the same customer, or when
    either side was already merged; ``version`` is the duplicate's (``customers.stale_version``).
    Returns the survivor."""
    from ordercrm.customers.merging import merge_steps

    access = access_for(actor, survivor.company) if actor is not None else None
    if access is not None:
        access.require(Perm.CUSTOMER_MERGE)
    duplicate, survivor = _merge_pair(access, duplicate, survivor)
    locked = {
        c.pk: c
        for c in Customer.objects.for_company(survivor.company_id)
        .select_for_update()
        .filter(pk__in=[duplicate.pk, survivor.pk])
        .order_by("pk")
    }
    duplicate, survivor = locked[duplicate.pk], locked[survivor.pk]
    _check_version(duplicate, version)
    _merge_state_refusal(duplicate, survivor)
    steps = merge_steps()
    for step in steps:
        if step.check is not None:
            step.check(duplicate, survivor)
    moved = {step.key: step.move(duplicate, survivor, actor) for step in steps}
    tags = sorted(set(duplicate.tags.all()) - set(survivor.tags.all()), key=lambda t: t.name)
    if tags:
        survivor.tags.add(*tags)
    was_active = duplicate.is_active
    duplicate.is_active, duplicate.merged_into = False, survivor
    duplicate.inactive_reason = (_("Merged into %(code)s") % {"code": survivor.code})[:200]
    duplicate.version += 1
    duplicate.save()
    survivor.version += 1
    survivor.save(update_fields=["version", "updated_at"])
    audit.record(
        actor=actor,
        entity=duplicate,
        action="merged_into",
        changes={
            "merged_into": [None, f"{survivor.code} {survivor.name}"],
            "is_active": [was_active, False],
            "moved": [None, moved],
        },
    )
    audit.record(
        actor=actor,
        entity=survivor,
        action="merge",
        changes={
            "merged": [None, f"{duplicate.code} {duplicate.name}"],
            "moved": [None, moved],
            **({"tags": [None, [t.name for t in tags]]} if tags else {}),
        },
    )
    events.emit(
        type="customer.merged",
        entity=duplicate,
        actor=actor,
        payload={
            "code": duplicate.code,
            "survivor_id": str(survivor.pk),
            "survivor_code": survivor.code,
            "moved": moved,
        },
    )
    return survivor


def _move_contacts(duplicate: Customer, survivor: Customer, actor) -> int:
    """Contacts move; the survivor keeps its primary contact if it has one."""
    contacts = Contact.objects.for_company(survivor.company_id)
    if contacts.filter(customer=survivor, is_primary=True).exists():
        contacts.filter(customer=duplicate, is_primary=True).update(is_primary=False)
    return contacts.filter(customer=duplicate).update(customer=survivor)


def _move_addresses(duplicate: Customer, survivor: Customer, actor) -> int:
    """Addresses move; the survivor keeps its default of each kind if it has one."""
    addresses = Address.objects.for_company(survivor.company_id)
    kept = set(addresses.filter(customer=survivor, is_default=True).values_list("kind", flat=True))
    addresses.filter(customer=duplicate, is_default=True, kind__in=kept).update(is_default=False)
    return addresses.filter(customer=duplicate).update(customer=survivor)


def _count(model):
    return lambda duplicate: (
        model.objects.for_company(duplicate.company_id).filter(customer=duplicate).count()
    )


def register_merge_steps() -> None:
    """The customers app's own steps (called from ``CustomersConfig.ready``)."""
    from ordercrm.customers.merging import MergeStep, register

    register(MergeStep("contacts", gettext_lazy("Contacts"), 10, _count(Contact), _move_contacts))
    register(
        MergeStep("addresses", gettext_lazy("Addresses"), 20, _count(Address), _move_addresses)
    )


# ---------------------------------------------------------------- contacts and addresses


def _contact_or_address_access(actor, customer: Customer):
    access = access_for(actor, customer.company) if actor is not None else None
    if access is not None:
        access.require(Perm.CUSTOMER_EDIT)
    _visible(access, customer.pk)
    return access


def _clean_texts(model, values: dict, errors: FieldErrors, required: tuple[str, ...]) -> None:
    """Strip and bound the text fields among ``values``; ``required`` ones must be given."""
    for field, value in list(values.items()):
        column = model._meta.get_field(field)
        if isinstance(column, models.CharField) and field != "email":
            if value is None:
                value = ""
            values[field] = errors.text(
                field, value.strip() if isinstance(value, str) else value, column
            )
    for field in required:
        if field in values:
            errors.required(field, values[field])


@transaction.atomic
def contact_update(*, contact: Contact, actor, **changes) -> Contact:
    """Change a contact of a customer the actor may see (``customer_edit``). Making it
    primary demotes the previous primary; a customer keeps one primary contact, so the
    primary is changed by making another one primary, not by unsetting it."""
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise TypeError(f"unknown contact fields: {sorted(unknown)}")
    _contact_or_address_access(actor, contact.customer)
    customer = _lock_customer(contact.customer)
    contact = (
        Contact.objects.for_company(customer.company_id)
        .filter(pk=contact.pk, customer=customer, is_active=True)
        .first()
    )
    if contact is None:
        raise NotFound()
    errors = FieldErrors()
    _clean_texts(Contact, changes, errors, ("name",))
    _check_email(changes, errors)
    if "is_primary" in changes:
        changes["is_primary"] = bool(changes["is_primary"])
        if contact.is_primary and not changes["is_primary"]:
            errors.add("is_primary", _("Make another contact primary instead."))
    errors.raise_if_any()
    before = audit.snapshot(contact, CONTACT_FIELDS)
    if changes.get("is_primary") and not contact.is_primary:
        Contact.objects.for_company(customer.company_id).filter(
            customer=customer, is_primary=True
        ).update(is_primary=False)
    for field, value in changes.items():
        setattr(contact, field, value)
    contact.save()
    changed = audit.diff(before, audit.snapshot(contact, CONTACT_FIELDS))
    if changed:
        audit.record(
            actor=actor,
            entity=customer,
            action="contact_update",
            changes={f"contact:{contact.name}:{k}": v for k, v in changed.items()},
        )
    return contact


@transaction.atomic
def contact_remove(*, contact: Contact, actor) -> Contact:
    """Remove a contact from use: it stays (orders may name it) but is no longer offered.
    If it was primary, the next active contact by name becomes primary."""
    _contact_or_address_access(actor, contact.customer)
    customer = _lock_customer(contact.customer)
    contacts = Contact.objects.for_company(customer.company_id).filter(customer=customer)
    contact = contacts.filter(pk=contact.pk).first()
    if contact is None:
        raise NotFound()
    if not contact.is_active:
        return contact
    was_primary = contact.is_primary
    contact.is_active, contact.is_primary = False, False
    contact.save(update_fields=["is_active", "is_primary", "updated_at"])
    if was_primary:
        successor = contacts.filter(is_active=True).order_by("name", "pk").first()
        if successor is not None:
            contacts.filter(pk=successor.pk).update(is_primary=True)
    audit.record(
        actor=actor,
        entity=customer,
        action="contact_remove",
        changes={f"contact:{contact.name}": [audit.snapshot(contact, CONTACT_FIELDS), None]},
    )
    return contact


def _settle_default(customer: Customer, kind: str) -> None:
    """Exactly one default address of ``kind`` while the customer has an active one: the
    first active address by creation becomes default when none is."""
    addresses = Address.objects.for_company(customer.company_id).filter(
        customer=customer, kind=kind, is_active=True
    )
    if not addresses.filter(is_default=True).exists():
        first = addresses.order_by("created_at", "pk").first()
        if first is not None:
            addresses.filter(pk=first.pk).update(is_default=True)


@transaction.atomic
def address_update(*, address: Address, actor, **changes) -> Address:
    """Change an address of a customer the actor may see (``customer_edit``). Making it the
    default demotes the previous default of its kind; unsetting the default is refused
    (make another address the default). Changing its kind keeps one default in each kind."""
    unknown = set(changes) - set(ADDRESS_FIELDS)
    if unknown:
        raise TypeError(f"unknown address fields: {sorted(unknown)}")
    _contact_or_address_access(actor, address.customer)
    customer = _lock_customer(address.customer)
    address = (
        Address.objects.for_company(customer.company_id)
        .filter(pk=address.pk, customer=customer, is_active=True)
        .first()
    )
    if address is None:
        raise NotFound()
    errors = FieldErrors()
    if "kind" in changes and changes["kind"] not in AddressKind.values:
        errors.add("kind", _("Choose billing or shipping."))
        changes.pop("kind")
    _clean_texts(Address, changes, errors, ("line1", "city"))
    if "is_default" in changes:
        changes["is_default"] = bool(changes["is_default"])
        if address.is_default and not changes["is_default"]:
            errors.add("is_default", _("Make another address the default instead."))
    errors.raise_if_any()
    before = audit.snapshot(address, ADDRESS_FIELDS)
    old_kind = address.kind
    new_kind = changes.get("kind", old_kind)
    same_kind = Address.objects.for_company(customer.company_id).filter(
        customer=customer, kind=new_kind
    )
    # moved to the other kind, it becomes its default only when asked or when it has none
    if (
        new_kind != old_kind
        and not changes.get("is_default")
        and same_kind.filter(is_default=True).exists()
    ):
        changes["is_default"] = False
    if changes.get("is_default"):
        same_kind.filter(is_default=True).exclude(pk=address.pk).update(is_default=False)
    for field, value in changes.items():
        setattr(address, field, value)
    address.save()
    for kind in {old_kind, new_kind}:
        _settle_default(customer, kind)
    address.refresh_from_db()
    changed = audit.diff(before, audit.snapshot(address, ADDRESS_FIELDS))
    if changed:
        audit.record(
            actor=actor,
            entity=customer,
            action="address_update",
            changes={f"address:{k}": v for k, v in changed.items()},
        )
    return address


@transaction.atomic
def address_remove(*, address: Address, actor) -> Address:
    """Remove an address from use (orders keep their copies). If it was the default of its
    kind, the next active address of that kind becomes the default."""
    _contact_or_address_access(actor, address.customer)
    customer = _lock_customer(address.customer)
    address = (
        Address.objects.for_company(customer.company_id)
        .filter(pk=address.pk, customer=customer)
        .first()
    )
    if address is None:
        raise NotFound()
    if not address.is_active:
        return address
    address.is_active, address.is_default = False, False
    address.save(update_fields=["is_active", "is_default", "updated_at"])
    _settle_default(customer, address.kind)
    audit.record(
        actor=actor,
        entity=customer,
        action="address_remove",
        changes={f"address:{address.kind}": [str(address), None]},
    )
    return address
