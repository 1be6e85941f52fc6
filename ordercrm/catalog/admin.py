from django.contrib import admin

from ordercrm.catalog.models import Category, PriceList, PriceListItem, Product, TaxRate, Unit
from ordercrm.core.admin import ReadOnlyAdmin


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    list_display = ["name", "rate", "is_default", "is_active", "company"]
    list_filter = ["company"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "decimals", "company"]
    list_filter = ["company"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "company"]
    list_filter = ["company"]


@admin.register(Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = ["sku", "name", "unit", "list_price", "is_active", "company"]
    list_filter = ["company", "is_active", "category"]
    search_fields = ["sku", "name"]


class PriceListItemInline(admin.TabularInline):
    model = PriceListItem
    extra = 0
    readonly_fields = ["product", "min_quantity", "unit_price", "valid_from", "valid_to"]
    can_delete = False


@admin.register(PriceList)
class PriceListAdmin(ReadOnlyAdmin):
    list_display = ["name", "currency", "is_default", "is_active", "company"]
    inlines = [PriceListItemInline]
