from django.contrib import admin

from ordercrm.core.admin import ReadOnlyAdmin
from ordercrm.service.models import (
    CalendarDay,
    Case,
    ServiceSettings,
    SlaPolicy,
    WarrantyTerm,
    WorkingHours,
)


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    """Cases change only through their services (the case page, the API)."""

    list_display = ["number", "subject", "status", "priority", "sla_state", "customer", "company"]
    list_filter = ["company", "status", "sla_state", "case_type"]
    search_fields = ["number", "subject"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["case_type", "priority", "response_hours", "resolution_hours", "company"]
    list_filter = ["company", "case_type"]


@admin.register(WorkingHours)
class WorkingHoursAdmin(admin.ModelAdmin):
    list_display = ["weekday", "start", "end", "company"]
    list_filter = ["company"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_working", "name", "company"]
    list_filter = ["company", "is_working"]


@admin.register(ServiceSettings)
class ServiceSettingsAdmin(admin.ModelAdmin):
    list_display = ["company", "use_china_calendar", "reopen_days", "warning_percent"]


@admin.register(WarrantyTerm)
class WarrantyTermAdmin(admin.ModelAdmin):
    list_display = ["product", "category", "months", "company"]
    list_filter = ["company"]
