"""Hide contact details typed into messages before two people have a confirmed lesson:
lessons and payments stay on the platform (pure functions, table-tested)."""

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A run of digits with the usual separators that holds at least 7 digits: a phone number.
PHONE_CANDIDATE = re.compile(r"\+?\(?\d[\d\s().-]{5,}\d")
MIN_PHONE_DIGITS = 7
EMAIL_MASK = "[email hidden]"
PHONE_MASK = "[phone hidden]"


def mask_contact_details(text: str) -> str:
    text = EMAIL.sub(EMAIL_MASK, text)
    return PHONE_CANDIDATE.sub(_mask_phone, text)


def _mask_phone(match: re.Match) -> str:
    digits = sum(character.isdigit() for character in match.group())
    return PHONE_MASK if digits >= MIN_PHONE_DIGITS else match.group()
