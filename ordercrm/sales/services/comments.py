"""Comments on an order, with ``@username`` mentions of colleagues."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils.translation import gettext as _

from ordercrm.accounts.access import access_for
from ordercrm.core import events
from ordercrm.core.exceptions import NotFound, ValidationFailed
from ordercrm.core.permissions import Perm
from ordercrm.sales.models import OrderComment, SalesOrder
from ordercrm.sales.services._steps import _visible_orders
from ordercrm.sales.workflow import OrderEvent

MENTION = re.compile(r"(?<![\w.@])@([\w.+-]+)")


COMMENT_MAX_LENGTH = 4000


def _mentioned(company, text: str, author) -> list:
    """Active members of the company named ``@username`` in ``text`` (not the author),
    in the order first named; names that are no member are plain text."""
    from django.db.models import Q

    from ordercrm.accounts.models import Membership

    names = list(dict.fromkeys(name.rstrip(".").lower() for name in MENTION.findall(text)))[:20]
    if not names:
        return []
    query = Q()
    for name in names:
        query |= Q(user__username__iexact=name)
    members = {
        m.user.username.lower(): m.user
        for m in Membership.objects.filter(company=company, is_active=True, user__is_active=True)
        .filter(query)
        .select_related("user")
    }
    return [members[n] for n in names if n in members and members[n].pk != author.pk]


@transaction.atomic
def order_comment_add(*, order: SalesOrder, actor, text: str) -> OrderComment:
    """A plain comment on an order the actor may see. ``@username`` of a colleague tells
    them in the app (event ``order.commented`` with the mentioned user ids; the routing only
    tells those who may see the order). ``comment.mentioned`` lists who was named."""
    access = access_for(actor, order.company)
    access.require(Perm.ORDER_VIEW)
    if _visible_orders(access).filter(pk=order.pk).first() is None:
        raise NotFound()
    text = text.strip()
    if not text:
        raise ValidationFailed(details={"fields": {"text": [_("This field is required.")]}})
    if len(text) > COMMENT_MAX_LENGTH:
        raise ValidationFailed(
            details={
                "fields": {
                    "text": [
                        _("Write at most %(count)s characters.") % {"count": COMMENT_MAX_LENGTH}
                    ]
                }
            }
        )
    comment = OrderComment.objects.create(
        company_id=order.company_id, order=order, author=actor, text=text
    )
    mentioned = _mentioned(order.company, text, actor)
    events.emit(
        type=OrderEvent.COMMENTED,
        entity=order,
        actor=actor,
        payload={
            "number": order.number,
            "comment_id": str(comment.pk),
            "mentions": [str(user.pk) for user in mentioned],
        },
    )
    comment.mentioned = mentioned
    return comment
