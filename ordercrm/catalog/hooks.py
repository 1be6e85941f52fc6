"""Named hooks: what the layers above the catalog check before a product changes its nature,
called explicitly from the one place it happens (no Django signals, so a reader of
``product_kit_set`` sees the guard).

- :func:`before_becoming_kit` — called by ``catalog.services.product_kit_set`` with the
  product locked, before an ordinary product becomes a kit. A guard refuses by raising a
  ``DomainError``; nothing has been written yet.

Inventory registers its guard in its ``AppConfig.ready`` (the catalog cannot import it): a
kit holds no stock of its own, so a product with stock on hand cannot become one — its stock
would be hidden behind its components' and could never be issued or counted again.
"""

from __future__ import annotations

from collections.abc import Callable

KitGuard = Callable[..., None]  # (*, product) -> None, or raises a DomainError

_kit_guards: list[KitGuard] = []


def on_becoming_kit(guard: KitGuard) -> KitGuard:
    """Register ``guard(*, product)`` for :func:`before_becoming_kit` (once)."""
    if guard not in _kit_guards:
        _kit_guards.append(guard)
    return guard


def before_becoming_kit(*, product) -> None:
    """Run every guard on ``product`` (locked); the first refusal propagates."""
    for guard in _kit_guards:
        guard(product=product)
