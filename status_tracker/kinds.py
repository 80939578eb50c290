"""The 14 kinds of clearance item (docs/kinds-and-agencies.md) as one table: the single place that drives them all.

Each kind names its owning agency, its reference format and its native status vocabulary: the codes
exactly as the agency sends them, with Chinese and English labels, the normalized stage each maps onto,
whether it is a milestone (pushed by default) and whether it is terminal. Adding a kind or a code is a
data change here, never a new branch elsewhere.

Vocabularies marked ``modelled=False`` are the ones public sources confirm (docs/status-codes.md:
customs receipt CHANNEL codes, cross-border e-commerce return_status, manifest receipts, bonded-ledger
entry statuses) and are copied from there code for code. The others are our model of a plausible
lifecycle, marked ``modelled=True``; so are the reference formats except where a comment says otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.i18n import N_
from core.identifiers import normalize_identifier
from core.languages import LANGUAGES
from status_tracker.agencies import AGENCIES
from status_tracker.stages import STAGE_LABELS, TERMINAL_STAGES, Stage


class UnknownKind(LookupError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class InvalidReference(ValueError):
    """A reference that does not fit its kind's format; `reason` says what was expected, in English."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class NativeCode:
    code: str  # exactly as the agency sends it, e.g. "P", "800", "01"
    label_zh: str
    label_en: str
    stage: Stage
    milestone: bool  # pushed by default; False = detail (timeline only, pushed only to who asks)
    terminal: bool  # True for codes whose stage is terminal, plus any the kind declares terminal


@dataclass(frozen=True)
class Kind:
    key: str
    number: int  # 1..14 as in docs/kinds-and-agencies.md
    name_zh: str
    name_en: str
    agency: str  # key into AGENCIES
    reference_name_zh: str
    reference_name_en: str  # also the format a rejected reference is told to follow
    reference_pattern: re.Pattern[str]  # full-match, applied to the normalized reference
    reference_example: str  # a valid example, used by tests and the demo seed
    modelled: bool  # True when the vocabulary is our model, False when confirmed by public sources
    codes: tuple[NativeCode, ...]
    initial_code: str  # the code a newly tracked item starts with
    # A rule the pattern cannot express (a check digit): returns the reason a reference fails it, or None.
    reference_check: Callable[[str], str | None] | None = field(default=None, repr=False)
    # Where the reference carries the 4-digit customs office (关区代码) that handles the item, as
    # (start, end) of the normalized reference; None when it does not (the trader may name the office).
    office_span: tuple[int, int] | None = None
    _by_code: dict[str, NativeCode] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The table is checked when it is loaded, so a typo in it stops the process instead of
        # silently mis-mapping receipts.
        by_code = {c.code: c for c in self.codes}
        problems = []
        if len(by_code) != len(self.codes):
            problems.append("duplicate codes")
        if self.initial_code not in by_code:
            problems.append(f"initial code {self.initial_code!r} is not one of its codes")
        if self.agency not in AGENCIES:
            problems.append(f"unknown agency {self.agency!r}")
        problems += [
            f"code {c.code!r} has a terminal stage but is not terminal"
            for c in self.codes
            if c.stage in TERMINAL_STAGES and not c.terminal
        ]
        if not self.reference_pattern.fullmatch(self.reference_example):
            problems.append(f"example {self.reference_example!r} does not match its pattern")
        elif self.reference_check and self.reference_check(self.reference_example):
            problems.append(f"example {self.reference_example!r} fails its check")
        if problems:
            raise ValueError(f"kind {self.key}: " + "; ".join(problems))
        object.__setattr__(self, "_by_code", by_code)

    def customs_office(self, reference: str) -> str | None:
        """The customs office code written into a (validated) reference, if this kind's references carry one."""
        if self.office_span is None:
            return None
        start, end = self.office_span
        return reference[start:end]

    def code(self, native: str) -> NativeCode | None:
        return self._by_code.get(native)

    def normalize_reference(self, raw: str) -> str:
        # Full-width folded first: Chinese input methods readily type full-width digits, letters and slashes.
        return normalize_identifier(raw)

    def validate_reference(self, raw: str) -> str:
        reference = self.normalize_reference(raw)
        if not reference:
            raise InvalidReference(N_("the reference is empty; expected {format}, e.g. {example}").format(
                format=self.reference_name_en, example=self.reference_example))
        if not self.reference_pattern.fullmatch(reference):
            raise InvalidReference(N_("not a valid {kind} reference; expected {format}, e.g. {example}").format(
                kind=self.name_en.lower(), format=self.reference_name_en, example=self.reference_example))
        if self.reference_check is not None:
            reason = self.reference_check(reference)
            if reason:
                raise InvalidReference(reason)
        return reference


def _pattern(source: str) -> re.Pattern[str]:
    # ASCII: \d must not accept other scripts' digits; the source is also valid JavaScript for the app.
    return re.compile(source, re.ASCII)


def _imo_check(reference: str) -> str | None:
    """IMO ship number: the 7th digit is the sum of digits 1-6 weighted 7, 6, 5, 4, 3, 2, modulo 10."""
    digits = reference[3:10]
    total = sum(int(d) * w for d, w in zip(digits[:6], range(7, 1, -1), strict=True))
    if total % 10 != int(digits[6]):
        return N_(
            "the IMO check digit of IMO{digits} is wrong: the 7th digit must equal the sum of the first six "
            "weighted 7 to 2, modulo 10; please check the IMO number"
        ).format(digits=digits)
    return None


def _c(
    code: str, label_zh: str, label_en: str, stage: Stage, milestone: bool, *, also_terminal: bool = False
) -> NativeCode:
    """One native code; `also_terminal` is how a kind declares a non-terminal stage's code terminal."""
    return NativeCode(code, label_zh, label_en, stage, milestone, stage in TERMINAL_STAGES or also_terminal)


S = Stage  # keeps the table rows on one line each

_KIND_LIST: tuple[Kind, ...] = (
    Kind(
        key="customs_declaration",
        number=1,
        name_zh="货物申报（报关单）",
        name_en="Customs declaration",
        agency="gacc",
        reference_name_zh="报关单号（18位）",
        reference_name_en="18-digit entry id (报关单号)",
        reference_pattern=_pattern(r"\d{18}"),  # the real format: customs code, year, I/E flag, serial
        reference_example="310120241001234567",
        modelled=False,
        codes=(
            # 审结 (J/W/G) ends the document review, but the goods are not free yet: duties (T), inspection
            # (C) or the release (P) still follow. Calling it "released" would mislead the trader.
            # Milestones are what the trader acts or waits on: acceptance, inspection, duties, hold,
            # amendment, release (P), closure and every end. The other release notices (B K I F X) come
            # with or just before P, so pushing them too would announce one release several times.
            _c("L", "海关入库成功", "Accepted into the customs database", S.ACCEPTED, True),
            _c("J", "通关无纸化审结", "Review concluded (paperless clearance)", S.UNDER_REVIEW, False),
            _c("W", "无纸验放通知（审结）", "Paperless check-and-release notice (review concluded)",
               S.UNDER_REVIEW, False),
            _c("G", "接单交单/报关单已审结", "Documents received / declaration review concluded",
               S.UNDER_REVIEW, False),
            _c("C", "查验通知", "Inspection ordered", S.INSPECTION, True),
            _c("T", "需交税费", "Duties and taxes to pay", S.ACTION_REQUIRED, True),
            _c("H", "挂起，需手工申报", "On hold: manual declaration required", S.ON_HOLD, True),
            _c("M", "报关单重审", "Declaration under re-review", S.UNDER_REVIEW, False),
            _c("B", "担保放行", "Released under guarantee", S.RELEASED, False),
            _c("K", "通关无纸化担保放行", "Released under guarantee (paperless clearance)",
               S.RELEASED, False),
            _c("I", "无纸放行通知", "Paperless release notice", S.RELEASED, False),
            _c("P", "海关已放行", "Released by customs", S.RELEASED, True),
            _c("F", "放行交单", "Released: hand in the documents", S.RELEASED, False),
            _c("X", "准予进港", "Cleared to enter the port", S.RELEASED, False),
            _c("R", "已结关", "Closed (payment, FX and refund certificates can be issued)",
               S.COMPLETED, True),
            _c("E", "退单/不受理", "Rejected / not accepted", S.REJECTED, True),
            _c("Z", "退回修改", "Returned for amendment", S.ACTION_REQUIRED, True),
            _c("Y", "申报失败", "Declaration failed", S.REJECTED, True),
            _c("U", "重新申报", "Declared again", S.SUBMITTED, False),
            _c("A", "放行前删除", "Deleted before release", S.CANCELLED, True),
            _c("D", "删单", "Deleted", S.CANCELLED, True),
        ),
        # The 18-digit entry id exists only once customs has taken the declaration into its database,
        # so L is the first receipt a tracked declaration can have (U is a re-declaration after Z).
        initial_code="L",
        office_span=(0, 4),
    ),
    Kind(
        key="manifest",
        number=2,
        name_zh="舱单申报（含运抵、理货）",
        name_en="Manifest (incl. arrival and tally reports)",
        agency="gacc",
        reference_name_zh="提运单号/航次",
        reference_name_en="bill of lading no. + voyage: 6-20 letters or digits, '/', 2-10 letters or digits",
        reference_pattern=_pattern(r"[A-Z0-9]{6,20}/[A-Z0-9]{2,10}"),
        reference_example="COSU6345678910/032E",
        modelled=False,
        codes=(
            _c("01", "海关接受申报", "Accepted by customs", S.ACCEPTED, True),
            _c("02", "待人工审核", "Awaiting manual review", S.UNDER_REVIEW, False),
            _c("03", "不允许传输/退单", "Transmission refused / rejected", S.REJECTED, True),
            # Declared terminal: the release is the last receipt a bill of lading gets in this vocabulary.
            _c("11", "提运单放行", "Bill of lading released", S.RELEASED, True, also_terminal=True),
            _c("12", "拒装", "Loading refused", S.REJECTED, True),
            # Customs forbids discharging the goods until it lifts the order: a hold, not an end.
            _c("13", "禁卸", "Unloading prohibited", S.ON_HOLD, True),
        ),
        initial_code="01",
    ),
    Kind(
        key="transport_vehicle",
        number=3,
        name_zh="运输工具申报",
        name_en="Transport vehicle declaration",
        agency="msa",
        reference_name_zh="船舶IMO编号/航次",
        reference_name_en="IMO no. + voyage: 'IMO' + 7 digits (the last an IMO check digit), '/', "
        "2-10 letters or digits",
        reference_pattern=_pattern(r"IMO\d{7}/[A-Z0-9]{2,10}"),
        reference_example="IMO9321483/118W",
        modelled=True,
        codes=(
            _c("01", "已申报", "Submitted", S.SUBMITTED, False),
            _c("02", "已受理", "Accepted", S.ACCEPTED, False),
            _c("03", "审核中", "Under review", S.UNDER_REVIEW, False),
            _c("04", "需补充材料", "Supplementary documents required", S.ACTION_REQUIRED, True),
            _c("05", "登临检查", "Boarding inspection", S.INSPECTION, True),
            _c("06", "准予进出港", "Cleared to enter / leave port", S.RELEASED, True),
            _c("07", "航次办结", "Voyage formalities closed", S.COMPLETED, True),
            _c("08", "不予批准", "Not approved", S.REJECTED, True),
            _c("09", "已撤销", "Withdrawn", S.CANCELLED, True),
        ),
        initial_code="01",
        reference_check=_imo_check,
    ),
    Kind(
        key="license",
        number=4,
        name_zh="许可证件",
        name_en="Licence",
        agency="mofcom",
        reference_name_zh="许可证申请号",
        reference_name_en="licence application no.: 'LIC' + 12 digits",
        reference_pattern=_pattern(r"LIC\d{12}"),
        reference_example="LIC202400012345",
        modelled=True,
        codes=(
            _c("10", "已提交", "Submitted", S.SUBMITTED, False),
            _c("20", "已受理", "Accepted", S.ACCEPTED, False),
            _c("30", "审核中", "Under review", S.UNDER_REVIEW, False),
            _c("35", "退回修改", "Returned for amendment", S.ACTION_REQUIRED, True),
            # Approval is followed shortly by the issue, which is what the trader can use: push that one.
            _c("40", "审核通过", "Approved", S.RELEASED, False),
            _c("50", "已发证", "Licence issued", S.RELEASED, True),
            _c("60", "已核销", "Written off (licence used up)", S.COMPLETED, True),
            _c("80", "不予许可", "Licence refused", S.REJECTED, True),
            _c("90", "已撤回", "Withdrawn", S.CANCELLED, True),
        ),
        initial_code="10",
    ),
    Kind(
        key="certificate_of_origin",
        number=5,
        name_zh="原产地证",
        name_en="Certificate of origin",
        agency="ccpit",
        reference_name_zh="原产地证申请号",
        reference_name_en="certificate application no.: 'CO' + 16 digits",
        reference_pattern=_pattern(r"CO\d{16}"),
        reference_example="CO2024310000123456",
        modelled=True,
        codes=(
            _c("01", "已申报", "Submitted", S.SUBMITTED, False),
            _c("02", "已受理", "Accepted", S.ACCEPTED, False),
            _c("03", "审核中", "Under review", S.UNDER_REVIEW, False),
            _c("04", "退回修改", "Returned for amendment", S.ACTION_REQUIRED, True),
            _c("05", "产地核查", "Origin verification (factory check)", S.INSPECTION, True),
            _c("06", "已签证", "Certificate signed", S.RELEASED, True),
            _c("07", "已领证", "Certificate collected", S.COMPLETED, True),
            _c("08", "拒签", "Certificate refused", S.REJECTED, True),
            _c("09", "已撤销", "Withdrawn", S.CANCELLED, True),
        ),
        initial_code="01",
    ),
    Kind(
        key="enterprise_qualification",
        number=6,
        name_zh="企业资质",
        name_en="Enterprise qualification",
        agency="gacc",
        reference_name_zh="备案申请号",
        reference_name_en="filing application no.: 'BA' + 16 digits (customs code, date YYYYMMDD, serial)",
        reference_pattern=_pattern(r"BA\d{16}"),
        reference_example="BA3100202403150042",
        modelled=True,
        codes=(
            _c("1", "已提交", "Submitted", S.SUBMITTED, False),
            _c("2", "已受理", "Accepted", S.ACCEPTED, False),
            _c("3", "审核中", "Under review", S.UNDER_REVIEW, False),
            _c("4", "需补正材料", "Documents to be completed", S.ACTION_REQUIRED, True),
            _c("5", "现场核查", "On-site verification", S.INSPECTION, True),
            # Declared terminal: once the filing is approved the application has nothing more to hear.
            _c("6", "已备案", "Filing approved", S.RELEASED, True, also_terminal=True),
            _c("7", "不予备案", "Filing refused", S.REJECTED, True),
            _c("8", "已撤回", "Withdrawn", S.CANCELLED, True),
        ),
        initial_code="1",
        office_span=(2, 6),
    ),
    Kind(
        key="export_tax_refund",
        number=7,
        name_zh="出口退税",
        name_en="Export tax refund",
        agency="sta",
        reference_name_zh="退税申报号",
        reference_name_en="refund application no.: 'TS' + tax period YYYYMM + 8 digits",
        reference_pattern=_pattern(r"TS\d{4}(?:0[1-9]|1[0-2])\d{8}"),
        reference_example="TS20240300001234",
        modelled=True,
        codes=(
            _c("01", "已申报", "Submitted", S.SUBMITTED, False),
            _c("02", "已受理", "Accepted", S.ACCEPTED, False),
            _c("03", "审核中", "Under review", S.UNDER_REVIEW, False),
            _c("04", "存在疑点，需补正资料", "Doubts raised: supplementary documents required",
               S.ACTION_REQUIRED, True),
            _c("05", "函调中，暂缓退税", "Held pending a verification letter (函调)", S.ON_HOLD, True),
            _c("06", "审批通过", "Approved", S.RELEASED, True),
            # The money reaching the exporter ends the case, so "refunded" is completed here.
            _c("07", "已退库", "Refunded (paid out by the treasury)", S.COMPLETED, True),
            _c("08", "不予退税", "Refund refused", S.REJECTED, True),
            _c("09", "已撤回", "Withdrawn", S.CANCELLED, True),
        ),
        initial_code="01",
    ),
    Kind(
        key="tax_payment",
        number=8,
        name_zh="税费支付",
        name_en="Tax payment",
        agency="bank",
        reference_name_zh="税单号（18位）",
        reference_name_en="18-digit tax bill no. (税单号)",
        reference_pattern=_pattern(r"\d{18}"),
        reference_example="223320241000876543",
        modelled=True,
        codes=(
            _c("01", "税单已生成", "Tax bill issued", S.SUBMITTED, False),
            _c("02", "待支付", "To pay", S.ACTION_REQUIRED, True),
            _c("03", "扣款中", "Debit in progress", S.UNDER_REVIEW, False),
            _c("04", "扣款失败", "Debit failed", S.ACTION_REQUIRED, True),
            _c("05", "已支付", "Paid", S.RELEASED, True),
            _c("06", "已核注入库", "Payment confirmed by customs", S.COMPLETED, True),
            _c("07", "已作废", "Tax bill voided", S.CANCELLED, True),
            _c("08", "已逾期（产生滞纳金）", "Overdue: late-payment surcharge accrues",
               S.ACTION_REQUIRED, True),
        ),
        initial_code="01",
    ),
    Kind(
        key="processing_trade",
        number=9,
        name_zh="加贸保税（核注清单）",
        name_en="Processing trade (bonded-ledger entry)",
        agency="gacc",
        reference_name_zh="核注清单编号",
        reference_name_en="bonded-ledger entry no.: 'QD' + 4-digit customs code + 2-digit year + I/E "
        "+ 9 digits",
        reference_pattern=_pattern(r"QD\d{6}[IE]\d{9}"),
        reference_example="QD220124I000012345",
        modelled=False,
        codes=(
            _c("1", "暂存", "Saved (draft)", S.SUBMITTED, False),
            _c("3", "入库成功", "Accepted into the customs database", S.ACCEPTED, True),
            # Not an end: the declarant corrects the entry and sends it again under the same number.
            _c("4", "入库失败", "Not accepted into the database: correct and resend",
               S.ACTION_REQUIRED, True),
            _c("17", "待审核", "Awaiting review", S.UNDER_REVIEW, False),
            # Declared terminal: approval writes the bonded ledger, which is what the entry is for.
            _c("5", "审核通过", "Approved", S.RELEASED, True, also_terminal=True),
            _c("6", "审核拒绝", "Review refused", S.REJECTED, True),
            _c("99", "删除", "Deleted", S.CANCELLED, True),
        ),
        initial_code="1",
        office_span=(2, 6),
    ),
    Kind(
        key="goods_clearance",
        number=10,
        name_zh="物品通关（快件/个人物品）",
        name_en="Goods clearance (express and personal articles)",
        agency="gacc",
        reference_name_zh="快件运单号",
        reference_name_en="express waybill no.: 10-20 letters or digits",
        reference_pattern=_pattern(r"[A-Z0-9]{10,20}"),
        reference_example="SF1234567890123",
        modelled=True,
        codes=(
            _c("10", "已申报", "Submitted", S.SUBMITTED, False),
            _c("20", "海关已接单", "Accepted by customs", S.ACCEPTED, False),
            _c("30", "审核中", "Under review", S.UNDER_REVIEW, False),
            _c("35", "待缴纳税款", "Duties to pay", S.ACTION_REQUIRED, True),
            _c("40", "查验中", "Under inspection", S.INSPECTION, True),
            _c("50", "暂扣", "Detained", S.ON_HOLD, True),
            _c("60", "已放行", "Released", S.RELEASED, True),
            _c("70", "退运", "Returned to sender", S.REJECTED, True),
            _c("80", "已结关", "Closed", S.COMPLETED, True),
        ),
        initial_code="10",
    ),
    Kind(
        key="cross_border_ecommerce",
        number=11,
        name_zh="跨境电子商务（清单）",
        name_en="Cross-border e-commerce (inventory)",
        agency="gacc",
        reference_name_zh="清单编号",
        reference_name_en="inventory no.: 4-digit customs code + 4-digit year + I/E + 9 digits",
        reference_pattern=_pattern(r"\d{8}[IE]\d{9}"),
        reference_example="22442024I000123456",
        modelled=False,
        # Negative return_status values are error receipts, not lifecycle codes: they stay unlisted, so
        # they reach the timeline flagged as unknown codes rather than moving the item to a stage.
        codes=(
            _c("1", "暂存", "Saved (draft)", S.SUBMITTED, False),
            _c("2", "申报中", "Being declared", S.SUBMITTED, False),
            _c("3", "发送海关成功", "Sent to customs", S.SUBMITTED, False),
            # A transmission failure is fixed by sending again, so the item is not over.
            _c("4", "发送海关失败", "Sending to customs failed", S.ACTION_REQUIRED, True),
            _c("100", "退单", "Rejected", S.REJECTED, True),
            _c("120", "入库", "Accepted into the customs database", S.ACCEPTED, True),
            _c("300", "人工审核", "Manual review", S.UNDER_REVIEW, False),
            _c("399", "审结", "Review concluded", S.UNDER_REVIEW, False),  # not yet released, as customs J
            _c("500", "查验", "Inspection", S.INSPECTION, True),
            _c("501", "扣留移送通关", "Detained: passed to the clearance department", S.ON_HOLD, True),
            _c("502", "扣留移送缉私", "Detained: passed to the anti-smuggling bureau", S.ON_HOLD, True),
            _c("503", "扣留移送法规", "Detained: passed to the legal department", S.ON_HOLD, True),
            _c("599", "其他扣留", "Detained (other)", S.ON_HOLD, True),
            _c("700", "退运", "Returned to origin", S.REJECTED, True),  # the goods are refused entry
            _c("800", "放行", "Released", S.RELEASED, True),
            _c("899", "结关", "Closed", S.COMPLETED, True),
        ),
        initial_code="1",
        office_span=(0, 4),
    ),
    Kind(
        key="service_trade",
        number=12,
        name_zh="服务贸易",
        name_en="Service trade",
        agency="mofcom",
        reference_name_zh="合同登记号",
        reference_name_en="contract registration no.: 'FW' + 4-digit year + 10 digits",
        reference_pattern=_pattern(r"FW\d{14}"),
        reference_example="FW20240000123456",
        modelled=True,
        codes=(
            _c("01", "已提交", "Submitted", S.SUBMITTED, False),
            _c("02", "已受理", "Accepted", S.ACCEPTED, False),
            _c("03", "审核中", "Under review", S.UNDER_REVIEW, False),
            _c("04", "退回补正", "Returned for completion", S.ACTION_REQUIRED, True),
            _c("05", "准予登记", "Registered (certificate issued)", S.RELEASED, True),
            _c("06", "收付汇已办结", "Foreign-exchange payments settled (SAFE)", S.COMPLETED, True),
            _c("07", "不予登记", "Registration refused", S.REJECTED, True),
            _c("08", "已撤回", "Withdrawn", S.CANCELLED, True),
        ),
        initial_code="01",
    ),
    Kind(
        key="inspection_quarantine",
        number=13,
        name_zh="关检融合（检验检疫）",
        name_en="Inspection and quarantine",
        agency="gacc",
        reference_name_zh="检验检疫编号（15位或18位）",
        reference_name_en="inspection no.: 15 digits (region, year, serial) or 18 digits",
        reference_pattern=_pattern(r"(?:\d{15}|\d{18})"),
        reference_example="310100224000123",
        modelled=True,
        codes=(
            _c("10", "已报检", "Declared for inspection", S.SUBMITTED, False),
            _c("20", "已受理", "Accepted", S.ACCEPTED, False),
            _c("30", "审单中", "Documents under review", S.UNDER_REVIEW, False),
            _c("35", "需补充材料", "Supplementary documents required", S.ACTION_REQUIRED, True),
            _c("40", "现场查验/抽样", "On-site inspection / sampling", S.INSPECTION, True),
            _c("45", "需检疫处理（熏蒸/消毒）", "Quarantine treatment required (fumigation / disinfection)",
               S.ON_HOLD, True),
            _c("50", "检验检疫合格，准予放行", "Passed: released", S.RELEASED, True),
            _c("60", "已出证", "Certificate issued", S.COMPLETED, True),
            _c("70", "检验检疫不合格（退运/销毁）", "Failed: to be returned or destroyed", S.REJECTED, True),
        ),
        initial_code="10",
    ),
    Kind(
        key="transit",
        number=14,
        name_zh="转关",
        name_en="Transit",
        agency="gacc",
        reference_name_zh="转关申报单编号（16位）",
        reference_name_en="transit declaration no.: 16 digits (without the '@' written before it on an "
        "entry)",
        reference_pattern=_pattern(r"\d{16}"),
        reference_example="2233202400004567",
        modelled=True,
        codes=(
            _c("01", "已申报", "Declared", S.SUBMITTED, False),
            _c("02", "审核通过", "Approved by the departure customs", S.ACCEPTED, True),
            _c("03", "退单", "Rejected", S.REJECTED, True),
            _c("04", "启运地放行", "Released at the departure customs", S.RELEASED, True),
            # Arrival is soon followed by the write-off, which is what consignee and agent wait for.
            _c("05", "指运地到达", "Arrived at the destination customs", S.RELEASED, False),
            _c("06", "已核销", "Written off by the destination customs", S.COMPLETED, True),
            _c("07", "已撤销", "Cancelled", S.CANCELLED, True),
            _c("08", "查验", "Inspection", S.INSPECTION, True),
        ),
        initial_code="01",
        office_span=(0, 4),
    ),
)

KINDS: dict[str, Kind] = {kind.key: kind for kind in sorted(_KIND_LIST, key=lambda k: k.number)}


def get_kind(key: str) -> Kind:
    try:
        return KINDS[key]
    except KeyError:
        raise UnknownKind(key) from None


def kind_name(key: str, lang: str) -> str:
    """The kind's name in "zh-CN" or "en"."""
    kind = get_kind(key)
    return kind.name_zh if lang == "zh-CN" else kind.name_en


def code_label(key: str, code: str | None, lang: str) -> str | None:
    """What a native code means, in "zh-CN" or "en"; None for no code or one the kind does not list."""
    native = get_kind(key).code(code) if code else None
    if native is None:
        return None
    return native.label_zh if lang == "zh-CN" else native.label_en


def localized(kind: Kind, lang: str) -> dict[str, Any]:
    """The kind as JSON-ready data in one language ("zh-CN" or "en")."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; one of {', '.join(LANGUAGES)}")
    zh = lang == "zh-CN"
    agency = AGENCIES[kind.agency]
    return {
        "key": kind.key,
        "number": kind.number,
        "name": kind.name_zh if zh else kind.name_en,
        "agency": {
            "key": agency.key,
            "name": agency.name_zh if zh else agency.name_en,
            "style": agency.style.value,
        },
        "reference": {
            "name": kind.reference_name_zh if zh else kind.reference_name_en,
            "pattern": kind.reference_pattern.pattern,
            "example": kind.reference_example,
        },
        "modelled": kind.modelled,
        "codes": [
            {
                "code": c.code,
                "label": c.label_zh if zh else c.label_en,
                "stage": c.stage.value,
                "stage_label": STAGE_LABELS[c.stage][lang],
                "milestone": c.milestone,
                "terminal": c.terminal,
            }
            for c in kind.codes
        ],
    }
