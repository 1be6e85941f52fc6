"""The sandbox company email templates render in.

Rule: a template sees only the plain values :mod:`ordercrm.notifications.sending` puts in its
context (strings, numbers, dates, lists and dicts of them, listed in :data:`FIELDS`), never a
model instance, a manager, the settings or a user. So ``{{ order.salesperson.password }}``,
``{{ customer.owner.auth_token }}`` or ``{{ settings.SECRET_KEY }}`` render as nothing: there is
no object behind them to walk.

Why Django's engine and not Jinja2's ``SandboxedEnvironment``: company templates are stored in
Django template syntax (filters like ``|date:"Y-m-d"``, ``{% if %}``), and Jinja2 is not a
dependency; switching would break every saved template. The protection does not come from the
engine's sandbox anyway but from the context being plain data. The engine adds defence in
depth: it is a private :class:`~django.template.Engine` with no template loaders, no tag
libraries (``{% load %}`` does not exist) and only the harmless built-in tags and filters —
no ``{% debug %}`` (it dumps the context and ``sys.modules``), no ``{% include %}`` /
``{% extends %}`` (they read other templates from disk), no ``{% url %}`` or
``{% csrf_token %}``. Names that begin with an underscore (``__class__``) are refused by Django
when the template is parsed.
"""

from __future__ import annotations

import functools

from django.template import Context, Engine, defaultfilters, defaulttags
from django.template.library import Library
from django.utils.translation import gettext_lazy as _

SAFE_TAGS = frozenset(
    {
        "comment",
        "cycle",
        "filter",
        "firstof",
        "for",
        "if",
        "ifchanged",
        "now",
        "regroup",
        "resetcycle",
        "spaceless",
        "templatetag",
        "verbatim",
        "widthratio",
        "with",
    }
)
# Every built-in filter is a pure function of its value; pprint would show reprs.
UNSAFE_FILTERS = frozenset({"pprint"})

# Read by Engine(builtins=[this module]).
register = Library()
register.tags.update({k: v for k, v in defaulttags.register.tags.items() if k in SAFE_TAGS})
register.filters.update(
    {k: v for k, v in defaultfilters.register.filters.items() if k not in UNSAFE_FILTERS}
)


class Record(dict):
    """A plain record for a template: a dict whose text, as ``{{ order }}``, is its label (what
    the model instance it replaces printed)."""

    def __init__(self, label: str, **fields):
        super().__init__(**fields)
        self.label = label

    def __str__(self) -> str:
        return self.label


class _SandboxEngine(Engine):
    default_builtins: list[str] = []  # not defaulttags/loader_tags: our safe subset instead


@functools.cache
def engine() -> Engine:
    return _SandboxEngine(
        dirs=[],
        app_dirs=False,
        loaders=[],
        libraries={},
        builtins=[__name__],
        debug=False,
        string_if_invalid="",
        autoescape=False,
    )


def compile_template(source: str):
    """Parse a company template in the sandbox; raises ``TemplateSyntaxError`` (unknown tag,
    ``{% load %}``, a name beginning with ``_``…) so the settings page can refuse it."""
    return engine().from_string(source)


def render(source: str, context: dict) -> str:
    """Render ``source`` over the plain ``context`` (plain text: nothing is HTML-escaped)."""
    return compile_template(source).render(Context(context, autoescape=False))


# What template authors may use, for the settings page and docs/email-templates.md. Each key is
# a variable path; "lines" items are dicts with the keys listed after the dot.
FIELDS: dict[str, object] = {
    "company.name / legal_name / email / phone / address": _("your company"),
    "customer.code / name / email / phone": _("the customer"),
    "contact.name / title / email / phone": _("the order's contact person (may be empty)"),
    "order.number / customer_reference / currency / status / status_label": _("the order"),
    "order.order_date / requested_date / valid_until": _("order dates"),
    "order.net_total / tax_total / gross_total": _("order amounts as numbers"),
    "order.total": _("order total with currency, in the customer's format"),
    "order.lines[].position / sku / product / description / quantity / unit / unit_price / "
    "discount_percent / net / total": _("order lines (loop with {% for line in order.lines %})"),
    "shipment.number / carrier / tracking_number / dispatched_on / lines[]": _("the shipment"),
    "invoice.number / issue_date / due_date / currency / total / amount_due": _("the invoice"),
    "payment.number / reference / method / received_on / currency / total": _("the payment"),
    "case.number / subject / status_label / type_label / priority_label / resolution / "
    "first_response_due / resolution_due / assignee": _("the after-sales case"),
    "reply": _("the support reply (case reply emails)"),
    "rma.number / status_label / return_instructions / documents / lines[].position / sku / "
    "description / quantity / decision": _("the return authorisation (RMA) and its lines"),
    "total / due_date / received_on / valid_until": _(
        "shortcuts: the email's amount and date, formatted"
    ),
}
