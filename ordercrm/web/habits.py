"""Purchase habits and market demand pages (``/reports/habits/``): customers due to reorder
and lapsing by their own rhythm, RFM segment counts, demand forecasts with stock cover and
reorder suggestions, and the bought-together panel of order entry. Every figure comes from
``analytics.habits.selectors``, scoped to the viewer; these views only render."""

from __future__ import annotations

import re

from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _

from ordercrm.analytics.habits import selectors
from ordercrm.core.dates import company_today
from ordercrm.core.db import reading_from_replica
from ordercrm.core.documents import Formatter
from ordercrm.core.permissions import Perm
from ordercrm.web.decorators import member_view

CHART_HISTORY_MONTHS = 12


def _tabs(request, current: str) -> dict:
    return {"tab": current, "can_see_demand": request.access.can(Perm.REPORT_VIEW)}


@member_view
@reading_from_replica()
def due_list(request):
    return _list(request, "due")


@member_view
@reading_from_replica()
def lapsing_list(request):
    return _list(request, "lapsing")


def _list(request, kind: str):
    access = request.access
    access.require(Perm.ORDER_VIEW)
    formatter = Formatter(request.LANGUAGE_CODE)
    rows, as_of = selectors.habit_list(access, kind)
    context = {
        "kind": kind,
        "rows": [
            {
                "customer": customer,
                "rhythm": rhythm,
                "segment": selectors.rfm.LABELS[segment] if segment else "",
                "explanation": rhythm.explanation(formatter),
            }
            for customer, rhythm, segment in rows
        ],
        "segments": selectors.segment_counts(access),
        "as_of": as_of,
        "today": company_today(access.company),
        **_tabs(request, kind),
    }
    return render(request, "web/habits/list.html", context)


@member_view
def demand_page(request):
    access = request.access
    report, as_of = selectors.demand_report(access, wait=False)
    if report is None:  # the worker is computing the forecasts (seconds)
        return render(
            request, "web/habits/demand.html", {"computing": True, **_tabs(request, "demand")}
        )
    rows = report["categories"] + report["products"]
    shown = request.GET.get("show", "")
    chosen = next((r for r in rows if str(r.key) == shown), rows[0] if rows else None)
    chart = (
        demand_chart_svg(chosen, report["months"], report["future"], request.LANGUAGE_CODE)
        if chosen
        else ""
    )
    context = {
        **report,
        "chosen": chosen,
        "chart": chart,
        "as_of": as_of,
        **_tabs(request, "demand"),
    }
    return render(request, "web/habits/demand.html", context)


def demand_chart_svg(row, months, future, language: str) -> str:
    """The last months of demand and the forecast with its interval, as an inline SVG line
    chart (pygal, no script, no CDN — as the dashboard's chart)."""
    import pygal
    from pygal.style import Style

    formatter = Formatter(language)
    style = Style(
        background="transparent",
        plot_background="transparent",
        colors=("#1d4ed8", "#b45309", "#d6a35c", "#d6a35c"),
        font_family="sans-serif",
        label_font_size=17,
        major_label_font_size=17,
        legend_font_size=17,
        title_font_size=18,
    )
    chart = pygal.Line(
        style=style,
        height=300,
        width=420,
        js=[],
        disable_xml_declaration=True,
        explicit_size=False,
        legend_at_bottom=True,
        show_dots=True,
        dots_size=2,
        x_label_rotation=0,
        show_minor_x_labels=False,
        truncate_label=-1,
        y_labels_major_count=5,
        show_minor_y_labels=False,
        min_scale=3,
        max_scale=5,
    )
    history = row.history[-CHART_HISTORY_MONTHS:]
    past = months[-len(history) :] if history else []
    labels = [formatter.month_short(m) for m in past + future]
    chart.x_labels = labels
    chart.x_labels_major = labels[:: max(1, len(labels) // 5)]
    pad = [None] * len(history)
    last = [history[-1]] if history else []
    chart.value_formatter = lambda value: formatter.quantity(_whole(value))
    chart.add(_("Ordered"), history + [None] * len(future))
    chart.add(_("Forecast"), pad[:-1] + last + row.forecast.mean)
    chart.add(_("Low (80%)"), pad + row.forecast.low, stroke_style={"dasharray": "4,4"})
    chart.add(_("High (80%)"), pad + row.forecast.high, stroke_style={"dasharray": "4,4"})
    return re.sub(r"<script\b.*?</script>", "", chart.render(is_unicode=True), flags=re.S)


def _whole(value):
    from decimal import Decimal

    return Decimal(round(value or 0))


@member_view
def order_suggestions(request):
    """The bought-together panel of order entry (an htmx fragment): reads ``customer`` and
    the ``sku`` values of the entry form."""
    access = request.access
    if not access.can(Perm.ORDER_EDIT):
        return render(request, "web/habits/suggest.html", {"suggestions": None})
    suggestions = selectors.order_suggestions(
        access,
        customer_id=_uuid_or_none(request.GET.get("customer", "")),
        skus=request.GET.getlist("sku"),
    )
    return render(request, "web/habits/suggest.html", {"suggestions": suggestions})


def _uuid_or_none(text: str):
    from ordercrm.core.exceptions import NotFound
    from ordercrm.core.ids import parse_id

    try:
        return parse_id(text) if text else None
    except NotFound:  # an unreadable id is no customer: the panel shows products only
        return None


urlpatterns = [
    path("", due_list, name="habits_due"),
    path("lapsing/", lapsing_list, name="habits_lapsing"),
    path("demand/", demand_page, name="habits_demand"),
    path("suggestions", order_suggestions, name="habits_suggestions"),
]
