"""Writes of the sales-performance side: credit splits, targets, the attainment basis.

Each is one transaction: check the right → lock → check → change → audit → event. The facts
themselves are written only by ``refresh`` (from the events these services emit too).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ordercrm.accounts.access import access_for
from ordercrm.accounts.models import Membership, SalesTeam
from ordercrm.analytics import periods
from ordercrm.analytics.exceptions import SplitNotWhole, TargetExists
from ordercrm.analytics.models import (
    Basis,
    CreditSplit,
    PerformanceSettings,
    PeriodKind,
    SalesTarget,
    TargetMetric,
)
from ordercrm.catalog.models import Category
from ordercrm.core import audit, events
from ordercrm.core.exceptions import Conflict, NotFound, ValidationFailed
from ordercrm.core.ids import parse_id
from ordercrm.core.permissions import Perm
from ordercrm.core.validation import FieldErrors, bounded_decimal, reason

HUNDRED = Decimal(100)
SPLIT_EVENT = "order.credit_split_set"


def _member(company, user_or_id) -> Membership:
    try:
        user_id = getattr(user_or_id, "pk", None) or parse_id(user_or_id)
    except NotFound:
        user_id = None
    membership = (
        Membership.objects.filter(company=company, user_id=user_id, is_active=True)
        .select_related("user")
        .first()
        if user_id
        else None
    )
    if membership is None:
        raise ValidationFailed(details={"fields": {"salesperson": [_("Choose a salesperson.")]}})
    return membership


@transaction.atomic
def credit_split_set(*, order, actor, shares: list[dict[str, Any]]) -> list[CreditSplit]:
    """Share an order's sales credit between salespeople: ``[{"salesperson", "percent"}]``
    adding up to 100 (each share's team is the salesperson's team). An empty list gives the
    order back to its salesperson alone. Needs ``target_edit`` and the order in the actor's
    scope. Refused, each problem under ``shares.<index>.salesperson|percent``: an unknown
    salesperson, a share not in (0, 100], the same person twice; then shares not adding up
    to 100 (``analytics.split_not_whole``, with the ``total``)."""
    from ordercrm.sales import selectors as sales_selectors

    access = access_for(actor, order.company)
    access.require(Perm.TARGET_EDIT)
    order = sales_selectors.order_get(access, order.pk)
    errors = FieldErrors()
    parsed, seen = [], set()
    for index, raw in enumerate(shares):
        try:
            membership = _member(order.company, raw.get("salesperson"))
        except ValidationFailed:
            errors.add(f"shares.{index}.salesperson", _("Choose a salesperson."))
            membership = None
        percent = errors.decimal(
            f"shares.{index}.percent",
            raw.get("percent"),
            column=CreditSplit._meta.get_field("percent"),
        )
        if percent is not None and not (0 < percent <= HUNDRED):
            errors.add(f"shares.{index}.percent", _("Enter a share above 0 and at most 100."))
        if membership is not None:
            if membership.user_id in seen:
                errors.add(f"shares.{index}.salesperson", _("Each salesperson once."))
            seen.add(membership.user_id)
        parsed.append((membership, percent))
    errors.raise_if_any()
    if parsed and sum((p for _m, p in parsed), Decimal(0)) != HUNDRED:
        raise SplitNotWhole(details={"total": str(sum((p for _m, p in parsed), Decimal(0)))})
    existing = list(
        CreditSplit.objects.for_company(order.company).select_for_update().filter(order=order)
    )
    before = {str(s.salesperson_id): str(s.percent) for s in existing}
    after = {str(m.user_id): str(p) for m, p in parsed}
    if before == after:
        return existing
    CreditSplit.objects.for_company(order.company).filter(order=order).delete()
    made = CreditSplit.objects.bulk_create(
        [
            CreditSplit(
                company=order.company,
                order=order,
                salesperson_id=m.user_id,
                team_id=m.team_id,
                percent=p,
            )
            for m, p in parsed
        ]
    )
    audit.record(
        actor=actor, entity=order, action="credit_split", changes={"shares": [before, after]}
    )
    events.emit(type=SPLIT_EVENT, entity=order, actor=actor, payload={"shares": after})
    return made


def _owner(company, salesperson, team):
    if bool(salesperson) == bool(team):
        raise ValidationFailed(
            details={"fields": {"salesperson": [_("Choose a salesperson or a team.")]}}
        )
    if salesperson:
        return _member(company, salesperson).user, None
    try:
        team_id = getattr(team, "pk", None) or parse_id(team)
    except NotFound:
        team_id = None
    found = SalesTeam.objects.for_company(company).filter(pk=team_id).first() if team_id else None
    if found is None:
        raise ValidationFailed(details={"fields": {"team": [_("Choose a sales team.")]}})
    return None, found


@transaction.atomic
def target_set(
    *,
    company,
    actor,
    salesperson=None,
    team=None,
    period_kind: str,
    period_start,
    value,
    metric: str = TargetMetric.AMOUNT,
    category=None,
    target: SalesTarget | None = None,
    version: int | None = None,
) -> SalesTarget:
    """Create a sales target (``target`` None) or change one (with its ``version``). The
    period start is moved to the start of its month, quarter or year. Needs
    ``target_edit``. Refused: neither or both of salesperson and team, an unknown period
    kind, measure or category, a value that is not above zero, a second target of the same
    owner, period, measure and category (``analytics.target_exists``), a stale version
    (``core.conflict``)."""
    access_for(actor, company).require(Perm.TARGET_EDIT)
    errors = FieldErrors()
    if period_kind not in PeriodKind.values:
        errors.add("period_kind", _("Choose a month, quarter or year."))
    if metric not in TargetMetric.values:
        errors.add("metric", _("Choose amount or quantity."))
    if not hasattr(period_start, "year"):
        errors.add("period_start", _("Enter a date."))
    try:
        number = bounded_decimal(value, SalesTarget, "value")
        if number <= 0:
            errors.add("value", _("Enter an amount greater than zero."))
    except (TypeError, ValueError) as error:
        errors.add("value", reason(error))
    found_category = None
    if category:
        try:
            category_id = getattr(category, "pk", None) or parse_id(category)
        except NotFound:
            category_id = None
        found_category = (
            Category.objects.for_company(company).filter(pk=category_id).first()
            if category_id
            else None
        )
        if found_category is None:
            errors.add("category", _("Choose a category."))
    errors.raise_if_any()
    person, found_team = _owner(company, salesperson, team)
    start = periods.start_of(period_kind, period_start)
    values = {
        "salesperson": person,
        "team": found_team,
        "period_kind": period_kind,
        "period_start": start,
        "metric": metric,
        "category": found_category,
        "value": number,
    }
    if target is None:
        row = SalesTarget(company=company, **values)
        before = {}
    else:
        row = (
            SalesTarget.objects.for_company(company)
            .select_for_update()
            .filter(pk=target.pk)
            .first()
        )
        if row is None:
            raise NotFound()
        if version is not None and int(version) != row.version:
            raise Conflict(details={"version": row.version})
        before = {k: str(getattr(row, k)) for k in values}
        for key, new in values.items():
            setattr(row, key, new)
        row.version += 1
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise TargetExists() from None
    audit.record(
        actor=actor,
        entity=row,
        action="create" if not before else "update",
        changes={k: [before.get(k), str(getattr(row, k))] for k in values},
    )
    events.emit(
        type="sales_target.set",
        entity=row,
        actor=actor,
        payload={"period_start": start.isoformat(), "value": str(number)},
    )
    return row


@transaction.atomic
def target_delete(*, target: SalesTarget, actor) -> None:
    access_for(actor, target.company).require(Perm.TARGET_EDIT)
    row = (
        SalesTarget.objects.for_company(target.company_id)
        .select_for_update()
        .filter(pk=target.pk)
        .first()
    )
    if row is None:
        return
    audit.record(
        actor=actor, entity=row, action="delete", changes={"value": [str(row.value), None]}
    )
    events.emit(type="sales_target.deleted", entity=row, actor=actor, payload={})
    row.delete()


@transaction.atomic
def performance_basis_set(*, company, actor, basis: str) -> PerformanceSettings:
    """The basis attainment is measured on: booked, invoiced or collected."""
    access_for(actor, company).require(Perm.TARGET_EDIT)
    if basis not in Basis.values:
        raise ValidationFailed(details={"fields": {"basis": [_("Choose a basis.")]}})
    row, _created = PerformanceSettings.objects.select_for_update().get_or_create(company=company)
    if row.basis != basis:
        audit.record(
            actor=actor,
            entity=company,
            action="performance_basis",
            changes={"basis": [row.basis, basis]},
        )
        row.basis = basis
        row.save()
    return row
