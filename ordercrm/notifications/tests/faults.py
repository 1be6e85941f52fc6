"""Parts for the worker fault tests: a webhook receiver that can be slow or fail, worker and
server subprocesses on the test's database, and a throwaway PostgreSQL cluster to stop."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.db import connection


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout: float = 40.0, every: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


class Hooks:
    """A webhook receiver on loopback; each subscriber is a path. Records every request with
    its event id and the answer given; answers 500 while ``failing``, after ``delay``."""

    def __init__(self, delay: float = 0.0):
        self.delay, self.failing = delay, False
        self.requests: list[dict] = []
        self.started = 0
        self._lock = threading.Lock()
        hooks = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with hooks._lock:
                    hooks.started += 1
                time.sleep(hooks.delay)
                status = 500 if hooks.failing else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"{}")
                with hooks._lock:
                    hooks.requests.append(
                        {
                            "path": self.path,
                            "event": self.headers["X-OrderCRM-Event-Id"],
                            "body_id": json.loads(body)["id"],
                            "delivery": self.headers["X-OrderCRM-Delivery-Id"],
                            "status": status,
                            "at": time.monotonic(),
                        }
                    )

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def ok(self) -> list[dict]:
        with self._lock:
            return [r for r in self.requests if r["status"] == 200]

    def tally(self) -> dict:
        """Figures: sent (200s), duplicates (extra 200s for one event and subscriber),
        failed answers, and whether every retry carried its event id."""
        with self._lock:
            requests = list(self.requests)
        ok = [(r["path"], r["event"]) for r in requests if r["status"] == 200]
        per_delivery: dict[str, set] = {}
        for r in requests:
            per_delivery.setdefault(r["delivery"], set()).add((r["path"], r["event"]))
        return {
            "requests": len(requests),
            "sent": len(set(ok)),
            "duplicates": len(ok) - len(set(ok)),
            "answered_500": sum(r["status"] == 500 for r in requests),
            "same_event_id_on_retry": all(r["event"] == r["body_id"] for r in requests)
            and all(len(v) == 1 for v in per_delivery.values()),
        }

    def close(self) -> None:
        self.server.shutdown()


def database_url() -> str:
    """The URL of the database this test process uses (pytest-django's test database)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class Child:
    """``python -m ordercrm <args>`` with its own environment, output kept in a log file."""

    def __init__(self, args: list[str], log: Path, **env: str):
        self.log = log
        self.handle = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ordercrm", *args],
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
            stdout=self.handle,
            stderr=subprocess.STDOUT,
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> int | None:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.handle.close()
        return self.process.returncode


def worker(log: Path, database: str | None = None, **env: str) -> Child:
    return Child(
        ["worker"],
        log,
        DATABASE_URL=database or database_url(),
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        **env,
    )


class Cluster:
    """A throwaway PostgreSQL cluster on its own port (``pg_createcluster``), stopped and
    started by the test; never the shared one. ``available()`` says why not, if not."""

    def __init__(self):
        self.version = max(
            os.listdir("/etc/postgresql"), key=lambda v: [int(p) for p in v.split(".")]
        )
        self.name = f"wfault{os.getpid()}"
        self.port = free_port()

    @staticmethod
    def unavailable() -> str:
        for tool in ("pg_createcluster", "pg_ctlcluster", "pg_dropcluster"):
            if shutil.which(tool) is None:
                return f"{tool} is not installed"
        if not os.path.isdir("/etc/postgresql"):
            return "no /etc/postgresql"
        return ""

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, *args],
            check=True,
            capture_output=True,
        )

    def create(self) -> str:
        """Create and start it; returns an error text instead of raising."""
        made = subprocess.run(
            [
                "pg_createcluster",
                self.version,
                self.name,
                "-p",
                str(self.port),
                "--",
                "--auth=trust",
            ],
            capture_output=True,
            text=True,
        )
        if made.returncode:
            return made.stderr.strip() or "pg_createcluster failed"
        self.start()
        return ""

    def start(self) -> None:
        self._ctl("start")

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")  # sessions are cut, as when a server goes away

    def drop(self) -> None:
        subprocess.run(["pg_dropcluster", "--stop", self.version, self.name], capture_output=True)

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def sql(self, query: str, database: str = "postgres") -> list[tuple]:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database, autocommit=True
        ) as db:
            cursor = db.execute(query)
            return cursor.fetchall() if cursor.description else []


def kit(database: str, *args: str) -> dict:
    """Run ``faultkit`` against ``database``; its JSON answer."""
    done = subprocess.run(
        [sys.executable, "-m", "ordercrm.notifications.tests.faultkit", *args],
        env={**os.environ, "DATABASE_URL": database},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])
