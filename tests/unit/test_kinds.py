"""The table of the 14 kinds: shape, confirmed vocabularies, stage mapping, references, localization."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from status_tracker.agencies import AGENCIES, PollStyle
from status_tracker.kinds import (
    KINDS,
    InvalidReference,
    Kind,
    NativeCode,
    UnknownKind,
    get_kind,
    localized,
)
from status_tracker.stages import STAGE_LABELS, STAGE_ORDER, TERMINAL_STAGES, Stage

DESIGN_KEYS = [
    "customs_declaration",
    "manifest",
    "transport_vehicle",
    "license",
    "certificate_of_origin",
    "enterprise_qualification",
    "export_tax_refund",
    "tax_payment",
    "processing_trade",
    "goods_clearance",
    "cross_border_ecommerce",
    "service_trade",
    "inspection_quarantine",
    "transit",
]

DESIGN_AGENCIES = {
    "customs_declaration": "gacc",
    "manifest": "gacc",
    "transport_vehicle": "msa",
    "license": "mofcom",
    "certificate_of_origin": "ccpit",
    "enterprise_qualification": "gacc",
    "export_tax_refund": "sta",
    "tax_payment": "bank",
    "processing_trade": "gacc",
    "goods_clearance": "gacc",
    "cross_border_ecommerce": "gacc",
    "service_trade": "mofcom",
    "inspection_quarantine": "gacc",
    "transit": "gacc",
}

# The vocabularies public sources confirm (docs/status-codes.md), code for code.
CONFIRMED = {
    "customs_declaration": "L J W G C T H M B K I P F X R E Z Y U A D".split(),
    "cross_border_ecommerce": "1 2 3 4 100 120 300 399 500 501 502 503 599 700 800 899".split(),
    "manifest": "01 02 03 11 12 13".split(),
    "processing_trade": "1 3 4 17 5 6 99".split(),
}

# Codes a kind declares terminal although their stage is not; anything else here is a table error.
DECLARED_TERMINAL = {("manifest", "11"), ("enterprise_qualification", "6"), ("processing_trade", "5")}

ALL_KINDS = list(KINDS.values())
by_key = pytest.mark.parametrize("kind", ALL_KINDS, ids=[k.key for k in ALL_KINDS])
CJK = re.compile(r"[\u4e00-\u9fff]")


# --- stages and agencies ---


def test_stages_are_the_ten_of_the_design() -> None:
    assert [s.value for s in Stage] == [
        "submitted", "accepted", "under_review", "action_required", "inspection",
        "on_hold", "released", "completed", "rejected", "cancelled",
    ]  # fmt: skip
    assert TERMINAL_STAGES == {Stage.COMPLETED, Stage.REJECTED, Stage.CANCELLED}
    assert set(STAGE_LABELS) == set(Stage)
    assert all(set(labels) == {"zh-CN", "en"} and all(labels.values()) for labels in STAGE_LABELS.values())
    assert STAGE_LABELS[Stage.RELEASED] == {"zh-CN": "已放行/已批准", "en": "Released / approved"}
    assert STAGE_LABELS[Stage.COMPLETED] == {"zh-CN": "已办结", "en": "Completed"}


def test_stage_order_ranks_forward_progress() -> None:
    assert set(STAGE_ORDER) == set(Stage)
    assert STAGE_ORDER[Stage.SUBMITTED] == 0
    assert STAGE_ORDER[Stage.SUBMITTED] < STAGE_ORDER[Stage.ACCEPTED]
    middle = (Stage.UNDER_REVIEW, Stage.ACTION_REQUIRED, Stage.INSPECTION, Stage.ON_HOLD)
    for stage in middle:
        assert STAGE_ORDER[Stage.ACCEPTED] < STAGE_ORDER[stage] < STAGE_ORDER[Stage.RELEASED]
    for stage in TERMINAL_STAGES:
        assert STAGE_ORDER[stage] > STAGE_ORDER[Stage.RELEASED]


def test_agencies_and_their_poll_styles() -> None:
    assert {key: a.style for key, a in AGENCIES.items()} == {
        "gacc": PollStyle.CHANGE_FEED,
        "msa": PollStyle.ETAG_ITEM,
        "mofcom": PollStyle.BATCH_QUERY,
        "ccpit": PollStyle.BATCH_QUERY,
        "sta": PollStyle.RATE_LIMITED_ITEM,
        "bank": PollStyle.RATE_LIMITED_ITEM,
    }
    assert all(a.key == key and CJK.search(a.name_zh) and a.name_en for key, a in AGENCIES.items())


# --- the table's shape ---


def test_exactly_the_fourteen_kinds_of_the_design_in_order() -> None:
    assert list(KINDS) == DESIGN_KEYS
    assert [k.number for k in KINDS.values()] == list(range(1, 15))
    assert {k.key: k.agency for k in KINDS.values()} == DESIGN_AGENCIES


@by_key
def test_kind_is_well_formed(kind: Kind) -> None:
    codes = [c.code for c in kind.codes]
    assert len(codes) == len(set(codes)), "duplicate codes"
    assert len(codes) >= 5
    if kind.modelled:
        assert len(codes) <= 9, "a modelled lifecycle has 5-9 codes"
    assert all(c.code and c.code == c.code.strip() for c in kind.codes)
    assert any(c.milestone for c in kind.codes)
    assert any(c.terminal for c in kind.codes)
    assert kind.agency in AGENCIES
    assert CJK.search(kind.name_zh) and kind.name_en and CJK.search(kind.reference_name_zh)

    initial = kind.code(kind.initial_code)
    assert initial is not None
    assert not initial.terminal
    assert STAGE_ORDER[initial.stage] <= STAGE_ORDER[Stage.ACCEPTED]


@by_key
def test_codes_have_labels_and_consistent_flags(kind: Kind) -> None:
    for c in kind.codes:
        assert isinstance(c.stage, Stage)
        assert CJK.search(c.label_zh), c
        assert c.label_en and not CJK.search(c.label_en.replace("函调", "")), c
        if c.stage in TERMINAL_STAGES:
            assert c.terminal, c
        else:
            assert c.terminal == ((kind.key, c.code) in DECLARED_TERMINAL), c
        # An item that stops moving must tell the people waiting on it.
        if c.terminal:
            assert c.milestone, c


@by_key
def test_a_successful_lifecycle_can_end(kind: Kind) -> None:
    # Without a terminal code at released or beyond, approved items would stay active forever.
    assert any(c.terminal and c.stage in (Stage.RELEASED, Stage.COMPLETED) for c in kind.codes)


def test_code_lookup_is_exact() -> None:
    customs = get_kind("customs_declaration")
    released = NativeCode("P", "海关已放行", "Released by customs", Stage.RELEASED, True, False)
    assert customs.code("P") == released
    assert customs.code("p") is None
    assert customs.code("Q") is None
    assert get_kind("cross_border_ecommerce").code("-1") is None  # error receipts are not lifecycle codes


# --- confirmed vocabularies and their mapping ---


@pytest.mark.parametrize("key", sorted(CONFIRMED))
def test_confirmed_vocabularies_are_exact_and_not_modelled(key: str) -> None:
    kind = get_kind(key)
    assert [c.code for c in kind.codes] == CONFIRMED[key]
    assert kind.modelled is False


def test_only_the_confirmed_vocabularies_are_unmodelled() -> None:
    assert {k.key for k in KINDS.values() if not k.modelled} == set(CONFIRMED)


def _stages(key: str) -> dict[str, Stage]:
    return {c.code: c.stage for c in get_kind(key).codes}


def test_customs_channel_mapping() -> None:
    stages = _stages("customs_declaration")
    expected = {
        "U": Stage.SUBMITTED, "L": Stage.ACCEPTED,
        "J": Stage.UNDER_REVIEW, "W": Stage.UNDER_REVIEW, "G": Stage.UNDER_REVIEW, "M": Stage.UNDER_REVIEW,
        "C": Stage.INSPECTION, "T": Stage.ACTION_REQUIRED, "Z": Stage.ACTION_REQUIRED, "H": Stage.ON_HOLD,
        "B": Stage.RELEASED, "K": Stage.RELEASED, "I": Stage.RELEASED, "P": Stage.RELEASED,
        "F": Stage.RELEASED, "X": Stage.RELEASED,
        "R": Stage.COMPLETED, "E": Stage.REJECTED, "Y": Stage.REJECTED,
        "A": Stage.CANCELLED, "D": Stage.CANCELLED,
    }  # fmt: skip
    assert stages == expected
    customs = get_kind("customs_declaration")
    milestones = {c.code for c in customs.codes if c.milestone}
    assert {"L", "C", "T", "H", "P", "R", "E", "Z"} <= milestones
    assert not milestones & {"J", "W", "G", "M", "U"}  # review details are timeline only
    assert customs.code("R").label_zh == "已结关"  # type: ignore[union-attr]


def test_cross_border_ecommerce_mapping() -> None:
    stages = _stages("cross_border_ecommerce")
    assert stages["120"] is Stage.ACCEPTED
    assert stages["300"] is Stage.UNDER_REVIEW and stages["399"] is Stage.UNDER_REVIEW
    assert stages["500"] is Stage.INSPECTION
    assert {stages[c] for c in ("501", "502", "503", "599")} == {Stage.ON_HOLD}
    assert stages["800"] is Stage.RELEASED
    assert stages["899"] is Stage.COMPLETED
    assert stages["100"] is Stage.REJECTED
    assert get_kind("cross_border_ecommerce").code("800").label_zh == "放行"  # type: ignore[union-attr]


def test_manifest_and_bonded_ledger_mapping() -> None:
    manifest = _stages("manifest")
    assert manifest["01"] is Stage.ACCEPTED and manifest["11"] is Stage.RELEASED
    assert manifest["03"] is Stage.REJECTED and manifest["12"] is Stage.REJECTED
    ledger = _stages("processing_trade")
    assert ledger["1"] is Stage.SUBMITTED and ledger["3"] is Stage.ACCEPTED
    assert ledger["17"] is Stage.UNDER_REVIEW and ledger["5"] is Stage.RELEASED
    assert ledger["6"] is Stage.REJECTED and ledger["99"] is Stage.CANCELLED


# --- what the modelled kinds must contain ---


def test_transit_write_off_is_a_completed_milestone() -> None:
    write_offs = [c for c in get_kind("transit").codes if "核销" in c.label_zh]
    assert len(write_offs) == 1
    (write_off,) = write_offs
    assert write_off.stage is Stage.COMPLETED and write_off.milestone and write_off.terminal
    assert "written off" in write_off.label_en.lower()


def test_tax_payment_has_to_pay_and_paid() -> None:
    codes = get_kind("tax_payment").codes
    to_pay = [c for c in codes if c.label_en == "To pay"]
    assert to_pay and to_pay[0].stage is Stage.ACTION_REQUIRED and to_pay[0].milestone
    paid = [c for c in codes if c.label_en == "Paid"]
    assert paid and paid[0].stage in (Stage.RELEASED, Stage.COMPLETED) and paid[0].milestone


def test_export_tax_refund_has_refunded() -> None:
    refunded = [c for c in get_kind("export_tax_refund").codes if c.label_en.startswith("Refunded")]
    assert refunded and refunded[0].stage in (Stage.RELEASED, Stage.COMPLETED) and refunded[0].milestone


# --- references ---


@by_key
def test_example_validates_and_messy_input_normalizes(kind: Kind) -> None:
    example = kind.reference_example
    assert kind.validate_reference(example) == example
    messy = "  " + " ".join(example.lower()) + "\t\n"
    assert kind.normalize_reference(messy) == example
    assert kind.validate_reference(messy) == example
    # Full-width characters, as a Chinese input method types them.
    full_width = "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in example)
    assert kind.validate_reference(full_width) == example


def test_examples_are_distinct() -> None:
    examples = [k.reference_example for k in KINDS.values()]
    assert len(set(examples)) == len(examples)


BAD_REFERENCES = [
    ("customs_declaration", "31012024100123456"),  # 17 digits
    ("customs_declaration", "3101202410012345678"),  # 19 digits
    ("customs_declaration", "31012024100123456A"),
    ("customs_declaration", "٣١٠١٢٠٢٤١٠٠١٢٣٤٥٦٧"),  # Arabic-Indic digits are not accepted as digits
    ("manifest", "COSU6345678910"),  # no voyage
    ("manifest", "COSU6345678910/"),
    ("manifest", "COS/032E"),  # bill of lading too short
    ("manifest", "COSU-6345678910/032E"),
    ("transport_vehicle", "9321483/118W"),  # no "IMO"
    ("transport_vehicle", "IMO932148/118W"),  # 6 digits
    ("transport_vehicle", "IMO9321483"),  # no voyage
    ("license", "LIC20240001234"),
    ("license", "202400012345"),
    ("certificate_of_origin", "2024310000123456"),
    ("certificate_of_origin", "CO202431000012345"),
    ("enterprise_qualification", "BA310020240315004"),
    ("export_tax_refund", "TS20241300001234"),  # month 13
    ("export_tax_refund", "TS2024030000123"),
    ("tax_payment", "22332024100087654"),
    ("processing_trade", "QD220124X000012345"),  # neither I nor E
    ("processing_trade", "QD22012I000012345"),
    ("goods_clearance", "SF12345"),  # too short
    ("goods_clearance", "SF1234567890123456789"),  # 21 characters
    ("goods_clearance", "SF-1234567890"),
    ("cross_border_ecommerce", "22442024X000123456"),
    ("cross_border_ecommerce", "2244I000123456"),
    ("service_trade", "FW2024000012345"),
    ("inspection_quarantine", "3101002240001234"),  # 16 digits: neither 15 nor 18
    ("transit", "@2233202400004567"),
    ("transit", "223320240000456"),
]


@pytest.mark.parametrize(("key", "raw"), BAD_REFERENCES)
def test_bad_reference_is_rejected_with_the_expected_format(key: str, raw: str) -> None:
    kind = get_kind(key)
    with pytest.raises(InvalidReference) as caught:
        kind.validate_reference(raw)
    assert kind.reference_name_en in caught.value.reason
    assert kind.reference_example in caught.value.reason
    assert isinstance(caught.value, ValueError)


@by_key
def test_empty_reference_is_rejected(kind: Kind) -> None:
    with pytest.raises(InvalidReference) as caught:
        kind.validate_reference("  \t ")
    assert "empty" in caught.value.reason and kind.reference_name_en in caught.value.reason


@pytest.mark.parametrize("raw", ["IMO9321484/118W", "IMO9321493/118W", "imo 1234568/001e"])
def test_wrong_imo_check_digit_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidReference) as caught:
        get_kind("transport_vehicle").validate_reference(raw)
    assert "IMO check digit" in caught.value.reason


@pytest.mark.parametrize("imo", ["IMO9074729", "IMO9321483", "IMO8814275"])
def test_real_imo_numbers_pass(imo: str) -> None:
    assert get_kind("transport_vehicle").validate_reference(f"{imo}/001E") == f"{imo}/001E"


def test_inspection_number_takes_15_or_18_digits() -> None:
    kind = get_kind("inspection_quarantine")
    assert kind.validate_reference("310100224000123") == "310100224000123"
    assert kind.validate_reference("310100224000123456") == "310100224000123456"


def test_table_rejects_an_inconsistent_kind() -> None:
    good = get_kind("license")
    with pytest.raises(ValueError, match="does not match"):
        Kind(**{**_fields(good), "reference_example": "LIC1"})
    with pytest.raises(ValueError, match="initial code"):
        Kind(**{**_fields(good), "initial_code": "00"})
    with pytest.raises(ValueError, match="duplicate"):
        Kind(**{**_fields(good), "codes": good.codes + good.codes[:1]})
    not_terminal = NativeCode("95", "已撤销", "Cancelled", Stage.CANCELLED, True, False)
    with pytest.raises(ValueError, match="not terminal"):
        Kind(**{**_fields(good), "codes": good.codes + (not_terminal,)})


def _fields(kind: Kind) -> dict[str, object]:
    names = (
        "key number name_zh name_en agency reference_name_zh reference_name_en reference_pattern "
        "reference_example modelled codes initial_code reference_check"
    ).split()
    return {name: getattr(kind, name) for name in names}


# --- lookup and localization ---


def test_unknown_kind_raises() -> None:
    with pytest.raises(UnknownKind) as caught:
        get_kind("passport")
    assert isinstance(caught.value, LookupError)
    assert caught.value.key == "passport"


def test_localized_in_english() -> None:
    data = localized(get_kind("customs_declaration"), "en")
    assert data["key"] == "customs_declaration" and data["number"] == 1
    assert data["name"] == "Customs declaration"
    assert data["agency"] == {"key": "gacc", "name": "GACC customs", "style": "change_feed"}
    assert data["reference"] == {
        "name": "18-digit entry id (报关单号)",
        "pattern": r"\d{18}",
        "example": "310120241001234567",
    }
    assert data["modelled"] is False
    p = next(c for c in data["codes"] if c["code"] == "P")
    assert p == {
        "code": "P",
        "label": "Released by customs",
        "stage": "released",
        "stage_label": "Released / approved",
        "milestone": True,
        "terminal": False,
    }
    assert [c["code"] for c in data["codes"]] == CONFIRMED["customs_declaration"]


def test_localized_in_chinese() -> None:
    data = localized(get_kind("transit"), "zh-CN")
    assert data["name"] == "转关"
    assert data["agency"]["name"] == "海关总署"
    assert CJK.search(data["reference"]["name"])
    write_off = next(c for c in data["codes"] if c["stage"] == "completed")
    assert write_off["label"] == "已核销" and write_off["stage_label"] == "已办结"
    assert write_off["milestone"] is True and write_off["terminal"] is True
    assert data["modelled"] is True


@by_key
def test_localized_is_json_ready_and_its_pattern_works(kind: Kind) -> None:
    for lang in ("zh-CN", "en"):
        data = localized(kind, lang)
        text = json.dumps(data, ensure_ascii=False)
        assert json.loads(text) == data
        assert type(data["codes"][0]["stage"]) is str  # plain strings, not enum members
        assert re.fullmatch(data["reference"]["pattern"], data["reference"]["example"])
        assert len(data["codes"]) == len(kind.codes)


def test_localized_rejects_other_languages() -> None:
    with pytest.raises(ValueError):
        localized(get_kind("transit"), "fr")


def test_domain_package_imports_nothing_outside_itself() -> None:
    code = (
        "import sys, status_tracker.kinds;"
        "print(sorted({m.split('.')[0] for m in sys.modules}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = set(json.loads(out.replace("'", '"')))
    assert not loaded & {"flask", "app", "notifications", "agency_mocks", "mobile_mock", "sqlalchemy"}
