"""The timing loop of the page-latency benchmarks (``analytics_latency.py``,
``order_pages_latency.py``): in-process through Django's test client, on a generated
PostgreSQL company (``generate_orders.py``)."""

from __future__ import annotations

import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


@dataclasses.dataclass
class Timing:
    cold_ms: float
    best_ms: float
    median_ms: float
    queries: int
    slowest_sql: str  # the slowest statement of the last warm run, with its parameters


def setup(first_database: str) -> None:
    server = os.environ.get("BENCH_PG", "postgres@127.0.0.1:5432")  # as generate_orders.py
    os.environ["DATABASE_URL"] = f"postgres://{server}/{first_database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ordercrm.settings")
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host is let in


def use_database(database: str) -> None:
    from django.conf import settings
    from django.db import connections

    connections.close_all()
    settings.DATABASES["default"]["NAME"] = database
    connections["default"].settings_dict["NAME"] = database


def timed_and_printed(label: str, name: str, client, url: str, runs: int, headers=None) -> Timing:
    """``timed``, and its line: ``<label> page='<name>' cold_ms=… best_ms=… median_ms=…``."""
    timing = timed(client, url, runs, headers)
    print(
        f"{label} page={name!r} cold_ms={timing.cold_ms:.0f} best_ms={timing.best_ms:.0f} "
        f"median_ms={timing.median_ms:.0f} queries={timing.queries}",
        flush=True,
    )
    return timing


def timed(client, url: str, runs: int, headers: dict | None = None) -> Timing:
    """One request with the cache emptied (cold), then ``runs`` more (best and median: on
    a machine shared with other work the best is the page's own cost)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = headers or {}
    cache.clear()
    start = time.perf_counter()
    response = client.get(url, **headers)
    cold = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url, **headers)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
            times.append((time.perf_counter() - start) * 1000)
    slowest = max(captured.captured_queries, key=lambda q: float(q["time"]), default={"sql": ""})
    return Timing(cold, min(times), statistics.median(times), len(captured), slowest["sql"])


def print_table(names: list[str], tables: list[dict], header_of) -> None:
    """One row per page, one column per database: warm best ms (cold in brackets when it is
    more than half as much again), and the query count."""
    header = ["page"] + [header_of(t) for t in tables]
    print()
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name in names:
        cells = [name]
        for t in tables:
            timing = t["pages"][name]
            cell = f"{timing.best_ms:.0f} ms"
            if timing.cold_ms > timing.best_ms * 1.5 and timing.cold_ms - timing.best_ms > 20:
                cell += f" (cold {timing.cold_ms:.0f})"
            cells.append(f"{cell}, {timing.queries} q")
        print("| " + " | ".join(cells) + " |")
