"""Where a webhook may be sent: public addresses only, checked when the subscription is made
and again at every delivery (server-side request forgery).

Rule: a webhook URL is ``http(s)://host[:port]/path``; every address its host resolves to must
be a public (globally routable) unicast address — not loopback (127/8, ::1), link-local
(169.254/16, where cloud metadata lives; fe80::/10), private (10/8, 172.16/12, 192.168/16,
fc00::/7), shared (100.64/10), unspecified (0.0.0.0, ::), multicast or reserved. The check is
repeated at delivery and the connection goes to the address that was checked, so a name that
resolves to a public address at creation and to 127.0.0.1 later (DNS rebinding) is refused.
Redirects are not followed (one could point inside).

``settings.WEBHOOKS_ALLOW_PRIVATE`` (env ``ORDERCRM_WEBHOOKS_ALLOW_PRIVATE``, default off)
lifts the address rule, for a receiver on the same machine or network in development and in
the tests.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _


class TargetRefused(Exception):
    """The URL is malformed, does not resolve, or reaches a non-public address."""

    def __init__(self, message, *, reason: str):
        super().__init__(str(message))
        self.message = message
        self.reason = reason  # stable: bad_url | unresolvable | not_public


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked address to connect to


def allow_private() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE", False))


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback
    return ip.is_global and not ip.is_multicast


def parse(url: str) -> tuple[str, str, int, str]:
    """``(scheme, host, port, path)`` of an http(s) URL, or :class:`TargetRefused`."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise TargetRefused(_("Enter an http:// or https:// URL."), reason="bad_url") from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused(_("Enter an http:// or https:// URL."), reason="bad_url")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise TargetRefused(
            _("The webhook host %(host)s does not resolve.") % {"host": host},
            reason="unresolvable",
        ) from error
    return list(dict.fromkeys(info[4][0] for info in infos))


def check(addresses: list[str], host: str) -> None:
    if allow_private():
        return
    if not addresses or not all(is_public(a) for a in addresses):
        raise TargetRefused(
            _(
                "Webhooks can only be sent to public internet addresses; %(host)s is a "
                "loopback, link-local, private or unspecified address."
            )
            % {"host": host},
            reason="not_public",
        )


def check_url_for_subscription(url: str) -> None:
    """At subscription: the URL is well formed and, if its host resolves now, only to public
    addresses (a host that does not resolve yet is accepted: delivery checks again)."""
    _scheme, host, port, _path = parse(url)
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):  # RFC 6761: always loopback
        check(["127.0.0.1"], host)
    try:
        addresses = resolve(host, port)
    except TargetRefused:
        return
    check(addresses, host)


def target_for_delivery(url: str) -> Target:
    """Resolve and check now; the sender connects to ``Target.address``, not to the name."""
    scheme, host, port, path = parse(url)
    addresses = resolve(host, port)
    check(addresses, host)
    return Target(scheme, host, port, path, addresses[0])
