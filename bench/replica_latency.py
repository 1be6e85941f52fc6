"""Many machines (issue 20 goal 8): list, report and export pages read from a streaming
replica against the same pages read from the primary, and the replica's lag.

    # a throwaway primary on 5433 with a streaming replica on 5434 (docs/scaling.md)
    BENCH_PG=postgres@127.0.0.1:5433 python bench/generate_orders.py --orders 10000
    python bench/replica_latency.py --database ordercrm_bench_10000 \\
        --primary postgres@127.0.0.1:5433 --replica postgres@127.0.0.1:5434

In process through Django's test client with ``DEBUG`` off and the router on
(``DATABASE_REPLICA_URL`` set). Each page is timed twice, interleaved: as a user with no
recent change (its reads go to the replica) and as the same user just after a change (the
read-your-writes mark is set: the primary). Prints one line per page and side, then
``replica_vs_primary=`` (median of the pages' best-time ratios), then the lag: a row
inserted on the primary, polled on the replica until it is there (``lag_ms`` median and max
of ``--lag-samples``), and how many of the page's queries each side answered.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PAGES = [
    ("API orders, first page", "api", "/api/v1/orders"),
    ("API orders, not shipped", "api", "/api/v1/orders?fulfilment_status=not_shipped"),
    ("order list", "web", "/orders/"),
    ("order list, overpaid", "web", "/orders/?payment=overpaid"),
    ("customer list", "web", "/customers/"),
    ("invoice list", "web", "/invoices/"),
    ("dashboard", "web", "/"),
    ("receivables aging", "web", "/receivables/"),
    ("sales report", "web", "/reports/"),
    ("orders export (csv)", "web", "/orders/export.csv"),
]


def setup(database: str, primary: str, replica: str) -> None:
    os.environ["DATABASE_URL"] = f"postgres://{primary}/{database}"
    os.environ["DATABASE_REPLICA_URL"] = f"postgres://{replica}/{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ordercrm.settings")
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()


def per_alias(client, url: str, headers: dict) -> dict:
    """How many queries of one request each alias answered."""
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    with (
        CaptureQueriesContext(connections["default"]) as p,
        CaptureQueriesContext(connections["replica"]) as r,
    ):
        response = client.get(url, **headers)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    return {"primary": len(p), "replica": len(r)}


def timed(client, url: str, headers: dict, before=None) -> float:
    if before:
        before()
    start = time.perf_counter()
    response = client.get(url, **headers)
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    ms = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return ms


def lag(primary: str, replica: str, database: str, samples: int) -> list[float]:
    import psycopg

    with (
        psycopg.connect(f"postgresql://{primary}/{database}", autocommit=True) as p,
        psycopg.connect(f"postgresql://{replica}/{database}", autocommit=True) as r,
    ):
        p.execute("CREATE TABLE IF NOT EXISTS bench_replica_lag (n bigint PRIMARY KEY)")
        p.execute("TRUNCATE bench_replica_lag")
        time.sleep(0.5)
        found = []
        for n in range(samples):
            p.execute("INSERT INTO bench_replica_lag VALUES (%s)", [n])
            start = time.perf_counter()
            while not r.execute("SELECT 1 FROM bench_replica_lag WHERE n = %s", [n]).fetchone():
                time.sleep(0.0005)
            found.append((time.perf_counter() - start) * 1000)
            time.sleep(0.05)
        p.execute("DROP TABLE bench_replica_lag")
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="ordercrm_bench_10000")
    parser.add_argument("--primary", default="postgres@127.0.0.1:5433")
    parser.add_argument("--replica", default="postgres@127.0.0.1:5434")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--lag-samples", type=int, default=50)
    args = parser.parse_args()
    setup(args.database, args.primary, args.replica)

    from django.conf import settings
    from django.core.cache import cache
    from django.test import Client

    from ordercrm.accounts.models import User
    from ordercrm.accounts.tokens import token_create
    from ordercrm.core.db import recent_write_key

    assert not settings.DEBUG, "DEBUG is on: unset DEBUG"
    admin = User.objects.get(username="bench-admin")
    web = Client()
    web.force_login(admin)
    raw = token_create(user=admin, name="bench replica")[1]
    clients = {"web": (web, {}), "api": (Client(), {"HTTP_AUTHORIZATION": f"Bearer {raw}"})}

    def wrote():
        cache.set(recent_write_key(admin.pk), 1, timeout=60)

    def fresh():
        cache.delete(recent_write_key(admin.pk))

    ratios = []
    for name, who, url in PAGES:
        client, headers = clients[who]
        for before in (fresh, wrote):  # warm both connections and templates
            timed(client, url, headers, before)
        fresh()
        on_replica = per_alias(client, url, headers)
        wrote()
        on_primary = per_alias(client, url, headers)
        sides = {"replica": [], "primary": []}
        for _ in range(args.runs):
            sides["replica"].append(timed(client, url, headers, fresh))
            sides["primary"].append(timed(client, url, headers, wrote))
        best = {side: min(times) for side, times in sides.items()}
        median = {side: statistics.median(times) for side, times in sides.items()}
        ratios.append(best["replica"] / best["primary"])
        print(
            f"page={name!r} replica_best_ms={best['replica']:.1f} "
            f"replica_median_ms={median['replica']:.1f} primary_best_ms={best['primary']:.1f} "
            f"primary_median_ms={median['primary']:.1f} "
            f"queries_when_fresh={on_replica} queries_after_a_write={on_primary}",
            flush=True,
        )
    print(f"pages={len(PAGES)} replica_vs_primary={statistics.median(ratios):.2f}")
    found = lag(args.primary, args.replica, args.database, args.lag_samples)
    print(
        f"lag_ms_median={statistics.median(found):.1f} lag_ms_max={max(found):.1f} "
        f"samples={len(found)} read_your_writes_s={settings.REPLICA_READ_YOUR_WRITES_S}"
    )


if __name__ == "__main__":
    main()
