"""Phone numbers in E.164, the one form stored and compared everywhere."""

from __future__ import annotations

import re

_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_SEPARATORS = re.compile(r"[\s\-().]")


class InvalidPhoneNumber(ValueError):
    pass


def normalize_e164(raw: str, default_country_code: str = "1") -> str:
    """'+1 (415) 555-0100', '415-555-0100' and '14155550100' all become '+14155550100'."""
    digits = _SEPARATORS.sub("", raw.strip())
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not digits.startswith("+"):
        if not digits.isdigit():
            raise InvalidPhoneNumber("a phone number has only digits and + - ( ) . separators")
        if default_country_code == "1" and len(digits) == 11 and digits.startswith("1"):
            digits = "+" + digits
        elif default_country_code == "1" and len(digits) == 10:
            digits = "+1" + digits
        else:
            digits = "+" + digits
    if not _E164.match(digits):
        raise InvalidPhoneNumber("not a valid phone number (E.164: + then 8 to 15 digits)")
    return digits
