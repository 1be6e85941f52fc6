from django.contrib import admin

from ordercrm.core.admin import ReadOnlyAdmin
from ordercrm.sales.models import ApprovalRule, ApprovalRuleStep, OrderApproval, SalesOrder


class ApprovalRuleStepInline(admin.TabularInline):
    model = ApprovalRuleStep
    extra = 1
    fields = ["position", "role", "approvers"]
    filter_horizontal = ["approvers"]

    def save_model(self, request, obj, form, change):  # pragma: no cover - admin plumbing
        obj.company_id = obj.rule.company_id
        super().save_model(request, obj, form, change)


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(admin.ModelAdmin):
    """Rules are configuration: admins edit them here (and in Settings)."""

    list_display = ["name", "kind", "threshold", "is_active", "company"]
    list_filter = ["company", "kind", "is_active"]
    inlines = [ApprovalRuleStepInline]

    def save_formset(self, request, form, formset, change):
        for step in formset.save(commit=False):
            step.company_id = form.instance.company_id
            step.save()
        formset.save_m2m()
        for removed in formset.deleted_objects:
            removed.delete()


# Orders change through the services only (approval, credit and stock rules hold there).
@admin.register(SalesOrder)
class SalesOrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "customer", "status", "gross_total", "currency", "company"]
    list_filter = ["company", "status"]
    search_fields = ["number"]


@admin.register(OrderApproval)
class OrderApprovalAdmin(ReadOnlyAdmin):
    list_display = ["order", "level", "role", "status", "decided_by", "decided_at"]
    list_filter = ["company", "status"]
