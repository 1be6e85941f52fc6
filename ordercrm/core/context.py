"""Where a change comes from (web, api, import, system, admin), carried in a context variable.

The edge sets it once per request or command; audit entries read it. Services therefore need
no ``source`` argument, and a task or import that forgets to set it is recorded as ``system``.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar

SOURCES = ("web", "api", "admin", "import", "cli", "system")

_current_source: ContextVar[str] = ContextVar("ordercrm_source", default="system")


def current_source() -> str:
    return _current_source.get()


@contextlib.contextmanager
def change_source(source: str):
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    token = _current_source.set(source)
    try:
        yield
    finally:
        _current_source.reset(token)
