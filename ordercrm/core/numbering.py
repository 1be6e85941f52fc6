"""Gap-free document numbers per company, document type and year.

The counter row is locked (``SELECT … FOR UPDATE``) and advanced inside the caller's
transaction, so a number is consumed only if the document that took it commits: a rollback
returns it, and two concurrent callers queue on the row instead of sharing a number.
"""

from __future__ import annotations

from django.db import connection

from ordercrm.core.models import Company, NumberSequence


def next_value(*, company: Company, key: str, year: int = 0) -> int:
    """Advance and return the counter for ``(company, key, year)``.

    Must run inside the transaction that stores the numbered document; raises ``RuntimeError``
    otherwise, because a number taken in its own transaction would leave a gap on rollback.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("next_value() must run inside the document's transaction")
    locked = (
        NumberSequence.objects.for_company(company).select_for_update().filter(key=key, year=year)
    )
    sequence = locked.first()
    if sequence is None:
        # Concurrent first callers both insert; ON CONFLICT DO NOTHING lets the loser wait on
        # the winner's row lock below instead of failing.
        NumberSequence.objects.bulk_create(
            [NumberSequence(company=company, key=key, year=year, last_value=0)],
            ignore_conflicts=True,
        )
        sequence = locked.get()
    sequence.last_value += 1
    NumberSequence.objects.for_company(company).filter(pk=sequence.pk).update(
        last_value=sequence.last_value
    )
    return sequence.last_value


def next_number(*, company: Company, prefix: str, year: int, width: int = 6) -> str:
    """A formatted yearly number, e.g. ``SO-2026-000123``."""
    return f"{prefix}-{year}-{next_value(company=company, key=prefix, year=year):0{width}d}"
