from django.contrib import admin

from ordercrm.core.models import AuditEntry, Company, Event


class ReadOnlyAdmin(admin.ModelAdmin):
    """Business records are changed through services only; the admin shows them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "base_currency", "default_language", "is_active"]
    search_fields = ["code", "name"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "company",
        "actor",
        "source",
        "entity_type",
        "entity_label",
        "action",
    ]
    list_filter = ["source", "entity_type", "company"]
    search_fields = ["entity_id", "entity_label", "action"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "company", "type", "entity_type", "entity_id"]
    list_filter = ["type", "company"]
