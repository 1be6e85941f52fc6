"""Dates as a company sees them."""

from __future__ import annotations

import datetime
import zoneinfo

from django.utils import timezone


def company_today(company) -> datetime.date:
    """Today's date in the company's own time zone (``Company.timezone``), whatever the
    server's: an order, invoice or payment made at 07:30 in Shanghai is dated that day."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(company.timezone)).date()
