"""What merging two duplicate customers moves, step by step.

Customers sit below sales and billing (``lint-imports``), so the customers app cannot move
orders or invoices itself. Each app that keeps records of a customer registers a
:class:`MergeStep` from its ``AppConfig.ready()``; ``customers.services.customer_merge`` runs
every step inside its transaction (both customers locked), and the merge preview counts
with the same steps, so the preview lists exactly what the merge moves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class MergeStep:
    """One kind of record that moves from the duplicate to the survivor.

    ``count(duplicate)`` says how many will move; ``move(duplicate, survivor, actor)`` moves
    them and returns how many moved; ``check(duplicate, survivor)``, when given, raises a
    ``DomainError`` before anything moves if the records cannot move (everything rolls back
    anyway, but checking first gives the preview its warning)."""

    key: str
    label: Promise | str
    order: int
    count: Callable
    move: Callable
    check: Callable | None = None


_steps: dict[str, MergeStep] = {}


def register(step: MergeStep) -> None:
    """Add (or replace, by key) a step; apps call this once from ``ready()``."""
    _steps[step.key] = step


def merge_steps() -> list[MergeStep]:
    """Every registered step in the order the merge runs them."""
    return sorted(_steps.values(), key=lambda step: (step.order, step.key))
