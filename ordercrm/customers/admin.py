from django.contrib import admin

from ordercrm.core.admin import ReadOnlyAdmin
from ordercrm.customers.models import Customer, PaymentTerm


@admin.register(PaymentTerm)
class PaymentTermAdmin(admin.ModelAdmin):
    list_display = ["name", "days", "is_default", "company"]
    list_filter = ["company"]


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "owner", "currency", "is_active", "company"]
    list_filter = ["company", "is_active"]
    search_fields = ["code", "name", "phone", "tax_id"]
