"""Real faults for the idempotency and rate-limit tests (test code only, never installed).

``InnerFault`` sits just inside ``IdempotencyMiddleware``: it acts after the view returned —
the service's atomic block has completed — but before the request's transaction commits.
``OuterFault`` sits just outside it: it acts after the commit, as a response lost on its way
out would. Both obey request headers, so a test (in process or against a live server) picks
the fault per request:

- ``X-Fault-Raise: inner`` / ``outer``: raise an exception there (the client gets a 5xx);
- ``X-Fault-Sleep: <s>``: sleep that long inside, after touching the ``X-Fault-Marker`` file
  (so a test knows the effect is done and uncommitted, and can cut the database or kill the
  process then);
- every response says which process answered in ``X-Fault-Pid``.
"""

from __future__ import annotations

import os
import pathlib
import time

IDEMPOTENCY = "ordercrm.api.middleware.IdempotencyMiddleware"


class InjectedFault(RuntimeError):
    pass


def with_faults(middleware: list[str]) -> list[str]:
    at = middleware.index(IDEMPOTENCY)
    return [
        *middleware[:at],
        f"{__name__}.OuterFault",
        IDEMPOTENCY,
        f"{__name__}.InnerFault",
        *middleware[at + 1 :],
    ]


class InnerFault:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        seconds = request.headers.get("X-Fault-Sleep")
        if seconds:
            marker = request.headers.get("X-Fault-Marker")
            if marker:
                pathlib.Path(marker).touch()
            time.sleep(float(seconds))
        if request.headers.get("X-Fault-Raise") == "inner":
            raise InjectedFault("injected after the view, before the commit")
        response["X-Fault-Pid"] = str(os.getpid())
        return response


class OuterFault:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.headers.get("X-Fault-Raise") == "outer":
            raise InjectedFault("injected after the commit")
        return response
