"""`{{ offering|learners }}`: who an offering is for, in words ("For kids and teens · Beginner to
intermediate"), for the profile page and anything else that lists offerings."""

from django import template

from instructors.models import AgeGroup, SkillLevel

register = template.Library()


@register.filter
def learners(offering) -> str:
    return f"{ages_phrase(offering.age_groups)} · {levels_phrase(offering.levels)}"


def ages_phrase(age_groups: list[str]) -> str:
    chosen = [label.lower() for value, label in AgeGroup.choices if value in age_groups]
    if len(chosen) == len(AgeGroup.values):
        return "For all ages"
    return "For " + " and ".join(chosen)


def levels_phrase(levels: list[str]) -> str:
    positions = [index for index, value in enumerate(SkillLevel.values) if value in levels]
    labels = SkillLevel.labels
    if len(positions) == len(labels):
        return "All levels"
    if len(positions) == 1:
        return f"{labels[positions[0]]} level"
    first, last = positions[0], positions[-1]
    joiner = "to" if last - first == len(positions) - 1 else "and"  # a span reads "to", a gap "and"
    return f"{labels[first]} {joiner} {labels[last].lower()}"
