"""Reads of notifications: a user's in-app notifications and unread count, deliveries."""

from __future__ import annotations

from django.db.models import QuerySet

from ordercrm.notifications.models import Delivery, Notification


def notification_list(user, company, *, unread_only: bool = False) -> QuerySet[Notification]:
    notes = Notification.objects.for_company(company).filter(user=user)
    return notes.filter(read_at__isnull=True) if unread_only else notes


def unread_count(user, company) -> int:
    return Notification.objects.for_company(company).filter(user=user, read_at__isnull=True).count()


def deliveries_of_event(company, event_id) -> QuerySet[Delivery]:
    return Delivery.objects.for_company(company).filter(event_id=event_id).order_by("created_at")
