"""Rhythms, standings and their explanations on histories with known answers (no database)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from ordercrm.analytics.habits import rfm
from ordercrm.analytics.habits.rhythm import CustomerStats, Rhythm, Standing
from ordercrm.core.documents import Formatter

TODAY = datetime.date(2026, 12, 2)


def stats(*, last_ago, median=28.0, q1=24.0, q3=33.0, days=10):
    last = TODAY - datetime.timedelta(days=last_ago)
    return CustomerStats(
        customer_id=1,
        orders=days,
        days=days,
        first=last - datetime.timedelta(days=int((median or 28) * (days - 1))),
        last=last,
        amount=Decimal("1000"),
        median_gap=median,
        q1_gap=q1,
        q3_gap=q3,
    )


def test_a_monthly_buyer_41_days_after_the_last_order_is_lapsing_and_says_why():
    rhythm = Rhythm(stats(last_ago=41), TODAY)
    # tolerance = max(33 − 28, 25 % of 28, 3) = 7; lapsed after max(28 + 21, 56) = 56 days
    assert (rhythm.median, rhythm.tolerance, rhythm.lead, rhythm.lapsed_after) == (28, 7, 4, 56)
    assert rhythm.expected == datetime.date(2026, 11, 19)
    assert rhythm.standing == Standing.LAPSING
    assert rhythm.explanation(Formatter("en")) == (
        "Orders every ~28 days (usually 24–33); last order 41 days ago, 13 days later than usual."
    )


@pytest.mark.parametrize(
    ("last_ago", "standing"),
    [
        (0, Standing.REGULAR),
        (23, Standing.REGULAR),  # more than lead (4) days before the expected day
        (24, Standing.DUE),
        (28, Standing.DUE),
        (35, Standing.DUE),  # expected + tolerance (7)
        (36, Standing.LAPSING),
        (56, Standing.LAPSING),
        (57, Standing.LAPSED),
    ],
)
def test_standing_follows_the_customers_own_rhythm(last_ago, standing):
    assert Rhythm(stats(last_ago=last_ago), TODAY).standing == standing


def test_the_same_gap_means_different_things_for_different_rhythms():
    weekly = Rhythm(stats(last_ago=30, median=7, q1=6, q3=8), TODAY)
    quarterly = Rhythm(stats(last_ago=30, median=90, q1=80, q3=100), TODAY)
    assert weekly.standing == Standing.LAPSED
    assert quarterly.standing == Standing.REGULAR


def test_a_scattered_rhythm_is_given_more_room_than_a_steady_one():
    steady = Rhythm(stats(last_ago=40, median=30, q1=29, q3=31), TODAY)
    scattered = Rhythm(stats(last_ago=40, median=30, q1=15, q3=45), TODAY)
    assert steady.standing == Standing.LAPSING
    assert scattered.standing == Standing.DUE


def test_too_few_order_days_have_no_rhythm():
    rhythm = Rhythm(stats(last_ago=3, days=2, median=None, q1=None, q3=None), TODAY)
    assert rhythm.standing == Standing.NEW
    assert rhythm.expected is None
    assert rhythm.explanation(Formatter("en")) == (
        "Orders so far: 2 order days, too few for a rhythm; last order 3 days ago."
    )


def test_explanations_for_each_standing_in_english():
    en = Formatter("en")
    assert (
        Rhythm(stats(last_ago=10), TODAY)
        .explanation(en)
        .endswith("last order 10 days ago, next order expected December 20, 2026.")
    )
    assert (
        Rhythm(stats(last_ago=31), TODAY)
        .explanation(en)
        .endswith("last order 31 days ago, 3 days past the expected day, within the usual spread.")
    )
    assert (
        Rhythm(stats(last_ago=84), TODAY)
        .explanation(en)
        .endswith("last order 84 days ago, no order for 3× the usual interval.")
    )
    assert "last order yesterday" in Rhythm(stats(last_ago=1), TODAY).explanation(en)
    same = Rhythm(stats(last_ago=0, median=30, q1=30, q3=30), TODAY)
    assert same.explanation(en).startswith("Orders every ~30 days; last order today")


def test_explanation_in_the_viewers_language():
    with translation.override("zh-hans"):
        text = Rhythm(stats(last_ago=41), TODAY).explanation(Formatter("zh-hans"))
    assert text == "约每 28 天下单一次（通常 24–33 天）；上次下单在 41 天前，比平常晚 13 天。"


@pytest.mark.parametrize(
    ("r", "f", "segment"),
    [
        (5, 5, rfm.CHAMPIONS),
        (4, 4, rfm.CHAMPIONS),
        (3, 5, rfm.LOYAL),
        (5, 2, rfm.POTENTIAL),
        (5, 1, rfm.NEW),
        (4, 1, rfm.PROMISING),
        (3, 3, rfm.NEEDS_ATTENTION),
        (3, 1, rfm.ABOUT_TO_SLEEP),
        (1, 5, rfm.CANT_LOSE),
        (2, 4, rfm.AT_RISK),
        (2, 2, rfm.HIBERNATING),
        (1, 1, rfm.LOST),
    ],
)
def test_rfm_grid(r, f, segment):
    assert rfm.segment(r, f) == segment


def test_every_rfm_cell_has_a_segment():
    assert {rfm.segment(r, f) for r in range(1, 6) for f in range(1, 6)} <= set(rfm.LABELS)
    with pytest.raises(ValueError, match="1 to 5"):
        rfm.segment(0, 3)
