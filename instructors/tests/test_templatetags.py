from types import SimpleNamespace

import pytest

from instructors.templatetags.learners import learners

ALL_AGES = ["kids", "teens", "adults"]
ALL_LEVELS = ["beginner", "intermediate", "advanced"]


@pytest.mark.parametrize(
    "age_groups, levels, words",
    [
        (ALL_AGES, ALL_LEVELS, "For all ages · All levels"),
        (["kids", "teens"], ["beginner", "intermediate"], "For kids and teens · Beginner to intermediate"),
        (["adults"], ["intermediate", "advanced"], "For adults · Intermediate to advanced"),
        (["kids", "adults"], ["beginner", "advanced"], "For kids and adults · Beginner and advanced"),
        (["teens"], ["beginner"], "For teens · Beginner level"),
    ],
)
def test_learners_reads_like_a_sentence(age_groups, levels, words):
    assert learners(SimpleNamespace(age_groups=age_groups, levels=levels)) == words
