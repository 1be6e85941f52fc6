"""Real receivers on loopback: an SMTP server (aiosmtpd) and an HTTP webhook endpoint."""

import http.server
import json
import threading
from email import message_from_bytes, policy

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse


@pytest.fixture
def smtp_server(settings):
    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(
                {
                    "to": envelope.rcpt_tos,
                    "message": message_from_bytes(envelope.content, policy=policy.default),
                }
            )
            return "250 OK"

    import socket

    with socket.socket() as probe:  # a free port (aiosmtpd checks it by connecting)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.DEFAULT_FROM_EMAIL = "sales@acme.example"
    yield received
    controller.stop()


class Receiver:
    """Records every POST; answers ``statuses`` in turn (then 200)."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.requests = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.requests.append({"headers": headers, "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def payloads(self):
        return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture
def receiver(settings, monkeypatch):
    """A webhook receiver on loopback: private addresses are allowed for the test (and for
    a worker process it starts, through the environment)."""
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    monkeypatch.setenv("ORDERCRM_WEBHOOKS_ALLOW_PRIVATE", "1")
    made = []

    def make(statuses=()):
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for r in made:
        r.server.shutdown()


@pytest.fixture
def finance(make_user, company):
    return make_user(Role.FINANCE, company, username="fin")


@pytest.fixture
def keeper(make_user, company):
    return make_user(Role.WAREHOUSE, company, username="keeper")


@pytest.fixture
def stocked(company, keeper, products):
    inventory.stock_receive(
        company=company,
        actor=keeper,
        warehouse=Warehouse.objects.for_company(company).get(code="main"),
        lines=[{"product": p, "quantity": 100} for p in products],
    )
    return products
