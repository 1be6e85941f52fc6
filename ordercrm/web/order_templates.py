"""Order template pages: list, new (from scratch or from an order), edit (name, sharing,
lines), deactivate / reactivate. Lines are typed as ``SKU quantity`` per line, as in stock
entry; each valid form calls one service in ``sales.services.templates``."""

from __future__ import annotations

import contextlib
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ordercrm.core.exceptions import DomainError, NotFound
from ordercrm.core.permissions import Perm
from ordercrm.customers import selectors as customer_selectors
from ordercrm.sales import selectors as sales_selectors
from ordercrm.sales import services as sales
from ordercrm.web.customers import STATUS_CHOICES, attach_errors
from ordercrm.web.decorators import member_view
from ordercrm.web.errors import error_lines

PAGE_SIZE = 50


class TemplateForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    customer = forms.CharField(
        label=gettext_lazy("Customer"),
        required=False,
        help_text=gettext_lazy(
            "Code or name. Empty: shared with the whole company; "
            "a customer's template is offered only for that customer."
        ),
    )
    lines = forms.CharField(
        label=gettext_lazy("Lines"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy("One line each: product code and quantity, e.g. P0 5."),
    )


def _lines_text(template) -> str:
    rows = []
    for line in sales_selectors.template_lines(template):
        if line.get("product") is not None:
            quantity = Decimal(str(line.get("quantity") or 0)).normalize()
            rows.append(f"{line['product'].sku} {quantity:f}")
    return "\n".join(rows)


def _save(request, form, template=None):
    """Run the form through its service; a refusal goes on the form's fields."""
    from ordercrm.web.stock import parse_quantity_lines

    data = form.cleaned_data
    access = request.access
    customer = None
    try:
        if data["customer"].strip():
            customer = customer_selectors.customer_find(access, data["customer"])
        lines = parse_quantity_lines(data["lines"])
        if template is None:
            return sales.template_create(
                company=access.company,
                actor=request.user,
                name=data["name"],
                lines=lines,
                customer=customer,
            )
        return sales.template_update(
            template=template,
            actor=request.user,
            version=_int(request.POST.get("version")),
            name=data["name"],
            customer=customer,
            lines=lines,
        )
    except DomainError as error:
        if error.details.get("rows") or error.details.get("lines"):
            form.add_error("lines", "; ".join(error_lines(error)[1:]) or error.text)
            return [error.text]
        lines_shown = attach_errors(form, error)
        if isinstance(error, sales.StaleTemplate):
            lines_shown = [
                _(
                    "Someone else saved this template after you opened it. Your changes are "
                    "kept below and nothing was saved; save again to apply them."
                )
            ]
        return lines_shown


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@member_view
def template_list(request):
    access = request.access
    status = request.GET.get("status", "active")
    status = status if status in dict(STATUS_CHOICES) else "active"
    search = request.GET.get("q", "")
    customer_id = request.GET.get("customer", "")
    customer = None
    if customer_id:
        try:
            customer = customer_selectors.customer_get(access, customer_id)
        except (NotFound, ValueError, TypeError):
            customer = None
    templates = sales_selectors.template_list(
        access, customer_id=customer.pk if customer else None, status=status, search=search
    )
    page = Paginator(templates, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/template_list.html",
        {
            "page": page,
            "q": search,
            "status": status,
            "statuses": STATUS_CHOICES,
            "customer": customer,
            "query": urlencode(
                {"q": search, "status": status, **({"customer": customer.pk} if customer else {})}
            ),
        },
    )


@member_view
def template_new(request):
    """A new template; ``?order=`` starts from that order's lines and customer,
    ``?customer=`` from that customer."""
    access = request.access
    access.require(Perm.ORDER_EDIT)
    initial = {}
    if request.GET.get("order"):
        order = sales_selectors.order_get(access, request.GET["order"])
        lines = sales_selectors.order_lines(order)
        initial = {
            "name": order.number,
            "customer": order.customer.code,
            "lines": "\n".join(
                f"{line.product.sku} {line.quantity.normalize():f}"
                for line in lines
                if line.product_id
            ),
        }
    elif request.GET.get("customer"):
        with contextlib.suppress(NotFound, ValueError, TypeError):
            initial["customer"] = customer_selectors.customer_get(
                access, request.GET["customer"]
            ).code
    form = TemplateForm(request.POST or None, initial=initial)
    errors = []
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form)
        if not isinstance(saved, list):
            messages.success(request, _("Order template saved."))
            return HttpResponseRedirect(reverse("template_edit", args=[saved.pk]))
        errors = saved
    return render(
        request,
        "web/template_form.html",
        {"form": form, "errors": errors, "template": None},
        status=422 if request.method == "POST" else 200,
    )


@member_view
def template_edit(request, template_id):
    access = request.access
    template = sales_selectors.template_get(access, template_id)
    initial = {
        "name": template.name,
        "customer": template.customer.code if template.customer_id else "",
        "lines": _lines_text(template),
    }
    form = TemplateForm(request.POST or None, initial=initial)
    errors = []
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, template)
        if not isinstance(saved, list):
            messages.success(request, _("Order template saved."))
            return HttpResponseRedirect(reverse("template_edit", args=[saved.pk]))
        errors = saved
    return render(
        request,
        "web/template_form.html",
        {"form": form, "errors": errors, "template": template},
        status=422 if request.method == "POST" else 200,
    )


@require_POST
@member_view
def template_status(request, template_id, action):
    template = sales_selectors.template_get(request.access, template_id)
    if action not in ("deactivate", "reactivate"):
        raise NotFound()
    sales.template_set_active(template=template, actor=request.user, active=action == "reactivate")
    messages.success(
        request,
        _("Order template deactivated.")
        if action == "deactivate"
        else _("Order template reactivated."),
    )
    return HttpResponseRedirect(reverse("template_edit", args=[template.pk]))
