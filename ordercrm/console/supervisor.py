"""A small supervisor: keep one child process running, restarting it when it ends.

``ordercrm serve`` runs the background worker under it, so a worker that dies (killed, out of
memory, a bug) comes back by itself instead of leaving emails and webhooks queued until
someone notices. In production, run ``ordercrm worker`` under systemd or supervisord with
``Restart=always`` instead; this is the same policy for the one-machine setup.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
import time

logger = logging.getLogger(__name__)


class Supervisor:
    """Start ``argv``; whenever it exits (for any reason, any status) start it again after a
    pause of ``first`` seconds doubling to ``cap``, back to ``first`` once a run lasted
    ``healthy_after`` seconds, so a crash loop does not spin. Each exit and restart is logged.
    ``stop()`` ends the child (SIGTERM, then SIGKILL after ``grace``) and restarts no more."""

    def __init__(
        self,
        argv: list[str],
        *,
        name: str = "worker",
        first: float = 1.0,
        cap: float = 30.0,
        healthy_after: float = 60.0,
        grace: float = 15.0,
    ):
        self.argv, self.name = argv, name
        self.first, self.cap, self.healthy_after, self.grace = first, cap, healthy_after, grace
        self.process: subprocess.Popen | None = None
        self.restarts = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._owner = os.getpid()
        self._thread = threading.Thread(target=self._loop, name=f"supervise-{name}", daemon=True)

    def start(self) -> Supervisor:
        self._thread.start()
        return self

    def _loop(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            started = time.monotonic()
            with self._lock:
                if self._stopping.is_set():
                    return
                self.process = subprocess.Popen(self.argv)  # noqa: S603 - our own command line
            logger.info("%s started (pid %s)", self.name, self.process.pid)
            code = self.process.wait()
            if self._stopping.is_set():
                return
            ran = time.monotonic() - started
            failures = 1 if ran >= self.healthy_after else failures + 1
            delay = min(self.cap, self.first * 2 ** (failures - 1))
            self.restarts += 1
            logger.warning(
                "%s (pid %s) exited with status %s after %.1f s; restart %s in %.1f s",
                self.name,
                self.process.pid,
                code,
                ran,
                self.restarts,
                delay,
            )
            self._stopping.wait(delay)

    def stop(self) -> None:
        # Forked web workers inherit this object (and atexit hooks); only its owner stops it.
        if os.getpid() != self._owner:
            return
        self._stopping.set()
        with self._lock:
            process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=self.grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
