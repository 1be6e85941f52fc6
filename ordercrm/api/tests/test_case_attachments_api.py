"""Case attachments over the API: upload (multipart), list, download; the same size and
sniffed-type checks as the web form, refusals in the error shape that store nothing, the
Idempotency-Key replay, and scope (a caller who cannot see the case gets 404)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ordercrm.accounts.roles import Role
from ordercrm.accounts.tokens import token_create
from ordercrm.core.models import AuditEntry
from ordercrm.service import services
from ordercrm.service.models import CaseAttachment

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def agent(make_user, company, team):
    return make_user(Role.SUPPORT, company, username="agent", team=team)


@pytest.fixture
def case(company, agent, customer):
    return services.case_create(
        company=company, actor=agent, customer=customer, subject="Cracked casing"
    )


@pytest.fixture
def auth():
    tokens = {}

    def make(user):
        if user.pk not in tokens:
            tokens[user.pk] = token_create(user=user, name="t")[1]
        return {"HTTP_AUTHORIZATION": f"Bearer {tokens[user.pk]}"}

    return make


def upload(client, auth, user, case, *files, **headers):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return client.post(
        f"/api/v1/cases/{case.pk}/attachments",
        data={"files": list(files)},
        **auth(user),
        **extra,
    )


def test_upload_list_and_download(client, auth, agent, case, company):
    response = upload(
        client,
        auth,
        agent,
        case,
        SimpleUploadedFile("photo.bin", PNG, content_type="application/octet-stream"),
        SimpleUploadedFile("invoice.pdf", PDF, content_type="application/pdf"),
        **{"Idempotency-Key": "att-1"},
    )
    assert response.status_code == 201, response.content
    stored = response.json()
    # the type is the sniffed one, whatever the name or the client said
    assert [(a["content_type"], a["size"]) for a in stored] == [
        ("image/png", len(PNG)),
        ("application/pdf", len(PDF)),
    ]
    assert stored[0]["uploaded_by"] == "agent"
    assert CaseAttachment.objects.for_company(company).count() == 2
    assert AuditEntry.objects.for_company(company).filter(action="attach").count() == 1
    # a retry with the same key is the first answer, nothing stored twice
    replay = upload(
        client,
        auth,
        agent,
        case,
        SimpleUploadedFile("photo.bin", PNG, content_type="application/octet-stream"),
        SimpleUploadedFile("invoice.pdf", PDF, content_type="application/pdf"),
        **{"Idempotency-Key": "att-1"},
    )
    assert replay.status_code == 201
    assert [a["id"] for a in replay.json()] == [a["id"] for a in stored]
    # the same key with other files is a conflict
    clash = upload(
        client, auth, agent, case, SimpleUploadedFile("x.png", PNG), **{"Idempotency-Key": "att-1"}
    )
    assert clash.status_code == 409
    assert CaseAttachment.objects.for_company(company).count() == 2

    listed = client.get(f"/api/v1/cases/{case.pk}/attachments", **auth(agent))
    assert listed.status_code == 200
    assert [a["id"] for a in listed.json()] == [a["id"] for a in stored]

    png = client.get(stored[0]["download"], **auth(agent))
    assert png.status_code == 200
    assert png["Content-Type"] == "image/png"
    assert png["X-Content-Type-Options"] == "nosniff"
    assert b"".join(png.streaming_content) == PNG
    pdf = client.get(stored[1]["download"], **auth(agent))
    assert pdf["Content-Security-Policy"] == "sandbox"
    assert b"".join(pdf.streaming_content) == PDF


def test_refused_files_keep_the_shape_and_store_nothing(
    client, auth, agent, case, company, settings
):
    settings.SERVICE_ATTACHMENT_MAX_BYTES = 100
    for upload_file, expected in (
        (SimpleUploadedFile("run.jpg", b"MZ\x90\x00" + b"\x00" * 40), "not a photo"),
        (SimpleUploadedFile("big.png", PNG + b"\x00" * 100), "larger than"),
        (SimpleUploadedFile("empty.png", b""), "empty"),
    ):
        response = upload(client, auth, agent, case, upload_file)
        assert response.status_code == 422, response.content
        error = response.json()["error"]
        assert error["code"] == "service.attachment_refused"
        assert expected in error["message"]
    # one good and one bad file: neither is stored
    response = upload(
        client,
        auth,
        agent,
        case,
        SimpleUploadedFile("ok.png", PNG),
        SimpleUploadedFile("bad.png", b"plain text, not an image"),
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "service.attachment_refused"
    assert not CaseAttachment.objects.for_company(company).exists()
    assert not AuditEntry.objects.for_company(company).filter(action="attach").exists()
    # no file at all
    response = client.post(f"/api/v1/cases/{case.pk}/attachments", data={}, **auth(agent))
    assert response.status_code == 422
    assert "error" in response.json()


def test_a_case_out_of_scope_is_not_found(
    client, auth, agent, case, make_user, company, other_company
):
    stored = services.case_attach(case=case, actor=agent, files=[SimpleUploadedFile("a.png", PNG)])
    stranger = make_user(Role.SUPPORT, other_company, username="stranger")
    for path in (
        f"/api/v1/cases/{case.pk}/attachments",
        f"/api/v1/cases/{case.pk}/attachments/{stored[0].pk}",
    ):
        response = client.get(path, **auth(stranger))
        assert response.status_code == 404, path
    response = upload(client, auth, stranger, case, SimpleUploadedFile("a.png", PNG))
    assert response.status_code == 404
    # a viewer sees the files but may not add one
    viewer = make_user(Role.VIEWER, company, username="viewer")
    assert client.get(f"/api/v1/cases/{case.pk}/attachments", **auth(viewer)).status_code == 200
    response = upload(client, auth, viewer, case, SimpleUploadedFile("a.png", PNG))
    assert response.status_code == 403
    assert CaseAttachment.objects.for_company(company).count() == 1
