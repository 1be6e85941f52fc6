"""Every list's Export link: the list's rows with its current filters (the same query-string
names as the page) as CSV or XLSX, written while it is sent (``imports.exports``).

A filter that cannot be read, an unknown list or format is refused before anything is sent
(``member_view`` shows the translated reason, 422 / 404); a list the user may not see is 403.
"""

from __future__ import annotations

from django.http import StreamingHttpResponse

from ordercrm.core.db import reading_from_replica, stream_from_replica
from ordercrm.imports import exports
from ordercrm.web.decorators import member_view


@member_view
@reading_from_replica()
def list_export(request, kind: str, fmt: str):
    found = exports.export(request.access, kind, request.GET, fmt)
    response = StreamingHttpResponse(
        stream_from_replica(found.chunks()), content_type=found.content_type
    )
    response["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    return response
