"""Validators for the identifiers enterprises type in: credit codes, customs codes, phones, containers.

Each returns the normalized value or raises InvalidIdentifier with a reason a person can act on.
Full-width forms (as Chinese input methods type them) are folded to ASCII first; after that only ASCII
digits and letters are accepted ([0-9], never \\d: that takes any script's digits, which the check-character
arithmetic cannot use and no agency system would recognise).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from core.errors import Invalid


class InvalidIdentifier(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# GB 32100-2015: 31 characters (no I, O, S, V, Z) and weights 3^i mod 31.
_USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")


# The customs office (关区) code: the one rule for the domain, the API's schemas and the console. Written with
# ^ and $ because the API document publishes it as the field's pattern.
CUSTOMS_OFFICE = re.compile(r"^[0-9]{4}$")
CUSTOMS_OFFICE_RULE = "a customs office code is 4 digits, e.g. 2233"


def is_customs_office(value: str) -> bool:
    return CUSTOMS_OFFICE.fullmatch(value) is not None


def _fold(raw: str) -> str:
    """Full-width digits, letters and signs as their ASCII selves (NFKC)."""
    return unicodedata.normalize("NFKC", raw)


def normalize_identifier(raw: str) -> str:
    """As references and codes are stored: full-width forms folded, white space removed, upper case. The one
    normalisation for what people type: a kind's reference, the desk's search and the codes below."""
    return re.sub(r"\s+", "", _fold(raw)).upper()


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_CHARSET.index(ch) * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARSET[(31 - total % 31) % 31]


def validate_uscc(raw: str) -> str:
    """Unified social credit code (统一社会信用代码): 18 characters, the last one a check character."""
    code = normalize_identifier(raw)
    if len(code) != 18:
        raise InvalidIdentifier("a unified social credit code has 18 characters")
    if not _USCC_SHAPE.fullmatch(code):
        raise InvalidIdentifier(
            "a unified social credit code uses digits and capital letters except I, O, S, V and Z, "
            "with a 6-digit region code in positions 3-8"
        )
    if uscc_check_char(code[:17]) != code[17]:
        raise InvalidIdentifier("the check character of this unified social credit code is wrong")
    return code


def validate_customs_code(raw: str) -> str:
    """Customs registration code (海关编码): 10 digits or capital letters."""
    code = normalize_identifier(raw)
    if not re.fullmatch(r"[0-9A-Z]{10}", code):
        raise InvalidIdentifier("a customs code has 10 digits or capital letters")
    return code


_PHONE_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015.()]+")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")


def validate_mobile_phone(raw: str) -> str:
    """Mainland China mobile number, as stored and as every way in looks it up: its 11 ASCII digits.

    "+86 139 1234 5678", "0086-139…", "139-1234-5678" and full-width digits are all 13912345678.
    """
    phone = _PHONE_SEPARATORS.sub("", _fold(raw))
    phone = re.sub(r"^(\+86|0086)", "", phone)
    if not _MOBILE.fullmatch(phone):
        raise InvalidIdentifier("a mobile number has 11 digits and starts with 13-19")
    return phone


def stored_phone(raw: object) -> str | None:
    """The phone as stored (see validate_mobile_phone), or None when `raw` is no mobile number: what a lookup
    by phone or a limit per phone keys on, so that no other spelling of a number counts as another."""
    if not isinstance(raw, str):
        return None
    try:
        return validate_mobile_phone(raw)
    except InvalidIdentifier:
        return None


_ISO6346_VALUES = {ch: v for ch, v in zip(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    (10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 34, 35, 36, 37, 38),
    strict=True,
)}


def validate_container_no(raw: str) -> str:
    """ISO 6346 container number: owner code, category U/J/Z, 6-digit serial and check digit."""
    number = normalize_identifier(raw)
    if not re.fullmatch(r"[A-Z]{3}[UJZ][0-9]{7}", number):
        raise InvalidIdentifier("a container number is 4 letters (the 4th U, J or Z) and 7 digits, e.g. CSQU3054383")
    total = sum(
        (_ISO6346_VALUES[ch] if ch.isalpha() else int(ch)) * 2**i for i, ch in enumerate(number[:10])
    )
    if total % 11 % 10 != int(number[10]):
        raise InvalidIdentifier("the check digit of this container number is wrong")
    return number


def validate_bill_of_lading(raw: str) -> str:
    """Bill of lading number: 6-20 letters and digits as the carrier prints them."""
    number = normalize_identifier(raw)
    if not re.fullmatch(r"[A-Z0-9]{6,20}", number):
        raise InvalidIdentifier("a bill of lading number has 6-20 letters and digits")
    return number


def checked(field: str, validator: Callable[[str], str], value: str) -> str:
    """`validator(value)`, its refusal reported as the request field's."""
    try:
        return validator(value)
    except InvalidIdentifier as exc:
        raise Invalid(field, exc.reason) from None
