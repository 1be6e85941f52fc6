"""Market demand: ordered quantity per product and category per month, a forecast with its
80 % interval (statsmodels' ETS exponential smoothing), a backtest on held-out months beside
each forecast, stock cover in days against the forecast, and reorder suggestions.

Model choice, by how much history there is (months with the product on the books):
fewer than ``MIN_MODEL_MONTHS`` → the mean of the last three months, interval from their
spread; from there simple exponential smoothing (ETS A,N,N); from 12 months a damped additive
trend (A,Ad,N); from ``SEASONAL_MONTHS`` (36) also additive yearly seasonality (A,Ad,A). Forecasts are cut at
zero: demand is never negative.

The backtest fits the same choice on all months but the last ``BACKTEST_MONTHS`` and reports
the weighted absolute percentage error over them (Σ|actual − forecast| / Σ actual), so a
forecast shows how wrong the method was on this product's own recent months.
"""

from __future__ import annotations

import datetime
import math
import warnings
from dataclasses import dataclass, field

import numpy as np

HORIZON = 3  # months forecast
BACKTEST_MONTHS = 3
MIN_MODEL_MONTHS = 6
# Three years before a yearly season is estimated: with two, ETS's 14 seasonal states fit
# noise (and each fit takes ~1.5 s instead of ~0.05 s).
SEASONAL_MONTHS = 36
INTERVAL = 0.80
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class Forecast:
    method: str  # "average", "ses", "trend", "seasonal"
    mean: list[float]
    low: list[float]
    high: list[float]
    backtest_error: float | None = None  # WAPE on the held-out months, 0.18 = 18 %
    backtest_months: int = 0


def _method(n: int) -> str:
    if n < MIN_MODEL_MONTHS:
        return "average"
    if n < 12:
        return "ses"
    if n < SEASONAL_MONTHS:
        return "trend"
    return "seasonal"


def _fit(series: np.ndarray, method: str, horizon: int) -> tuple[list, list, list]:
    if method == "average":
        recent = series[-3:] if len(series) else np.zeros(1)
        mean = float(np.mean(recent))
        spread = float(np.std(recent, ddof=1)) if len(recent) > 1 else mean
        z = 1.2816  # the 80 % two-sided normal quantile
        return (
            [mean] * horizon,
            [max(0.0, mean - z * spread)] * horizon,
            [mean + z * spread] * horizon,
        )
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    options = {"error": "add"}
    if method in ("trend", "seasonal"):
        options.update(trend="add", damped_trend=True)
    if method == "seasonal":
        options.update(seasonal="add", seasonal_periods=12)
    # A flat series has nothing to smooth and makes the optimiser divide by zero.
    if float(np.ptp(series)) == 0.0:
        value = float(series[-1])
        return [value] * horizon, [value] * horizon, [value] * horizon
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence notes on short series
        fitted = ETSModel(pd.Series(series.astype(float)), **options).fit(disp=False, maxiter=200)
        frame = fitted.get_prediction(
            start=len(series), end=len(series) + horizon - 1
        ).summary_frame(alpha=1 - INTERVAL)
    mean = [max(0.0, float(v)) for v in frame["mean"]]
    low = [max(0.0, float(v)) for v in frame["pi_lower"]]
    high = [max(0.0, float(v)) for v in frame["pi_upper"]]
    return mean, low, high


def forecast(series, *, horizon: int = HORIZON) -> Forecast:
    """Forecast ``horizon`` months after ``series`` (monthly quantities, oldest first), with
    the backtest on its last ``BACKTEST_MONTHS`` months when there is enough history."""
    series = np.asarray(series, dtype=float)
    method = _method(len(series))
    mean, low, high = _fit(series, method, horizon)
    error, held = None, 0
    if len(series) >= MIN_MODEL_MONTHS + BACKTEST_MONTHS:
        held = BACKTEST_MONTHS
        train, actual = series[:-held], series[-held:]
        predicted, _low, _high = _fit(train, _method(len(train)), held)
        total = float(actual.sum())
        if total > 0:
            error = float(np.abs(actual - np.array(predicted)).sum()) / total
    return Forecast(method, mean, low, high, error, held)


def month_starts(today: datetime.date, months: int) -> list[datetime.date]:
    """The first days of the ``months`` complete months before ``today``'s month."""
    starts = []
    for back in range(months, 0, -1):
        year, month = divmod(today.year * 12 + today.month - 1 - back, 12)
        starts.append(datetime.date(year, month + 1, 1))
    return starts


def next_months(today: datetime.date, horizon: int) -> list[datetime.date]:
    starts = []
    for ahead in range(horizon):
        year, month = divmod(today.year * 12 + today.month - 1 + ahead, 12)
        starts.append(datetime.date(year, month + 1, 1))
    return starts


@dataclass
class Demand:
    """One product's or category's demand: history, forecast, and (products) stock."""

    key: object
    label: str
    history: list[float]
    forecast: Forecast
    category_id: object = None
    is_product: bool = True
    available: float | None = None  # on hand − reserved, all warehouses
    stock_tracked: bool = True
    notes: list[str] = field(default_factory=list)

    @property
    def daily(self) -> float:
        """Forecast daily demand over the horizon."""
        return sum(self.forecast.mean) / (len(self.forecast.mean) * DAYS_PER_MONTH)

    @property
    def cover_days(self) -> int | None:
        """Days the available stock lasts at the forecast rate (None: no demand foreseen or
        not a stocked product)."""
        if self.available is None or not self.stock_tracked or self.daily <= 0:
            return None
        return max(0, math.floor(self.available / self.daily))

    @property
    def shortfall(self) -> float:
        """What the forecast's upper bound over the horizon needs beyond the stock available
        (0 when the stock covers it)."""
        if self.available is None or not self.stock_tracked:
            return 0.0
        return max(0.0, sum(self.forecast.high) - self.available)

    @property
    def runs_short(self) -> bool:
        """Stock will not cover the expected demand over the horizon."""
        if self.available is None or not self.stock_tracked:
            return False
        return sum(self.forecast.mean) > self.available

    @property
    def suggested_quantity(self) -> int:
        """Reorder to cover the interval's upper bound over the horizon, rounded up."""
        return math.ceil(self.shortfall) if self.runs_short else 0
