"""Write use cases of sales orders, one module per seam (see docs/architecture.md).

Every service locks the order first, checks the transition table and guards, writes the change,
one audit entry and one outbox event, all in one transaction (the spine is in ``_steps``).
Callers import from here, ``from ordercrm.sales import services``; the modules are the layout.
"""

from ordercrm.sales.services.actions import order_action
from ordercrm.sales.services.amendments import order_amend
from ordercrm.sales.services.approval import order_approve, order_reject, order_reopen
from ordercrm.sales.services.approval_rules import (
    DEFAULT_RULES,
    approval_rule_create,
    approval_rule_set_active,
    approval_rules_setup_defaults,
)
from ordercrm.sales.services.comments import COMMENT_MAX_LENGTH, MENTION, order_comment_add
from ordercrm.sales.services.drafts import order_create, order_preview, order_update
from ordercrm.sales.services.entry import (
    order_add_lines,
    order_duplicate,
    order_paste_lines,
    order_reorder,
    parse_pasted_lines,
)
from ordercrm.sales.services.lifecycle import (
    order_cancel,
    order_close,
    order_complete_if_done,
    order_hold,
    order_reactivate,
    order_release,
    order_request_changes,
    order_reset_to_draft,
    order_resume,
    order_submit,
)
from ordercrm.sales.services.lines import HEADER_FIELDS, LINE_SNAPSHOT_FIELDS, _company_today
from ordercrm.sales.services.sending import order_send_to_customer
from ordercrm.sales.services.stock import backorders_fill, order_fill_backorders
from ordercrm.sales.services.templates import (
    StaleTemplate,
    order_create_from_template,
    template_create,
    template_create_from_order,
    template_set_active,
    template_update,
)
from ordercrm.sales.services.validity import order_expire, quotations_expire

__all__ = [
    "COMMENT_MAX_LENGTH",
    "DEFAULT_RULES",
    "HEADER_FIELDS",
    "LINE_SNAPSHOT_FIELDS",
    "MENTION",
    "StaleTemplate",
    "_company_today",
    "approval_rule_create",
    "approval_rule_set_active",
    "approval_rules_setup_defaults",
    "backorders_fill",
    "order_action",
    "order_add_lines",
    "order_amend",
    "order_approve",
    "order_cancel",
    "order_close",
    "order_comment_add",
    "order_complete_if_done",
    "order_create",
    "order_create_from_template",
    "order_duplicate",
    "order_expire",
    "order_fill_backorders",
    "order_hold",
    "order_paste_lines",
    "order_preview",
    "order_reactivate",
    "order_reject",
    "order_release",
    "order_reopen",
    "order_reorder",
    "order_request_changes",
    "order_reset_to_draft",
    "order_resume",
    "order_send_to_customer",
    "order_submit",
    "order_update",
    "parse_pasted_lines",
    "quotations_expire",
    "template_create",
    "template_create_from_order",
    "template_set_active",
    "template_update",
]
