import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction

from accounts.tests.factories import UserFactory
from core.models import AuditLog
from privacy import links, selectors, services, tasks
from privacy.models import ExportRequest, ExportStatus

from .conftest import NOW, unzip

pytestmark = pytest.mark.django_db
STUDENT_FILES = {
    "README.txt",
    "account.json",
    "two_factor.json",
    "bookings.json",
    "payments.json",
    "messages.json",
    "searches.json",  # search: added with search analytics
    "audit_log.json",
}


def export_ready_for(user, capture) -> ExportRequest:
    """Ask for an export and run what the commit queues (the build, eagerly, then its email)."""
    with capture(execute=True):
        export = services.request_export(user=user)
    return ExportRequest.objects.get(pk=export.pk)


def test_a_students_export_holds_their_lessons_payments_and_messages(
    student, other_student, django_capture_on_commit_callbacks
):
    export = export_ready_for(student, django_capture_on_commit_callbacks)

    files = unzip(bytes(export.archive))
    assert set(files) == STUDENT_FILES
    assert files["account.json"]["email"] == "ana@example.com"
    assert "password" not in files["account.json"]
    assert files["account.json"]["roles"] == ["student"]
    assert files["two_factor.json"] == {"two_factor_enabled": False, "backup_codes_left": 0}

    [lesson] = files["bookings.json"]["bookings"]
    assert lesson["id"] == student.lesson.pk
    assert lesson["role"] == "student"
    assert lesson["start_at"] == "2026-12-03T15:00:00+00:00"
    assert (lesson["start_time"], lesson["instructor_timezone"]) == ("10:00:00", "America/New_York")
    assert lesson["price_cents"] == 60_00
    assert lesson["payment"]["amount_cents"] == 60_00
    assert "payout" not in lesson  # the instructor's money is theirs

    [card] = files["payments.json"]["saved_cards"]
    assert (card["brand"], card["last4"]) == ("visa", "4242")
    assert files["payments.json"]["credit_balance_cents"] == 0

    [conversation] = files["messages.json"]["conversations"]
    assert [(m["from"], m["body"]) for m in conversation["messages"]] == [
        ("you", "Can we work on scales?"),
        (student.lesson.instructor.user.public_name, "Of course, bring your book."),
    ]
    assert [row["action"] for row in files["audit_log.json"]["audit_log"]] == ["request_data_export"]
    assert "bookings.json" in files["README.txt"] and "whole cents" in files["README.txt"]


def test_nobody_elses_data_and_no_secret_is_in_a_students_export(
    student, other_student, django_capture_on_commit_callbacks
):
    export = export_ready_for(student, django_capture_on_commit_callbacks)

    text = "".join(str(content) for content in unzip(bytes(export.archive)).values())
    instructor = student.lesson.instructor.user
    ben_lesson = other_student.bookings.get()
    for leaked in ("ben@example.com", "Benedict", "Ben's private question", ben_lesson.pk):
        assert leaked not in text
    for private in (instructor.email, instructor.last_name, student.password, "pm_", "cus_", "pi_"):
        assert private not in text


def test_an_instructors_export_has_their_profile_availability_and_lessons_taught(
    student, django_capture_on_commit_callbacks
):
    instructor = student.lesson.instructor.user

    export = export_ready_for(instructor, django_capture_on_commit_callbacks)

    files = unzip(bytes(export.archive))
    assert set(files) == STUDENT_FILES | {"instructor_profile.json", "availability.json"}
    profile = files["instructor_profile.json"]
    assert profile["profile"]["is_live"] is True
    [offering] = profile["offerings"]
    assert offering["hourly_rate_cents"] == 60_00
    assert files["availability.json"]["days"] == [{"date": "2026-12-03", "open": ["09:00-17:00"]}]
    [lesson] = files["bookings.json"]["bookings"]
    assert (lesson["role"], lesson["with"]) == ("instructor", "Ana L.")
    assert "payment" not in lesson and "payout" in lesson
    assert files["two_factor.json"]["two_factor_enabled"] is True
    assert "ana@example.com" not in str(files)


def test_a_request_waits_then_builds_with_rising_progress_and_is_ready_for_24_hours(student):
    export = services.request_export(user=student)  # its queued build is not run here
    assert (export.status, export.progress) == (ExportStatus.REQUESTED, 0)

    seen = []
    services.build_archive(student, on_progress=seen.append)
    built = services.build_export(export.pk)

    assert seen == sorted(seen) and len(seen) == 7 and seen[-1] == 95  # search: 7 sections with searches.json
    export.refresh_from_db()
    assert (export.status, export.progress) == (ExportStatus.READY, 100)
    assert export.finished_at == NOW and export.expires_at == NOW + dt.timedelta(hours=24)
    assert export.archive_size == len(bytes(export.archive)) > 0
    assert built.pk == export.pk


def test_building_twice_builds_and_emails_once(student, django_capture_on_commit_callbacks):
    export = export_ready_for(student, django_capture_on_commit_callbacks)
    archive = bytes(export.archive)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.build_export(export.pk) is None

    export.refresh_from_db()
    assert bytes(export.archive) == archive
    assert len(mail.outbox) == 1


def test_the_ready_email_carries_a_signed_link_to_the_export(student, django_capture_on_commit_callbacks):
    export = export_ready_for(student, django_capture_on_commit_callbacks)

    [email] = mail.outbox
    assert email.to == ["ana@example.com"]
    assert email.subject == "Your InstaInstru data is ready to download"
    [link] = [line for line in email.body.splitlines() if "/account/data/download/" in line]
    token = link.rstrip("/").rsplit("/", 1)[-1]
    assert links.export_id_from(token) == export.pk
    assert "Dec 2, 2026, 7:00 AM EST" in email.body  # the expiry in Ana's zone


def test_a_failed_build_is_marked_failed_and_the_person_may_ask_again(student, monkeypatch):
    export = services.request_export(user=student)

    def broken(user):
        raise RuntimeError("a bug while reading")

    monkeypatch.setattr(selectors, "two_factor_section", broken)
    services.build_export(export.pk)

    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED and export.archive is None
    assert services.request_export(user=student).status == ExportStatus.REQUESTED


def test_a_second_request_while_one_is_unfinished_is_refused(student):
    services.request_export(user=student)

    with pytest.raises(services.ExportInProgress) as refused:
        services.request_export(user=student)

    assert refused.value.status == 409
    assert ExportRequest.objects.filter(user=student).count() == 1


def test_more_than_three_exports_a_day_are_refused_until_the_first_is_a_day_old(
    student, clock, django_capture_on_commit_callbacks
):
    for _ in range(3):
        export_ready_for(student, django_capture_on_commit_callbacks)
        clock.shift(dt.timedelta(hours=1))

    with pytest.raises(services.TooManyExports) as refused:
        services.request_export(user=student)

    assert refused.value.status == 429
    assert refused.value.retry_after == 21 * 3600
    clock.shift(dt.timedelta(hours=21))
    assert services.request_export(user=student).status == ExportStatus.REQUESTED


def test_the_owner_downloads_and_it_is_audited(student, django_capture_on_commit_callbacks):
    export = export_ready_for(student, django_capture_on_commit_callbacks)

    downloaded, archive = services.download(user=student, export_id=export.pk)

    assert downloaded.pk == export.pk and archive == bytes(export.archive)
    audit = AuditLog.objects.get(action="download_data_export")
    assert (audit.actor, audit.target_type, audit.target_id) == (student, "privacy.exportrequest", export.pk)
    assert AuditLog.objects.filter(action="request_data_export", actor=student, target_id=export.pk).exists()


def test_someone_elses_export_is_not_found(student, other_student, django_capture_on_commit_callbacks):
    export = export_ready_for(student, django_capture_on_commit_callbacks)

    with pytest.raises(services.ExportNotFound):
        services.download(user=other_student, export_id=export.pk)
    assert not AuditLog.objects.filter(action="download_data_export").exists()


def test_an_unfinished_export_is_not_ready_to_download(student):
    export = services.request_export(user=student)

    with pytest.raises(services.ExportNotReady):
        services.download(user=student, export_id=export.pk)


def test_an_export_expires_after_24_hours_and_the_sweep_deletes_its_file(
    student, clock, django_capture_on_commit_callbacks
):
    export = export_ready_for(student, django_capture_on_commit_callbacks)
    clock.shift(dt.timedelta(hours=24))

    with pytest.raises(services.ExportExpired) as refused:
        services.download(user=student, export_id=export.pk)
    assert refused.value.status == 410
    assert services.expire_exports() == 1

    export.refresh_from_db()
    assert (export.status, export.archive) == (ExportStatus.EXPIRED, None)


def test_the_sweep_task_expires_old_files(student, clock, django_capture_on_commit_callbacks):
    export = export_ready_for(student, django_capture_on_commit_callbacks)
    clock.shift(dt.timedelta(hours=25))

    tasks.sweep_exports()

    assert ExportRequest.objects.get(pk=export.pk).status == ExportStatus.EXPIRED


def test_discarding_a_persons_exports_deletes_every_file_and_stops_builds(
    student, other_student, django_capture_on_commit_callbacks
):
    ready = export_ready_for(student, django_capture_on_commit_callbacks)
    others = export_ready_for(other_student, django_capture_on_commit_callbacks)
    waiting = services.request_export(user=student)

    assert services.discard_exports(user=student) == 2

    for export in (ready, waiting):
        export.refresh_from_db()
        assert (export.status, export.archive) == (ExportStatus.EXPIRED, None)
    assert ExportRequest.objects.get(pk=others.pk).status == ExportStatus.READY
    assert services.build_export(waiting.pk) is None


def test_the_sweep_builds_lost_requests_and_fails_dead_builds(student, other_student, clock):
    lost = services.request_export(user=student)
    dead = services.request_export(user=other_student)
    ExportRequest.objects.filter(pk=dead.pk).update(status=ExportStatus.BUILDING, started_at=NOW)
    clock.shift(dt.timedelta(minutes=31))

    assert services.rescue_stale_exports() == (1, 1)

    assert ExportRequest.objects.get(pk=lost.pk).status == ExportStatus.READY
    assert ExportRequest.objects.get(pk=dead.pk).status == ExportStatus.FAILED


def test_the_database_keeps_progress_in_range_and_one_unfinished_export_per_person(student):
    services.request_export(user=student)

    with pytest.raises(IntegrityError), transaction.atomic():
        ExportRequest.objects.create(user=student)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExportRequest.objects.create(user=UserFactory(), progress=101)


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_the_same_moment_make_one_export():
    student = UserFactory(role="student")
    barrier = threading.Barrier(2)
    outcomes = []

    def ask():
        try:
            barrier.wait()
            outcomes.append(services.request_export(user=student).status)
        except services.ExportInProgress as refused:
            outcomes.append(refused.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["export_in_progress", "requested"]
    assert ExportRequest.objects.filter(user=student).count() == 1
