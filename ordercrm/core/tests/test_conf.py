import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from ordercrm.conf import Env


def test_env_parses_types_and_defaults(tmp_path):
    env = Env({"FLAG": "yes", "N": "3", "HOSTS": "a.example, b.example,", "BAD": "maybe"})
    assert env.bool("FLAG") is True
    assert env.bool("MISSING", True) is True
    assert env.int("N", 1) == 3
    assert env.list("HOSTS") == ["a.example", "b.example"]
    with pytest.raises(ImproperlyConfigured):
        env.bool("BAD")


def test_secret_key_is_generated_once_in_development_and_required_in_production(tmp_path):
    env = Env({})
    first = env.secret_key(production=False, data_dir=tmp_path)
    assert first == env.secret_key(production=False, data_dir=tmp_path)
    assert len(first) >= 50
    with pytest.raises(ImproperlyConfigured):
        env.secret_key(production=True, data_dir=tmp_path)
    assert Env({"SECRET_KEY": "k"}).secret_key(production=True, data_dir=tmp_path) == "k"


def test_production_mode_passes_the_deployment_checklist(tmp_path):
    environ = {
        **os.environ,
        "ORDERCRM_PRODUCTION": "1",
        "SECRET_KEY": "x" * 64 + "-production-secret-for-the-check",
        "ALLOWED_HOSTS": "crm.example.com",
        "ORDERCRM_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-m", "ordercrm", "check", "--deploy", "--fail-level", "WARNING"],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_development_server_shows_no_debug_pages_unless_asked(tmp_path):
    """``make run`` (no ORDERCRM_PRODUCTION) answers a missing page with OrderCRM's own 404,
    in the viewer's language, not Django's debug page listing the URL patterns."""
    environ = {
        key: value for key, value in os.environ.items() if key not in ("DEBUG", "DATABASE_URL")
    }
    environ.update(ORDERCRM_DATA_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'd'}")
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "from django.test import Client; "
        "r = Client().get('/no/such/page/', HTTP_ACCEPT_LANGUAGE='zh-hans'); "
        "print(settings.DEBUG, r.status_code, 'URLconf' in r.content.decode(), "
        "'页面不存在' in r.content.decode())"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**environ, "DJANGO_SETTINGS_MODULE": "ordercrm.settings"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.split() == ["False", "404", "False", "True"], result.stderr[-2000:]
