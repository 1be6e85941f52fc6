"""The dashboard: what needs the user's attention now, by what their role may do, and this
month's sales against last month with a chart."""

from __future__ import annotations

import re

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from ordercrm.core.db import reading_from_replica
from ordercrm.core.documents import Formatter
from ordercrm.core.permissions import Perm
from ordercrm.web.decorators import member_view

CHART_MONTHS = 6


def sales_chart_svg(months, *, currency: str, language: str) -> str:
    """Orders and revenue per month as an inline SVG bar chart (pygal, no script, no CDN)."""
    import pygal
    from pygal.style import Style

    formatter = Formatter(language)
    style = Style(
        background="transparent",
        plot_background="transparent",
        colors=("#1d4ed8", "#0f766e"),
        font_family="sans-serif",
        title_font_size=18,
        label_font_size=17,
        major_label_font_size=17,
        legend_font_size=17,
        value_font_size=16,
    )
    # Drawn small and scaled by CSS: at 375 px the labels still read at ~10 px (at 720 wide
    # they shrank to 5 px on a phone); the page caps the height, so a desktop sees ~17 px.
    chart = pygal.Bar(
        style=style,
        height=300,
        width=420,
        js=[],  # pygal would otherwise load its tooltip script from a CDN
        disable_xml_declaration=True,
        explicit_size=False,
        truncate_label=-1,  # a month's name is short; never "202…"
        legend_at_bottom=True,
        print_values=False,
        show_y_guides=True,
        secondary_range=None,
        # at most five values on the y axis (pygal's default of up to 16 overlapped at 375 px)
        min_scale=3,
        max_scale=5,
    )
    chart.title = _("Revenue by month (%(currency)s)") % {"currency": currency}
    # Six short month names fit a phone (Jul … Dec / 7月 … 12月); the table has the years.
    chart.x_labels = [formatter.month_short(m.month) for m in months]
    # The axis reads at a glance in the compact form (¥200K, ¥20万); the table below the
    # chart has the exact figures.
    chart.value_formatter = lambda value: formatter.compact_money(value, currency)
    chart.add(_("Revenue"), [float(m.revenue) for m in months])
    # pygal always embeds its (unused, with js=[]) config as an inline script; drop it so the
    # page stays free of scripts a strict Content-Security-Policy would block.
    return re.sub(r"<script\b.*?</script>", "", chart.render(is_unicode=True), flags=re.S)


@member_view
@reading_from_replica()
def home(request):
    from ordercrm.billing import selectors as billing_selectors
    from ordercrm.catalog import selectors as catalog_selectors
    from ordercrm.customers import selectors as customer_selectors
    from ordercrm.fulfilment import selectors as fulfilment_selectors
    from ordercrm.sales import selectors as sales_selectors

    access = request.access
    today = timezone.localdate()
    context: dict = {"today": today}
    if access.can(Perm.CUSTOMER_VIEW):
        context["customer_count"] = customer_selectors.customer_list(access).count()
    if access.can(Perm.PRODUCT_VIEW):
        context["product_count"] = catalog_selectors.product_list(access).count()
    if access.can(Perm.ORDER_VIEW):
        if access.can(Perm.ORDER_EDIT):
            context["my_orders"] = list(sales_selectors.my_open_orders(access))
        if access.can(Perm.ORDER_APPROVE):
            context["awaiting"] = list(sales_selectors.approval_inbox(access)[:10])
        if access.can(Perm.SHIPMENT_EDIT):
            queue = fulfilment_selectors.to_ship_queue(access)
            context["to_ship_count"] = queue.count()
            context["to_ship"] = list(queue[:10])
        context["overdue"] = list(billing_selectors.overdue_invoices(access, today)[:10])
        for invoice in context["overdue"]:
            invoice.days_overdue = billing_selectors.days_overdue(invoice, today)
        context["recent"] = list(sales_selectors.recent_orders(access))
        months = sales_selectors.monthly_sales(access, today=today, months=CHART_MONTHS)
        this, last = months[-1], months[-2]
        context["this_month"], context["last_month"] = this, last
        context["revenue_change"] = _change(this.revenue, last.revenue)
        context["orders_change"] = _change(this.orders, last.orders)
        context["currency"] = access.company.base_currency
        context["chart"] = sales_chart_svg(
            months, currency=access.company.base_currency, language=request.LANGUAGE_CODE
        )
        context["months"] = months
        # the performance tile: the user's own month (their share of shared orders) on the
        # company's basis, against their month target when they have one
        from ordercrm.analytics import performance

        mine = performance.attainments(
            access, performance.own_targets(access).filter(period_kind="month", team__isnull=True)
        )
        context["my_target"] = mine[0] if mine else None
        context["my_month"] = performance.my_months(access, months=1)[-1][1]
    return render(request, "web/home.html", context)


def _change(now, before) -> int | None:
    """Percent change against last month, or None when last month had nothing."""
    if not before:
        return None
    return round((now - before) * 100 / before)
