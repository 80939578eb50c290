"""Identifier rules: check characters and formats as the issuing bodies define them."""

from __future__ import annotations

import pytest

from status_tracker.identifiers import (
    InvalidIdentifier,
    validate_bill_of_lading,
    validate_container_no,
    validate_customs_code,
    validate_mobile_phone,
    validate_uscc,
)


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L", " 9135 0100 M000 100Y 43 "])
def test_valid_credit_codes(code):
    assert len(validate_uscc(code)) == 18


@pytest.mark.parametrize(("code", "reason"), [
    ("91350100M000100Y44", "check character"),
    ("91350100M000100Y4", "18 characters"),
    ("9135010OM000100Y43", "except I, O"),
])
def test_invalid_credit_codes(code, reason):
    with pytest.raises(InvalidIdentifier, match=reason):
        validate_uscc(code)


def test_container_numbers_follow_iso_6346():
    assert validate_container_no("csqu 305438 3") == "CSQU3054383"
    assert validate_container_no("MSKU9070323") == "MSKU9070323"
    with pytest.raises(InvalidIdentifier, match="check digit"):
        validate_container_no("MSKU9070324")
    with pytest.raises(InvalidIdentifier, match="4 letters"):
        validate_container_no("MSK19070323")


def test_phones_customs_codes_and_bills_of_lading():
    assert validate_mobile_phone("+86 138-0013-8000") == "13800138000"
    with pytest.raises(InvalidIdentifier):
        validate_mobile_phone("12800138000")
    assert validate_customs_code("31229600a1") == "31229600A1"
    with pytest.raises(InvalidIdentifier):
        validate_customs_code("3122-96")
    with pytest.raises(InvalidIdentifier):
        validate_bill_of_lading("AB")
