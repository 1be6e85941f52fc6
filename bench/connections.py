"""Database connections of N gunicorn workers, with and without persistent connections
(``CONN_MAX_AGE``), and with a replica (issue 20 goal 8; docs/scaling.md).

    BENCH_PG=postgres@127.0.0.1:5433 python bench/generate_orders.py --orders 10000
    python bench/connections.py --database ordercrm_bench_10000 --workers 4 --clients 8 \\
        [--primary postgres@127.0.0.1:5433] [--replica postgres@127.0.0.1:5434] \
        [--via postgres@127.0.0.1:6435]      # PgBouncer (transaction pooling) to the primary

For each ``CONN_MAX_AGE`` in ``--ages`` (default 0 and 60): gunicorn with ``--workers`` sync
workers, ``--clients`` threads sending ``GET /api/v1/orders`` for ``--seconds``; meanwhile
``pg_stat_activity`` is sampled every 50 ms on the primary (and the replica). Prints per run
``requests_per_s``, ``p50_ms``, the most connections seen at once on each server and the
sessions the primary opened (``pg_stat_database.sessions``) per 1,000 requests.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_token(url: str) -> str:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ordercrm.settings")
    import django

    django.setup()
    from django.db import connections

    from ordercrm.accounts.models import User
    from ordercrm.accounts.tokens import token_create

    raw = token_create(user=User.objects.get(username="bench-admin"), name="connections")[1]
    connections.close_all()  # counted: only gunicorn's connections
    return raw


def run(args, age: int, token: str) -> dict:
    import psycopg

    # the app may reach the primary through PgBouncer (--via); counts are on the servers
    primary_url = f"postgres://{args.via or args.primary}/{args.database}"
    env = {
        **os.environ,
        "DATABASE_URL": primary_url,
        "CONN_MAX_AGE": str(age),
        "ORDERCRM_API_RATE_LIMIT": "0",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    env.pop("DATABASE_REPLICA_URL", None)
    if args.via:
        env["ORDERCRM_PGBOUNCER"] = "1"
    if args.replica:
        env["DATABASE_REPLICA_URL"] = f"postgres://{args.replica}/{args.database}"
    port = free_port()
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "ordercrm.wsgi", "-w", str(args.workers)),
            *("-b", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "120"),
        ],
        env=env,
        cwd=ROOT,
    )
    watched = {"primary": args.primary} | ({"replica": args.replica} if args.replica else {})
    seen = dict.fromkeys(watched, 0)
    stop = threading.Event()

    def watch(side: str, server_at: str):
        with psycopg.connect(f"postgresql://{server_at}/postgres", autocommit=True) as c:
            while not stop.is_set():
                (n,) = c.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                    "AND pid <> pg_backend_pid()",
                    [args.database],
                ).fetchone()
                seen[side] = max(seen[side], n)
                time.sleep(0.05)

    def sessions() -> int:
        with psycopg.connect(f"postgresql://{args.primary}/postgres", autocommit=True) as c:
            return c.execute(
                "SELECT sessions FROM pg_stat_database WHERE datname = %s", [args.database]
            ).fetchone()[0]

    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        times, lock = [], threading.Lock()
        deadline = [0.0]

        def client():
            request = urllib.request.Request(
                f"{base}/api/v1/orders?limit=20", headers={"Authorization": f"Bearer {token}"}
            )
            while time.perf_counter() < deadline[0]:
                start = time.perf_counter()
                with urllib.request.urlopen(request, timeout=60) as response:
                    response.read()
                with lock:
                    times.append((time.perf_counter() - start) * 1000)

        deadline[0] = time.perf_counter() + 2  # warm: each worker connects and imports
        warm = [threading.Thread(target=client) for _ in range(args.clients)]
        for t in warm:
            t.start()
        for t in warm:
            t.join()
        times.clear()
        watchers = [threading.Thread(target=watch, args=item) for item in watched.items()]
        for t in watchers:
            t.start()
        before = sessions()
        started = time.perf_counter()
        deadline[0] = started + args.seconds
        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        opened = sessions() - before
        stop.set()
        for t in watchers:
            t.join()
    finally:
        server.terminate()
        server.wait()
    return {
        "conn_max_age": age,
        "workers": args.workers,
        "via_pgbouncer": bool(args.via),
        "clients": args.clients,
        "requests_per_s": round(len(times) / elapsed, 1),
        "p50_ms": round(statistics.median(times), 1),
        **{f"max_connections_{side}": n for side, n in seen.items()},
        "sessions_opened_per_1000_requests": round(opened * 1000 / len(times), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="ordercrm_bench_10000")
    parser.add_argument("--primary", default="postgres@127.0.0.1:5433")
    parser.add_argument("--replica", default="")
    parser.add_argument("--via", default="", help="PgBouncer in front of the primary")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--ages", default="0,60")
    args = parser.parse_args()
    token = make_token(f"postgres://{args.primary}/{args.database}")
    for age in (int(a) for a in args.ages.split(",")):
        result = run(args, age, token)
        print(" ".join(f"{k}={v}" for k, v in result.items()), flush=True)


if __name__ == "__main__":
    main()
