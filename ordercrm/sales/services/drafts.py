"""Drafts (quotations): preview, create (with the one-time entry token), edit header and lines,
and the exchange rate typed on the header.
"""

from __future__ import annotations

import datetime
import functools
import uuid
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ordercrm.accounts.access import access_for
from ordercrm.catalog.models import MAX_EXCHANGE_RATE
from ordercrm.core import audit, events
from ordercrm.core.exceptions import ValidationFailed
from ordercrm.core.models import ShippingPolicy
from ordercrm.core.money import ZERO
from ordercrm.core.numbering import next_number
from ordercrm.core.permissions import Perm
from ordercrm.core.validation import bounded_decimal
from ordercrm.core.validation import reason as invalid_reason
from ordercrm.customers import selectors as customer_selectors
from ordercrm.customers.models import AddressKind
from ordercrm.sales import counters, kits
from ordercrm.sales.exceptions import (
    BackdateNotAllowed,
    ExchangeRateOverride,
    LineInUse,
    OrderDateOtherYear,
)
from ordercrm.sales.models import InvoicingPolicy, SalesOrder, SalesOrderLine
from ordercrm.sales.services._steps import _lock_draft
from ordercrm.sales.services.lines import (
    HEADER_FIELDS,
    _apply_totals,
    _build_lines,
    _company_today,
    _customer_reference_warning,
    _line_input,
    _lines_diff,
    _lines_of,
    _snapshot,
)
from ordercrm.sales.workflow import OrderEvent, Status


def order_preview(*, company, actor, customer, lines: list[dict], **header) -> SalesOrder:
    """What ``order_create`` would make, priced and totalled, without saving anything (live
    totals on the entry form). Raises the same validation errors."""
    access = access_for(actor, company)
    access.require(Perm.ORDER_EDIT)
    customer = customer_selectors.customer_get(access, getattr(customer, "pk", customer))
    order = SalesOrder(company=company, customer=customer, status=Status.DRAFT)
    order.currency = header.pop("currency", None) or customer.currency
    order.price_list = customer.price_list
    order.order_date = _company_today(company)
    header = {k: v for k, v in header.items() if k in HEADER_FIELDS}
    if header.get("order_date") in (None, ""):
        header.pop("order_date", None)
    _rate_header(order, header, actor)
    _set_header(order, header)
    _check_dates(order, actor, header=header)
    built = _build_lines(order, list(lines))
    _apply_totals(order, built)
    order.preview_lines = built
    return order


@transaction.atomic
def order_create(
    *,
    company,
    actor,
    customer,
    lines: list[dict] | tuple = (),
    entry_token: uuid.UUID | None = None,
    **header,
) -> SalesOrder:
    """Create a draft order (a quotation) for a customer the actor may see.

    Defaults come from the customer: currency, price list, payment terms, salesperson, team,
    primary contact, default billing and shipping addresses (copied, so later edits of the
    customer do not change the order). The number ``SO-{year}-{seq:06d}`` is taken now, so a
    cancelled quotation keeps its number and the sequence has no holes. ``order.warnings`` lists
    soft problems (a customer PO reference used before).

    ``entry_token`` is the one-time token of the form the order is entered on: creating
    again with a token already used returns the order it made (``order.replayed`` is true)
    and changes nothing, also when the twin requests race (the database's unique constraint
    decides; the loser's number is rolled back with its savepoint, so no number is lost).
    """
    if entry_token is None:
        return _order_create(company, actor, customer, lines, header)
    made = _order_of_entry(company, actor, entry_token)
    if made is not None:
        return made
    try:
        with transaction.atomic():
            return _order_create(company, actor, customer, lines, header, entry_token)
    except IntegrityError:
        made = _order_of_entry(company, actor, entry_token)
        if made is None:
            raise
        return made


def _order_of_entry(company, actor, entry_token) -> SalesOrder | None:
    """The order an entry form already made, as the actor may see it (or None)."""
    made = (
        SalesOrder.objects.for_company(company)
        .filter(entry_token=entry_token)
        .values_list("pk", flat=True)
        .first()
    )
    if made is None:
        return None
    from ordercrm.sales.selectors import order_get

    order = order_get(access_for(actor, company), made)
    order.replayed = True
    order.warnings = []
    return order


def _order_create(company, actor, customer, lines, header, entry_token=None) -> SalesOrder:
    access = access_for(actor, company)
    access.require(Perm.ORDER_EDIT)
    # an inactive (or merged) customer takes no new order, whichever path makes it
    customer = customer_selectors.customer_for_new_order(access, getattr(customer, "pk", customer))
    unknown = set(header) - set(HEADER_FIELDS)
    if unknown:
        raise TypeError(f"unknown order fields: {sorted(unknown)}")
    order = SalesOrder(
        company=company, customer=customer, status=Status.DRAFT, entry_token=entry_token
    )
    order.currency = header.pop("currency", None) or customer.currency
    order.price_list = header.pop("price_list", None) or customer.price_list
    order.payment_terms = header.pop("payment_terms", None) or customer.payment_terms
    order.salesperson = header.pop("salesperson", None) or customer.owner or actor
    order.team = header.pop("team", None) or customer.team
    order.order_date = _company_today(company)
    if header.get("order_date") in (None, ""):
        header.pop("order_date", None)
    order.shipping_policy = header.pop("shipping_policy", None) or company.shipping_policy
    if "contact" not in header:
        order.contact = (
            customer_selectors.customer_contacts(customer).filter(is_primary=True).first()
        )
    addresses = {
        a.kind: a for a in customer_selectors.customer_addresses(customer).filter(is_default=True)
    }
    for kind, field in (
        (AddressKind.BILLING, "billing_address"),
        (AddressKind.SHIPPING, "shipping_address"),
    ):
        if field not in header and kind in addresses:
            setattr(order, field, addresses[kind].as_snapshot())
    _rate_header(order, header, actor)
    _set_header(order, header)
    _check_dates(order, actor, header=header)
    built = _build_lines(order, list(lines))
    _apply_totals(order, built)
    # the year of the number is the order date's (a date in the company's time zone)
    order.number = next_number(company=company, prefix="SO", year=order.order_date.year)
    order.save()
    SalesOrderLine.objects.bulk_create(built)
    kits.snapshot(company.pk, built)
    audit.record(
        actor=actor,
        entity=order,
        action="create",
        changes={
            "status": [None, Status.DRAFT],
            "gross_total": [None, str(order.gross_total)],
            "lines": [None, len(built)],
        },
    )
    events.emit(
        type=OrderEvent.CREATED, entity=order, actor=actor, payload={"number": order.number}
    )
    order.warnings = _customer_reference_warning(order)
    order.replayed = False
    return order


def _change_customer(order: SalesOrder, actor, customer, header: dict[str, Any]) -> bool:
    """Give a draft another customer (one the actor may see that takes new orders,
    ``customers.inactive`` otherwise). What the order took from the old customer follows the
    new one unless given in the same edit: currency (the rate then goes back to the table),
    price list, payment terms, primary contact, default addresses. The lines are priced and
    taxed again for the new customer (its price list, its tax mapping); prices set by hand stay.
    Returns whether the customer changed."""
    access = access_for(actor, order.company)
    customer = customer_selectors.customer_for_new_order(access, getattr(customer, "pk", customer))
    if customer.pk == order.customer_id:
        return False
    order.customer = customer
    if "currency" not in header and customer.currency != order.currency:
        order.currency = customer.currency
        order.exchange_rate, order.exchange_rate_overridden = None, False
    if "price_list" not in header:
        order.price_list = customer.price_list
    if "payment_terms" not in header:
        order.payment_terms = customer.payment_terms
    if "contact" not in header:
        order.contact = (
            customer_selectors.customer_contacts(customer).filter(is_primary=True).first()
        )
    addresses = {
        a.kind: a for a in customer_selectors.customer_addresses(customer).filter(is_default=True)
    }
    for kind, field in (
        (AddressKind.BILLING, "billing_address"),
        (AddressKind.SHIPPING, "shipping_address"),
    ):
        if field not in header:
            setattr(order, field, addresses[kind].as_snapshot() if kind in addresses else {})
    return True


def _rate_header(order: SalesOrder, header: dict[str, Any], actor) -> None:
    """A rate typed on an order overrides the company rate table, which needs
    ``exchange_rate_override`` (else ``sales.exchange_rate_override`` and nothing changes);
    beyond the company's tolerance it is also an approval reason. An empty rate goes back to
    the table. Sending the rate the order already has (clients echo what they read), or 1 on
    an order in the company currency, is no override."""
    if "exchange_rate" not in header:
        return
    value = header["exchange_rate"]
    if value in (None, ""):
        header["exchange_rate"] = None
        order.exchange_rate_overridden = False
        return
    try:
        value = bounded_decimal(value, SalesOrder, "exchange_rate")
    except (TypeError, ValueError):
        return  # _set_header reports the bad number
    currency = header.get("currency") or order.currency
    if value == order.exchange_rate or (currency == order.company.base_currency and value == 1):
        return
    if not access_for(actor, order.company).can(Perm.EXCHANGE_RATE_OVERRIDE):
        raise ExchangeRateOverride(
            details={"fields": {"exchange_rate": [str(ExchangeRateOverride.message)]}}
        )
    order.exchange_rate_overridden = True


MAX_DATE_DISTANCE_DAYS = 3653  # ten years either way


def _check_order_date(order: SalesOrder, actor, before: datetime.date | None = None) -> None:
    """The order date may be today or later; before today (the company's today, in its time
    zone) needs ``order_backdate`` (``sales.backdate_not_allowed``). Once the order has its
    number (``before``: the date it had), the date stays in the number's year
    (``sales.order_date_other_year``): the number is gap-free per year and is never taken
    back, so a date in another year is a new order."""
    if before is not None and order.order_date.year != before.year:
        raise OrderDateOtherYear(
            params={"number": order.number, "year": before.year},
            details={
                "year": before.year,
                "fields": {"order_date": [_("Keep the date in %(year)s.") % {"year": before.year}]},
            },
        )
    today = _company_today(order.company)
    if abs((order.order_date - today).days) > MAX_DATE_DISTANCE_DAYS:
        # a typo (0206, 20266) rather than a date; it would also number the order in that year
        raise ValidationFailed(
            details={"fields": {"order_date": [_("Enter a date within ten years of today.")]}}
        )
    if order.order_date >= today or order.order_date == before:
        return
    if not access_for(actor, order.company).can(Perm.ORDER_BACKDATE):
        error = BackdateNotAllowed(params={"today": today.isoformat()})
        raise BackdateNotAllowed(
            params={"today": today.isoformat()},
            details={"today": today.isoformat(), "fields": {"order_date": [error.text]}},
        )


def _default_validity(order: SalesOrder, header: dict[str, Any], before=None) -> None:
    """A quotation is valid ``Company.quotation_validity_days`` from its order date unless a
    validity date is given (0 days: none). When the order date moves and the validity date
    was the default, it moves along."""
    days = order.company.quotation_validity_days
    if "valid_until" in header or not days:
        return
    if before is not None and order.valid_until != before + datetime.timedelta(days=days):
        return  # set by hand (or none): left as it is
    order.valid_until = order.order_date + datetime.timedelta(days=days)


DATE_FIELDS = ("order_date", "requested_date", "valid_until")


def _set_header(order: SalesOrder, header: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    for field, value in header.items():
        if field in DATE_FIELDS and isinstance(value, str):
            try:
                value = datetime.date.fromisoformat(value.strip()) if value.strip() else None
            except ValueError:
                errors.setdefault(field, []).append(_("Enter a valid date."))
                continue
        if field == "order_date" and value is None:
            errors.setdefault(field, []).append(_("This field is required."))
            continue
        if field in ("discount_percent", "exchange_rate") and value not in (None, ""):
            try:
                value = bounded_decimal(value, SalesOrder, field)
            except (TypeError, ValueError) as error:
                errors.setdefault(field, []).append(invalid_reason(error))
                continue
            if field == "discount_percent" and not ZERO <= value <= 100:
                errors.setdefault(field, []).append(_("Enter a percentage between 0 and 100."))
            if field == "exchange_rate" and value <= 0:
                errors.setdefault(field, []).append(_("Must be greater than zero."))
            elif field == "exchange_rate" and (
                value > MAX_EXCHANGE_RATE or value != value.quantize(Decimal("0.00000001"))
            ):
                errors.setdefault(field, []).append(
                    _("Enter a rate of at most %(maximum)s with at most 8 decimals.")
                    % {"maximum": MAX_EXCHANGE_RATE}
                )
        if field == "invoicing_policy" and value not in InvoicingPolicy.values:
            errors.setdefault(field, []).append(_("Unknown invoicing policy."))
        if field == "shipping_policy" and value not in ShippingPolicy.values:
            errors.setdefault(field, []).append(_("Unknown shipping policy."))
        related = value if hasattr(value, "company_id") else None
        if related is not None and related.company_id != order.company_id:
            errors.setdefault(field, []).append(_("Not in this company."))
        setattr(order, field, value)
    if errors:
        raise ValidationFailed(details={"fields": errors})


def _check_dates(order: SalesOrder, actor, before: datetime.date | None = None, header=()) -> None:
    """After the header is set: the order date's rules, the default validity date, and a
    validity date not before the order date."""
    _check_order_date(order, actor, before)
    _default_validity(order, header, before)
    if order.valid_until and order.order_date and order.valid_until < order.order_date:
        raise ValidationFailed(
            details={"fields": {"valid_until": [_("Must not be before the order date.")]}}
        )


@functools.cache
def _line_references() -> tuple:
    """Every (model, foreign key) of another app that names an order line with a database
    constraint (shipment, invoice, return and case lines). Found from the models, since sales
    may not import the apps above it; the set is fixed once the apps are loaded."""
    from django.apps import apps

    return tuple(
        (model, field)
        for model in apps.get_models()
        # the order's own rows (copied kit components) go with their lines
        if model._meta.app_label != "sales"
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is SalesOrderLine and field.db_constraint
    )


def _documents_naming(company_id, line_ids) -> set:
    """The ids among ``line_ids`` that a document of another app names."""
    named: set = set()
    for model, field in _line_references():
        named |= set(
            model._default_manager.filter(**{f"{field.name}_id__in": line_ids})
            .values_list(field.attname, flat=True)
            .distinct()
        )
    return named


def _lines_replace(order: SalesOrder, old_lines: list, new_lines: list) -> None:
    """Write a draft's new lines in place of the old ones.

    A draft never set back to draft (revision 0) has nothing pointing at its lines: they are deleted and inserted
    (two statements, whatever the count). An order set back to draft may have cancelled
    shipments and invoices naming its lines, so there line *i* keeps the row of old line
    *i* (updated in place), extra new lines are added and extra old ones deleted, unless a
    document names one (``sales.line_in_use``: the edit changes nothing)."""
    lines = SalesOrderLine.objects.for_company(order.company_id)
    if order.revision == 0:  # never set back to draft, so never on a document
        lines.filter(order=order).delete()
        SalesOrderLine.objects.bulk_create(new_lines)
        return
    old_lines = sorted(old_lines, key=lambda line: line.position)
    kept = min(len(old_lines), len(new_lines))
    removed = old_lines[kept:]
    named = _documents_naming(order.company_id, [line.pk for line in removed]) if removed else ()
    if named:
        positions = sorted(line.position for line in removed if line.pk in named)
        raise LineInUse(
            params={"positions": ", ".join(str(p) for p in positions)},
            details={"positions": positions},
        )
    if removed:
        lines.filter(pk__in=[line.pk for line in removed]).delete()
    now = timezone.now()
    for old, new in zip(old_lines[:kept], new_lines[:kept], strict=True):
        new.pk, new.created_at, new.updated_at = old.pk, old.created_at, now
    if kept:
        # positions are unique per order and may move: park the kept rows out of the way first
        parked = F("position") + len(old_lines) + len(new_lines) + 1
        lines.filter(pk__in=[line.pk for line in old_lines[:kept]]).update(position=parked)
        fields = [
            f.name
            for f in SalesOrderLine._meta.concrete_fields
            if not f.primary_key and f.name not in ("company", "created_at")
        ]
        lines.bulk_update(new_lines[:kept], fields)
    SalesOrderLine.objects.bulk_create(new_lines[kept:])


@transaction.atomic
def order_update(
    *, order: SalesOrder, actor, version: int, lines: list[dict] | None = None, **header
) -> SalesOrder:
    """Edit a draft: header fields and, when ``lines`` is given, the whole set of lines.

    ``version`` must be the version the user loaded; otherwise ``sales.stale_version`` with the
    current version in ``details``, and nothing changes. Non-drafts raise ``sales.not_editable``.
    """
    locked = _lock_draft(order, actor, version)
    new_customer = header.pop("customer", None)
    unknown = set(header) - set(HEADER_FIELDS)
    if unknown:
        raise TypeError(f"unknown order fields: {sorted(unknown)}")
    old_lines = _lines_of(locked)
    before = _snapshot(locked, old_lines)
    before["header"]["customer"] = str(locked.customer_id)
    customer_changed = new_customer is not None and _change_customer(
        locked, actor, new_customer, header
    )
    if header.get("order_date") in (None, ""):
        header.pop("order_date", None)
    date_before = locked.order_date
    _rate_header(locked, header, actor)
    _set_header(locked, header)
    if "order_date" in header or "valid_until" in header:
        _check_dates(locked, actor, date_before, header)
    if lines is not None:
        new_lines = _build_lines(locked, list(lines))
    else:
        new_lines = old_lines
        # what changes the lines' prices, rates or amounts rewrites them (the order discount
        # is in every line's amount)
        if customer_changed or {"currency", "price_list", "order_date", "discount_percent"} & set(
            header
        ):
            new_lines = _build_lines(
                locked, [_line_input(line) for line in old_lines], keep_prices=True
            )
            lines = []  # replace
    _apply_totals(locked, new_lines)
    locked.version += 1
    locked.save()
    if lines is not None:
        kits.forget(locked.company_id, old_lines)
        _lines_replace(locked, old_lines, new_lines)
        kits.snapshot(locked.company_id, new_lines)
    counters.order_progress_store(locked)
    after = _snapshot(locked, new_lines)
    after["header"]["customer"] = str(locked.customer_id)
    changes = audit.diff(before["header"], after["header"])
    if lines is not None:
        changes["lines"] = _lines_diff(before["lines"], after["lines"])
    audit.record(actor=actor, entity=locked, action="update", changes=changes)
    events.emit(
        type=OrderEvent.UPDATED, entity=locked, actor=actor, payload={"version": locked.version}
    )
    locked.warnings = _customer_reference_warning(locked)
    return locked
