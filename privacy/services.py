"""Every change to data exports: asking for one, building it (the Celery task's work), handing
it to its owner, and the sweep that expires old ones and rescues lost ones.

Status changes are compare-and-set queryset updates (`filter(status=...).update(...)`): a
duplicate task run, a sweep and a build can overlap, and only the first to move a row on wins.
"""

import datetime as dt
import io
import json
import logging
import math
import zipfile
from functools import partial

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from accounts.models import User
from core.exceptions import Conflict, DomainError, NotFound, RateLimited
from core.services import record_audit
from core.timeutil import now as current_time

from . import notices, selectors, tasks
from .models import UNFINISHED_STATUSES, ExportRequest, ExportStatus

log = logging.getLogger("privacy")

MAX_EXPORTS_PER_DAY = 3  # counted from the table: an export is rare and heavy, no GCRA bucket needed
STARTED_PROGRESS = 5
SECTIONS_PROGRESS = 90  # the sections take the progress bar up to here; zipping and saving do the rest
LOST_REQUEST_AFTER = dt.timedelta(minutes=10)
STUCK_BUILD_AFTER = dt.timedelta(minutes=30)


class ExportInProgress(Conflict):
    code = "export_in_progress"
    default_message = "We're already preparing a copy of your data. It will be ready in a few minutes."


class TooManyExports(RateLimited):
    code = "too_many_exports"
    default_message = f"You can ask for a copy of your data {MAX_EXPORTS_PER_DAY} times a day. Please try again later."


class ExportNotFound(NotFound):
    code = "export_not_found"
    default_message = "We couldn't find that export in your account."


class ExportNotReady(Conflict):
    code = "export_not_ready"
    default_message = "This export is not ready to download."


class ExportExpired(DomainError):
    code = "export_expired"
    status = 410
    default_message = "This export has expired and its file was deleted. Ask for a new copy of your data."


# --- asking -------------------------------------------------------------------------------------


def request_export(*, user: User) -> ExportRequest:
    """Ask for a copy of everything held about `user`; the build is queued once this commits.
    Refused while one is still being built, and beyond MAX_EXPORTS_PER_DAY a day."""
    at = current_time()
    with transaction.atomic():
        if ExportRequest.objects.filter(user=user, status__in=UNFINISHED_STATUSES).exists():
            raise ExportInProgress()
        _check_daily_limit(user, at)
        try:
            with transaction.atomic():  # the partial unique constraint settles two requests at once
                export = ExportRequest.objects.create(user=user, created_at=at)
        except IntegrityError as error:
            raise ExportInProgress() from error
        record_audit(actor=user, action="request_data_export", target=export)
        transaction.on_commit(partial(_queue_build, export.pk))
    return export


def _check_daily_limit(user: User, at: dt.datetime) -> None:
    times = selectors.recent_export_times(user, at)
    if len(times) >= MAX_EXPORTS_PER_DAY:
        frees_up_at = times[-MAX_EXPORTS_PER_DAY] + selectors.DAILY_LIMIT_WINDOW
        raise TooManyExports(retry_after=max(1, math.ceil((frees_up_at - at).total_seconds())))


def _queue_build(export_id: str) -> None:
    try:
        tasks.build_export.apply_async(args=[export_id], retry=False)
    except Exception:  # the broker is down: the sweep builds requests left waiting
        log.exception("export %s: could not queue its build; the sweep will", export_id)


# --- building -----------------------------------------------------------------------------------


def build_export(export_id: str) -> ExportRequest | None:
    """Build the export's zip, moving its progress on as each file is written, then mark it
    ready and email the link. Safe to run twice: a finished export is left alone, and of two
    overlapping builds only the first to finish is saved (and emailed)."""
    export = _start_building(export_id)
    if export is None:
        return None
    try:
        archive = build_archive(export.user, on_progress=partial(_set_progress, export.pk))
    except Exception:
        log.exception("export %s: the build failed", export.pk)
        _finish_as_failed([export.pk])
        return None
    return _mark_ready(export.pk, archive)


def _start_building(export_id: str) -> ExportRequest | None:
    with transaction.atomic():
        export = (
            ExportRequest.objects.select_for_update()
            .defer("archive")
            .select_related("user")
            .filter(pk=export_id, status__in=UNFINISHED_STATUSES)
            .first()
        )
        if export is None:
            return None
        ExportRequest.objects.filter(pk=export.pk).update(
            status=ExportStatus.BUILDING, progress=STARTED_PROGRESS, started_at=current_time()
        )
    return export


def _set_progress(export_id: str, progress: int) -> None:
    """Committed at once (outside any transaction), so the person's page sees it move."""
    ExportRequest.objects.filter(pk=export_id, status=ExportStatus.BUILDING, progress__lt=progress).update(
        progress=progress
    )


def build_archive(user: User, *, on_progress=None) -> bytes:
    """The zip: one JSON file per area of the person's data, and a README.txt saying what each is."""
    sections = selectors.export_sections(user)
    built_at = current_time()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for done, section in enumerate(sections, start=1):
            _write(archive, section.filename, _as_json(section.build()), built_at)
            if on_progress is not None:
                on_progress(STARTED_PROGRESS + SECTIONS_PROGRESS * done // len(sections))
        readme = render_to_string(
            "privacy/export_readme.txt",
            {"user": user, "built_at": selectors.iso(built_at.astimezone(dt.UTC)), "sections": sections},
        )
        _write(archive, "README.txt", readme, built_at)
    return buffer.getvalue()


def _as_json(data: dict) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False) + "\n"


def _write(archive: zipfile.ZipFile, name: str, text: str, built_at: dt.datetime) -> None:
    entry = zipfile.ZipInfo(name, date_time=built_at.astimezone(dt.UTC).timetuple()[:6])
    entry.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(entry, text.encode())


def _mark_ready(export_id: str, archive: bytes) -> ExportRequest | None:
    finished_at = current_time()
    with transaction.atomic():
        moved = ExportRequest.objects.filter(pk=export_id, status=ExportStatus.BUILDING).update(
            status=ExportStatus.READY,
            progress=100,
            archive=archive,
            archive_size=len(archive),
            finished_at=finished_at,
            expires_at=finished_at + dt.timedelta(hours=settings.PRIVACY_EXPORT_LINK_HOURS),
        )
        if not moved:
            return None  # another run finished (or the sweep failed it) first
        export = ExportRequest.objects.defer("archive").select_related("user").get(pk=export_id)
        notices.email_export_ready(export)
    return export


def _finish_as_failed(export_ids: list[str]) -> int:
    return ExportRequest.objects.filter(pk__in=export_ids, status__in=UNFINISHED_STATUSES).update(
        status=ExportStatus.FAILED, finished_at=current_time()
    )


# --- downloading --------------------------------------------------------------------------------


def download(*, user: User, export_id: str) -> tuple[ExportRequest, bytes]:
    """The zip of one of `user`'s own ready exports (anyone else's is not found). Audited."""
    export = selectors.export_for(user, export_id)
    if export is None:
        raise ExportNotFound()
    shown = export.shown_status(current_time())
    if shown == ExportStatus.EXPIRED:
        raise ExportExpired()
    if shown != ExportStatus.READY:
        raise ExportNotReady()
    archive = selectors.archive_of(export)
    record_audit(actor=user, action="download_data_export", target=export, size=len(archive))
    return export, archive


# --- the sweep ----------------------------------------------------------------------------------


def expire_exports() -> int:
    """Delete the files of exports past their expiry."""
    return ExportRequest.objects.filter(status=ExportStatus.READY, expires_at__lte=current_time()).update(
        status=ExportStatus.EXPIRED, archive=None
    )


def discard_exports(*, user: User) -> int:
    """Delete the files of all of `user`'s exports and stop unfinished ones (for erasing an
    account: no copy of the person's data may outlive it)."""
    discarded = ExportRequest.objects.filter(user=user).exclude(status=ExportStatus.FAILED)
    return discarded.update(status=ExportStatus.EXPIRED, archive=None, finished_at=current_time())


def rescue_stale_exports() -> tuple[int, int]:
    """Build the requests no worker picked up (their task was lost), and fail the builds that
    stopped half way (so the person may ask again). Returns (built, failed)."""
    at = current_time()
    waiting, stuck = selectors.stale_exports(
        requested_before=at - LOST_REQUEST_AFTER, building_before=at - STUCK_BUILD_AFTER
    )
    failed = _finish_as_failed(stuck)
    built = sum(1 for export_id in waiting if build_export(export_id) is not None)
    return built, failed
