"""Webhooks reach public addresses only: refused at subscription (service and API) and again
at delivery, where the connection goes to the address that was checked (DNS rebinding)."""

from __future__ import annotations

import json
import socket

import pytest
from django.conf import settings as django_settings

from ordercrm.accounts.roles import Role
from ordercrm.accounts.tokens import token_create
from ordercrm.core.exceptions import ValidationFailed
from ordercrm.core.models import AuditEntry
from ordercrm.notifications import services, worker
from ordercrm.notifications.models import Delivery, DeliveryStatus, WebhookSubscription

REFUSED = [
    "http://127.0.0.1:8080/hook",
    "http://127.1/hook",
    "http://localhost/hook",
    "http://LOCALHOST./hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://0.0.0.0/hook",
    "http://[::]/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/hook",
    "http://10.1.2.3/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.10/hook",
    "http://100.64.0.1/hook",
    "http://[fd00::1]/hook",
    "http://224.0.0.1/hook",
    "http://2130706433/hook",  # 127.0.0.1 as one number
    "ftp://93.184.216.34/hook",
    "http:///hook",
    "http://93.184.216.34:99999/hook",
    "javascript:alert(1)",
]


def test_private_addresses_are_off_by_default():
    assert django_settings.WEBHOOKS_ALLOW_PRIVATE is False


@pytest.mark.parametrize("url", REFUSED)
def test_a_non_public_or_malformed_url_is_refused_and_nothing_is_made(company, admin, url):
    audit_before = AuditEntry.objects.for_company(company).count()
    with pytest.raises(ValidationFailed) as raised:
        services.webhook_create(company=company, actor=admin, url=url, event_types=["*"])
    assert raised.value.code == "core.validation_failed"
    assert list(raised.value.details["fields"]) == ["url"]
    assert not WebhookSubscription.objects.for_company(company).exists()
    assert AuditEntry.objects.for_company(company).count() == audit_before


@pytest.mark.parametrize(
    "url", ["https://93.184.216.34/hook", "https://erp.example/hook", "http://[2606:4700::1]/"]
)
def test_a_public_address_or_a_name_not_yet_resolvable_is_accepted(company, admin, url):
    hook = services.webhook_create(company=company, actor=admin, url=url, event_types=["*"])
    assert hook.url == url


def test_the_api_answers_422_naming_the_url(client, company, admin):
    _token, raw = token_create(user=admin)
    response = client.post(
        "/api/v1/webhooks",
        json.dumps({"url": "http://127.0.0.1:9/hook", "event_types": ["*"]}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "core.validation_failed"
    assert "url" in error["details"]["fields"]
    assert not WebhookSubscription.objects.for_company(company).exists()


def test_the_setting_lets_a_local_receiver_subscribe(company, admin, receiver):
    endpoint = receiver()  # the fixture turns WEBHOOKS_ALLOW_PRIVATE on
    services.webhook_create(company=company, actor=admin, url=endpoint.url, event_types=["*"])


def test_delivery_checks_again_and_sends_nothing_to_a_private_address(
    company, admin, customer, receiver, settings
):
    """A subscription that passed when it was made (an older row, a name that pointed
    elsewhere) is checked again at every delivery."""
    from ordercrm.core import events

    endpoint = receiver()
    services.webhook_create(
        company=company, actor=admin, url=endpoint.url, event_types=["test.ping"]
    )
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    events.emit(type="test.ping", entity=customer, payload={})
    worker.run_once()
    delivery = Delivery.objects.for_company(company).get(webhook__isnull=False)
    assert delivery.status == DeliveryStatus.FAILED
    assert "public internet addresses" in delivery.last_error
    assert endpoint.requests == []


def test_delivery_connects_to_the_address_it_checked(
    company, admin, customer, receiver, monkeypatch
):
    """DNS rebinding: the name answers the receiver once, then another address; the POST goes
    to the address that was resolved and checked, never to a second lookup. (The resolver is
    replaced because no DNS server we control runs here.)"""
    from ordercrm.core import events

    endpoint = receiver()
    port = endpoint.server.server_address[1]
    services.webhook_create(
        company=company,
        actor=admin,
        url=f"http://hooks.rebind.test:{port}/hook",
        event_types=["test.ping"],
    )
    real = socket.getaddrinfo
    answers = iter(["127.0.0.1"])

    def rebinding(host, port, *args, **kwargs):
        if host == "hooks.rebind.test":
            address = next(answers, "10.255.255.1")  # later lookups: somewhere else
            return real(address, port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    events.emit(type="test.ping", entity=customer, payload={})
    worker.run_once()
    delivery = Delivery.objects.for_company(company).get(webhook__isnull=False)
    assert (delivery.status, delivery.response_code) == (DeliveryStatus.SENT, 200)
    assert len(endpoint.requests) == 1
    assert endpoint.requests[0]["headers"]["host"] == f"hooks.rebind.test:{port}"


def test_a_redirect_is_not_followed(company, admin, customer, receiver):
    from ordercrm.core import events

    endpoint = receiver(statuses=[302])
    services.webhook_create(
        company=company, actor=admin, url=endpoint.url, event_types=["test.ping"]
    )
    events.emit(type="test.ping", entity=customer, payload={})
    worker.run_once()
    delivery = Delivery.objects.for_company(company).get(webhook__isnull=False)
    assert (delivery.status, delivery.response_code) == (DeliveryStatus.FAILED, 302)
    assert len(endpoint.requests) == 1


def test_only_a_member_who_sees_every_record_may_subscribe(company, make_user, team):
    from ordercrm.accounts.models import Membership
    from ordercrm.core.exceptions import PermissionDenied

    narrow = make_user(Role.ADMIN, company, username="narrow-admin", team=team)
    Membership.objects.filter(user=narrow).update(record_scope="team")
    with pytest.raises(PermissionDenied) as raised:
        services.webhook_create(
            company=company, actor=narrow, url="https://erp.example/hook", event_types=["*"]
        )
    assert raised.value.code == "notifications.webhook_scope"
    assert not WebhookSubscription.objects.for_company(company).exists()
