"""The reports section (``/reports/``): sales by period × dimension with comparisons, a pivot
with a heat map and drill-down to the orders behind a cell, exports; and the sales
performance pages (targets, attainment, leaderboard, own performance, appraisal export).

Thin: each view parses the query (``analytics.selectors.ReportQuery``), calls one selector
or service and renders. Charts are pygal SVG drawn on the server (no script, no CDN).
"""

from __future__ import annotations

import re

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from ordercrm.analytics import periods
from ordercrm.analytics import selectors as analytics
from ordercrm.core import spreadsheets
from ordercrm.core.db import reading_from_replica
from ordercrm.core.documents import Formatter
from ordercrm.core.exceptions import DomainError
from ordercrm.core.permissions import Perm
from ordercrm.web.decorators import member_view
from ordercrm.web.errors import error_lines


def _style():
    from pygal.style import Style

    return Style(
        background="transparent",
        plot_background="transparent",
        colors=("#1d4ed8", "#94a3b8", "#0f766e"),
        font_family="sans-serif",
        title_font_size=18,
        label_font_size=17,
        major_label_font_size=17,
        legend_font_size=17,
        value_font_size=16,
    )


def _svg(chart) -> str:
    # pygal embeds its (unused, js=[]) config as an inline script; drop it (strict CSP).
    return re.sub(r"<script\b.*?</script>", "", chart.render(is_unicode=True), flags=re.S)


def _chart_options():
    # drawn small and scaled by CSS, so the labels still read at 375 px (as the dashboard's)
    return {
        "style": _style(),
        "height": 300,
        "width": 420,
        "js": [],
        "disable_xml_declaration": True,
        "explicit_size": False,
        "legend_at_bottom": True,
        "show_y_guides": True,
        # at most five values on the y axis: pygal's default (up to 16) stacked a label every
        # 10K into 150 px at 375 px wide, unreadable
        "min_scale": 3,
        "max_scale": 5,
        # the legend's two entries each have half the width: "A year before" fits whole
        "truncate_legend": -1,
    }


def _short_label(period, formatter) -> str:
    if period.kind == "month":
        return formatter.month_short(period.start)
    if period.kind == "quarter":
        return f"Q{(period.start.month - 1) // 3 + 1} {period.start:%y}"
    if period.kind == "year":
        return str(period.start.year)
    return f"{period.start:%m-%d}"


def trend_chart(report, language: str) -> str:
    """A line per period: this range against the same periods a year before."""
    import pygal

    formatter = Formatter(language)
    chart = pygal.Line(
        **_chart_options(), x_label_rotation=0, show_minor_x_labels=False, truncate_label=-1
    )
    labels = [_short_label(p, formatter) for p, _v, _y in report.trend]
    chart.x_labels = labels
    # at most six labels shown, so they read on a phone's width
    chart.x_labels_major = labels[:: max(1, -(-len(labels) // 6))]
    if report.measure.is_money:
        chart.value_formatter = lambda v: formatter.compact_money(v, report.currency)
    chart.add(_("This period"), [float(v) for _p, v, _y in report.trend])
    chart.add(_("A year before"), [float(y) for _p, _v, y in report.trend])
    return _svg(chart)


def ranking_bars(report) -> list[dict]:
    """The top ten as bars drawn in HTML (a label above each bar reads on a phone, where an
    SVG axis of long product names left no room for the bars)."""
    top = report.rows[:10]
    peak = max((abs(row.value) for row in top), default=0)
    return [
        {"row": row, "width": round(float(abs(row.value) / peak) * 100, 1) if peak else 0}
        for row in top
    ]


def _query(request):
    return analytics.ReportQuery.parse(request.GET, request.access.company)


def _form_context(request, query) -> dict:
    return {
        "query": query,
        "kinds": [(k, analytics.KIND_LABELS[k]) for k in periods.KINDS],
        "dimensions": [(k, v[1]) for k, v in analytics.DIMENSIONS.items()],
        "pivot_columns": [(k, v[1]) for k, v in analytics.PIVOT_COLUMNS.items()],
        "measures": [(k, m.label) for k, m in analytics.MEASURES.items()],
        "can_targets": request.access.can(Perm.TARGET_EDIT),
    }


def _refused(request, template: str, error: DomainError):
    query = analytics.ReportQuery.parse({}, request.access.company)
    context = _form_context(request, query)
    context.update({"error": error, "lines": error_lines(error), "raw": request.GET})
    return render(request, template, context, status=422)


@member_view
@reading_from_replica()
def report(request):
    request.access.require(Perm.REPORT_VIEW)
    try:
        query = _query(request)
    except DomainError as error:
        return _refused(request, "web/reports/sales.html", error)
    result = analytics.sales_report(request.access, query, limit=25)
    context = _form_context(request, query)
    context.update(
        {
            "report": result,
            "trend_svg": trend_chart(result, request.LANGUAGE_CODE),
            "ranking": ranking_bars(result),
            "tab": "sales",
        }
    )
    return render(request, "web/reports/sales.html", context)


def _download(header, rows, name: str, fmt: str) -> HttpResponse:
    if fmt == "xlsx":
        response = HttpResponse(
            spreadsheets.write_xlsx(header, rows, title=name[:31]),
            content_type=spreadsheets.XLSX_CONTENT_TYPE,
        )
    else:
        fmt = "csv"
        response = HttpResponse(
            spreadsheets.write_csv(header, rows), content_type=spreadsheets.CSV_CONTENT_TYPE
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@member_view
@reading_from_replica()
def report_export(request, fmt: str):
    request.access.require(Perm.REPORT_VIEW)
    try:
        query = _query(request)
    except DomainError as error:
        return _refused(request, "web/reports/sales.html", error)
    result = analytics.sales_report(request.access, query, limit=10_000)
    header = [
        str(analytics.DIMENSIONS[query.dimension][1]),
        f"{result.measure.label} {query.first}–{query.last}",
        _("Previous period"),
        _("Change (%)"),
        _("A year before"),
        _("Change (%)"),
    ]
    rows = [
        [r.label, r.value, r.previous, r.change, r.last_year, r.change_year]
        for r in [*result.rows, result.total]
    ]
    return _download(header, rows, "sales-report", fmt)


@member_view
@reading_from_replica()
def pivot(request):
    request.access.require(Perm.REPORT_VIEW)
    try:
        query = _query(request)
    except DomainError as error:
        return _refused(request, "web/reports/pivot.html", error)
    table = analytics.pivot(request.access, query)
    rows = []
    for key in table.row_keys:
        cells = []
        for column in table.column_keys:
            value = table.value(key, column)
            share = float(abs(value) / table.peak) if table.peak else 0.0
            cells.append(
                {
                    "column": column,
                    "value": value,
                    # the heat map: a cell's shade grows with its share of the largest cell
                    "shade": round(share * 0.85, 2),
                    "dark": share > 0.55,
                    "params": _cell_params(query, key, column),
                }
            )
        rows.append({"key": key, "label": table.row_labels.get(key, str(key)), "cells": cells})
    context = _form_context(request, query)
    context.update({"table": table, "rows": rows, "tab": "pivot"})
    return render(request, "web/reports/pivot.html", context)


def _cell_params(query, row_key, column_key) -> str:
    from urllib.parse import urlencode

    params = query.params()
    params[query.dimension] = str(row_key)
    # a period cell is ``at`` (``period`` already names the period kind)
    params["at" if query.columns == "period" else query.columns] = (
        column_key.isoformat() if hasattr(column_key, "isoformat") else str(column_key)
    )
    return urlencode(params)


@member_view
@reading_from_replica()
def pivot_export(request, fmt: str):
    request.access.require(Perm.REPORT_VIEW)
    try:
        query = _query(request)
    except DomainError as error:
        return _refused(request, "web/reports/pivot.html", error)
    table = analytics.pivot(request.access, query, max_rows=10_000, max_columns=400)
    header = [
        str(analytics.DIMENSIONS[query.dimension][1]),
        *[str(table.column_labels.get(c, c)) for c in table.column_keys],
        _("Total"),
    ]
    rows = [
        [
            table.row_labels.get(k, str(k)),
            *[table.value(k, c) for c in table.column_keys],
            table.row_totals.get(k),
        ]
        for k in table.row_keys
    ]
    return _download(header, rows, "sales-pivot", fmt)


@member_view
@reading_from_replica()
def drill(request):
    request.access.require(Perm.REPORT_VIEW)
    try:
        query = _query(request)
        cell = {
            name: request.GET[name]
            for name in analytics.DIMENSIONS
            if request.GET.get(name) not in (None, "")
        }
        if request.GET.get("at"):
            cell["period"] = request.GET["at"]
        found = analytics.drill_down(request.access, query, cell)
    except DomainError as error:
        return _refused(request, "web/reports/drill.html", error)
    described = []
    for name, value in cell.items():
        if name == "period":
            described.append(
                (
                    analytics.PIVOT_COLUMNS[name][1],
                    periods.label(
                        periods.period_of(query.kind, found_period(value)),
                        Formatter(request.LANGUAGE_CODE),
                    ),
                )
            )
        else:
            names = analytics.labels(request.access.company, name, [_key(value)])
            described.append((analytics.PIVOT_COLUMNS[name][1], names.get(_key(value), value)))
    context = _form_context(request, query)
    context.update(
        {
            "orders": found,
            "cell": described,
            "total": sum((r.value for r in found), 0),
            "currency": request.access.company.base_currency,
            "as_of": analytics.data_as_of(request.access),
            "measure": analytics.MEASURES[query.measure],
            "back": query.params(),
            "tab": "pivot",
        }
    )
    return render(request, "web/reports/drill.html", context)


def found_period(value: str):
    import datetime

    return datetime.date.fromisoformat(value)


def _key(value: str):
    from uuid import UUID

    if value == analytics.NONE:
        return value
    try:
        return UUID(value)
    except ValueError:
        return value


# ---------------------------------------------------------------- sales performance


def _period_choice(request):
    """The period kind and start from ``?kind=&start=`` (default: this month)."""
    import datetime

    from ordercrm.core.dates import company_today
    from ordercrm.core.exceptions import ValidationFailed

    kind = request.GET.get("kind") or "month"
    if kind not in ("month", "quarter", "year"):
        raise ValidationFailed(
            details={"fields": {"kind": [_("Choose a month, quarter or year.")]}}
        )
    raw = (request.GET.get("start") or "").strip()
    try:
        day = datetime.date.fromisoformat(raw) if raw else company_today(request.access.company)
    except ValueError:
        raise ValidationFailed(
            details={"fields": {"start": [_("Enter a valid date (YYYY-MM-DD).")]}}
        ) from None
    return kind, periods.start_of(kind, day)


def _target_form_context(request) -> dict:
    from ordercrm.accounts.models import Membership, SalesTeam
    from ordercrm.analytics.models import PeriodKind, TargetMetric
    from ordercrm.catalog.models import Category

    company = request.access.company
    return {
        "people": Membership.objects.filter(company=company, is_active=True)
        .filter(request.access.owner_filter("user"))
        .select_related("user")
        .order_by("user__username"),
        "teams": SalesTeam.objects.for_company(company).order_by("name"),
        "categories": Category.objects.for_company(company).order_by("name"),
        "period_kinds": PeriodKind.choices,
        "metrics": TargetMetric.choices,
    }


@member_view
def targets(request):
    """Targets in scope with their attainment; managers add, change and remove them."""
    from ordercrm.analytics import performance, services
    from ordercrm.analytics.models import Basis, SalesTarget

    access = request.access
    access.require(Perm.ORDER_VIEW)
    errors, lines, status = None, [], 200
    if request.method == "POST":
        access.require(Perm.TARGET_EDIT)
        try:
            if request.POST.get("delete"):
                target = (
                    performance.visible_targets(access)
                    .filter(pk=_key(request.POST["delete"]))
                    .first()
                )
                if target is not None:
                    services.target_delete(target=target, actor=request.user)
            elif request.POST.get("basis"):
                services.performance_basis_set(
                    company=access.company, actor=request.user, basis=request.POST["basis"]
                )
            else:
                import datetime

                raw_start = (request.POST.get("period_start") or "").strip()
                try:
                    start = datetime.date.fromisoformat(raw_start)
                except ValueError:
                    start = raw_start
                owner = request.POST.get("owner") or ""
                kind, _sep, ident = owner.partition(":")
                services.target_set(
                    company=access.company,
                    actor=request.user,
                    salesperson=ident if kind == "user" else None,
                    team=ident if kind == "team" else None,
                    period_kind=request.POST.get("period_kind") or "",
                    period_start=start,
                    metric=request.POST.get("metric") or "amount",
                    category=request.POST.get("category") or None,
                    value=request.POST.get("value"),
                )
            from django.shortcuts import redirect

            return redirect(request.get_full_path())
        except DomainError as error:
            errors, lines, status = error, error_lines(error), 422
    rows = performance.attainments(
        access, performance.visible_targets(access).order_by("-period_start", "period_kind")[:200]
    )
    context = {
        "rows": rows,
        "basis": performance.basis_of(access.company),
        "bases": Basis.choices,
        "can_edit": access.can(Perm.TARGET_EDIT),
        "currency": access.company.base_currency,
        "error": errors,
        "lines": lines,
        "posted": request.POST if request.method == "POST" else {},
        "tab": "targets",
        "target_count": SalesTarget.objects.for_company(access.company).count(),
    }
    if context["can_edit"]:
        context.update(_target_form_context(request))
    return render(request, "web/reports/targets.html", context, status=status)


@member_view
@reading_from_replica()
def leaderboard(request):
    from ordercrm.analytics import performance

    request.access.require(Perm.REPORT_VIEW)
    try:
        kind, start = _period_choice(request)
    except DomainError as error:
        return render(
            request,
            "web/reports/leaderboard.html",
            {"error": error, "lines": error_lines(error), "tab": "leaderboard"},
            status=422,
        )
    standings, basis = performance.leaderboard(request.access, kind, start)
    first, last = performance.period_bounds(kind, start)
    return render(
        request,
        "web/reports/leaderboard.html",
        {
            "standings": standings,
            "basis": basis,
            "kind": kind,
            "start": start,
            "first": first,
            "last": last,
            "previous": periods.shift(kind, start, -1),
            "next": periods.shift(kind, start, 1),
            "currency": request.access.company.base_currency,
            "as_of": analytics.data_as_of(request.access),
            "tab": "leaderboard",
        },
    )


@member_view
@reading_from_replica()
def appraisal_export(request, fmt: str):
    """Per salesperson for a period: booked, invoiced, collected, returns, credit notes,
    target and attainment (``report_view``, scoped)."""
    from ordercrm.analytics import performance

    request.access.require(Perm.REPORT_VIEW)
    try:
        kind, start = _period_choice(request)
    except DomainError:
        return leaderboard(request)
    standings, _basis = performance.leaderboard(request.access, kind, start)
    first, last = performance.period_bounds(kind, start)
    header = [
        _("Rank"),
        _("Salesperson"),
        _("From"),
        _("To"),
        _("Booked"),
        _("Net invoiced"),
        _("Collected"),
        _("Returns"),
        _("Credit notes"),
        _("Sales target"),
        _("Attainment (%)"),
    ]
    rows = [
        [
            s.rank,
            s.name,
            first,
            last,
            s.booked,
            s.invoiced,
            s.collected,
            s.returned,
            s.credited,
            s.target,
            s.percent,
        ]
        for s in standings
    ]
    return _download(header, rows, f"appraisal-{first.isoformat()}", fmt)


@member_view
@reading_from_replica()
def my_performance(request):
    """A salesperson's own figures: targets of the running month, quarter and year with
    attainment, and the last twelve months on the company's basis."""
    import pygal

    from ordercrm.analytics import performance

    access = request.access
    access.require(Perm.ORDER_VIEW)
    rows = performance.attainments(access, performance.own_targets(access))
    months = performance.my_months(access)
    formatter = Formatter(request.LANGUAGE_CODE)
    chart = pygal.Bar(
        **_chart_options(), show_legend=False, truncate_label=-1, show_minor_x_labels=False
    )
    chart.x_labels = [formatter.month_short(m) for m, _v in months]
    chart.x_labels_major = chart.x_labels[::2]
    chart.value_formatter = lambda v: formatter.compact_money(v, access.company.base_currency)
    chart.add(_("My sales"), [float(v) for _m, v in months])
    return render(
        request,
        "web/reports/mine.html",
        {
            "rows": rows,
            "months": months,
            "chart": _svg(chart),
            "basis": performance.basis_of(access.company),
            "currency": access.company.base_currency,
            "as_of": analytics.data_as_of(access),
            "tab": "mine",
        },
    )


SPLIT_ROWS_MIN = 3
SPLIT_ROWS_MAX = 8


def _posted_shares(request) -> list[tuple[int, str, str]]:
    """The form's filled rows as (row, salesperson id, percent); empty rows are left out."""
    rows = []
    for index in range(SPLIT_ROWS_MAX):
        person = (request.POST.get(f"salesperson_{index}") or "").strip()
        percent = (request.POST.get(f"percent_{index}") or "").strip()
        if person or percent:
            rows.append((index, person, percent))
    return rows


@member_view
def credit_split(request, order_id):
    """Share an order's sales credit between salespeople (``target_edit``: managers). The
    service checks the shares; its problems are shown beside the row they are about."""
    from django.contrib import messages
    from django.shortcuts import redirect

    from ordercrm.analytics import performance, services
    from ordercrm.sales import selectors as sales_selectors

    access = request.access
    access.require(Perm.TARGET_EDIT)
    order = sales_selectors.order_get(access, order_id)
    splits = performance.order_credit_splits(access, order)
    error, lines, row_errors, status = None, [], {}, 200
    if request.method == "POST":
        posted = [] if request.POST.get("clear") else _posted_shares(request)
        try:
            services.credit_split_set(
                order=order,
                actor=request.user,
                shares=[{"salesperson": p, "percent": v} for _i, p, v in posted],
            )
        except DomainError as refused:
            error, status = refused, 422
            lines = [refused.text]
            details = refused.details or {}
            if "total" in details:
                lines.append(_("The shares add up to %(total)s %%.") % {"total": details["total"]})
            for field, problems in (details.get("fields") or {}).items():
                prefix, position, _name = ([*field.split("."), "", ""])[:3]
                if prefix == "shares" and position.isdigit() and int(position) < len(posted):
                    row = posted[int(position)][0]
                    row_errors.setdefault(row, []).extend(problems)
                else:
                    lines += list(problems)
            rows = [
                {"salesperson": "", "percent": "", "errors": []} for _n in range(SPLIT_ROWS_MAX)
            ]
            for index, person, percent in posted:
                rows[index] = {"salesperson": person, "percent": percent, "errors": []}
            for index, problems in row_errors.items():
                rows[index]["errors"] = problems
            count = max(SPLIT_ROWS_MIN, max((i for i, _p, _v in posted), default=0) + 2)
            rows = rows[: min(SPLIT_ROWS_MAX, count)]
        else:
            if posted:
                messages.success(request, _("The sales credit is shared as entered."))
            else:
                messages.success(request, _("The order's salesperson has all of its credit."))
            return redirect("order_detail", order.pk)
    else:
        rows = [
            {"salesperson": str(s.salesperson_id), "percent": f"{s.percent.normalize():f}"}
            for s in splits
        ]
        if not rows and order.salesperson_id:
            rows = [{"salesperson": str(order.salesperson_id), "percent": "100"}]
        count = min(SPLIT_ROWS_MAX, max(SPLIT_ROWS_MIN, len(rows) + 1))
        rows += [{"salesperson": "", "percent": ""} for _n in range(count - len(rows))]
    for index, row in enumerate(rows):
        row["index"] = index
    context = {
        "order": order,
        "splits": splits,
        "rows": rows,
        "people": performance.split_candidates(access, order, splits),
        "error": error,
        "lines": lines,
    }
    return render(request, "web/reports/credit_split.html", context, status=status)
