"""The data export API: the same services and selectors as the "Your data" page.

`POST /api/v1/privacy/export/` asks for an export (202; 409 `export_in_progress` while one is
being built; 429 `too_many_exports` beyond three a day). `GET` gives the latest one's state,
with a `download_url` once it is ready. The download is the caller's own export only: anyone
else's is a 404 `export_not_found`, exactly like a missing one; an expired one is a 410.
"""

from django.contrib.auth import logout
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.openapi import error_response
from core.timeutil import now as current_time
from privacy import erasure, selectors, services
from privacy.models import ExportRequest, ExportStatus
from privacy.responses import zip_response

from .serializers import AccountDeletedSerializer, DeleteAccountSerializer, ErasurePreviewSerializer, ExportSerializer

TAGS = ["privacy"]
ERRORS = {
    404: "No export (`no_export`), or none of yours with that id (`export_not_found`).",
    409: "One is being built already (`export_in_progress`), or this one is not ready (`export_not_ready`).",
    410: "The export expired and its file was deleted (`export_expired`): ask for a new one.",
    429: "Three exports a day at most (`too_many_exports`, with `retry_after` seconds and a `Retry-After` header).",
}


def _errors(*codes: int) -> dict:
    """This app's own refusals; the shared ones (400, 403, ...) come from core.openapi for every route."""
    return {code: error_response(ERRORS[code]) for code in codes}


def export_payload(request, export: ExportRequest) -> dict:
    shown = export.shown_status(current_time())
    download = None
    if shown == ExportStatus.READY:
        download = request.build_absolute_uri(reverse("api-privacy-export-download", args=[export.pk]))
    return {
        "id": export.pk,
        "status": shown,
        "progress": export.progress,
        "created_at": export.created_at,
        "finished_at": export.finished_at,
        "expires_at": export.expires_at,
        "download_url": download,
    }


class Export(APIView):
    @extend_schema(
        tags=TAGS,
        summary="My latest data export",
        description="The state of the caller's most recent export request. Poll it while `status` is "
        "`requested` or `building`; `progress` goes from 0 to 100.",
        responses={200: ExportSerializer, **_errors(404)},
    )
    def get(self, request):
        export = selectors.latest_export(request.user)
        if export is None:
            raise services.ExportNotFound("You have not asked for a copy of your data yet.", code="no_export")
        return Response(ExportSerializer(export_payload(request, export)).data)

    @extend_schema(
        tags=TAGS,
        summary="Ask for a copy of my data",
        description="Starts building a zip of everything InstaInstru holds about the caller (JSON files and a "
        "README.txt). The caller is emailed a download link when it is ready.",
        request=None,
        responses={202: ExportSerializer, **_errors(409, 429)},
    )
    def post(self, request):
        export = services.request_export(user=request.user)
        export = selectors.export_for(request.user, export.pk)  # a build run inline may have moved it on
        return Response(ExportSerializer(export_payload(request, export)).data, status=status.HTTP_202_ACCEPTED)


class ExportDownload(APIView):
    def perform_content_negotiation(self, request, force=False):
        # The zip is not rendered by DRF; any Accept is fine, and errors come back as JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=TAGS,
        summary="Download my data export",
        description="The zip (`application/zip`, as an attachment) of one of the caller's own ready exports.",
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The zip file."),
            **_errors(404, 409, 410),
        },
    )
    def get(self, request, export_id):
        export, archive = services.download(user=request.user, export_id=export_id)
        return zip_response(export, archive)


class AccountErasure(APIView):
    """The right to be forgotten, as on the "Delete your account" page (privacy/erasure.py)."""

    @extend_schema(
        tags=TAGS,
        summary="What deleting my account would do",
        responses={200: ErasurePreviewSerializer},
    )
    def get(self, request):
        return Response(ErasurePreviewSerializer(erasure.erasure_preview(request.user)).data)

    @extend_schema(
        tags=TAGS,
        summary="Delete my account",
        description="Cancels the caller's lessons to come under the usual policy, deletes their personal data "
        "(keeping the records the law requires, anonymous) and signs them out. Needs the password, and a code when "
        "two-factor sign-in is on.",
        request=DeleteAccountSerializer,
        responses={
            200: AccountDeletedSerializer,
            400: error_response("Wrong password (`invalid`) or code (`code_rejected`)."),
            409: error_response("Not now (`erasure_refused`): a lesson in progress, or a staff account."),
            429: error_response("Too many wrong passwords or codes (`rate_limited`, with `retry_after` seconds)."),
        },
    )
    def post(self, request):
        given = DeleteAccountSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        cancelled = erasure.erase_own_account(user=request.user, **given.validated_data)
        logout(request)
        return Response(AccountDeletedSerializer({"lessons_cancelled": cancelled}).data)
