"""``ordercrm events``: inspect the outbox and replay events or deliveries."""

from django.core.management.base import BaseCommand, CommandError

from ordercrm.core.models import Event
from ordercrm.notifications import worker
from ordercrm.notifications.models import Delivery, DeliveryStatus


class Command(BaseCommand):
    help = "Show the delivery queue, list dead deliveries, replay an event or resend a delivery."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="queue depth, oldest pending, last heartbeat")
        sub.add_parser("dead", help="deliveries that gave up")
        replay = sub.add_parser("replay", help="send an event to its subscribers again")
        replay.add_argument("event_id")
        resend = sub.add_parser("resend", help="send one delivery again")
        resend.add_argument("delivery_id")

    def handle(self, *args, action, **options):
        if action == "status":
            for key, value in worker.queue_state().items():
                self.stdout.write(f"{key}: {value}")
        elif action == "dead":
            for d in Delivery.objects.unscoped().filter(status=DeliveryStatus.DEAD):
                self.stdout.write(
                    f"{d.pk} {d.channel} {d.recipient} event={d.event_id} {d.last_error}"
                )
        elif action == "replay":
            event = Event.objects.unscoped().filter(pk=options["event_id"]).first()
            if event is None:
                raise CommandError("no such event")
            self.stdout.write(f"{worker.replay(event)} deliveries queued again")
        elif action == "resend":
            delivery = Delivery.objects.unscoped().filter(pk=options["delivery_id"]).first()
            if delivery is None:
                raise CommandError("no such delivery")
            worker.resend(delivery)
            self.stdout.write("queued")
