"""Settings of the live servers the fault tests start: the project's, plus the fault
middleware of ``faults`` around the idempotency middleware."""

from ordercrm.api.tests.faults import with_faults
from ordercrm.settings import *  # noqa: F403
from ordercrm.settings import MIDDLEWARE

MIDDLEWARE = with_faults(MIDDLEWARE)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
