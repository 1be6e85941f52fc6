"""An idle worker: its CPU while nothing happens, and how fast it wakes for new work.

    python bench/worker_idle.py                  # PostgreSQL (ordercrm_bench_idle), 60 s idle
    python bench/worker_idle.py --idle 120 --events 20
    python bench/worker_idle.py --db sqlite      # no LISTEN/NOTIFY there: the backed-off poll

For each mode — ``notify`` (LISTEN/NOTIFY, the default) and ``poll`` (the old fixed 1 s poll,
``ORDERCRM_WORKER_WAKEUP=poll``) — it starts a real ``ordercrm worker`` process, lets it settle,
reads its CPU time (all threads, /proc/PID/stat utime + stime) over ``--idle`` seconds, then
commits ``--events`` events one at a time, each after a random pause of 2–6 s, and times
commit → the webhook POST arriving at a loopback receiver in this process (fan-out, lease and
send included). Last line: ``idle_cpu_percent=… wake_ms_p50=… wake_ms_max=…`` of the notify
mode, with the poll mode's figures beside it.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_NAME = "ordercrm_bench_idle"
ARRIVED: dict[str, float] = {}
ARRIVAL = threading.Condition()


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        now = time.monotonic()
        try:
            event_id = str(json.loads(body).get("id"))
        except ValueError:
            event_id = "?"
        with ARRIVAL:
            ARRIVED.setdefault(event_id, now)
            ARRIVAL.notify_all()
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database(kind: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp()}/idle.sqlite3"
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
        c.execute(f"CREATE DATABASE {PG_NAME}")
    return f"postgres://postgres@127.0.0.1:5432/{PG_NAME}"


def run_mode(mode: str, env: dict, customer, idle_s: float, events: int) -> dict:
    from django.db import transaction

    from ordercrm.core.events import emit
    from ordercrm.notifications.models import WorkerHeartbeat

    before = set(WorkerHeartbeat.objects.values_list("worker_id", flat=True))
    process = subprocess.Popen(
        [sys.executable, "-m", "ordercrm", "worker"],
        cwd=ROOT,
        env={**env, "ORDERCRM_WORKER_WAKEUP": mode},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not set(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) - before:
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(f"worker did not start: {process.stderr.read()[-2000:]}")
            time.sleep(0.5)
        # start-up done: imports, first rounds, the listener connected, the first sweep of
        # abandoned tasks (after two steady heartbeats) with its lazy imports
        time.sleep(25)
        cpu0, wall0 = cpu_seconds(process.pid), time.monotonic()
        time.sleep(idle_s)
        idle_cpu = (cpu_seconds(process.pid) - cpu0) / (time.monotonic() - wall0) * 100
        waits = []
        for _ in range(events):
            time.sleep(random.uniform(2, 6))
            with transaction.atomic():
                event = emit(type="bench.ping", entity=customer, payload={"mode": mode})
            committed = time.monotonic()
            key = str(event.pk)
            with ARRIVAL:
                ARRIVAL.wait_for(lambda key=key: key in ARRIVED, timeout=60)
            arrived = ARRIVED.get(key)
            waits.append((arrived - committed) * 1000 if arrived else float("inf"))
        return {
            "idle_cpu_percent": idle_cpu,
            "wake_ms_p50": statistics.median(waits),
            "wake_ms_max": max(waits),
        }
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--idle", type=float, default=60.0)
    parser.add_argument("--events", type=int, default=10)
    parser.add_argument("--modes", default="notify,poll")
    args = parser.parse_args()

    url = database(args.db)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "ordercrm.settings",
        "DJANGO_DEBUG": "0",
        "ORDERCRM_WEBHOOKS_ALLOW_PRIVATE": "1",
    }
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "ORDERCRM_WEBHOOKS_ALLOW_PRIVATE")})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ordercrm.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from ordercrm.accounts.roles import Role
    from ordercrm.accounts.services import user_create
    from ordercrm.core.services import company_create
    from ordercrm.customers.services import customer_create
    from ordercrm.notifications.services import webhook_create

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    company = company_create(code="idle", name="Idle")
    admin = user_create(
        username="idle", password="x", company=company, role=Role.ADMIN, check_password=False
    )
    customer = customer_create(company=company, actor=admin, name="Idle customer")
    webhook_create(
        company=company,
        actor=admin,
        url=f"http://127.0.0.1:{server.server_address[1]}/hook",
        event_types=["*"],
    )
    print(
        f"database={args.db} idle_s={args.idle:.0f} events={args.events} load={os.getloadavg()[0]:.1f}"
    )
    results = {}
    for mode in args.modes.split(","):
        results[mode] = run_mode(mode, env, customer, args.idle, args.events)
        r = results[mode]
        print(
            f"{mode:<7} idle_cpu_percent={r['idle_cpu_percent']:.3f} "
            f"wake_ms_p50={r['wake_ms_p50']:.0f} wake_ms_max={r['wake_ms_max']:.0f}"
        )
    main_mode = results.get("notify") or next(iter(results.values()))
    line = (
        f"idle_cpu_percent={main_mode['idle_cpu_percent']:.3f} "
        f"wake_ms_p50={main_mode['wake_ms_p50']:.0f} wake_ms_max={main_mode['wake_ms_max']:.0f}"
    )
    if "poll" in results and "notify" in results:
        old = results["poll"]
        line += (
            f" poll_idle_cpu_percent={old['idle_cpu_percent']:.3f}"
            f" poll_wake_ms_p50={old['wake_ms_p50']:.0f} poll_wake_ms_max={old['wake_ms_max']:.0f}"
        )
    print(line)
    server.shutdown()


if __name__ == "__main__":
    main()
