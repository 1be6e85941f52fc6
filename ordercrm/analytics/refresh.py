"""Keeping the facts: incrementally from the outbox, or rebuilt from the documents.

Incremental (:func:`process_company`, run by ``ordercrm worker``'s analytics thread): under
the company's ``FactState`` lock (skip-locked: one worker per company at a time), read the
next events of the types in ``mapping.EVENT_ORDERS`` that have no ``ProcessedEvent``, find
the orders they name, derive those orders' facts anew, apply the difference to
``SalesFact``, and record the events as processed — all in one transaction, so each event
counts exactly once, by its id. Because an order's facts are derived from its documents'
current state, applying an event twice, late or out of order could not change a figure
either; the record keeps the work once.

The scan starts at ``watermark − ANALYTICS_GRACE_SECONDS``: an event is stamped when its
transaction writes it, so one committing late may appear behind events already applied.

:func:`rebuild` derives every order's facts again (``ordercrm analytics rebuild``).
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections import defaultdict
from types import SimpleNamespace

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone

from ordercrm.analytics import facts, mapping
from ordercrm.analytics.models import (
    COLUMNS,
    DIMENSIONS,
    ZERO,
    FactState,
    OrderFact,
    ProcessedEvent,
    SalesFact,
)
from ordercrm.core.ids import new_id
from ordercrm.core.models import Company, Event

logger = logging.getLogger(__name__)

BATCH = 200
CHUNK = 500


def grace() -> datetime.timedelta:
    return datetime.timedelta(seconds=getattr(settings, "ANALYTICS_GRACE_SECONDS", 900))


def fact_key(row) -> str:
    """The digest of a fact's dimensions (MD5: PostgreSQL computes it too, without an
    extension, so a rebuild sums the facts in SQL; it names a cell, it guards nothing)."""
    text = "|".join(str(getattr(row, name) or "") for name in DIMENSIONS)
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _lock_state(company, *, skip_locked: bool) -> FactState | None:
    FactState.objects.get_or_create(company=company)
    return (
        FactState.objects.select_for_update(skip_locked=skip_locked).filter(company=company).first()
    )


def refresh_orders(company, order_ids) -> int:
    """Derive the orders' facts again and move ``SalesFact`` by the difference. Call inside a
    transaction holding the company's ``FactState`` lock. Returns the fact rows changed."""
    order_ids = sorted(set(order_ids))
    if not order_ids:
        return 0
    changed = 0
    for start in range(0, len(order_ids), CHUNK):
        chunk = order_ids[start : start + CHUNK]
        new = [row for rows in facts.derive(company, chunk).values() for row in rows]
        old = list(OrderFact.objects.for_company(company).filter(order_id__in=chunk))
        deltas: dict = {}
        for sign, rows in ((-1, old), (1, new)):
            for row in rows:
                key = fact_key(row)
                entry = deltas.get(key)
                if entry is None:
                    entry = deltas[key] = [row, defaultdict(lambda: ZERO)]
                for column in COLUMNS:
                    value = getattr(row, column)
                    if value:
                        entry[1][column] += sign * value
        OrderFact.objects.for_company(company).filter(order_id__in=chunk).delete()
        OrderFact.objects.bulk_create([row.model() for row in new])
        changed += _apply(company, {k: v for k, v in deltas.items() if any(v[1].values())})
    return changed


def _apply(company, deltas: dict) -> int:
    if not deltas:
        return 0
    existing = {
        fact.key: fact
        for fact in SalesFact.objects.for_company(company).filter(key__in=list(deltas))
    }
    create, update, remove = [], [], []
    for key, (sample, delta) in deltas.items():
        fact = existing.get(key)
        if fact is None:
            fact = SalesFact(
                company_id=company.pk,
                key=key,
                **{name: getattr(sample, name) for name in DIMENSIONS},
            )
            create.append(fact)
        else:
            update.append(fact)
        for column, value in delta.items():
            setattr(fact, column, getattr(fact, column) + value)
        if fact in update and not any(getattr(fact, c) for c in COLUMNS):
            update.remove(fact)
            remove.append(fact.pk)
    SalesFact.objects.bulk_create(create)
    if update:
        SalesFact.objects.for_company(company).bulk_update(update, [*COLUMNS, "updated_at"])
    if remove:
        SalesFact.objects.for_company(company).filter(pk__in=remove).delete()
    return len(deltas)


def pending(company, state: FactState, limit: int = BATCH):
    events = Event.objects.for_company(company).filter(type__in=mapping.TYPES)
    if state.watermark is not None:
        events = events.filter(created_at__gte=state.watermark - grace())
    done = ProcessedEvent.objects.filter(event_id=OuterRef("pk"))
    return list(events.filter(~Exists(done)).order_by("created_at", "id")[:limit])


def process_company(company, *, limit: int = BATCH) -> int | None:
    """Apply the next batch of this company's events. Returns how many were applied, or
    ``None`` when another worker holds the company."""
    started = timezone.now()
    with transaction.atomic():
        state = _lock_state(company, skip_locked=True)
        if state is None:
            return None
        events = pending(company, state, limit)
        if events:
            refresh_orders(company, mapping.orders_of(events))
            ProcessedEvent.objects.bulk_create(
                [
                    ProcessedEvent(event_id=e.pk, company_id=company.pk, event_at=e.created_at)
                    for e in events
                ],
                ignore_conflicts=True,
            )
            state.watermark = max(state.watermark or events[-1].created_at, events[-1].created_at)
            # records behind the scan's window are never looked at again
            ProcessedEvent.objects.filter(
                company=company, event_at__lt=state.watermark - 2 * grace()
            ).delete()
        if len(events) < limit:
            # the backlog is empty: everything written before this round began is in
            state.as_of = started
        state.save(update_fields=["watermark", "as_of"])
    return len(events)


def process_all(*, limit: int = BATCH) -> int:
    """One round over every active company; returns the events applied."""
    total = 0
    for company in Company.objects.filter(is_active=True).order_by("pk"):
        while True:
            done = process_company(company, limit=limit)
            if not done:
                break
            total += done
            if done < limit:
                break
    return total


REBUILD_CHUNK = 2000


def _write(model, rows: list) -> None:
    """Insert derived rows (``FactRow``s, or ``SalesFact`` columns as attributes) as they
    are: by
    ``COPY`` on PostgreSQL, else ``bulk_create``. The rows come from ``facts.derive`` and
    sums of its rows, so the column checks of ``bulk_create`` have nothing to find."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        rows = [
            row.model() if isinstance(row, facts.FactRow) else model(**vars(row)) for row in rows
        ]
        model.objects.bulk_create(rows, batch_size=1000)
        return
    now = timezone.now()
    names = [f.attname for f in model._meta.concrete_fields]
    columns = ", ".join(f.column for f in model._meta.concrete_fields)
    stamped = {"id", "created_at", "updated_at"}
    copy_sql = f"COPY {model._meta.db_table} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
        for row in rows:
            copy.write_row(
                [
                    (new_id() if name == "id" else now) if name in stamped else getattr(row, name)
                    for name in names
                ]
            )


def _key_sql() -> str:
    """:func:`fact_key` in PostgreSQL: the MD5 of the dimensions' text joined by ``|``, a
    missing one as empty text (``str(x or "")``: a UUID's text is the same in both, a date's
    is ISO). A rebuilt row and an incremental one must get the same key, or the next event
    would add a second row for the same cell; the analytics tests compare keys both ways."""
    parts = []
    for name in DIMENSIONS:
        column = OrderFact._meta.get_field(name).column
        text = f"to_char({column}, 'YYYY-MM-DD')" if name == "day" else f"{column}::text"
        parts.append(f"coalesce({text}, '')")
    joined = " || '|' || ".join(parts)
    return f"md5({joined})"


def _totals_sql(company) -> int:
    """:func:`_totals` as one ``INSERT … SELECT … GROUP BY`` on PostgreSQL: the rows never
    leave the server (a Python scan of a million orders' facts took as long as deriving
    them)."""
    fact, order_fact = SalesFact._meta, OrderFact._meta
    dimensions = [order_fact.get_field(name).column for name in DIMENSIONS]
    measures = [order_fact.get_field(name).column for name in COLUMNS]
    target = ["id", "company_id", "created_at", "updated_at", "key", *dimensions, *measures]
    sql = (
        # the names are the models' own columns; the company is a parameter
        f"INSERT INTO {fact.db_table} ({', '.join(target)}) "  # noqa: S608
        # random ids (PostgreSQL 15 has no UUIDv7): these rows are written once per rebuild
        f"SELECT gen_random_uuid(), company_id, now(), now(), {_key_sql()}, "
        f"{', '.join(dimensions)}, {', '.join(f'sum({m})' for m in measures)} "
        f"FROM {order_fact.db_table} WHERE company_id = %s "
        f"GROUP BY company_id, {', '.join(dimensions)} "
        f"HAVING NOT ({' AND '.join(f'sum({m}) = 0' for m in measures)})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [company.pk])
        return cursor.rowcount


def _totals(company) -> int:
    """``SalesFact`` as the sums of ``OrderFact`` by the dimensions, in one grouped scan
    (memory does not grow with the facts). Returns the rows written."""
    if connection.vendor == "postgresql":
        return _totals_sql(company)
    rows = (
        OrderFact.objects.for_company(company)
        .order_by()
        .values(*DIMENSIONS)
        .annotate(**{f"sum_{c}": Sum(c) for c in COLUMNS})
    )
    batch, written = [], 0
    for row in rows.iterator(chunk_size=5000):
        values = {c: row[f"sum_{c}"] or ZERO for c in COLUMNS}
        if not any(values.values()):
            continue
        fact = SimpleNamespace(company_id=company.pk, **{d: row[d] for d in DIMENSIONS}, **values)
        fact.key = fact_key(fact)
        batch.append(fact)
        if len(batch) >= 5000:
            _write(SalesFact, batch)
            written += len(batch)
            batch = []
    _write(SalesFact, batch)
    return written + len(batch)


def rebuild(company, progress=None) -> int:
    """Throw the company's facts away and derive them again from every order's documents.
    Returns the number of ``SalesFact`` rows. Holds the company's ``FactState`` lock, so
    the incremental worker waits (and then finds nothing new to apply).

    Set-based where it can be: the orders' rows (``facts.derive``, chunk by chunk) go to
    ``OrderFact`` by ``COPY`` on PostgreSQL, and ``SalesFact`` is then one grouped scan of
    them, so a rebuild of a million orders holds one chunk in memory."""
    from ordercrm.sales.models import SalesOrder

    started = timezone.now()
    with transaction.atomic():
        state = _lock_state(company, skip_locked=False)
        OrderFact.objects.for_company(company).delete()
        SalesFact.objects.for_company(company).delete()
        order_ids = list(
            SalesOrder.objects.for_company(company).order_by("pk").values_list("pk", flat=True)
        )
        for start in range(0, len(order_ids), REBUILD_CHUNK):
            chunk = order_ids[start : start + REBUILD_CHUNK]
            _write(
                OrderFact, [row for found in facts.derive(company, chunk).values() for row in found]
            )
            if progress:
                progress(len(chunk))
        total = _totals(company)
        # events up to now are reflected; the next incremental scan starts here
        ProcessedEvent.objects.filter(company=company).delete()
        state.watermark = state.as_of = state.rebuilt_at = started
        state.save()
    return total


def as_of(company) -> datetime.datetime | None:
    return FactState.objects.filter(company=company).values_list("as_of", flat=True).first()
