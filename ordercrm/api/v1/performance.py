"""API v1: sales performance. An order's credit splits, sales targets with their
attainment on the company's basis, and the leaderboard; the same services and selectors as
the Reports pages (``analytics.services``, ``analytics.performance``)."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpResponse
from ninja import Router, Status
from ninja.decorators import decorate_view

from ordercrm.analytics import performance, services
from ordercrm.analytics.models import TargetMetric
from ordercrm.api.base import version_from
from ordercrm.api.v1 import performance_schemas as s
from ordercrm.api.v1.common import order_of, parse_date, with_errors
from ordercrm.core.db import reading_from_replica
from ordercrm.core.exceptions import NotFound
from ordercrm.core.ids import parse_id
from ordercrm.core.money import plain, round_money

router = Router()


def splits_out(request, order) -> dict:
    shares = performance.order_credit_splits(request.access, order)
    return {
        "order_id": order.pk,
        "salesperson_id": order.salesperson_id,
        "shares": [
            {
                "salesperson_id": share.salesperson_id,
                "salesperson": share.salesperson.get_full_name() or share.salesperson.username,
                "team_id": share.team_id,
                "percent": share.percent,
            }
            for share in shares
        ],
    }


@router.get(
    "/orders/{order_id}/credit-splits",
    response=with_errors({200: s.CreditSplitOut}),
    tags=["performance"],
)
def credit_splits_get(request, order_id: str):
    """Who shares the order's sales credit (largest first); empty when its salesperson has
    it all."""
    return splits_out(request, order_of(request, order_id))


@router.put(
    "/orders/{order_id}/credit-splits",
    response=with_errors({200: s.CreditSplitOut}),
    tags=["performance"],
)
def credit_splits_set(request, order_id: str, body: s.CreditSplitIn):
    """Replace the order's shares (``target_edit``). Shares add up to 100
    (``analytics.split_not_whole`` with the ``total``); each salesperson once; an empty list
    gives the credit back to the order's salesperson. Attainment follows from the next
    refresh of the figures."""
    order = order_of(request, order_id)
    services.credit_split_set(
        order=order, actor=request.user, shares=[share.dict() for share in body.shares]
    )
    return splits_out(request, order)


def target_out(attainment, basis: str, currency: str) -> dict:
    target = attainment.target
    actual = attainment.actual
    if actual is not None:
        # a sum over the rollup: money at the currency's places, a quantity as typed
        amount = target.metric == TargetMetric.AMOUNT
        actual = round_money(actual, currency) if amount else Decimal(plain(actual))
    return {
        "id": target.pk,
        "salesperson_id": target.salesperson_id,
        "team_id": target.team_id,
        "owner": attainment.owner,
        "period_kind": target.period_kind,
        "period_start": attainment.first,
        "period_end": attainment.last,
        "metric": target.metric,
        "category_id": target.category_id,
        "value": target.value,
        "version": target.version,
        "basis": basis,
        "actual": actual,
        "percent": attainment.percent,
        "elapsed_percent": attainment.elapsed,
        "on_pace": attainment.on_pace,
    }


def _target_of(request, target_id: str):
    target = performance.visible_targets(request.access).filter(pk=parse_id(target_id)).first()
    if target is None:
        raise NotFound()
    return target


def _one(request, target) -> dict:
    (found,) = performance.attainments(request.access, [target])
    company = request.access.company
    return target_out(found, performance.basis_of(company), company.base_currency)


@router.get("/targets", response=with_errors({200: list[s.TargetOut]}), tags=["performance"])
def targets_list(request, period_kind: s.PeriodKindName | None = None, on: str | None = None):
    """Targets of the salespeople and teams in the caller's scope (a rep: their own) with
    attainment, latest period first (at most 500). ``on``: only the periods containing that
    day."""
    day = parse_date(on, "on")
    targets = performance.visible_targets(request.access)
    if period_kind:
        targets = targets.filter(period_kind=period_kind)
    rows = performance.attainments(
        request.access, targets.order_by("-period_start", "period_kind", "pk")[:500]
    )
    if day is not None:
        rows = [row for row in rows if row.first <= day <= row.last]
    company = request.access.company
    basis = performance.basis_of(company)
    return [target_out(row, basis, company.base_currency) for row in rows]


@router.get("/targets/{target_id}", response=with_errors({200: s.TargetOut}), tags=["performance"])
def targets_get(request, target_id: str):
    return _one(request, _target_of(request, target_id))


@router.post("/targets", response=with_errors({201: s.TargetOut}), tags=["performance"])
def targets_create(request, body: s.TargetIn):
    """A sales target (``target_edit``) of a salesperson or a team (exactly one) for a month,
    quarter or year, by amount or quantity, optionally for one category. A second target of
    the same owner, period, measure and category is ``analytics.target_exists``."""
    target = services.target_set(
        company=request.company,
        actor=request.user,
        salesperson=body.salesperson,
        team=body.team,
        period_kind=body.period_kind,
        period_start=parse_date(body.period_start, "period_start") or "",
        metric=body.metric,
        category=body.category,
        value=body.value,
    )
    return Status(201, _one(request, _target_of(request, target.pk)))


@router.patch(
    "/targets/{target_id}", response=with_errors({200: s.TargetOut}), tags=["performance"]
)
def targets_update(request, target_id: str, body: s.TargetPatch):
    """Change a target's period, measure, category or value; its owner stays. With the
    ``version`` (or If-Match): a stale one is ``core.conflict``."""
    target = _target_of(request, target_id)
    values = body.dict(exclude_unset=True)
    version = version_from(request, values.pop("version", None))
    start = values.get("period_start")
    services.target_set(
        company=request.company,
        actor=request.user,
        target=target,
        version=version,
        salesperson=target.salesperson_id,
        team=target.team_id,
        period_kind=values.get("period_kind") or target.period_kind,
        period_start=parse_date(start, "period_start") if start else target.period_start,
        metric=values.get("metric") or target.metric,
        category=values.get("category", target.category_id),
        value=values["value"] if values.get("value") is not None else target.value,
    )
    return _one(request, _target_of(request, target_id))


@router.delete("/targets/{target_id}", response=with_errors({204: None}), tags=["performance"])
def targets_delete(request, target_id: str):
    services.target_delete(target=_target_of(request, target_id), actor=request.user)
    return HttpResponse(status=204)


@router.get(
    "/performance/leaderboard",
    response=with_errors({200: s.LeaderboardOut}),
    tags=["performance"],
)
@decorate_view(reading_from_replica())
def leaderboard(request, period_kind: s.PeriodKindName = "month", on: str | None = None):
    """Salespeople in the caller's scope ranked by attainment of their amount target for the
    period containing ``on`` (default today), then by figure (``report_view``)."""
    from ordercrm.core.dates import company_today

    day = parse_date(on, "on") or company_today(request.company)
    first, last = performance.period_bounds(period_kind, day)
    standings, basis = performance.leaderboard(request.access, period_kind, first)
    currency = request.company.base_currency

    def money(amount):
        # The figures are sums over the rollup; they go out at the currency's places.
        return None if amount is None else round_money(amount, currency)

    return {
        "period_kind": period_kind,
        "first": first,
        "last": last,
        "basis": basis,
        "currency": currency,
        "standings": [
            {
                "rank": row.rank,
                "salesperson_id": row.salesperson_id,
                "name": row.name,
                "actual": money(row.actual),
                "target": money(row.target),
                "percent": row.percent,
                "booked": money(row.booked),
                "invoiced": money(row.invoiced),
                "collected": money(row.collected),
                "returned": money(row.returned),
                "credited": money(row.credited),
            }
            for row in standings
        ],
    }
