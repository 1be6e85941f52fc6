"""Customer pages: list, create, edit, deactivate/reactivate, merge, and the customer page
with its contacts, addresses, templates and reorder.

Forms are plain Django forms whose fields come from the models (labels and choices come
translated with the model); each valid form calls one service, which owns the rules
(duplicates, finance-only credit terms, defaults, the version check). A refusal is shown
next to the field it names, the input kept."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ordercrm.accounts.models import SalesTeam
from ordercrm.catalog.models import PriceList, TaxMapping
from ordercrm.core import dates
from ordercrm.core.db import reading_from_replica
from ordercrm.core.exceptions import DomainError, NotFound
from ordercrm.core.ids import parse_id
from ordercrm.core.permissions import Perm
from ordercrm.customers import selectors as customer_selectors
from ordercrm.customers import services as customers
from ordercrm.customers.models import Address, Contact, Customer, PaymentTerm
from ordercrm.web.decorators import member_view
from ordercrm.web.errors import error_lines

PAGE_SIZE = 50
STATUS_CHOICES = (
    ("active", gettext_lazy("Active")),
    ("inactive", gettext_lazy("Inactive")),
    ("all", gettext_lazy("All")),
)
# Who may change what: the form shows a field editable only when the service would let the
# user change it (the service still decides; this only spares a refusal).
GENERAL_FIELDS = [
    "name",
    "code",
    "kind",
    "tax_id",
    "phone",
    "email",
    "website",
    "language",
    "currency",
    "owner",
    "team",
    "price_list",
    "tax_mapping",
    "notes",
]
CREDIT_FIELDS = list(customers.CREDIT_FIELDS)


def attach_errors(form: forms.Form, error: DomainError) -> list[str]:
    """Put a refusal's field problems on the form's fields; return the lines left for the
    top of the form (the message, and problems of fields the form does not show)."""
    lines = [error.text]
    for field, problems in ((error.details or {}).get("fields") or {}).items():
        for problem in problems:
            if field in form.fields and not form.fields[field].disabled:
                form.add_error(field, problem)
            else:
                lines.append(problem)
    return lines


class CustomerForm(forms.Form):
    """The customer's fields, built from the model; ``credit`` adds the finance fields,
    ``general`` the others (finance without ``customer_edit`` gets only the credit ones)."""

    def __init__(self, *args, company, general=True, credit=False, creating=False, **kwargs):
        super().__init__(*args, **kwargs)
        names = (GENERAL_FIELDS if general else []) + (CREDIT_FIELDS if credit else [])
        self.fields.update(forms.fields_for_model(Customer, fields=names))
        if general:
            self.fields["tags"] = forms.CharField(
                label=gettext_lazy("Tags"),
                required=False,
                help_text=gettext_lazy("Separate tags with commas."),
            )
            self.fields["code"].required = not creating
            if creating:
                self.fields["code"].help_text = gettext_lazy("Empty: the next number.")
                self.fields["owner"].help_text = gettext_lazy("Empty: you.")
                self.fields["language"].initial = company.default_language
                self.fields["currency"].initial = company.base_currency
            from django.contrib.auth import get_user_model

            self.fields["owner"].queryset = get_user_model().objects.filter(
                memberships__company=company, memberships__is_active=True
            )
            self.fields["team"].queryset = SalesTeam.objects.for_company(company)
            self.fields["price_list"].queryset = PriceList.objects.for_company(company)
            # switched-off mappings are not offered, but the customer's own stays choosable:
            # saving its other fields must not fail on "select a valid choice"
            kept = self.initial.get("tax_mapping")
            kept_id = getattr(kept, "pk", kept)
            self.fields["tax_mapping"].queryset = TaxMapping.objects.for_company(company).filter(
                Q(is_active=True) | Q(pk=kept_id) if kept_id else Q(is_active=True)
            )
            self.fields["notes"].widget.attrs["rows"] = 3
        if credit:
            self.fields["payment_terms"].queryset = PaymentTerm.objects.for_company(company)
        if creating and general:
            # the duplicate check runs as these are typed (htmx), before anything is saved
            for name in ("name", "tax_id", "phone"):
                self.fields[name].widget.attrs.update(
                    {
                        "hx-get": reverse("customer_duplicates"),
                        "hx-trigger": "change, keyup changed delay:600ms",
                        "hx-target": "#duplicates",
                        "hx-include": "[name=name],[name=tax_id],[name=phone]",
                    }
                )

    def values(self) -> tuple[dict, list[str] | None]:
        data = dict(self.cleaned_data)
        tags = data.pop("tags", None)
        tag_list = None if tags is None else [t for t in tags.split(",") if t.strip()]
        return data, tag_list


def _can_edit_credit(access) -> bool:
    return access.can(Perm.CREDIT_CONTROL)


@member_view
@reading_from_replica()
def customer_list(request):
    """Customers the user may see: search, active / inactive / all, 50 a page."""
    access = request.access
    search = request.GET.get("q", "")
    status = request.GET.get("status", "active")
    status = status if status in dict(STATUS_CHOICES) else "active"
    rows = customer_selectors.customer_list(access, search=search, status=status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    from django.utils.http import urlencode

    return render(
        request,
        "web/customer_list.html",
        {
            "page": page,
            "q": search,
            "status": status,
            "statuses": STATUS_CHOICES,
            "query": urlencode({"q": search, "status": status}),
            "can_create": access.can(Perm.CUSTOMER_EDIT),
        },
    )


@member_view
def customer_duplicates(request):
    """The create form's live warning: customers in the user's scope with the same name,
    tax ID or phone, each linked; others only said to exist."""
    access = request.access
    access.require(Perm.CUSTOMER_EDIT)
    name = request.GET.get("name", "")[:200]
    tax_id = request.GET.get("tax_id", "")[:64]
    phone = request.GET.get("phone", "")[:64]
    found = {"matches": [], "hidden": False}
    if name.strip() or tax_id.strip() or phone.strip():
        found = customer_selectors.customer_possible_duplicates(
            access, company=access.company, name=name, tax_id=tax_id, phone=phone
        )
    return render(request, "web/customer_duplicates.html", {"found": found})


@member_view
def customer_new(request):
    """Create a customer. A possible duplicate is shown inline with links to the matches;
    ticking "Create anyway" saves it regardless."""
    access = request.access
    access.require(Perm.CUSTOMER_EDIT)
    company = access.company
    credit = _can_edit_credit(access)
    form = CustomerForm(request.POST or None, company=company, credit=credit, creating=True)
    errors: list[str] = []
    found = None
    if request.method == "POST" and form.is_valid():
        values, tags = form.values()
        if not values.get("code"):
            values.pop("code", None)
        # left empty, the service's defaults apply: the creator owns it (so a rep who sees
        # only their own customers sees it) with the creator's team
        for field in ("owner", "team"):
            if values.get(field) is None:
                values.pop(field, None)
        if credit and values.get("payment_terms") is None:
            values.pop("payment_terms", None)
        try:
            customer = customers.customer_create(
                company=company,
                actor=request.user,
                allow_duplicate=bool(request.POST.get("allow_duplicate")),
                tags=tags,
                **values,
            )
        except customers.PossibleDuplicate as error:
            errors = [error.text]
            found = {"matches": error.details["matches"], "hidden": error.details["hidden"]}
        except DomainError as error:
            errors = attach_errors(form, error)
        else:
            messages.success(request, _("Customer %(code)s created.") % {"code": customer.code})
            return HttpResponseRedirect(reverse("customer_detail", args=[customer.pk]))
    return render(
        request,
        "web/customer_form.html",
        {"form": form, "errors": errors, "found": found, "creating": True},
        status=422 if request.method == "POST" else 200,
    )


@member_view
def customer_edit(request, customer_id):
    """Edit a customer with the version it was opened at: if someone saved it since, the
    page says so, keeps the input, and a second save (now at the current version) applies
    it. Sales edit the general fields, finance the credit limit and payment terms."""
    access = request.access
    customer = customer_selectors.customer_get(access, customer_id)
    general = access.can(Perm.CUSTOMER_EDIT)
    credit = _can_edit_credit(access)
    if not general:
        access.require(Perm.CREDIT_CONTROL)
    initial = {name: getattr(customer, name) for name in GENERAL_FIELDS + CREDIT_FIELDS}
    initial["owner"], initial["team"] = customer.owner_id, customer.team_id
    initial["price_list"], initial["payment_terms"] = (
        customer.price_list_id,
        customer.payment_terms_id,
    )
    initial["tags"] = ", ".join(customer.tags.values_list("name", flat=True))
    form = CustomerForm(
        request.POST or None,
        initial=initial,
        company=access.company,
        general=general,
        credit=credit,
    )
    stale = False
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        values, tags = form.values()
        changes = {k: v for k, v in values.items() if k in form.changed_data}
        try:
            posted_version = int(request.POST.get("version", ""))
        except ValueError:
            posted_version = -1
        try:
            customers.customer_update(
                customer=customer,
                actor=request.user,
                version=posted_version,
                tags=tags if "tags" in form.changed_data else None,
                **changes,
            )
        except customers.StaleCustomer:
            stale = True
            errors = [
                _(
                    "Someone else saved this customer after you opened it. Your changes are "
                    "kept below and nothing was saved; check them and save again to apply them."
                )
            ]
        except DomainError as error:
            errors = attach_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return HttpResponseRedirect(reverse("customer_detail", args=[customer.pk]))
    return render(
        request,
        "web/customer_form.html",
        # the hidden version is the one read now: after a stale save, saving again applies
        {"form": form, "errors": errors, "customer": customer, "version": customer.version},
        status=(409 if stale else 422) if request.method == "POST" else 200,
    )


@require_POST
@member_view
def customer_status(request, customer_id, action):
    """Deactivate (with a reason) or reactivate; a refusal shows on the customer page."""
    customer = customer_selectors.customer_get(request.access, customer_id)
    service = {
        "deactivate": customers.customer_deactivate,
        "reactivate": customers.customer_reactivate,
    }.get(action)
    if service is None:
        raise NotFound()
    try:
        service(customer=customer, actor=request.user, reason=request.POST.get("reason", ""))
    except DomainError as error:
        return _detail(request, customer, errors=error_lines(error), status=422)
    if action == "deactivate":
        messages.success(request, _("Customer deactivated."))
    else:
        messages.success(request, _("Customer reactivated."))
    return HttpResponseRedirect(reverse("customer_detail", args=[customer.pk]))


@member_view
def customer_merge(request, customer_id):
    """Merge this customer (the duplicate) into another: choose the survivor, see what
    moves, confirm. The preview and the merge count with the same steps."""
    access = request.access
    access.require(Perm.CUSTOMER_MERGE)
    duplicate = customer_selectors.customer_get(access, customer_id)
    into = request.POST.get("into") or request.GET.get("into", "")
    survivor, preview, errors = None, None, []
    if into:
        try:
            survivor = customer_selectors.customer_find(access, into)
            preview = customers.customer_merge_preview(
                duplicate=duplicate, survivor=survivor, actor=request.user
            )
        except DomainError as error:
            errors = error_lines(error)
    if request.method == "POST" and preview is not None and not errors:
        try:
            customers.customer_merge(
                duplicate=duplicate,
                survivor=survivor,
                actor=request.user,
                version=_int(request.POST.get("version")),
            )
        except DomainError as error:
            errors = error_lines(error)
        else:
            messages.success(
                request,
                _("%(duplicate)s was merged into %(survivor)s.")
                % {"duplicate": duplicate.code, "survivor": survivor.code},
            )
            return HttpResponseRedirect(reverse("customer_detail", args=[survivor.pk]))
    candidates = (
        customer_selectors.customer_find_duplicates(
            company=access.company,
            name=duplicate.name,
            tax_id=duplicate.tax_id,
            phone=duplicate.phone,
            exclude_id=duplicate.pk,
        )
        if not into
        else []
    )
    visible = {
        c.pk
        for c in customer_selectors.customer_list(access, include_inactive=True).filter(
            pk__in=[c.pk for c in candidates]
        )
    }
    return render(
        request,
        "web/customer_merge.html",
        {
            "duplicate": duplicate,
            "survivor": survivor,
            "preview": preview,
            "problem_lines": error_lines(preview["problem"])
            if preview and preview["problem"]
            else [],
            "errors": errors,
            "into": into,
            "candidates": [c for c in candidates if c.pk in visible],
        },
        status=422 if errors else 200,
    )


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- the customer page


class ContactForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(forms.fields_for_model(Contact, fields=customers.CONTACT_FIELDS))


class AddressForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(forms.fields_for_model(Address, fields=customers.ADDRESS_FIELDS))


@member_view
def customer_detail(request, customer_id):
    customer = customer_selectors.customer_get(request.access, customer_id)
    return _detail(request, customer)


def _customer_cases(request, customer) -> dict:
    """The customer 360's after-sales part: open cases and the way to open one, and the
    return history (the latest RMAs of orders the viewer may see, with their lines)."""
    from ordercrm.returns import selectors as returns_selectors
    from ordercrm.service import selectors as service_selectors

    access = request.access
    returns = (
        list(returns_selectors.rma_list(access, customer_id=customer.pk)[:20])
        if access.can(Perm.ORDER_VIEW)
        else None
    )
    return {
        "open_cases": list(
            service_selectors.case_list(access, open_only=True, customer_id=customer.pk)[:20]
        ),
        "can_open_case": access.can(Perm.TICKET_EDIT),
        "customer_returns": returns,
        "customer_return_lines": returns_selectors.lines_of(returns or []),
    }


def _detail(request, customer, *, errors=None, contact_form=None, address_form=None, status=200):
    access = request.access
    can_edit = access.can(Perm.CUSTOMER_EDIT)
    contacts = list(customer_selectors.customer_contacts(customer))
    addresses = list(customer_selectors.customer_addresses(customer))
    context = {
        "customer": customer,
        "contacts": [
            (c, ContactForm(initial=_row(c, customers.CONTACT_FIELDS), prefix=f"c{c.pk}"))
            for c in contacts
        ],
        "addresses": [
            (a, AddressForm(initial=_row(a, customers.ADDRESS_FIELDS), prefix=f"a{a.pk}"))
            for a in addresses
        ],
        "contact_form": contact_form or ContactForm(prefix="contact"),
        "address_form": address_form or AddressForm(prefix="address"),
        "errors": errors or [],
        "can_edit": can_edit,
        "can_edit_credit": access.can(Perm.CREDIT_CONTROL),
        # blocked until a date: shown while it runs (it lifts by itself on that date)
        "blocked": customer.blocked_on(dates.company_today(customer.company)),
        "can_merge": access.can(Perm.CUSTOMER_MERGE) and customer.merged_into_id is None,
        "can_order": access.can(Perm.ORDER_EDIT) and customer.is_active,
        "can_pay": access.can(Perm.PAYMENT_EDIT),
        "can_view_orders": access.can(Perm.ORDER_VIEW),
        **_customer_360(request, customer),
        **_customer_cases(request, customer),
    }
    return render(request, "web/customer_detail.html", context, status=status)


def _row(instance, fields) -> dict:
    return {f: getattr(instance, f) for f in fields}


def _customer_360(request, customer) -> dict:
    """Orders, top products, credit position, receivables and the templates to order from,
    as far as the role may see."""
    from ordercrm.billing.selectors import customer_receivables
    from ordercrm.sales.selectors import customer_sales, order_templates

    access = request.access
    context = {}
    if access.can(Perm.ORDER_VIEW):
        context.update(customer_sales(access, customer))
        context.update(_habits(request, customer))
    if access.can(Perm.ORDER_EDIT):
        context["templates"] = order_templates(access, customer.pk)
    if (
        access.can(Perm.INVOICE_EDIT)
        or access.can(Perm.CREDIT_CONTROL)
        or access.can(Perm.ORDER_APPROVE)
    ):
        context["receivables"] = customer_receivables(access, customer.pk, datetime.date.today())
    return context


def _habits(request, customer) -> dict:
    """The purchase-habits panel (analytics.habits): rhythm, segment, favourites, value."""
    from ordercrm.analytics.habits.selectors import customer_habits
    from ordercrm.core.documents import Formatter

    habits = customer_habits(request.access, customer)
    if habits is None:
        return {}
    return {
        "habits": habits,
        "habits_explanation": habits.rhythm.explanation(Formatter(request.LANGUAGE_CODE)),
    }


def _one(model, customer, item_id):
    found = (
        model.objects.for_company(customer.company_id)
        .filter(customer=customer, pk=parse_id(item_id), is_active=True)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


@require_POST
@member_view
def customer_contacts(request, customer_id, contact_id=None):
    """Add a contact, or (with an id) save, make primary or remove one."""
    return _child(
        request,
        customer_id,
        contact_id,
        model=Contact,
        form_class=ContactForm,
        prefix="contact",
        add=customers.contact_add,
        update=lambda item, **v: customers.contact_update(contact=item, **v),
        remove=lambda item, **v: customers.contact_remove(contact=item, **v),
        flag="is_primary",
        form_key="contact_form",
    )


@require_POST
@member_view
def customer_addresses(request, customer_id, address_id=None):
    """Add an address, or (with an id) save, make default or remove one."""
    return _child(
        request,
        customer_id,
        address_id,
        model=Address,
        form_class=AddressForm,
        prefix="address",
        add=customers.address_add,
        update=lambda item, **v: customers.address_update(address=item, **v),
        remove=lambda item, **v: customers.address_remove(address=item, **v),
        flag="is_default",
        form_key="address_form",
    )


def _child(
    request, customer_id, item_id, *, model, form_class, prefix, add, update, remove, flag, form_key
):
    customer = customer_selectors.customer_get(request.access, customer_id)
    action = request.POST.get("action", "save")
    item = _one(model, customer, item_id) if item_id else None
    form = form_class(request.POST, prefix=prefix if item is None else f"{prefix[0]}{item.pk}")
    try:
        if item is not None and action == "remove":
            remove(item, actor=request.user)
        elif item is not None and action == "default":
            update(item, actor=request.user, **{flag: True})
        elif not form.is_valid():
            return _detail(
                request,
                customer,
                errors=[_("Please correct the fields below.")],
                status=422,
                **({form_key: form} if item is None else {}),
            )
        elif item is None:
            add(customer=customer, actor=request.user, **form.cleaned_data)
        else:
            changes = dict(form.cleaned_data)
            if not changes.get(flag):
                # an unticked box is no request to drop the default: another one takes it
                changes.pop(flag)
            update(item, actor=request.user, **changes)
    except DomainError as error:
        lines = attach_errors(form, error) if item is None else error_lines(error)
        return _detail(
            request,
            customer,
            errors=lines,
            status=422,
            **({form_key: form} if item is None else {}),
        )
    messages.success(request, _("Saved."))
    return HttpResponseRedirect(reverse("customer_detail", args=[customer.pk]))
