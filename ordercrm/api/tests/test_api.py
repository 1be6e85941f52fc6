"""API v1 end to end over HTTP: auth, the order-to-cash flow, idempotency, optimistic
concurrency, the error shape, cursor pagination, scope and the OpenAPI document."""

import io
import json

import pytest
from django.core.management import call_command

from ordercrm.accounts.roles import Role
from ordercrm.accounts.tokens import token_create
from tests.factories import counters_written_by_hand


@pytest.fixture
def bearer(company):
    def make(user):
        _token, raw = token_create(user=user, name="test")
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return make


@pytest.fixture
def call(client):
    def do(method, path, auth, body=None, **headers):
        kwargs = {**auth, **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        response = getattr(client, method)(f"/api/v1{path}", **kwargs)
        return response.status_code, (
            response.json() if response["Content-Type"].startswith("application/json") else response
        )

    return do


@pytest.fixture
def team_users(make_user, company, team):
    return {
        "manager": make_user(Role.SALES_MANAGER, company, username="mgr", team=team),
        "finance": make_user(Role.FINANCE, company, username="fin"),
        "warehouse": make_user(Role.WAREHOUSE, company, username="wh"),
    }


def test_no_or_bad_token_is_401_with_the_error_shape(db, call):
    status, body = call("get", "/me", {})
    assert status == 401
    assert body["error"]["code"] == "api.unauthorized"
    status, body = call("get", "/me", {"HTTP_AUTHORIZATION": "Bearer nope"})
    assert (status, body["error"]["code"]) == (401, "api.unauthorized")


def test_token_command_prints_the_token_last_and_it_works(company, rep, call):
    out = io.StringIO()
    call_command("token", "create", "rep", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    status, body = call("get", "/me", {"HTTP_AUTHORIZATION": f"Bearer {raw}"})
    assert status == 200
    assert (body["username"], body["company"]) == ("rep", company.code)
    assert "order_edit" in body["permissions"]


def test_order_to_cash_over_the_api(company, rep, customer, products, team_users, bearer, call):
    rep_auth, manager, finance, warehouse = (
        bearer(rep),
        bearer(team_users["manager"]),
        bearer(team_users["finance"]),
        bearer(team_users["warehouse"]),
    )
    # stock
    status, warehouses = call("get", "/warehouses", warehouse)
    main = next(w for w in warehouses if w["code"] == "main")
    status, moves = call(
        "post",
        "/stock/receipts",
        warehouse,
        {
            "warehouse_id": main["id"],
            "lines": [{"sku": "P0", "quantity": "50"}, {"sku": "P1", "quantity": "5"}],
        },
    )
    assert status == 201
    assert len(moves) == 2
    status, levels = call("get", f"/stock?product_id={products[0].pk}", warehouse)
    assert levels[0]["available"] == "50"
    # an approval rule through the service (admin settings), then an order
    from ordercrm.accounts.services import user_create
    from ordercrm.sales.models import RuleKind
    from ordercrm.sales.services import approval_rule_create

    admin = user_create(
        username="adm", password="x", company=company, role=Role.ADMIN, check_password=False
    )
    approval_rule_create(
        company=company, actor=admin, name="big", kind=RuleKind.ORDER_TOTAL, threshold=100
    )
    status, order = call(
        "post",
        "/orders",
        rep_auth,
        {
            "customer_id": str(customer.pk),
            "lines": [{"sku": "P0", "quantity": "10"}, {"sku": "P1", "quantity": "2"}],
        },
    )
    assert status == 201, order
    assert order["status"] == "draft"
    assert order["total_gross"] == "137.86"
    assert order["lines"][0]["quantity"] == "10"
    status, order = call("post", f"/orders/{order['id']}/submit", rep_auth, {})
    assert order["status"] == "pending_approval"
    status, inbox = call("get", "/approvals", manager)
    assert [i["order"]["id"] for i in inbox] == [order["id"]]
    status, _body = call("post", f"/orders/{order['id']}/approve", rep_auth, {})
    assert (status, _body["error"]["code"]) == (
        403,
        "core.permission_denied",
    )  # a sales rep cannot approve
    status, order = call("post", f"/orders/{order['id']}/approve", manager, {"comment": "ok"})
    assert order["status"] == "confirmed"
    assert order["lines"][0]["quantity_reserved"] == "10"
    # ship part
    first_line = order["lines"][0]["id"]
    status, shipment = call(
        "post",
        f"/orders/{order['id']}/shipments",
        warehouse,
        {
            "lines": [{"order_line_id": first_line, "quantity": "4"}],
            "dispatch": False,
            "carrier": "SF",
        },
    )
    assert status == 201
    assert shipment["status"] == "draft"
    status, shipment = call(
        "post", f"/shipments/{shipment['id']}/dispatch", warehouse, {"tracking_number": "SF9"}
    )
    assert (shipment["status"], shipment["tracking_number"]) == ("dispatched", "SF9")
    status, order = call("get", f"/orders/{order['id']}", rep_auth)
    assert order["fulfilment_status"] == "partially_shipped"
    # invoice (on shipment: automatic) and pay
    status, invoices = call("get", f"/orders/{order['id']}/invoices", finance)
    [invoice] = invoices
    assert invoice["status"] == "issued"
    assert invoice["lines"][0]["quantity"] == "4"
    status, payment = call(
        "post",
        "/payments",
        finance,
        {
            "customer_id": str(customer.pk),
            "amount": invoice["gross_total"],
            "currency": "CNY",
            "method": "wechat_pay",
            "reference": "WX-1",
            "allocations": [{"invoice_id": invoice["id"], "amount": invoice["gross_total"]}],
        },
    )
    assert status == 201
    assert payment["unallocated"] == "0.00"
    status, invoice = call("get", f"/invoices/{invoice['id']}", finance)
    assert invoice["status"] == "paid"
    status, note = call(
        "post",
        f"/invoices/{invoice['id']}/credit-notes",
        finance,
        {
            "lines": [{"invoice_line_id": invoice["lines"][0]["id"], "quantity": "1"}],
            "reason": "damaged",
        },
    )
    assert status == 201
    assert note["kind"] == "credit_note"
    status, timeline = call("get", f"/orders/{order['id']}/timeline", rep_auth)
    assert {"order.submitted", "order.approved"} <= {t["title"] for t in timeline}
    status, pdf = call("get", f"/orders/{order['id']}/pdf", rep_auth)
    assert status == 200
    assert pdf["Content-Type"] == "application/pdf"
    status, pdf = call("get", f"/invoices/{invoice['id']}/pdf", finance)
    assert status == 200
    assert pdf.content.startswith(b"%PDF")


def test_idempotency_key_replays_and_refuses_a_different_body(
    company, rep, customer, products, bearer, call
):
    auth = bearer(rep)
    body = {"customer_id": str(customer.pk), "lines": [{"sku": "P0", "quantity": "1"}]}
    first_status, first = call("post", "/orders", auth, body, **{"Idempotency-Key": "k-1"})
    again_status, again = call("post", "/orders", auth, body, **{"Idempotency-Key": "k-1"})
    assert first_status == again_status == 201
    assert again["id"] == first["id"]
    from ordercrm.sales.models import SalesOrder

    assert SalesOrder.objects.for_company(company).count() == 1
    status, error = call(
        "post", "/orders", auth, {**body, "notes": "x"}, **{"Idempotency-Key": "k-1"}
    )
    assert status == 409
    assert error["error"]["code"] == "api.idempotency_key_reused"


def test_stale_writes_are_refused_with_the_current_version(
    company, rep, customer, products, bearer, call
):
    auth = bearer(rep)
    status, order = call(
        "post",
        "/orders",
        auth,
        {"customer_id": str(customer.pk), "lines": [{"sku": "P0", "quantity": "1"}]},
    )
    status, updated = call(
        "patch",
        f"/orders/{order['id']}",
        auth,
        {"notes": "first"},
        **{"If-Match": f'"{order["version"]}"'},
    )
    assert status == 200
    assert updated["version"] == order["version"] + 1
    status, error = call(
        "patch", f"/orders/{order['id']}", auth, {"notes": "late", "version": order["version"]}
    )
    assert status == 409
    assert error["error"]["code"] == "sales.stale_version"
    assert error["error"]["details"]["current_version"] == updated["version"]
    status, error = call(
        "patch",
        f"/orders/{order['id']}",
        auth,
        {"notes": "late"},
        **{"If-Match": f'"{order["version"]}"'},
    )
    assert (status, error["error"]["code"]) == (
        412,
        "sales.stale_version",
    )  # a failed If-Match precondition
    status, current = call("get", f"/orders/{order['id']}", auth)
    assert current["version"] == updated["version"]


def test_bad_input_gets_a_clear_error_and_changes_nothing(company, rep, customer, bearer, call):
    auth = bearer(rep)
    status, error = call(
        "post",
        "/orders",
        auth,
        {"customer_id": str(customer.pk), "lines": [{"sku": "NOPE", "quantity": "1"}]},
    )
    assert status == 422
    assert error["error"]["code"] == "core.validation_failed"
    status, error = call("post", "/orders", auth, {"lines": []})
    assert status == 422
    status, error = call("get", "/orders/not-a-uuid", auth)
    assert status == 404
    assert error["error"]["code"] == "core.not_found"


def test_record_scope_hides_other_reps_orders_even_by_id(
    company, rep, customer, products, make_user, bearer, call
):
    other = make_user(Role.SALES_REP, company, username="other-rep")
    status, order = call(
        "post",
        "/orders",
        bearer(rep),
        {"customer_id": str(customer.pk), "lines": [{"sku": "P0", "quantity": "1"}]},
    )
    status, _error = call("get", f"/orders/{order['id']}", bearer(other))
    assert (status, _error["error"]["code"]) == (404, "core.not_found")
    status, listing = call("get", "/orders", bearer(other))
    assert listing["items"] == []


def test_cursor_pagination_while_orders_are_being_created(
    company, rep, customer, products, bearer, call
):
    """Keyset pages: orders created between page requests cause no duplicate and no gap."""
    auth = bearer(rep)

    def create():
        status, order = call(
            "post",
            "/orders",
            auth,
            {"customer_id": str(customer.pk), "lines": [{"sku": "P0", "quantity": "1"}]},
        )
        assert status == 201
        return order["number"]

    existing = [create() for _ in range(5)]

    def walk(query: str) -> tuple[list[str], list[str]]:
        seen, created, cursor = [], [], None
        while True:
            url = f"/orders?limit=2&{query}" + (f"&cursor={cursor}" if cursor else "")
            _status, page = call("get", url, auth)
            assert (page["limit"], page["cursor"]) == (2, cursor)
            seen += [o["number"] for o in page["items"]]
            cursor = page["next"]
            if not cursor:
                return seen, created
            created.append(create())  # someone else enters an order meanwhile

    newest_first, created = walk("order=-created_at")
    assert newest_first == existing[::-1]  # the new ones sort before the cursor: not seen
    oldest_first, created_later = walk("order=created_at")
    # oldest first, everything that existed is seen once, in order, and so are the orders
    # created while paging (they sort after the cursor)
    assert oldest_first == existing + created + created_later
    assert len(set(oldest_first)) == len(oldest_first)


def test_order_list_filters_on_the_progress_axes(company, rep, customer, products, bearer, call):
    from django.db.models import F

    from ordercrm.sales.models import SalesOrder, SalesOrderLine

    auth = bearer(rep)
    numbers = []
    for _ in range(2):
        _status, order = call(
            "post",
            "/orders",
            auth,
            {"customer_id": str(customer.pk), "lines": [{"sku": "P0", "quantity": "2"}]},
        )
        numbers.append(order["number"])
    SalesOrderLine.all_objects.filter(order__number=numbers[0]).update(qty_shipped=F("quantity"))
    counters_written_by_hand(SalesOrder.all_objects.get(number=numbers[0]))
    _status, page = call("get", "/orders?fulfilment_status=shipped", auth)
    assert [o["number"] for o in page["items"]] == [numbers[0]]
    assert page["items"][0]["fulfilment_status"] == "shipped"
    _status, page = call("get", "/orders?fulfilment_status=not_shipped&payment_status=unpaid", auth)
    assert [o["number"] for o in page["items"]] == [numbers[1]]
    status, body = call("get", "/orders?invoice_status=free", auth)
    assert (status, body["error"]["code"]) == (422, "core.validation_failed")
    status, body = call("get", "/orders?cursor=not-a-cursor", auth)
    assert (status, body["error"]["code"]) == (400, "api.bad_cursor")


def test_events_feed_and_webhooks(company, admin, bearer, call, customer):
    auth = bearer(admin)
    status, hook = call(
        "post", "/webhooks", auth, {"url": "https://erp.example/hook", "event_types": ["*"]}
    )
    assert status == 201
    assert len(hook["secret"]) == 64
    status, hooks = call("get", "/webhooks", auth)
    assert "secret" not in hooks[0] or hooks[0]["secret"] is None
    status, feed = call("get", "/events?limit=1", auth)
    assert status == 200
    assert len(feed["items"]) == 1


def test_openapi_document_is_complete(client):
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/me",
        "/api/v1/customers",
        "/api/v1/products",
        "/api/v1/price-lists",
        "/api/v1/warehouses",
        "/api/v1/stock",
        "/api/v1/stock/receipts",
        "/api/v1/stock/adjustments",
        "/api/v1/stock/receipts/{stock_receipt_id}",
        "/api/v1/stock/receipts/{stock_receipt_id}/reverse",
        "/api/v1/orders",
        "/api/v1/orders/{order_id}/submit",
        "/api/v1/orders/{order_id}/amend",
        "/api/v1/orders/{order_id}/shipments",
        "/api/v1/shipments/{shipment_id}/dispatch",
        "/api/v1/orders/{order_id}/invoices",
        "/api/v1/invoices/{invoice_id}/credit-notes",
        "/api/v1/payments",
        "/api/v1/approvals",
        "/api/v1/orders/{order_id}/timeline",
        "/api/v1/events",
        "/api/v1/webhooks",
    ):
        assert path in paths, path
    assert schema["components"]["securitySchemes"]
    components = schema["components"]["schemas"]

    def referenced(body_schema):
        refs = [body_schema.get("$ref")] + [o.get("$ref") for o in body_schema.get("anyOf", [])]
        return [components[r.split("/")[-1]] for r in refs if r]

    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation.get("summary") or operation.get("description"), (method, path)
            assert {"400", "401", "403", "404", "409", "412", "422", "429"} <= set(
                operation["responses"]
            ), path
            body = operation.get("requestBody")
            if body and "application/json" not in body["content"]:
                # an upload (case attachments): a multipart form with its fields
                assert body["content"]["multipart/form-data"]["schema"], path
            elif body:  # every request body documents an example a client can start from
                schemas = referenced(body["content"]["application/json"]["schema"])
                assert schemas, (method, path)
                assert all(s.get("examples") for s in schemas), (method, path)
    assert components["ErrorOut"]["examples"][0]["error"]["code"]


def test_etag_accept_language_and_docs_offline(
    client, company, rep, customer, products, bearer, call
):
    auth = bearer(rep)
    _status, order = call(
        "post",
        "/orders",
        auth,
        {"customer_id": str(customer.pk), "lines": [{"sku": "P0", "quantity": "1"}]},
    )
    response = client.get(f"/api/v1/orders/{order['id']}", **auth)
    assert response["ETag"] == f'"{order["version"]}"'
    _status, empty = call("post", "/orders", auth, {"customer_id": str(customer.pk), "lines": []})
    response = client.post(
        f"/api/v1/orders/{empty['id']}/submit",
        **auth,
        HTTP_ACCEPT_LANGUAGE="zh-hans",
        data="{}",
        content_type="application/json",
    )
    body = response.json()
    assert body["error"]["code"] == "sales.empty_order"
    assert "订单" in body["error"]["message"]
    docs = client.get("/api/docs", follow=True)
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()


def test_rate_limit_answers_429_with_retry_after(settings, rep, bearer, client):
    from django.core.cache import cache

    cache.clear()
    settings.API_RATE_LIMIT = 3
    auth = bearer(rep)
    codes = [client.get("/api/v1/me", **auth).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.get("/api/v1/me", **auth)
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "api.rate_limited"


@pytest.mark.parametrize(
    "role",
    [Role.SALES_REP, Role.SALES_MANAGER, Role.FINANCE, Role.WAREHOUSE, Role.VIEWER, Role.SUPPORT],
)
def test_access_matrix_never_leaks_by_id(
    role, company, other_company, make_user, make_customer, products, team, bearer, call
):
    """role × endpoint × record (own, team, other team, other company): what the caller may
    not see answers 404 (never 403), and lists do not contain it."""
    from ordercrm.accounts.services import team_create
    from ordercrm.sales.services import order_create

    west = team_create(company=company, name="West")
    me = make_user(role, company, username=f"me-{role}", team=team)
    teammate = make_user(Role.SALES_REP, company, username=f"mate-{role}", team=team)
    stranger = make_user(Role.SALES_REP, company, username=f"far-{role}", team=west)
    outsider = make_user(Role.ADMIN, other_company, username=f"out-{role}")

    def order_of(owner, the_company):
        customer = make_customer(the_company, actor=owner, name=f"C {owner.username}")
        from ordercrm.catalog.models import Product

        product = Product.objects.for_company(the_company).first() or products[0]
        return order_create(
            company=the_company,
            actor=owner,
            customer=customer,
            lines=[] if the_company != company else [{"product": product, "quantity": 1}],
        )

    records = {
        "own": order_of(me, company) if role in (Role.SALES_REP, Role.SALES_MANAGER) else None,
        "team": order_of(teammate, company),
        "other_team": order_of(stranger, company),
        "other_company": order_of(outsider, other_company),
    }
    auth = bearer(me)
    from ordercrm.accounts.access import access_for

    access = access_for(me, company)
    visible = (
        {
            str(pk)
            for pk in __import__("ordercrm.sales.selectors", fromlist=["order_list"])
            .order_list(access)
            .values_list("pk", flat=True)
        }
        if access.can("order_view")
        else set()
    )
    _status, listing = call("get", "/orders?limit=200", auth)
    listed = {o["id"] for o in listing.get("items", [])}
    for name, order in records.items():
        if order is None:
            continue
        for path in (
            f"/orders/{order.pk}",
            f"/orders/{order.pk}/lines",
            f"/orders/{order.pk}/timeline",
            f"/orders/{order.pk}/shipments",
            f"/orders/{order.pk}/invoices",
        ):
            code, _body = call("get", path, auth)
            if str(order.pk) in visible:
                assert code == 200, (role, name, path)
            else:
                assert code == 404, (role, name, path, code)
        assert (str(order.pk) in listed) == (str(order.pk) in visible), (role, name)
    assert str(records["other_company"].pk) not in visible
