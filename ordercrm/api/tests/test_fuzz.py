"""Schemathesis generates requests from the OpenAPI document for every operation, as every
role, and checks every answer with schemathesis' full default check set (not a server error,
status code, content type, response headers and schema conformance, …): none may end in a
5xx and none may break the documented schema.

Generated requests are positive (valid by the schema) and negative (invalid by it); path ids
are taken from real records half of the time so requests reach the services. A table of
hostile bodies (numbers beyond the columns, NaN, NUL, over-long text, null for required
fields, unknown fields, a 20 MB body) is sent to every write operation as well.
"""

from __future__ import annotations

import collections
import json

import pytest
import schemathesis
from django.conf import settings as settings_module
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup

from ordercrm.accounts.access import access_for
from ordercrm.accounts.roles import Role
from ordercrm.accounts.tokens import token_create
from ordercrm.billing.models import Invoice
from ordercrm.fulfilment import services as fulfilment
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse
from ordercrm.returns import services as returns
from ordercrm.sales import services as sales

pytestmark = pytest.mark.sweep  # a slow suite: ORDERCRM_SLOW_TESTS=1

EXAMPLES = 4  # per operation, mode and role; the sweep's size is printed
# Schemathesis' default checks, all on. A schema-valid request may still break a business rule
# (unknown product, over the credit limit, stale version, a cursor not from us): those are
# documented 4xx answers, so positive_data_acceptance accepts them besides 2xx.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", 400, 401, 403, 404, 409, 412, 422, 429]
            }
        }
    }
)


@pytest.fixture
def records(company, admin, rep, customer, products):
    warehouse = Warehouse.objects.for_company(company).get(code="main")
    inventory.stock_receive(
        company=company,
        actor=admin,
        warehouse=warehouse,
        lines=[{"product": p, "quantity": 100} for p in products],
    )
    # a second receipt, free of reservations, that a reversal can take back out
    [stock_receipt] = inventory.stock_receive(
        company=company,
        actor=admin,
        warehouse=warehouse,
        lines=[{"product": products[0], "quantity": 5}],
    )
    order = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": p, "quantity": 2} for p in products],
    )
    order = sales.order_submit(order=order, actor=rep)
    shipment = fulfilment.shipment_create(order=order, actor=admin)
    fulfilment.shipment_dispatch(shipment=shipment, actor=admin)
    invoice = Invoice.objects.for_company(company).first()
    from ordercrm.service.services import case_create

    case = case_create(
        company=company,
        actor=admin,
        customer=customer,
        order=order,
        subject="Fuzzed",
        lines=[{"order_line_id": str(order.lines.first().pk), "quantity": "1"}],
    )
    first_line = order.lines.order_by("position").first()
    rma = returns.rma_create(
        access_for(admin, company),
        order,
        [{"order_line_id": str(first_line.pk), "quantity": "2", "decision": "refund"}],
    )
    rma = returns.rma_approve(rma=rma, actor=admin)
    rma = returns.rma_receive(
        rma=rma,
        actor=admin,
        warehouse=warehouse,
        lines=[{"rma_line_id": str(rma.lines.get().pk), "quantity": "1"}],
    )
    return {
        "rma_id": str(rma.pk),
        "receipt_id": str(rma.receipts.get().receipt_id),
        "stock_receipt_id": str(stock_receipt.reference_id),
        "case_id": str(case.pk),
        "order_id": str(order.pk),
        "customer_id": str(customer.pk),
        "shipment_id": str(shipment.pk),
        "invoice_id": str(invoice.pk),
        "product_id": str(products[0].pk),
        "warehouse_id": str(warehouse.pk),
        "line_id": str(order.lines.first().pk),
    }


def _keep_connection():
    # Like Django's test client: keep the test transaction's connection open across requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)


def _restore_connection():
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _tokens(company, team, make_user):
    tokens = {}
    for role in Role.values:
        user = make_user(role, company, team=team)
        tokens[role] = token_create(user=user, name="fuzz")[1]
    return tokens


# Hostile (negative) input for the roles that reach the most code; every role gets valid input.
NEGATIVE_ROLES = (Role.ADMIN, Role.SALES_REP)


# On PostgreSQL the sweep looks for what that database refuses differently (NUL bytes in text,
# numeric overflow, strict types): input, not permissions, so the roles that reach the most
# code suffice there; SQLite's run keeps every role's access checks.
ON_POSTGRES = settings_module.DATABASES["default"]["ENGINE"].endswith("postgresql")
SWEPT_ROLES = NEGATIVE_ROLES if ON_POSTGRES else tuple(Role.values)


@pytest.mark.parametrize("role", SWEPT_ROLES)
def test_every_operation_as_every_role_meets_every_check(company, team, make_user, records, role):
    # One test per role, so the sweep spreads over the test workers.
    user = make_user(role, company, team=team)
    tokens = {role: token_create(user=user, name="fuzz")[1]}
    _keep_connection()
    try:
        schema = schemathesis.openapi.from_wsgi(
            "/api/v1/openapi.json", get_wsgi_application(), config=CONFIG
        )
        operations = [result.ok() for result in schema.get_all_operations()]
        cases, statuses = 0, collections.Counter()
        failures: dict[str, list] = collections.defaultdict(list)

        def check(operation, mode, role):
            headers = {"Authorization": f"Bearer {tokens[role]}"}

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
            )
            @given(case=operation.as_strategy(generation_mode=mode), real=st.booleans())
            def run(case, real):
                nonlocal cases
                if real and case.path_parameters:
                    for name in case.path_parameters:
                        if name in records:
                            case.path_parameters[name] = records[name]
                response = case.call(headers=headers)
                cases += 1
                statuses[response.status_code // 100] += 1
                try:
                    case.validate_response(response, headers=headers)
                except (FailureGroup, Exception) as error:  # one entry per failed check
                    for failure in getattr(error, "exceptions", [error]):
                        kind = type(failure).__name__
                        title = getattr(failure, "title", "") or kind
                        failures[title].append(
                            (operation.label, mode.value, role, response.status_code)
                        )

            run()

        modes = [GenerationMode.POSITIVE]
        if role in NEGATIVE_ROLES:
            modes.append(GenerationMode.NEGATIVE)
        for operation in operations:
            for mode in modes:
                check(operation, mode, role)
    finally:
        _restore_connection()
    summary = {title: len(items) for title, items in failures.items()}
    print(
        f"\nAPI sweep ({role}): {len(operations)} operations, {cases} cases, "
        f"statuses by class {dict(sorted(statuses.items()))}, failures by check {summary}"
    )
    for title, items in failures.items():
        for item in sorted(set(items))[:15]:
            print("  ", title, *item)
    assert len(operations) >= 40
    assert cases >= len(operations) * EXAMPLES * len(modes)
    assert dict(failures) == {}
    # auth works and calls land: the administrator reaches every operation, the others what
    # their role allows (the fewest, warehouse and support, see about 60 successes)
    assert statuses[2] >= (len(operations) if role == Role.ADMIN else 20)


# ---------------------------------------------------------------- the hostile table

HOSTILE_NUMBERS = ["1e20", "1e30", "NaN", "Infinity", "-Infinity", "99999999999999", "1e-30"]
HOSTILE_TEXT = ["a\x00b", "x" * 10_000]


def _hostile_bodies(example: dict):
    """Each field of an example body replaced by hostile values, one at a time, plus null for
    each field and an unknown field."""
    for key, value in example.items():
        if isinstance(value, str):
            for bad in HOSTILE_NUMBERS + HOSTILE_TEXT:
                yield key, {**example, key: bad}
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for inner in value[0]:
                for bad in [*HOSTILE_NUMBERS, *HOSTILE_TEXT, None]:
                    yield f"{key}.{inner}", {**example, key: [{**value[0], inner: bad}]}
        yield key, {**example, key: None}
    yield "unknown", {**example, "no_such_field": 1}


def test_hostile_bodies_are_refused_with_the_error_shape(client, admin, records):
    raw = token_create(user=admin, name="hostile")[1]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    spec = client.get("/api/v1/openapi.json", **headers).json()
    counts, failures = collections.Counter(), []
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if method not in ("post", "patch", "put") or not body:
                continue
            url = "/api/v1" + path.removeprefix("/api/v1")
            for name, value in records.items():
                url = url.replace("{" + name + "}", value)
            url = url.replace("{id}", records["order_id"])
            example = _example(spec, body["schema"], records)
            for field, payload in _hostile_bodies(example):
                response = getattr(client, method)(
                    url, json.dumps(payload), content_type="application/json", **headers
                )
                counts[response.status_code // 100] += 1
                if response.status_code >= 500 or (
                    "error" not in _json(response) and (response.status_code >= 400)
                ):
                    failures.append((method, path, field, response.status_code))
    big = client.post(
        "/api/v1/orders",
        b'{"customer_id": "' + b"x" * (20 * 1024 * 1024) + b'"}',
        content_type="application/json",
        **headers,
    )
    print(f"\nhostile API bodies: statuses by class {dict(sorted(counts.items()))}")
    assert big.status_code == 413
    assert big.json()["error"]["code"] == "core.request_too_large"
    assert failures == []
    assert counts[4] > 200


def _json(response):
    try:
        return response.json()
    except ValueError:
        return {}


def _resolve(spec, schema):
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _example(spec, schema, records) -> dict:
    schema = _resolve(spec, schema)
    examples = schema.get("examples")
    if examples:
        example = json.loads(json.dumps(examples[0]))
    else:
        example = {}
        for name, prop in schema.get("properties", {}).items():
            prop = _resolve(spec, prop)
            if prop.get("type") == "array":
                item = _resolve(spec, prop.get("items", {}))
                example[name] = [dict.fromkeys(item.get("properties", {}), "1")] if item else []
            elif prop.get("type") == "string":
                example[name] = "1"
    for key in list(example):
        if key.endswith("_id") and key in records:
            example[key] = records[key]
    return example


# ---------------------------------------------------------------- stateful sequences

STATEFUL_ROLES = (
    NEGATIVE_ROLES if ON_POSTGRES else (Role.ADMIN, Role.SALES_REP, Role.FINANCE, Role.WAREHOUSE)
)


def test_stateful_sequences_follow_what_the_api_answers(company, team, make_user, records):
    """Sequences of calls where each uses what an earlier answer returned (a customer id into
    an order, an order id into its actions, a shipment into its dispatch…): schemathesis infers
    the links from the OpenAPI document (its dependency analysis), runs them as a state
    machine per role with every default check, and no step may answer 5xx or break the
    schema."""
    tokens = _tokens(company, team, make_user)
    _keep_connection()
    steps = collections.Counter()
    try:
        for role in STATEFUL_ROLES:
            config = SchemathesisConfig.from_dict(
                {
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": [
                                "2xx",
                                "3xx",
                                400,
                                401,
                                403,
                                404,
                                409,
                                412,
                                422,
                                429,
                            ]
                        }
                    },
                    "headers": {"Authorization": f"Bearer {tokens[role]}"},
                }
            )
            schema = schemathesis.openapi.from_wsgi(
                "/api/v1/openapi.json", get_wsgi_application(), config=config
            )

            class AsRole(schema.as_state_machine()):
                # Each example starts from the same records: what one sequence did (a customer
                # merged away, a contact removed) is rolled back, or a replayed example would
                # meet different answers and hypothesis would call the strategy flaky.
                def __init__(self):
                    super().__init__()
                    self._example = transaction.atomic()
                    self._example.__enter__()

                def teardown(self):
                    transaction.set_rollback(True)
                    self._example.__exit__(None, None, None)
                    super().teardown()

                def after_call(self, response, case, role=role):
                    steps[(role, response.status_code // 100)] += 1
                    super().after_call(response, case)

            AsRole.run(
                settings=settings(
                    max_examples=20,
                    stateful_step_count=6,
                    deadline=None,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                    derandomize=True,
                )
            )
    finally:
        _restore_connection()
    print(f"\nStateful sweep: steps by (role, status class) {dict(sorted(steps.items()))}")
    assert sum(count for (_role, kind), count in steps.items() if kind == 2) >= len(STATEFUL_ROLES)
    assert not any(kind == 5 for (_role, kind) in steps)
