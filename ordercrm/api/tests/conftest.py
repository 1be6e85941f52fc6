"""The API test clients: a request as a user, with a bearer token made for them once."""

from __future__ import annotations

import json

import pytest

from ordercrm.accounts.tokens import token_create


@pytest.fixture
def api(client):
    """``api(user)`` → ``call(method, path, body=None, **headers)`` → ``(status, json or None)``.

    Headers are given as keyword arguments (``Idempotency_Key="k"``); the body, when given, is
    sent as JSON.
    """
    tokens = {}

    def as_user(user):
        if user.pk not in tokens:
            tokens[user.pk] = token_create(user=user, name="test")[1]
        raw = tokens[user.pk]

        def call(method, path, body=None, **headers):
            kwargs = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
            kwargs.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
            if body is not None or method != "get":
                kwargs["data"] = json.dumps(body if body is not None else {})
                kwargs["content_type"] = "application/json"
            response = getattr(client, method)(f"/api/v1{path}", **kwargs)
            is_json = response.get("Content-Type", "").startswith("application/json")
            return response.status_code, response.json() if is_json else None

        return call

    return as_user


@pytest.fixture
def call(api):
    """``call(user, method, path, body=None)`` → ``(status, json)``: one request as ``user``."""

    def do(user, method, path, body=None, **headers):
        return api(user)(method, path, body, **headers)

    return do


# the one foreign-currency invoice of the exchange tests, shared with billing's
from ordercrm.billing.tests.conftest import usd_invoice  # noqa: E402, F401
