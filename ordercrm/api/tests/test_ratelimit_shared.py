"""The API rate limit is one limit per token across every web process: counted in Django's
cache (the database cache by default, Redis when ``ORDERCRM_REDIS_URL`` is set), whose
increment is atomic across processes."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings

from ordercrm.accounts.tokens import token_create
from ordercrm.api.tests.live import ROOT, LiveServer, shared_database_url

pytestmark = pytest.mark.django_db(transaction=True)
LIMIT = 12
REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except Exception:  # no Redis here: skip
        return False


def _same_window(seconds_needed: float = 15) -> None:
    """Start where the fixed one-minute window has room for the whole test."""
    left = 60 - time.time() % 60
    if left < seconds_needed:
        time.sleep(left + 0.2)


@pytest.mark.parametrize("backend", ["database", "redis"])
def test_two_processes_share_one_limit(backend, rep):
    env = {"ORDERCRM_API_RATE_LIMIT": str(LIMIT)}
    if backend == "redis":
        if not _redis_up():
            pytest.skip("no Redis on 6379")
        env |= {"ORDERCRM_REDIS_URL": REDIS_URL, "ORDERCRM_CACHE_PREFIX": f"t{uuid.uuid4().hex}"}
    servers = [LiveServer(**env), LiveServer(**env)]
    try:
        _token, raw = token_create(user=rep, name="rate")
        auth = {"Authorization": f"Bearer {raw}"}
        _same_window()

        def get(i: int) -> int:
            url = f"{servers[i % 2].url}/api/v1/me"
            return requests.get(url, headers=auth, timeout=30).status_code

        with ThreadPoolExecutor(6) as pool:  # concurrent, interleaved over both processes
            codes = list(pool.map(get, range(LIMIT * 2)))
        assert codes.count(200) == LIMIT, codes
        assert codes.count(429) == LIMIT, codes
        refused = requests.get(f"{servers[1].url}/api/v1/me", headers=auth, timeout=30)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "api.rate_limited"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
    finally:
        for server in servers:
            server.stop()


COUNTER = """
import django, sys
django.setup()
from django.core.cache import cache
for _ in range(int(sys.argv[2])):
    cache.incr(sys.argv[1])
"""


def test_database_cache_incr_loses_nothing_across_processes():
    from django.core.cache import cache

    key = f"count-{uuid.uuid4().hex}"
    cache.set(key, 0, 300)
    env = {
        "DJANGO_SETTINGS_MODULE": "ordercrm.settings",
        "DATABASE_URL": shared_database_url(),
        "SECRET_KEY": settings.SECRET_KEY,
        "PYTHONPATH": str(ROOT),
        "PATH": "/usr/bin:/bin",
    }
    workers = [
        subprocess.Popen([sys.executable, "-c", COUNTER, key, "60"], env=env, cwd=ROOT)
        for _ in range(3)
    ]
    assert [w.wait(120) for w in workers] == [0, 0, 0]
    assert cache.get(key) == 180
