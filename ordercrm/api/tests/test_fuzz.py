"""Schemathesis generates requests from the OpenAPI document for every operation; none may
end in a server error (5xx). Run as an administrator (everything allowed) with a customer and
products in place, so generated requests reach the services."""

import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import response_schema_conformance

from ordercrm.accounts.tokens import token_create


def test_no_operation_ends_in_a_server_error(admin, customer, products):
    _token, raw = token_create(user=admin, name="fuzz")
    headers = {"Authorization": f"Bearer {raw}"}
    # Like Django's test client: keep the test transaction's connection open across requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
        failures, operations, statuses, mismatches = [], 0, [], []

        def check(operation):
            @settings(
                max_examples=5,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy())
            def run(case):
                response = case.call(headers=headers)
                statuses.append(response.status_code)
                if response.status_code >= 500:
                    failures.append((operation.label, response.status_code, response.text[:300]))
                    return
                try:
                    case.validate_response(response, checks=[response_schema_conformance])
                except Exception as error:
                    mismatches.append((operation.label, response.status_code, str(error)[:300]))

            run()

        for result in schema.get_all_operations():
            operations += 1
            check(result.ok())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert operations >= 40
    assert failures == []
    assert mismatches == []
    assert sum(200 <= code < 300 for code in statuses) >= operations // 2  # auth works, calls land
