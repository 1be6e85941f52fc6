"""The charts' y axis reads at 375 px: at most five values on it (pygal's default put up to
sixteen there, a label every 10K stacked into the ~150 px of plot a phone has), and the
trend chart's legend keeps "A year before" whole."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest

from ordercrm.analytics import periods
from ordercrm.web.dashboard import sales_chart_svg
from ordercrm.web.reports import trend_chart


def _y_labels(svg: str) -> list[str]:
    axis = re.search(
        r'<g class="axis y[^"]*">(.*?)</g>\s*</g>\s*<g class="axis|<g class="axis y[^"]*">(.*)',
        svg,
        re.S,
    )
    assert axis, "no y axis"
    block = axis.group(1) or axis.group(2)
    block = block.split('<g class="axis x')[0]
    return re.findall(r"<text[^>]*>([^<]+)</text>", block)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_trend_chart_has_few_y_labels(language):
    from django.utils import translation

    start = datetime.date(2026, 1, 1)
    trend = [
        (periods.period_of("month", periods.shift("month", start, i)), v, v // 2)
        for i, v in enumerate(
            Decimal(x) for x in (78, 112, 25, 107, 121, 19, 123, 18, 73, 47, 24, 37)
        )
    ]
    trend = [(p, v * 1000, y * 1000) for p, v, y in trend]
    report = SimpleNamespace(trend=trend, measure=SimpleNamespace(is_money=True), currency="CNY")
    with translation.override(language):
        svg = trend_chart(report, language)
    labels = _y_labels(svg)
    assert 3 <= len(labels) <= 6, labels
    if language == "en":
        assert "A year before" in svg
        assert "A year befo…" not in svg


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_dashboard_chart_has_few_y_labels(language):
    from django.utils import translation

    months = [
        SimpleNamespace(month=datetime.date(2026, m, 1), revenue=Decimal(r))
        for m, r in zip(range(7, 13), (140626, 38553, 66574, 53654, 27066, 89426), strict=True)
    ]
    with translation.override(language):
        svg = sales_chart_svg(months, currency="CNY", language=language)
    labels = _y_labels(svg)
    assert 3 <= len(labels) <= 6, labels
