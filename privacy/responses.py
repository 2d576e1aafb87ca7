"""The download response both channels (the page's link and the API) give."""

from django.http import HttpResponse

from .models import ExportRequest


def zip_response(export: ExportRequest, archive: bytes) -> HttpResponse:
    response = HttpResponse(archive, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{archive_filename(export)}"'
    response["Cache-Control"] = "no-store, private"  # personal data: no shared cache keeps a copy
    return response


def archive_filename(export: ExportRequest) -> str:
    return f"instainstru-data-{export.created_at:%Y-%m-%d}.zip"
