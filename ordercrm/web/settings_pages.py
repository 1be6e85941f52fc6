"""Settings (administrators): company, users and roles, teams, approval rules, tax rates,
warehouses, numbering and email templates. API tokens are on every user's own page.

Forms are Django forms built from the models (labels and choices come translated with the
model); each valid form calls one service, which owns the rules, permissions and audit."""

from __future__ import annotations

from types import SimpleNamespace

from django import forms
from django.contrib import messages
from django.forms.models import fields_for_model
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ordercrm.accounts import selectors as account_selectors
from ordercrm.accounts import services as accounts
from ordercrm.accounts.models import Membership, SalesTeam
from ordercrm.accounts.roles import RecordScope, Role
from ordercrm.catalog import services as catalog
from ordercrm.catalog.models import Category, TaxRate, Unit
from ordercrm.core.exceptions import DomainError, NotFound
from ordercrm.core.ids import parse_id
from ordercrm.core.models import Company, NumberSequence
from ordercrm.core.permissions import Perm
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse
from ordercrm.notifications.models import EmailKind, EmailTemplate
from ordercrm.notifications.services import email_template_set
from ordercrm.sales import services as sales
from ordercrm.sales.models import ApprovalRule, RuleKind
from ordercrm.web.decorators import member_view
from ordercrm.web.errors import error_lines

ROW_FORM_KEYS = ("membership", "toggle", "revoke", "delete_rate")
SECTIONS = (
    ("company", gettext_lazy("Company")),
    ("users", gettext_lazy("Users and roles")),
    ("teams", gettext_lazy("Sales teams")),
    ("approval_rules", gettext_lazy("Approval rules")),
    ("tax_rates", gettext_lazy("Tax rates")),
    ("tax_mappings", gettext_lazy("Tax mappings")),
    ("payment_terms", gettext_lazy("Payment terms")),
    ("units", gettext_lazy("Units")),
    ("categories", gettext_lazy("Product categories")),
    ("exchange_rates", gettext_lazy("Exchange rates")),
    ("warehouses", gettext_lazy("Warehouses")),
    ("numbering", gettext_lazy("Numbering")),
    ("email_templates", gettext_lazy("Email templates")),
    ("api_tokens", gettext_lazy("API tokens")),
)
DOCUMENT_PREFIXES = {
    "SO": gettext_lazy("Sales orders"),
    "SH": gettext_lazy("Shipments"),
    "RT": gettext_lazy("Returns"),
    "INV": gettext_lazy("Invoices"),
    "CN": gettext_lazy("Credit notes"),
    "PAY": gettext_lazy("Payments"),
    "RCV": gettext_lazy("Stock receipts"),
    "ADJ": gettext_lazy("Stock adjustments"),
}


class CompanyForm(forms.ModelForm):
    # the version the page was read at: a save over someone else's is refused, not merged
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Company
        fields = accounts.COMPANY_SETTINGS
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}


class UserForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Username"), max_length=150)
    first_name = forms.CharField(label=gettext_lazy("Name"), max_length=150, required=False)
    email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    password = forms.CharField(label=gettext_lazy("Password"), widget=forms.PasswordInput)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices)
    team = forms.ModelChoiceField(
        label=gettext_lazy("Sales team"), queryset=SalesTeam.objects.none(), required=False
    )


class MembershipForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices)
    team = forms.ModelChoiceField(
        label=gettext_lazy("Sales team"), queryset=SalesTeam.objects.none(), required=False
    )
    record_scope = forms.ChoiceField(
        label=gettext_lazy("Record scope"), choices=RecordScope.choices
    )


class TeamForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)


class ApprovalRuleForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    kind = forms.ChoiceField(label=gettext_lazy("Condition"), choices=RuleKind.choices)
    threshold = forms.DecimalField(
        label=gettext_lazy("Threshold"), required=False, max_digits=18, decimal_places=2
    )
    roles = forms.MultipleChoiceField(
        label=gettext_lazy("Approval steps, in order"),
        choices=[(r, label) for r, label in Role.choices if r != Role.VIEWER],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class TaxRateForm(forms.Form):
    edit = forms.CharField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=64)
    rate = forms.DecimalField(label=gettext_lazy("Rate (%)"), max_digits=7, decimal_places=4)
    is_default = forms.BooleanField(label=gettext_lazy("Default"), required=False)
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)


MAPPING_RULE_ROWS = 4


class TaxMappingForm(forms.Form):
    """A tax mapping: its name and up to four rules "this rate → that rate"."""

    edit = forms.CharField(widget=forms.HiddenInput, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=64)
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args, company, kept=(), **kwargs):
        from django.db.models import Q

        super().__init__(*args, **kwargs)
        # active rates, and those of the rules the mapping has (they may stay as they are)
        rates = TaxRate.objects.for_company(company).filter(Q(is_active=True) | Q(pk__in=kept))
        for n in range(1, MAPPING_RULE_ROWS + 1):
            self.fields[f"from_{n}"] = forms.ModelChoiceField(
                rates, required=False, label=gettext_lazy("Rule %(n)s: tax rate") % {"n": n}
            )
            self.fields[f"to_{n}"] = forms.ModelChoiceField(
                rates, required=False, label=gettext_lazy("Rule %(n)s: replaced by") % {"n": n}
            )

    def rules(self) -> list[tuple]:
        pairs = []
        for n in range(1, MAPPING_RULE_ROWS + 1):
            source, target = self.cleaned_data.get(f"from_{n}"), self.cleaned_data.get(f"to_{n}")
            if source or target:
                pairs.append((source, target))
        return pairs


TERM_LINE_ROWS = 4


class PaymentTermForm(forms.Form):
    """A payment term: its name, whether it is the default, and up to four instalments
    (share, counted from, months, end of that month, days, end of month, day of month)."""

    edit = forms.CharField(widget=forms.HiddenInput, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=64)
    is_default = forms.BooleanField(label=gettext_lazy("Default"), required=False)
    advance_percent = forms.DecimalField(
        label=gettext_lazy("required advance (%)"),
        required=False,
        max_digits=7,
        decimal_places=4,
        help_text=gettext_lazy(
            "Share of the order total to be paid before anything is dispatched; it is "
            "deducted from the order's final invoice. 0: no advance."
        ),
    )

    def __init__(self, *args, **kwargs):
        from ordercrm.customers.models import TermBase

        super().__init__(*args, **kwargs)
        for n in range(1, TERM_LINE_ROWS + 1):

            def label(text, n=n):
                return gettext_lazy("Instalment %(n)s: %(what)s") % {"n": n, "what": text}

            self.fields[f"percent_{n}"] = forms.DecimalField(
                label=label(gettext_lazy("percentage (%)")),
                required=False,
                max_digits=7,
                decimal_places=4,
            )
            self.fields[f"base_{n}"] = forms.ChoiceField(
                label=label(gettext_lazy("counted from")), choices=TermBase.choices, required=False
            )
            self.fields[f"months_{n}"] = forms.IntegerField(
                label=label(gettext_lazy("number of months")), required=False, min_value=0
            )
            self.fields[f"after_month_end_{n}"] = forms.BooleanField(
                label=label(gettext_lazy("then to the end of that month")), required=False
            )
            self.fields[f"days_{n}"] = forms.IntegerField(
                label=label(gettext_lazy("days")), required=False, min_value=0
            )
            self.fields[f"month_end_{n}"] = forms.BooleanField(
                label=label(gettext_lazy("then to the end of the month")), required=False
            )
            self.fields[f"day_of_month_{n}"] = forms.IntegerField(
                label=label(gettext_lazy("then on day of month")),
                required=False,
                min_value=1,
                max_value=31,
            )

    def lines(self) -> list[dict]:
        rows = []
        for n in range(1, TERM_LINE_ROWS + 1):
            data = self.cleaned_data
            if data.get(f"percent_{n}") in (None, ""):
                continue
            rows.append(
                {
                    "percent": data[f"percent_{n}"],
                    "base": data.get(f"base_{n}") or "invoice",
                    "months": data.get(f"months_{n}") or 0,
                    "after_month_end": bool(data.get(f"after_month_end_{n}")),
                    "days": data.get(f"days_{n}") or 0,
                    "month_end": bool(data.get(f"month_end_{n}")),
                    "day_of_month": data.get(f"day_of_month_{n}"),
                }
            )
        return rows


class UnitForm(forms.Form):
    """A unit with its name in each language: the order pages and documents show the name in
    the reader's language."""

    edit = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(fields_for_model(Unit, fields=catalog.UNIT_FIELDS))


class CategoryForm(forms.Form):
    edit = forms.CharField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    parent = forms.ModelChoiceField(
        label=gettext_lazy("Inside"), queryset=Category.objects.none(), required=False
    )


class WarehouseForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=32)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    address = forms.CharField(label=gettext_lazy("Address"), required=False)
    sequence = forms.IntegerField(label=gettext_lazy("Priority"), initial=10, min_value=0)
    is_saleable = forms.BooleanField(
        label=gettext_lazy("Saleable stock"),
        initial=True,
        required=False,
        help_text=gettext_lazy(
            "Off for quarantine or scrap: its stock is never reserved for orders."
        ),
    )


class NumberingForm(forms.Form):
    key = forms.ChoiceField(label=gettext_lazy("Document"), choices=list(DOCUMENT_PREFIXES.items()))
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    next_value = forms.IntegerField(label=gettext_lazy("Next number"), min_value=1)


class EmailTemplateForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Email"), choices=EmailKind.choices)
    language = forms.ChoiceField(label=gettext_lazy("Language"))
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    body = forms.CharField(label=gettext_lazy("Body"), widget=forms.Textarea(attrs={"rows": 10}))

    def __init__(self, *args, **kwargs):
        from django.conf import settings

        super().__init__(*args, **kwargs)
        self.fields["language"].choices = settings.LANGUAGES
        self.fields["body"].help_text = email_template_help()


def email_template_help() -> str:
    """What a template author may use: the sandbox's plain fields (``templating.FIELDS``)."""
    from ordercrm.notifications.templating import FIELDS

    fields = "; ".join(f"{path}: {meaning}" for path, meaning in FIELDS.items())
    return _(
        "Django template syntax, over these fields only (other names render as nothing; "
        "{%% load %%}, {%% include %%} and names starting with _ are refused): %(fields)s. "
        "Example: {{ order.number }}, {{ customer.name }}, {{ order.total }}."
    ) % {"fields": fields}


class ExchangeRateForm(forms.Form):
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3)
    date = forms.DateField(
        label=gettext_lazy("Valid from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    rate = forms.DecimalField(
        label=gettext_lazy("Rate"),
        max_digits=18,
        decimal_places=8,
        help_text=gettext_lazy("Company currency per one unit of the currency."),
    )


# Sections open to a permission other than the company settings' (finance keeps the rates).
SECTION_PERMS = {
    "users": Perm.USER_MANAGE,
    "teams": Perm.USER_MANAGE,
    "api_tokens": Perm.USER_MANAGE,
    "exchange_rates": Perm.EXCHANGE_RATE_EDIT,
    "units": Perm.PRODUCT_EDIT,
    "categories": Perm.PRODUCT_EDIT,
}


def _require_admin(access, section: str) -> None:
    access.require(SECTION_PERMS.get(section, Perm.SETTINGS_EDIT))


def _sections_for(access) -> list:
    return [
        (key, label)
        for key, label in SECTIONS
        if access.can(SECTION_PERMS.get(key, Perm.SETTINGS_EDIT))
    ]


def _teams(company):
    return SalesTeam.objects.for_company(company).order_by("name")


def _onto_form(form, error: DomainError) -> list[str]:
    """The service's field problems shown where the user looks: at the form's field of that
    name, the others (e.g. a mapping's ``rules``) under the form; returns the lines left for
    the top of the page (the message and whatever names no field)."""
    fields = (error.details or {}).get("fields") or {}
    if form is None or not form.is_bound or not fields:
        return error_lines(error)
    for name, problems in fields.items():
        form.add_error(name if name in form.fields else None, [str(p) for p in problems])
    rest = {k: v for k, v in error.details.items() if k != "fields"}
    return error_lines(SimpleNamespace(text=error.text, details=rest))


@member_view
def settings_page(request, section: str | None = None):
    """One settings section: its list and its form. A valid POST calls the section's
    service; a service error shows inline and nothing changes. Without a section, the
    first one the member may use (the company's for an administrator)."""
    access = request.access
    if section is None:
        allowed = _sections_for(access)
        section = allowed[0][0] if allowed else "company"
    if section not in dict(SECTIONS):
        raise NotFound()
    _require_admin(access, section)
    company = access.company
    handler = HANDLERS[section]
    errors: list[str] = []
    form, extra = handler(request, company, None)
    if request.method == "POST":
        try:
            done = handler(request, company, request.POST)
        except NotFound:
            raise  # an id outside this company: 404, like everywhere else
        except DomainError as error:
            errors = error_lines(error)
            # Redisplay the section's form with what was typed, unless the post came from a
            # row's own little form (a member's role, a rule's switch).
            row_post = any(key in request.POST for key in ROW_FORM_KEYS)
            bound = None if row_post else request.POST
            current = (error.details or {}).get("current_version")
            stale = error.code.endswith(".stale_version") and current is not None
            if stale and bound is not None:
                # as on the customer and order forms: the input stays, now at the version
                # saved meanwhile, so a second Save (after checking) applies it
                bound = bound.copy()
                bound["version"] = str(current)
            form, extra = handler(request, company, None, bound=bound)
            if not row_post:
                errors = _onto_form(form, error)
            if stale and bound is not None:
                errors.append(
                    _(
                        "Your input is kept below. Check it against what was saved, then "
                        "save again to replace it."
                    )
                )
        else:
            if isinstance(done, tuple):  # the form did not validate
                form, extra = done
            else:
                messages.success(request, _("Saved."))
                return HttpResponseRedirect(request.path)
    return render(
        request,
        "web/settings.html",
        {
            "sections": _sections_for(access),
            "section": section,
            "section_title": dict(SECTIONS)[section],
            "form": form,
            "errors": errors,
            **extra,
        },
        status=422 if errors or (request.method == "POST" and form and form.errors) else 200,
    )


def _company(request, company, post, bound=None):
    current = Company.objects.get(pk=company.pk)
    form = CompanyForm(post or bound, instance=current, initial={"version": current.version})
    if post is None:
        return form, {}
    if not form.is_valid():
        return form, {}
    return accounts.company_update(
        company=company,
        actor=request.user,
        version=form.cleaned_data.get("version"),
        **{name: form.cleaned_data[name] for name in accounts.COMPANY_SETTINGS},
    )


def _users(request, company, post, bound=None):
    teams = _teams(company)
    if post and post.get("membership"):
        return _membership(request, company, post, teams)
    form = UserForm(post or bound)
    form.fields["team"].queryset = teams
    members = account_selectors.member_list(company, active_only=False)
    edit_forms = []
    for member in members:
        edit = MembershipForm(
            initial={
                "role": member.role,
                "team": member.team_id,
                "record_scope": member.record_scope,
            },
            prefix=str(member.pk),
        )
        edit.fields["team"].queryset = teams
        edit_forms.append((member, edit))
    if post is None:
        return form, {"members": edit_forms}
    if not form.is_valid():
        return form, {"members": edit_forms}
    data = form.cleaned_data
    return accounts.user_create(
        username=data["username"],
        password=data["password"],
        company=company,
        role=data["role"],
        actor=request.user,
        email=data["email"],
        first_name=data["first_name"],
        team=data["team"],
    )


def _membership(request, company, post, teams):
    """Change one member's role, team and scope, or deactivate them."""
    membership = Membership.objects.filter(company=company, pk=parse_id(post["membership"])).first()
    if membership is None:
        raise NotFound()
    if post.get("deactivate"):
        return accounts.membership_deactivate(
            user=membership.user, company=company, actor=request.user
        )
    form = MembershipForm(post, prefix=str(membership.pk))
    form.fields["team"].queryset = teams
    if not form.is_valid():
        from ordercrm.core.exceptions import ValidationFailed

        raise ValidationFailed(details={"fields": form.errors.get_json_data()})
    return accounts.membership_set(
        user=membership.user,
        company=company,
        role=form.cleaned_data["role"],
        team=form.cleaned_data["team"],
        record_scope=form.cleaned_data["record_scope"],
        actor=request.user,
    )


def _teams_section(request, company, post, bound=None):
    form = TeamForm(post or bound)
    extra = {"rows": [(t.name, t.manager or "") for t in _teams(company).select_related("manager")]}
    if post is None or not form.is_valid():
        return form, extra
    return accounts.team_create(company=company, name=form.cleaned_data["name"], actor=request.user)


def _approval_rules(request, company, post, bound=None):
    rules = ApprovalRule.objects.for_company(company).prefetch_related("steps").order_by("name")
    if post and post.get("toggle"):
        rule = rules.filter(pk=parse_id(post["toggle"])).first()
        if rule is None:
            raise NotFound()
        return sales.approval_rule_set_active(
            rule=rule, actor=request.user, active=not rule.is_active
        )
    form = ApprovalRuleForm(post or bound)
    extra = {"rules": rules, "role_names": dict(Role.choices)}
    if post is None or not form.is_valid():
        return form, extra
    data = form.cleaned_data
    return sales.approval_rule_create(
        company=company,
        actor=request.user,
        name=data["name"],
        kind=data["kind"],
        threshold=data["threshold"],
        steps=[{"role": role} for role in data["roles"]],
    )


def _editing(request, post, rows):
    """The row a section's form edits: ``?edit=<id>`` on the page, the hidden ``edit`` field
    in the post; ``None`` for a new row. An id outside the company's rows is a 404."""
    wanted = (post.get("edit") if post else None) or request.GET.get("edit")
    if not wanted:
        return None
    row = rows.filter(pk=parse_id(wanted)).first()
    if row is None:
        raise NotFound()
    return row


def _edit_rows(rows, cells):
    return [(cells(row), row.pk) for row in rows]


def _tax_rates(request, company, post, bound=None):
    """The company's tax rates: add one, or edit one (``?edit=<id>``: name, rate, default,
    active). Lines already priced keep their percentage."""
    rates = TaxRate.objects.for_company(company).order_by("-is_active", "-rate", "name")
    row = _editing(request, post, rates)
    initial = (
        {
            "edit": row.pk,
            "name": row.name,
            "rate": row.rate.normalize(),
            "is_default": row.is_default,
            "is_active": row.is_active,
        }
        if row
        else {"is_active": True}
    )
    form = TaxRateForm(post or bound, initial=initial)
    extra = {
        "edit_rows": _edit_rows(
            rates,
            lambda t: (
                t.name,
                f"{t.rate.normalize()}%",
                _("Default") if t.is_default else "",
                "" if t.is_active else _("Inactive"),
            ),
        ),
        "editing": row,
    }
    if post is None or not form.is_valid():
        return form, extra
    values = {k: v for k, v in form.cleaned_data.items() if k != "edit"}
    if row is None:
        values.pop("is_active")
        return catalog.tax_rate_create(company=company, actor=request.user, **values)
    return catalog.tax_rate_update(tax_rate=row, actor=request.user, **values)


def _tax_mappings(request, company, post, bound=None):
    """Tax mappings (e.g. "Export": 13 % → 0 %), given to customers on their page: their
    order lines take the mapped rate (``catalog.tax_mapping_create/update``)."""
    from ordercrm.catalog.selectors import tax_mapping_list

    mappings = tax_mapping_list(request.access)
    row = None
    wanted = (post.get("edit") if post else None) or request.GET.get("edit")
    if wanted:
        row = next((m for m in mappings if m.pk == parse_id(wanted)), None)
        if row is None:
            raise NotFound()
    initial = {"is_active": True}
    if row:
        initial = {
            "edit": row.pk,
            "version": row.version,
            "name": row.name,
            "is_active": row.is_active,
        }
        for n, rule in enumerate(row.loaded_rules, start=1):
            initial[f"from_{n}"], initial[f"to_{n}"] = rule.from_rate_id, rule.to_rate_id
    kept = {pk for r in row.loaded_rules for pk in (r.from_rate_id, r.to_rate_id)} if row else ()
    form = TaxMappingForm(post or bound, initial=initial, company=company, kept=kept)
    extra = {
        "edit_rows": _edit_rows(
            mappings,
            lambda m: (
                m.name,
                "; ".join(f"{r.from_rate} → {r.to_rate}" for r in m.loaded_rules),
                "" if m.is_active else _("Inactive"),
            ),
        ),
        "editing": row,
    }
    if post is None or not form.is_valid():
        return form, extra
    if row is None:
        return catalog.tax_mapping_create(
            company=company, actor=request.user, name=form.cleaned_data["name"], rules=form.rules()
        )
    return catalog.tax_mapping_update(
        mapping=row,
        actor=request.user,
        name=form.cleaned_data["name"],
        rules=form.rules(),
        is_active=form.cleaned_data["is_active"],
        version=form.cleaned_data.get("version"),
    )


def _payment_terms(request, company, post, bound=None):
    """Payment terms with their schedules (``customers.payment_terms``): customers and
    orders choose one; invoices issued under it get its instalments."""
    from ordercrm.core.money import plain
    from ordercrm.customers import payment_terms
    from ordercrm.customers.selectors import payment_term_list

    terms = payment_term_list(company)
    row = _editing(request, post, terms)
    initial: dict = {}
    if row:
        initial = {"edit": row.pk, "version": row.version, "name": row.name}
        initial["is_default"] = row.is_default
        initial["advance_percent"] = plain(row.advance_percent)
        lines = list(row.lines.all())
        if not lines:  # a term of plain days shows as its one instalment
            initial.update({"percent_1": 100, "days_1": row.days})
        for n, line in enumerate(lines[:TERM_LINE_ROWS], start=1):
            initial.update(
                {
                    f"percent_{n}": plain(line.percent),
                    f"base_{n}": line.base,
                    f"months_{n}": line.months,
                    f"after_month_end_{n}": line.after_month_end,
                    f"days_{n}": line.days,
                    f"month_end_{n}": line.month_end,
                    f"day_of_month_{n}": line.day_of_month,
                }
            )
    form = PaymentTermForm(post or bound, initial=initial)
    extra = {
        "edit_rows": _edit_rows(
            terms,
            lambda t: (t.name, t.describe(), _("Default") if t.is_default else ""),
        ),
        "editing": row,
    }
    if post is None or not form.is_valid():
        return form, extra
    data = form.cleaned_data
    if row is None:
        return payment_terms.payment_term_create(
            company=company,
            actor=request.user,
            name=data["name"],
            lines=form.lines(),
            is_default=data["is_default"],
            advance_percent=data.get("advance_percent"),
        )
    return payment_terms.payment_term_update(
        term=row,
        actor=request.user,
        version=data.get("version"),
        name=data["name"],
        lines=form.lines(),
        is_default=data["is_default"] or None,
        advance_percent=data.get("advance_percent") or 0,
    )


def _units(request, company, post, bound=None):
    """Units of measure with their names in English, Simplified and Traditional Chinese."""
    units = Unit.objects.for_company(company).order_by("code")
    row = _editing(request, post, units)
    initial = {"edit": row.pk, **{f: getattr(row, f) for f in catalog.UNIT_FIELDS}} if row else {}
    form = UnitForm(post or bound, initial=initial)
    extra = {
        "edit_rows": _edit_rows(
            units, lambda u: (u.code, u.name, u.name_zh_hans, u.name_zh_hant, u.decimals)
        ),
        "editing": row,
    }
    if post is None or not form.is_valid():
        return form, extra
    values = {f: form.cleaned_data[f] for f in catalog.UNIT_FIELDS}
    if row is None:
        return catalog.unit_create(company=company, actor=request.user, **values)
    return catalog.unit_update(unit=row, actor=request.user, **values)


def _categories(request, company, post, bound=None):
    """Product categories, one level inside another if wanted."""
    categories = Category.objects.for_company(company).select_related("parent").order_by("name")
    row = _editing(request, post, categories)
    initial = {"edit": row.pk, "name": row.name, "parent": row.parent_id} if row else {}
    form = CategoryForm(post or bound, initial=initial)
    form.fields["parent"].queryset = (
        categories.exclude(pk=row.pk) if row is not None else categories
    )
    extra = {
        "edit_rows": _edit_rows(categories, lambda c: (c.name, c.parent.name if c.parent else "")),
        "editing": row,
    }
    if post is None or not form.is_valid():
        return form, extra
    data = form.cleaned_data
    if row is None:
        return catalog.category_create(
            company=company, actor=request.user, name=data["name"], parent=data["parent"]
        )
    return catalog.category_update(
        category=row, actor=request.user, name=data["name"], parent=data["parent"]
    )


def _exchange_rates(request, company, post, bound=None):
    """The company rate table (finance): add a rate from a date on, or remove one."""
    from ordercrm.catalog.selectors import exchange_rate_list

    rates = exchange_rate_list(request.access)
    if post and post.get("delete_rate"):
        rate = rates.filter(pk=parse_id(post["delete_rate"])).first()
        if rate is None:
            raise NotFound()
        catalog.exchange_rate_delete(rate=rate, actor=request.user)
        return rate
    form = ExchangeRateForm(post or bound, initial={"date": timezone.localdate()})
    from ordercrm.core.money import plain

    extra = {
        "rates": [(rate, plain(rate.rate)) for rate in rates[:500]],
        "base_currency": company.base_currency,
    }
    if post is None or not form.is_valid():
        return form, extra
    data = form.cleaned_data
    return catalog.exchange_rate_set(
        company=company,
        actor=request.user,
        currency=data["currency"],
        date=data["date"],
        rate=data["rate"],
    )


def _warehouses(request, company, post, bound=None):
    form = WarehouseForm(post or bound)
    extra = {
        "rows": [
            (
                w.code,
                w.name,
                w.sequence,
                " · ".join(
                    str(word)
                    for word in (
                        "" if w.is_active else _("Inactive"),
                        "" if w.is_saleable else _("Quarantine or scrap"),
                    )
                    if word
                ),
            )
            for w in Warehouse.objects.for_company(company)
        ]
    }
    if post is None or not form.is_valid():
        return form, extra
    return inventory.warehouse_create(company=company, actor=request.user, **form.cleaned_data)


def _numbering(request, company, post, bound=None):
    form = NumberingForm(post or bound, initial={"year": timezone.localdate().year})
    extra = {
        "rows": [
            (
                DOCUMENT_PREFIXES.get(s.key, s.key),
                f"{s.key}-{s.year}" if s.year else s.key,
                s.last_value,
                s.last_value + 1,
            )
            for s in NumberSequence.objects.for_company(company).order_by("key", "-year")
        ]
    }
    if post is None or not form.is_valid():
        return form, extra
    return accounts.number_sequence_set_next(
        company=company, actor=request.user, **form.cleaned_data
    )


def _email_templates(request, company, post, bound=None):
    form = EmailTemplateForm(post or bound)
    extra = {
        "rows": [
            (t.get_kind_display(), t.get_language_display(), t.subject)
            for t in EmailTemplate.objects.for_company(company).order_by("kind", "language")
        ]
    }
    if post is None or not form.is_valid():
        return form, extra
    return email_template_set(company=company, actor=request.user, **form.cleaned_data)


def _api_tokens(request, company, post, bound=None):
    """Every member's API tokens (never the secret): a user manager can revoke a leaked one.
    New tokens are made by each user on their own tokens page, the only place one is shown."""
    from ordercrm.accounts.models import ApiToken
    from ordercrm.accounts.tokens import token_revoke

    tokens = (
        ApiToken.objects.filter(user__memberships__company=company)
        .select_related("user")
        .order_by("user__username", "-created_at")
    )
    if post and post.get("revoke"):
        token = tokens.filter(pk=parse_id(post["revoke"])).first()
        if token is None:
            raise NotFound()
        token_revoke(token=token, actor=request.user, company=company)
        return token
    return None, {"tokens": tokens}


HANDLERS = {
    "company": _company,
    "users": _users,
    "teams": _teams_section,
    "approval_rules": _approval_rules,
    "tax_rates": _tax_rates,
    "tax_mappings": _tax_mappings,
    "payment_terms": _payment_terms,
    "units": _units,
    "categories": _categories,
    "exchange_rates": _exchange_rates,
    "warehouses": _warehouses,
    "numbering": _numbering,
    "email_templates": _email_templates,
    "api_tokens": _api_tokens,
}
