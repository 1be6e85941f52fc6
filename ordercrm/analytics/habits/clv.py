"""Customer lifetime value: BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the
easy way") for how many more orders, Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV")
for how much each is worth; fitted by maximum likelihood on scipy.

Time is in weeks. Per customer: ``x`` repeat purchases (order days after the first), ``t_x``
the time of the last one and ``T`` the time since the first, both from the first order day;
``m`` the mean net amount of the repeat order days. The band of a customer's value comes from
simulating the customer's future from their posterior (alive or not, purchase rate, dropout
probability, spend level) — the spread of what the model itself believes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

WEEK = 7.0


@dataclass(frozen=True)
class BgNbd:
    r: float
    alpha: float
    a: float
    b: float

    def as_tuple(self):
        return self.r, self.alpha, self.a, self.b


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    gamma: float


def bgnbd_log_likelihood(params, x, t_x, T) -> np.ndarray:
    """Each customer's log-likelihood under BG/NBD ``(r, alpha, a, b)``."""
    r, alpha, a, b = params
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = (
        special.gammaln(a + b)
        + special.gammaln(b + x)
        - special.gammaln(b)
        - special.gammaln(a + b + x)
    )
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-12)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return a1 + a2 + np.logaddexp(a3, a4)


def fit_bgnbd(x, t_x, T) -> BgNbd:
    """Maximum-likelihood BG/NBD parameters (positive, optimised on their logarithms)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))

    def loss(log_params):
        return -bgnbd_log_likelihood(np.exp(log_params), x, t_x, T).sum() / len(x)

    best = None
    for start in ((0.0, 0.0, 0.0, 0.0), (-1.0, 1.5, -0.3, 1.0)):
        found = optimize.minimize(loss, np.array(start), method="L-BFGS-B", bounds=[(-9, 9)] * 4)
        if best is None or found.fun < best.fun:
            best = found
    return BgNbd(*np.exp(best.x))


def probability_alive(model: BgNbd, x, t_x, T) -> np.ndarray:
    r, alpha, a, b = model.as_tuple()
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = np.where(
            x > 0,
            a / np.maximum(b + x - 1, 1e-12) * ((alpha + T) / (alpha + t_x)) ** (r + x),
            0.0,
        )
    return 1.0 / (1.0 + odds)


def expected_purchases(model: BgNbd, t, x, t_x, T) -> np.ndarray:
    """Expected purchases in the next ``t`` weeks given the history (eq. 10 of the paper)."""
    r, alpha, a, b = model.as_tuple()
    if abs(a - 1.0) < 1e-6:  # the closed form divides by a − 1
        a += 1e-6
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    z = t / (alpha + T + t)
    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
    first = (a + b + x - 1) / (a - 1)
    second = 1.0 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp
    return first * second * probability_alive(model, x, t_x, T)


def gamma_gamma_log_likelihood(params, x, m) -> np.ndarray:
    """Log-likelihood of the mean spend ``m`` over ``x`` purchases under Gamma-Gamma
    ``(p, q, gamma)`` (constant terms in ``m`` kept, so values compare across fits)."""
    p, q, g = params
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    return (
        special.gammaln(p * x + q)
        - special.gammaln(p * x)
        - special.gammaln(q)
        + q * np.log(g)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(x * m + g)
    )


def fit_gamma_gamma(x, m) -> GammaGamma:
    """Maximum-likelihood Gamma-Gamma parameters from customers with repeat purchases."""
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    keep = (x > 0) & (m > 0)
    x, m = x[keep], m[keep]
    scale = float(np.mean(m)) or 1.0  # fit on amounts near 1, then scale gamma back

    def loss(log_params):
        return -gamma_gamma_log_likelihood(np.exp(log_params), x, m / scale).sum() / len(x)

    found = optimize.minimize(loss, np.zeros(3), method="L-BFGS-B", bounds=[(-9, 9)] * 3)
    p, q, g = np.exp(found.x)
    return GammaGamma(p, q, g * scale)


def expected_spend(model: GammaGamma, x, m) -> np.ndarray:
    """Expected mean spend per future purchase given ``x`` purchases averaging ``m``; the
    population mean for a customer without repeat purchases."""
    p, q, g = model.p, model.q, model.gamma
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    population = p * g / (q - 1) if q > 1 else np.nan
    return np.where(x > 0, (g + x * m) * p / (p * x + q - 1), population)


@dataclass(frozen=True)
class Value:
    purchases: float  # expected in the horizon
    p_alive: float
    spend: float  # expected per purchase
    value: float  # expected value in the horizon
    low: float  # 10th percentile of the simulated value
    high: float  # 90th percentile


def lifetime_value(
    bg: BgNbd, gg: GammaGamma, *, x, t_x, T, m, horizon: float = 52.0, draws: int = 2000, seed=0
) -> Value:
    """One customer's expected value over the next ``horizon`` weeks with an 80 % band."""
    purchases = float(expected_purchases(bg, horizon, x, t_x, T))
    alive = float(probability_alive(bg, x, t_x, T))
    spend = float(expected_spend(gg, x, m))
    rng = np.random.default_rng(seed)
    r, alpha, a, b = bg.as_tuple()
    is_alive = rng.random(draws) < alive
    rate = rng.gamma(r + x, 1.0 / (alpha + T), draws)
    dropout = rng.beta(a, b + x, draws)
    opportunities = rng.poisson(rate * horizon)
    lasting = rng.geometric(np.clip(dropout, 1e-9, 1.0))  # purchases before dropping out
    count = np.where(is_alive, np.minimum(opportunities, lasting), 0)
    nu = rng.gamma(gg.q + gg.p * x, 1.0 / (gg.gamma + x * m), draws)
    total = np.where(count > 0, rng.gamma(np.maximum(count, 1) * gg.p, 1.0 / nu), 0.0)
    low, high = np.percentile(total, [10, 90])
    return Value(purchases, alive, spend, purchases * spend, float(low), float(high))


def simulate_bgnbd(model: BgNbd, T, rng) -> tuple[np.ndarray, np.ndarray]:
    """Histories drawn from BG/NBD: ``(x, t_x)`` for customers observed for ``T`` weeks
    (used to check that fitting recovers the parameters)."""
    T = np.asarray(T, dtype=float)
    n = len(T)
    rate = rng.gamma(model.r, 1.0 / model.alpha, n)
    dropout = rng.beta(model.a, model.b, n)
    x = np.zeros(n)
    t_x = np.zeros(n)
    now = np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        now[active] += rng.exponential(1.0 / rate[active])
        bought = active & (now <= T)
        x[bought] += 1
        t_x[bought] = now[bought]
        dies = bought & (rng.random(n) < dropout)
        active = bought & ~dies
    return x, t_x


def simulate_spend(model: GammaGamma, x, rng) -> np.ndarray:
    """Mean spend of ``x`` purchases per customer drawn from Gamma-Gamma (0 where x = 0)."""
    x = np.asarray(x, dtype=float)
    nu = rng.gamma(model.q, 1.0 / model.gamma, len(x))
    total = rng.gamma(np.maximum(x, 1) * model.p, 1.0 / nu)
    return np.where(x > 0, total / np.maximum(x, 1), 0.0)
