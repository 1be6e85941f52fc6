"""The API rate limit: ``API_RATE_LIMIT`` requests per token per minute, shared by every web
process through Django's cache (Redis when ``ORDERCRM_REDIS_URL`` is set, the database cache
otherwise; both increment atomically).

A fixed window: the counter ``api-rate:<token>:<minute>`` is created on the first request of
the minute and incremented atomically by every request; beyond the limit the request is
refused with 429 and ``Retry-After`` (the seconds left in the window). A burst at a window
edge may reach twice the limit over sixty seconds; the limit per calendar minute is exact.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

WINDOW_S = 60


def hit(token_id) -> int | None:
    """Count one request of ``token_id``; ``None`` if allowed, else seconds to wait."""
    limit = getattr(settings, "API_RATE_LIMIT", 0)
    if not limit:
        return None
    now = time.time()
    key = f"api-rate:{token_id}:{int(now // WINDOW_S)}"
    try:
        count = cache.incr(key)
    except ValueError:  # the first request of the window (or the counter was culled)
        count = 1 if cache.add(key, 1, timeout=WINDOW_S * 2) else cache.incr(key)
    if count > limit:
        return max(1, WINDOW_S - int(now % WINDOW_S))
    return None
