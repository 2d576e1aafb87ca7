from django.apps import AppConfig

from availability import overlays
from instructors import student_home


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = "Bookings"

    def ready(self):
        from . import selectors  # models are loaded by now

        overlays.register(selectors.calendar_claims)  # lessons drawn over the week editor's grid
        student_home.register(  # the signed-in student's home: next lesson, "Book again"
            next_lesson=selectors.next_lesson_of, last_lessons_by_instructor=selectors.last_lessons_by_instructor
        )
