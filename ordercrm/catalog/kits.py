"""The kit rule, pure: how many whole kits component quantities make (docs/decisions.md,
"Kits"). Catalog holds it because every layer above reads it: inventory (a kit's free stock
on the product page), sales (free stock at quoting, a partial reservation)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_FLOOR, Decimal

ZERO = Decimal(0)


def kits_from(quantities: Mapping, per_kit: Mapping) -> Decimal:
    """Whole kits that component ``quantities`` make (Odoo's rule): the least over the
    components of ⌊quantity ÷ per kit⌋; no components make no kit, a missing quantity none."""
    if not per_kit:
        return ZERO
    return min(
        (max(quantities.get(key, ZERO), ZERO) / per_kit[key]).quantize(
            Decimal(1), rounding=ROUND_FLOOR
        )
        for key in per_kit
    )
