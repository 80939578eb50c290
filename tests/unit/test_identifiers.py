"""Identifier rules: check characters and formats as the issuing bodies define them."""

from __future__ import annotations

import pytest

from core.identifiers import (
    InvalidIdentifier,
    is_customs_office,
    normalize_identifier,
    stored_phone,
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


ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = {code: code + 0xFEE0 for code in range(0x21, 0x7F)}  # ＡＢＣ１２３＋－ as Chinese input methods type them


@pytest.mark.parametrize("spelling", ["13912345678", "+86 139 1234 5678", "0086 13912345678", "139-1234-5678",
                                      "139 1234 5678", "+86-139-1234-5678", "(+86) 139.1234.5678",
                                      "+86 139 1234 5678".translate(FULL_WIDTH), "139‐1234‐5678"])
def test_every_spelling_of_a_phone_is_its_eleven_ascii_digits(spelling):
    assert validate_mobile_phone(spelling) == "13912345678"
    assert stored_phone(spelling) == "13912345678"


@pytest.mark.parametrize("raw", ["139" + "12345678".translate(ARABIC_INDIC), "139१२३४५६७८", "1391234567",
                                 "8613912345678", "", None, 13912345678])
def test_what_is_no_phone_is_refused(raw):
    assert stored_phone(raw) is None
    if isinstance(raw, str):
        with pytest.raises(InvalidIdentifier):
            validate_mobile_phone(raw)


def test_identifiers_take_full_width_forms_and_refuse_other_scripts_digits():
    assert validate_uscc("91350100M000100Y43".translate(FULL_WIDTH)) == "91350100M000100Y43"
    assert validate_container_no("CSQU3054383".translate(FULL_WIDTH)) == "CSQU3054383"
    for bad in ("91350100M000100Y43".translate(ARABIC_INDIC), "913501００M000100Y43".translate(ARABIC_INDIC)):
        with pytest.raises(InvalidIdentifier):
            validate_uscc(bad)
    with pytest.raises(InvalidIdentifier):
        validate_container_no("CSQU" + "3054383".translate(ARABIC_INDIC))


@pytest.mark.parametrize("value", ["2233", "0100"])
def test_a_customs_office_is_four_ascii_digits(value: str) -> None:
    assert is_customs_office(value)


@pytest.mark.parametrize("value", ["", "223", "22334", "22a3", "２２３３", "٢٢٣٣", "2233\n", " 2233"])
def test_anything_else_is_not_a_customs_office(value: str) -> None:
    assert not is_customs_office(value)


def test_what_people_type_is_normalized_one_way_for_references_codes_and_search() -> None:
    from status_tracker.kinds import get_kind

    typed = " ｃｎ４２０１ 2024\u3000000123\t"
    assert normalize_identifier(typed) == "CN42012024000123"
    assert get_kind("customs_declaration").normalize_reference(typed) == normalize_identifier(typed)
