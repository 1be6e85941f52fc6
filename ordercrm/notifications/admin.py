from django.contrib import admin, messages

from ordercrm.core.admin import ReadOnlyAdmin
from ordercrm.notifications import worker
from ordercrm.notifications.models import Delivery, EmailTemplate, WebhookSubscription


@admin.register(WebhookSubscription)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ["url", "company", "is_active", "created_at"]
    list_filter = ["company", "is_active"]


@admin.register(EmailTemplate)
class EmailTemplateAdmin(admin.ModelAdmin):
    list_display = ["kind", "language", "subject", "company"]
    list_filter = ["company", "kind", "language"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "channel",
        "recipient",
        "status",
        "attempts",
        "response_code",
        "event",
    ]
    list_filter = ["status", "channel", "company"]
    actions = ["resend"]

    @admin.action(description="Send again")
    def resend(self, request, queryset):
        for delivery in queryset:
            worker.resend(delivery)
        messages.success(request, f"{queryset.count()} queued again")


# The event list gets a "Replay" action here, where the worker lives (core knows no workers).
from ordercrm.core.admin import EventAdmin as _CoreEventAdmin  # noqa: E402
from ordercrm.core.models import Event  # noqa: E402

admin.site.unregister(Event)


@admin.register(Event)
class EventAdmin(_CoreEventAdmin):
    actions = ["replay"]

    @admin.action(description="Replay to all subscribers")
    def replay(self, request, queryset):
        total = sum(worker.replay(event) for event in queryset)
        messages.success(request, f"{total} deliveries queued again")
