"""What may be attached to a case: photos (JPEG, PNG, GIF, WebP) and PDFs, up to
``SERVICE_ATTACHMENT_MAX_BYTES``. The type is read from the file's first bytes, not from
its name or the browser's word: a renamed executable is refused, and the stored type and
extension are the sniffed ones."""

from __future__ import annotations

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from ordercrm.service.exceptions import AttachmentRefused

# magic bytes → (content type, extension)
SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
    (b"GIF87a", 0, "image/gif", "gif"),
    (b"GIF89a", 0, "image/gif", "gif"),
    (b"WEBP", 8, "image/webp", "webp"),
    (b"%PDF-", 0, "application/pdf", "pdf"),
)
MAX_PER_COMMENT = 5


def sniff(head: bytes) -> tuple[str, str] | None:
    for magic, offset, content_type, extension in SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            if content_type == "image/webp" and not head.startswith(b"RIFF"):
                continue
            return content_type, extension
    return None


def check(upload) -> tuple[str, str, int]:
    """(content type, extension, size) of an acceptable upload; ``service.attachment_refused``
    with the reason otherwise."""
    name = str(getattr(upload, "name", "") or "file")
    size = int(getattr(upload, "size", 0) or 0)
    limit = settings.SERVICE_ATTACHMENT_MAX_BYTES
    if size <= 0:
        raise AttachmentRefused(params={"reason": _("%(name)s is empty.") % {"name": name}})
    if size > limit:
        raise AttachmentRefused(
            params={
                "reason": _("%(name)s is larger than %(limit)s.")
                % {"name": name, "limit": filesizeformat(limit)}
            },
            details={"name": name, "size": size, "limit": limit},
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    found = sniff(head)
    if found is None:
        raise AttachmentRefused(
            params={
                "reason": _("%(name)s is not a photo (JPEG, PNG, GIF, WebP) or a PDF.")
                % {"name": name}
            },
            details={"name": name},
        )
    return found[0], found[1], size
