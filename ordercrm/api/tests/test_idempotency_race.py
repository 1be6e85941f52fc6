"""Two identical POSTs with the same Idempotency-Key racing on PostgreSQL: one effect, and
both clients get the same answer."""

import json
import threading

import pytest
from django.db import connection
from django.test import Client

from ordercrm.accounts.tokens import token_create
from ordercrm.sales.models import SalesOrder

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_racing_twins_make_one_order_and_get_the_same_response(company, rep, customer, products):
    _token, raw = token_create(user=rep, name="race")
    body = json.dumps({"customer_id": str(customer.pk), "lines": [{"sku": "P0", "quantity": "1"}]})
    answers = []
    start = threading.Barrier(4)

    def post():
        try:
            start.wait()
            response = Client().post(
                "/api/v1/orders",
                data=body,
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {raw}",
                HTTP_IDEMPOTENCY_KEY="race-1",
            )
            answers.append((response.status_code, response.json().get("id")))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert SalesOrder.objects.for_company(company).count() == 1
    assert len(set(answers)) == 1, answers
    assert answers[0][0] == 201
