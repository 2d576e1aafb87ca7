from accounts.tests.factories import UserFactory
from instructors.tests.factories import live_instructor
from messaging import services


def pair():
    """A student and a live instructor (the instructor's user)."""
    return UserFactory(role="student"), live_instructor().user


def conversation_between(student=None, instructor=None):
    student = student or UserFactory(role="student")
    instructor = instructor or live_instructor().user
    return services.start_conversation(student=student, instructor=instructor)
