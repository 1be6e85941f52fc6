from django.utils.translation import gettext_lazy as _

from ordercrm.core.exceptions import Conflict, ValidationFailed


class SplitNotWhole(ValidationFailed):
    code = "analytics.split_not_whole"
    message = _("The shares of an order must add up to 100 %.")


class TargetExists(Conflict):
    code = "analytics.target_exists"
    message = _("A target for this salesperson or team, period and measure already exists.")
