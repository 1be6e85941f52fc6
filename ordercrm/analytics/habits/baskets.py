"""Bought together: association rules over order lines (pure; counts come from
``queries.product_pairs``).

For products A and B over N baskets (orders): support(A→B) = n(A,B) / N, confidence =
n(A,B) / n(A), lift = confidence / (n(B) / N). A lift above 1 means B is on orders with A more
often than on orders at large."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

MIN_LIFT = 1.0
MIN_CONFIDENCE = 0.1


@dataclass(frozen=True)
class Rule:
    antecedent: object
    consequent: object
    count: int  # baskets with both
    support: float
    confidence: float
    lift: float


def rules(baskets: int, singles: dict, pairs: dict) -> dict[object, list[Rule]]:
    """Both directions of every pair, by antecedent, best first (confidence, then lift)."""
    found: dict[object, list[Rule]] = defaultdict(list)
    if not baskets:
        return {}
    for (a, b), both in pairs.items():
        for x, y in ((a, b), (b, a)):
            if not singles.get(x) or not singles.get(y):
                continue
            confidence = both / singles[x]
            lift = confidence / (singles[y] / baskets)
            found[x].append(Rule(x, y, both, both / baskets, confidence, lift))
    for listed in found.values():
        listed.sort(key=lambda rule: (-rule.confidence, -rule.lift, str(rule.consequent)))
    return dict(found)


def suggest(by_antecedent: dict, basket, *, limit: int = 5) -> list[Rule]:
    """Products to offer with ``basket`` (product ids): for each product not in it, the
    strongest rule from any product in it, with lift above ``MIN_LIFT`` and confidence of at
    least ``MIN_CONFIDENCE``; best first."""
    basket = set(basket)
    best: dict[object, Rule] = {}
    for product in basket:
        for rule in by_antecedent.get(product, ()):
            if rule.consequent in basket or rule.lift <= MIN_LIFT:
                continue
            if rule.confidence < MIN_CONFIDENCE:
                continue
            held = best.get(rule.consequent)
            if held is None or (rule.confidence, rule.lift) > (held.confidence, held.lift):
                best[rule.consequent] = rule
    ranked = sorted(best.values(), key=lambda r: (-r.confidence, -r.lift, str(r.consequent)))
    return ranked[:limit]
