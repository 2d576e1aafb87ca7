"""The API keeps the contract its OpenAPI schema states.

Schemathesis reads the schema the site serves (/api/v1/schema/), generates requests for every
operation from it and sends them to the WSGI application in-process (real PostgreSQL and Redis),
as an anonymous visitor, a signed-in student and a signed-in instructor. Every answer must be
no 5xx, a status the schema documents for that operation, and a content type and body that match
the documented ones. Requests that break the schema (negative mode) must be refused with a 4xx, so
the constraints the schema shows are the ones the server enforces.

Bounded and repeatable: a fixed number of examples per operation, generated deterministically.
"""

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, Phase, given, reject, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.tests.factories import UserFactory, sign_in_verified
from bookings.tests.factories import book, open_instructor
from core.timeutil import local_today
from instainstru.wsgi import application
from messaging.tests.factories import conversation_between

pytestmark = pytest.mark.django_db(transaction=True)  # the app commits, as it does when served

EXAMPLES_PER_OPERATION = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Any two equal 32-character strings pass Django's CSRF check (cookie and header).
CSRF_TOKEN = "contracttestcontracttestcontract"
# Stripe's endpoint is for Stripe (left out of the schema): its bad-signature 400 is tested in
# payments/tests; fuzzing its signature check would only prove that HMAC works.
NOT_IN_SCHEMA = "/api/v1/payments/webhooks/stripe/"


@dataclass
class Tally:
    operations: set = field(default_factory=set)
    examples: int = 0
    failures: list = field(default_factory=list)


@dataclass
class World:
    """One live instructor, a student with a confirmed lesson with them, and a conversation."""

    student: object
    instructor: object
    ids: dict


@pytest.fixture
def world() -> World:
    tomorrow = local_today("America/New_York") + dt.timedelta(days=1)
    profile = open_instructor(days=[tomorrow + dt.timedelta(days=n) for n in range(3)])
    student = UserFactory(role="student")
    offering = profile.offerings.get()
    start = dt.datetime.combine(tomorrow, dt.time(10), tzinfo=ZoneInfo("America/New_York")).astimezone(dt.UTC)
    booking = book(student, offering, start)
    conversation = conversation_between(student=student, instructor=profile.user)
    ids = {"profile_id": profile.pk, "booking_id": booking.pk, "conversation_id": conversation.pk}
    return World(student=student, instructor=profile.user, ids=ids)


def session_cookies(user) -> dict:
    if user is None:
        return {}
    client = Client()
    sign_in_verified(client, user)
    return {"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF_TOKEN}


def check_every_operation(*, cookies: dict, known_ids: dict) -> Tally:
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
    tally = Tally()
    for result in schema.get_all_operations():
        operation = result.ok()
        tally.operations.add(operation.label)
        known = {name: known_ids[name] for name in _path_parameter_names(operation) if name in known_ids}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _run(operation, mode, cookies=cookies, tally=tally)
        if known:  # also the real objects, which generated ids never hit
            _run(operation, GenerationMode.POSITIVE, cookies=cookies, tally=tally, path_parameters=known)
    return tally


def _path_parameter_names(operation) -> list[str]:
    return [parameter.name for parameter in operation.path_parameters]


def _run(operation, mode, *, cookies: dict, tally: Tally, path_parameters: dict | None = None) -> None:
    headers = {"X-CSRFToken": CSRF_TOKEN} if cookies else {}
    # The session is part of each case, not added on sending: negative mode would otherwise "drop"
    # the required session cookie of the schema's cookieAuth and expect a refusal we then prevent.
    strategy = operation.as_strategy(
        generation_mode=mode, path_parameters=path_parameters, cookies=cookies or None, headers=headers or None
    )

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # report the first failure as found, unshrunk
        suppress_health_check=list(HealthCheck),
    )
    def send(case):
        if multipart_cannot_carry_it(case):
            reject()
        tally.examples += 1
        case.call_and_validate(checks=CHECKS)

    try:
        send()
    except Unsatisfiable:
        # Negative mode on an operation whose schema nothing can break (no parameters, or only
        # unconstrained strings): there is no invalid request to send.
        assert mode is GenerationMode.NEGATIVE, f"{operation.label}: no valid request can be generated"
    except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 - collected, then all reported
        tally.failures.append(f"{operation.label} ({mode.value}): {failure}")


def multipart_cannot_carry_it(case) -> bool:
    """Tool limitations, not the app's, so these cases are not sent:
    - a body that is not an object has no multipart form encoding; what arrives is a form without
      fields, which a PATCH may rightly accept as "change nothing";
    - Werkzeug's test client writes an empty multipart field with no line break before the next
      boundary, so Django's parser never sees that field (a browser's or `requests`' encoding of the
      same form reaches the view, which refuses the blank value: instructors/tests/test_api.py)."""
    if case.media_type != "multipart/form-data":
        return False
    return not isinstance(case.body, dict) or "" in case.body.values()


def assert_contract_kept(tally: Tally) -> None:
    assert not tally.failures, "\n\n".join(tally.failures)
    assert NOT_IN_SCHEMA not in {label.split(" ", 1)[1] for label in tally.operations}
    print(f"\n{len(tally.operations)} operations, {tally.examples} examples")  # noqa: T201 - the figures to report


def test_anonymous_visitors_get_documented_answers(world):
    assert_contract_kept(check_every_operation(cookies=session_cookies(None), known_ids=world.ids))


def test_a_signed_in_student_gets_documented_answers(world):
    assert_contract_kept(check_every_operation(cookies=session_cookies(world.student), known_ids=world.ids))


def test_a_signed_in_instructor_gets_documented_answers(world):
    assert_contract_kept(check_every_operation(cookies=session_cookies(world.instructor), known_ids=world.ids))
