"""Write use cases for customers, their contacts and addresses."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import list_currencies
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator
from django.db import transaction
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
from ordercrm.customers.selectors import customer_find_duplicates, customer_list

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


def _check(company: Company, values: dict, errors: FieldErrors) -> None:
    """Normalise and validate customer fields in place."""
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
    for field in ("team", "payment_terms", "price_list"):
        related = values.get(field)
        if related is not None and related.company_id != company.pk:
            errors.add(field, _("Not in this company."))
    price_list = values.get("price_list")
    if (
        price_list is not None
        and values.get("currency")
        and price_list.currency != values["currency"]
    ):
        errors.add("price_list", _("The price list is in another currency."))
    owner = values.get("owner")
    if (
        owner is not None
        and not Membership.objects.filter(user=owner, company=company, is_active=True).exists()
    ):
        errors.add("owner", _("Not a member of this company."))


@transaction.atomic
def customer_create(
    *,
    company: Company,
    actor,
    allow_duplicate: bool = False,
    tags: list[str] | None = None,
    **values,
) -> Customer:
    """Create a customer.

    Defaults: the code from the ``CUS`` sequence, the company's language and currency, the
    actor as owner, the default payment terms. Raises ``core.validation_failed`` for bad fields
    and ``customers.possible_duplicate`` when another customer has the same name, tax ID or
    phone, unless ``allow_duplicate``: ``details["matches"]`` names only the matches the actor
    may see; if others exist, ``details["hidden"]`` is true and the message only says a
    customer exists and to ask a manager.
    """
    access = access_for(actor, company) if actor is not None else None
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
    default_terms = PaymentTerm.objects.for_company(company).filter(is_default=True).first()
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
        membership = Membership.objects.filter(user=actor, company=company).only("team").first()
        values["team"] = membership.team if membership else None
    errors = FieldErrors()
    _check(company, values, errors)
    code = (values.get("code") or "").strip()
    if code and Customer.objects.for_company(company).filter(code__iexact=code).exists():
        errors.add("code", _("A customer with this code already exists."))
    errors.raise_if_any()
    if not allow_duplicate:
        matches = customer_find_duplicates(
            company=company,
            name=values["name"],
            tax_id=values.get("tax_id", ""),
            phone=values.get("phone", ""),
        )
        if matches:
            _raise_duplicate(access, matches)
    values["code"] = code or f"C{next_value(company=company, key='CUS'):05d}"
    customer = Customer.objects.create(company=company, **values)
    if tags:
        customer.tags.set(_tags(company, tags))
    audit.record(
        actor=actor,
        entity=customer,
        action="create",
        changes=audit.diff({}, audit.snapshot(customer, CUSTOMER_FIELDS)),
    )
    events.emit(
        type="customer.created", entity=customer, actor=actor, payload={"code": customer.code}
    )
    return customer


def _raise_duplicate(access, matches: list[Customer]) -> None:
    """Name only the matches the caller may see (a system caller, ``access`` None, sees all);
    the others are only said to exist, in a generic message."""
    visible = (
        matches
        if access is None
        else list(
            customer_list(access, include_inactive=True)
            .filter(pk__in=[c.pk for c in matches])
            .order_by("code")
        )
    )
    shown = [{"id": str(c.pk), "code": c.code, "name": c.name} for c in visible]
    if len(visible) < len(matches):
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
    _check(company, values, errors)
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
    """Add a contact; marking it primary demotes the previous primary contact."""
    if actor is not None:
        access_for(actor, customer.company).require(Perm.CUSTOMER_EDIT)
    customer = _lock_customer(customer)
    errors = FieldErrors()
    values["name"] = (values.get("name") or "").strip()
    errors.required("name", values["name"])
    _check_email(values, errors)
    errors.raise_if_any()
    contacts = Contact.objects.for_company(customer.company_id).filter(customer=customer)
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
    """Add an address; the first of a kind (billing/shipping) becomes that kind's default."""
    if actor is not None:
        access_for(actor, customer.company).require(Perm.CUSTOMER_EDIT)
    customer = _lock_customer(customer)
    errors = FieldErrors()
    if values.get("kind") not in AddressKind.values:
        errors.add("kind", _("Choose billing or shipping."))
    errors.required("line1", values.get("line1"))
    errors.required("city", values.get("city"))
    errors.raise_if_any()
    addresses = Address.objects.for_company(customer.company_id).filter(
        customer=customer, kind=values["kind"]
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
