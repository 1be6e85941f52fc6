"""A customer's own ordering rhythm, and where they stand against it (pure, no database).

The rhythm is the median number of days between the customer's order days (several orders
on one day are one purchase), with the interquartile range as its spread. From it:

- the **next expected order** = last order day + median interval;
- **due to reorder**: from ``lead`` days before that date until ``tolerance`` days after it;
- **lapsing**: later than that, up to ``max(median + 3 × tolerance, 2 × median)`` days;
- **lapsed**: longer still;
- **regular**: not yet due; **new**: fewer than ``MIN_DAYS`` order days, so no rhythm yet.

``tolerance = max(q3 − median, 25 % of the median, 3 days)`` and ``lead = max(15 % of the
median, 3 days)``: a customer who orders like clockwork is flagged sooner than one whose
intervals scatter, and a weekly buyer sooner than a quarterly one — each by their own rhythm,
not one threshold for all.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

MIN_DAYS = 3  # order days needed for a rhythm (two intervals)


class Standing:
    NEW = "new"
    REGULAR = "regular"
    DUE = "due"
    LAPSING = "lapsing"
    LAPSED = "lapsed"

    LABELS = {
        NEW: pgettext_lazy("purchase rhythm", "New"),
        REGULAR: pgettext_lazy("purchase rhythm", "On rhythm"),
        DUE: gettext_lazy("Due to reorder"),
        LAPSING: gettext_lazy("Lapsing"),
        LAPSED: gettext_lazy("Lapsed"),
    }


@dataclass(frozen=True)
class CustomerStats:
    """One customer's booked orders, as the SQL in ``queries`` sums them."""

    customer_id: object
    orders: int  # booked orders
    days: int  # distinct order days ("purchases")
    first: datetime.date
    last: datetime.date
    amount: Decimal  # net, company currency
    median_gap: float | None = None  # days between order days
    q1_gap: float | None = None
    q3_gap: float | None = None
    first_amount: Decimal = Decimal(0)  # the first order day's net (CLV uses repeat ones)
    r: int | None = None  # RFM scores, 1 (worst) … 5 (best)
    f: int | None = None
    m: int | None = None


@dataclass(frozen=True)
class Rhythm:
    stats: CustomerStats
    today: datetime.date

    @property
    def since_last(self) -> int:
        return (self.today - self.stats.last).days

    @property
    def has_rhythm(self) -> bool:
        return self.stats.days >= MIN_DAYS and self.stats.median_gap is not None

    @property
    def median(self) -> int | None:
        return max(1, round(self.stats.median_gap)) if self.has_rhythm else None

    @property
    def spread(self) -> tuple[int, int] | None:
        """The usual range of intervals (first to third quartile), in days."""
        if not self.has_rhythm:
            return None
        return round(self.stats.q1_gap), round(self.stats.q3_gap)

    @property
    def tolerance(self) -> int | None:
        if not self.has_rhythm:
            return None
        m = self.median
        return max(math.ceil(self.stats.q3_gap - m), math.ceil(0.25 * m), 3)

    @property
    def lead(self) -> int | None:
        return max(round(0.15 * self.median), 3) if self.has_rhythm else None

    @property
    def expected(self) -> datetime.date | None:
        """The next expected order day."""
        if not self.has_rhythm:
            return None
        return self.stats.last + datetime.timedelta(days=self.median)

    @property
    def lapsed_after(self) -> int | None:
        """Days without an order after which the customer counts as lapsed."""
        if not self.has_rhythm:
            return None
        return max(self.median + 3 * self.tolerance, 2 * self.median)

    @property
    def late_by(self) -> int:
        """Days past the expected order day (0 when not yet expected)."""
        return max(0, self.since_last - self.median) if self.has_rhythm else 0

    @property
    def standing(self) -> str:
        if not self.has_rhythm:
            return Standing.NEW
        since, m = self.since_last, self.median
        if since < m - self.lead:
            return Standing.REGULAR
        if since <= m + self.tolerance:
            return Standing.DUE
        if since <= self.lapsed_after:
            return Standing.LAPSING
        return Standing.LAPSED

    @property
    def label(self) -> str:
        return str(Standing.LABELS[self.standing])

    def explanation(self, formatter) -> str:
        """Why the customer stands where they do, in the active language:
        "Orders every ~28 days (usually 24–33); last order 41 days ago, 13 days later than
        usual." ``formatter`` is the pages' Babel ``Formatter`` (dates in the viewer's way)."""
        since = self.since_last
        if since == 0:
            ago = _("last order today")
        elif since == 1:
            ago = _("last order yesterday")
        else:
            ago = _("last order %(days)s days ago") % {"days": since}
        if not self.has_rhythm:
            return _("Orders so far: %(orders)s order days, too few for a rhythm; %(ago)s.") % {
                "orders": self.stats.days,
                "ago": ago,
            }
        low, high = self.spread
        if low != high:
            every = _("Orders every ~%(days)s days (usually %(low)s–%(high)s)") % {
                "days": self.median,
                "low": low,
                "high": high,
            }
        else:
            every = _("Orders every ~%(days)s days") % {"days": self.median}
        standing = self.standing
        if standing == Standing.REGULAR or (standing == Standing.DUE and not self.late_by):
            verdict = _("next order expected %(date)s") % {"date": formatter.date(self.expected)}
        elif standing == Standing.DUE:
            verdict = _("%(days)s days past the expected day, within the usual spread") % {
                "days": self.late_by
            }
        elif standing == Standing.LAPSING:
            verdict = _("%(days)s days later than usual") % {"days": self.late_by}
        else:
            verdict = _("no order for %(times)s× the usual interval") % {
                "times": formatter.quantity(
                    Decimal(round(since / self.median, 1)).quantize(Decimal("0.1"))
                )
            }
        return _("%(every)s; %(ago)s, %(verdict)s.") % {
            "every": every,
            "ago": ago,
            "verdict": verdict,
        }
