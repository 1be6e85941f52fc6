"""The one place OrderCRM reads its environment.

Settings never call ``os.environ`` themselves: they ask :class:`Env`, which knows how to turn a
variable into a bool, a list or a path and how to fall back to a default. Reading the
environment has no side effects except :meth:`Env.secret_key`, which in development keeps a
generated key in the data directory so sessions survive a restart.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


class Env:
    def __init__(self, environ: dict[str, str] | None = None):
        self.environ = os.environ if environ is None else environ

    def str(self, name: str, default: str = "") -> str:
        return self.environ.get(name, default)

    def bool(self, name: str, default: bool = False) -> bool:
        raw = self.environ.get(name)
        if raw is None:
            return default
        word = raw.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ImproperlyConfigured(f"{name} must be a boolean (true/false), not {raw!r}")

    def int(self, name: str, default: int) -> int:
        raw = self.environ.get(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            return int(raw)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from exc

    def list(self, name: str, default: list[str] | None = None) -> list[str]:
        raw = self.environ.get(name)
        if raw is None:
            return list(default or [])
        return [item.strip() for item in raw.split(",") if item.strip()]

    def path(self, name: str, default: Path) -> Path:
        raw = self.environ.get(name)
        return Path(raw).expanduser().resolve() if raw else default

    def secret_key(self, *, production: bool, data_dir: Path) -> str:
        """``SECRET_KEY`` from the environment; in development a generated key kept on disk.

        Production refuses to start without an explicit key: a key generated on one server
        would differ on the next and log every user out.
        """
        key = self.environ.get("SECRET_KEY", "")
        if key:
            return key
        if production:
            raise ImproperlyConfigured("SECRET_KEY must be set when ORDERCRM_PRODUCTION is on")
        key_file = data_dir / "secret_key"
        if key_file.exists():
            return key_file.read_text().strip()
        data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key
