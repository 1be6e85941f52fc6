from django.contrib import admin

from ordercrm.core.admin import ReadOnlyAdmin
from ordercrm.inventory.models import Reservation, StockLevel, StockMove, Warehouse


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "company", "sequence", "is_active"]
    list_filter = ["company", "is_active"]


# Stock changes only through the services (receipts, adjustments, shipments), so the ledger
# equalities hold: the admin shows these tables read-only.
@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = ["product", "warehouse", "on_hand", "reserved", "company"]
    list_filter = ["company", "warehouse"]


@admin.register(StockMove)
class StockMoveAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "product", "warehouse", "quantity", "reference"]
    list_filter = ["company", "kind", "warehouse"]


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = ["reference", "product", "warehouse", "quantity", "company"]
    list_filter = ["company", "warehouse"]
