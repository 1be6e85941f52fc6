"""The CLV models, bought-together rules and demand forecasts on synthetic data with known
answers (no database)."""

from __future__ import annotations

import numpy as np
import pytest

from ordercrm.analytics.habits import baskets, clv, demand


def test_bgnbd_recovers_the_parameters_it_simulated():
    rng = np.random.default_rng(7)
    true = clv.BgNbd(r=0.5, alpha=5.0, a=1.5, b=4.0)
    T = rng.uniform(26, 78, 8000)
    x, t_x = clv.simulate_bgnbd(true, T, rng)
    fitted = clv.fit_bgnbd(x, t_x, T)
    for got, want in zip(fitted.as_tuple(), true.as_tuple(), strict=True):
        assert got == pytest.approx(want, rel=0.2)
    # the fitted model's log-likelihood is at least the true one's (it is the maximum)
    assert clv.bgnbd_log_likelihood(fitted.as_tuple(), x, t_x, T).sum() >= (
        clv.bgnbd_log_likelihood(true.as_tuple(), x, t_x, T).sum()
    )


def test_bgnbd_predicts_the_holdout_period_it_did_not_see():
    """Simulate 52 weeks, fit on the first 26, and predict weeks 27–52 in total."""
    rng = np.random.default_rng(11)
    true = clv.BgNbd(r=0.8, alpha=6.0, a=1.2, b=3.0)
    n, calibration, horizon = 6000, 26.0, 26.0
    rate = rng.gamma(true.r, 1 / true.alpha, n)
    dropout = rng.beta(true.a, true.b, n)
    times = []
    for lam, p in zip(rate, dropout, strict=True):
        t, seen = 0.0, []
        while True:
            t += rng.exponential(1 / lam)
            if t > calibration + horizon:
                break
            seen.append(t)
            if rng.random() < p:
                break
        times.append(seen)
    # the simulation starts every customer at a first purchase at time 0
    x = np.array([sum(1 for t in s if t <= calibration) for s in times], dtype=float)
    t_x = np.array([max([t for t in s if t <= calibration], default=0.0) for s in times])
    later = sum(sum(1 for t in s if t > calibration) for s in times)
    T = np.full(n, calibration)
    fitted = clv.fit_bgnbd(x, t_x, T)
    predicted = clv.expected_purchases(fitted, horizon, x, t_x, T).sum()
    assert predicted == pytest.approx(later, rel=0.08)


def test_gamma_gamma_recovers_the_mean_spend_and_its_shape():
    rng = np.random.default_rng(3)
    true = clv.GammaGamma(p=6.0, q=4.0, gamma=15.0)
    x = rng.integers(1, 8, 20000).astype(float)
    m = clv.simulate_spend(true, x, rng)
    fitted = clv.fit_gamma_gamma(x, m)
    mean = true.p * true.gamma / (true.q - 1)  # the population's mean spend, 30
    assert fitted.p * fitted.gamma / (fitted.q - 1) == pytest.approx(mean, rel=0.05)
    assert fitted.q == pytest.approx(true.q, rel=0.2)
    assert fitted.p == pytest.approx(true.p, rel=0.25)


def test_lifetime_value_has_a_band_around_its_expectation():
    bg = clv.BgNbd(r=0.5, alpha=5.0, a=1.5, b=4.0)
    gg = clv.GammaGamma(p=6.0, q=4.0, gamma=15.0)
    loyal = clv.lifetime_value(bg, gg, x=10, t_x=50, T=52, m=40.0)
    gone = clv.lifetime_value(bg, gg, x=10, t_x=5, T=52, m=40.0)
    assert loyal.low <= loyal.value <= loyal.high
    assert loyal.p_alive > 0.8 > 0.1 > gone.p_alive
    assert gone.value < loyal.value / 10
    # spend shrinks from the customer's own 40 towards the population's 30
    assert 30 < loyal.spend < 40


def test_bought_together_support_confidence_and_lift():
    # 10 baskets: A on 5, B on 4, C on 5; A+B on 4, A+C on 1
    rules = baskets.rules(10, {"A": 5, "B": 4, "C": 5}, {("A", "B"): 4, ("A", "C"): 1})
    a_to_b = next(r for r in rules["A"] if r.consequent == "B")
    assert (a_to_b.support, a_to_b.confidence, a_to_b.lift) == (0.4, 0.8, 2.0)
    b_to_a = next(r for r in rules["B"] if r.consequent == "A")
    assert (b_to_a.confidence, b_to_a.lift) == (1.0, 2.0)
    a_to_c = next(r for r in rules["A"] if r.consequent == "C")
    assert a_to_c.lift == pytest.approx(0.4)  # less often together than apart
    # an order with A gets B offered, not C (lift below 1), and nothing already on it
    assert [r.consequent for r in baskets.suggest(rules, {"A"})] == ["B"]
    assert baskets.suggest(rules, {"A", "B"}) == []


def test_flat_demand_forecasts_flat_with_a_small_backtest_error():
    f = demand.forecast([100.0] * 18)
    assert f.mean == [100.0] * 3
    assert f.backtest_error == 0.0
    assert f.backtest_months == 3


def test_trend_is_followed_and_the_interval_holds_the_forecast():
    rng = np.random.default_rng(5)
    series = 100 + 10 * np.arange(18) + rng.normal(0, 3, 18)
    f = demand.forecast(series)
    assert f.method == "trend"
    assert f.mean[0] > series[-1] - 10  # goes on rising, not back to the mean
    for low, mean, high in zip(f.low, f.mean, f.high, strict=True):
        assert low <= mean <= high
    assert f.backtest_error is not None
    assert f.backtest_error < 0.1


def test_short_history_uses_the_recent_mean_and_has_no_backtest():
    f = demand.forecast([10.0, 20.0, 30.0])
    assert f.method == "average"
    assert f.mean == [20.0] * 3
    assert f.backtest_error is None


def test_stock_cover_and_reorder_suggestion():
    f = demand.Forecast("ses", [304.375] * 3, [250.0] * 3, [400.0] * 3)
    row = demand.Demand(key=1, label="P", history=[], forecast=f, available=500.0)
    assert row.cover_days == 50  # 500 / (304.375 / 30.4375 a day)
    assert row.runs_short  # 913 expected over three months, 500 available
    assert row.suggested_quantity == 700  # the upper bound 1,200 − 500
    enough = demand.Demand(key=2, label="Q", history=[], forecast=f, available=5000.0)
    assert not enough.runs_short
    assert enough.suggested_quantity == 0
    service = demand.Demand(key=3, label="S", history=[], forecast=f, stock_tracked=False)
    assert service.cover_days is None
    assert not service.runs_short
