import pytest
from django.urls import reverse

from ordercrm.accounts.roles import Role

PASSWORD = "correct horse battery"


def test_pages_require_login(client, db):
    response = client.get(reverse("customer_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_logout_and_password_change(client, admin):
    response = client.post(reverse("login"), {"username": "boss", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a brand new secret 42",
            "new_password2": "a brand new secret 42",
        },
    )
    assert response.status_code == 302
    admin.refresh_from_db()
    assert admin.check_password("a brand new secret 42")
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_failed_logins_are_throttled(client, admin, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "boss", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "boss", "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content
    assert client.get(reverse("home")).status_code == 302


def test_a_user_without_company_sees_nothing(client, db):
    from ordercrm.accounts.models import User

    user = User.objects.create_user("lonely", password=PASSWORD)
    client.force_login(user)
    assert client.get(reverse("customer_list")).status_code == 403


@pytest.mark.parametrize(
    ("language", "word"), [("zh-hans", "客户"), ("zh-hant", "客戶"), ("en", "Customers")]
)
def test_language_switch_is_kept_on_the_user(client, make_user, company, language, word):
    user = make_user(Role.SALES_REP, company)
    client.force_login(user)
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    user.refresh_from_db()
    assert user.language == language
    assert word in client.get(reverse("home")).content.decode()


def test_health(client, db):
    assert client.get("/health").json()["status"] == "ok"
