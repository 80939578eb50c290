"""The agencies' own lifecycles, as data: native codes with the note each sends, and weighted paths.

This is the agencies' copy, not the tracker's: the mocks stand in for systems we do not own (the codes
agree with status_tracker/kinds.py, checked by a test, never by an import). A path is
written as "L, J 10-40, P 20-90": the first code happens when the item is registered, each later code
after a dwell drawn uniformly from the given range of simulated minutes. `confirmed=False` marks a
vocabulary we modelled (no public code list was found; see docs/status-codes.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

AGENCIES = ("gacc", "mofcom", "ccpit", "msa", "sta", "bank")


@dataclass(frozen=True)
class Step:
    code: str
    min_minutes: float
    max_minutes: float


@dataclass(frozen=True)
class Path:
    weight: int
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Lifecycle:
    kind: str
    agency: str
    codes: Mapping[str, str]  # native code -> the note the agency sends with it (Chinese)
    paths: tuple[Path, ...]
    confirmed: bool


def _path(weight: int, text: str) -> Path:
    steps = []
    for part in text.split(","):
        code, _, dwell = part.strip().partition(" ")
        low, _, high = dwell.partition("-") if dwell else ("0", "", "0")
        steps.append(Step(code, float(low), float(high or low)))
    return Path(weight, tuple(steps))


def _lifecycle(kind: str, agency: str, codes: dict[str, str], paths: list[tuple[int, str]],
               confirmed: bool) -> Lifecycle:
    lifecycle = Lifecycle(kind, agency, codes, tuple(_path(w, t) for w, t in paths), confirmed)
    unknown = {s.code for p in lifecycle.paths for s in p.steps} - set(codes)
    if unknown:  # a typo in the data should fail at import, not in a demo
        raise ValueError(f"{kind}: paths use undeclared codes {sorted(unknown)}")
    if any(p.steps[0].max_minutes for p in lifecycle.paths):  # so every registered item has a status
        raise ValueError(f"{kind}: the first step of a path happens on registration")
    return lifecycle


_ALL = [
    _lifecycle("customs_declaration", "gacc", {
        "L": "海关入库成功", "J": "通关无纸化审结", "W": "无纸验放通知", "G": "接单交单",
        "C": "查验通知：请联系现场海关办理查验手续", "T": "需交税费：请及时缴纳税款",
        "H": "挂起，需手工申报", "M": "报关单重审", "B": "担保放行", "K": "通关无纸化担保放行",
        "I": "无纸放行通知", "P": "海关已放行", "F": "放行交单", "X": "准予进港", "R": "已结关",
        "E": "退单：申报要素不符，不予受理", "Z": "退回修改：请核对商品编码后重新申报",
        "Y": "申报失败", "U": "重新申报", "A": "放行前删除", "D": "删单",
    }, [
        (55, "L, J 10-40, P 20-90, R 60-180"),
        (12, "L, C 15-60, P 60-180, R 60-180"),
        (10, "L, J 10-40, T 5-20, P 30-120, R 60-180"),
        (6, "L, H 10-30, M 30-90, J 10-40, P 20-90, R 60-180"),
        (6, "L, Z 10-60, U 30-120, L 2-10, J 10-40, P 20-90, R 60-180"),
        (6, "L, E 5-30"),
        (5, "L, J 10-40, D 30-120"),
    ], confirmed=True),
    _lifecycle("manifest", "gacc", {
        "01": "海关接受申报", "02": "待人工审核", "03": "不允许传输（退单）", "11": "提运单放行",
        "12": "拒装", "13": "禁卸",
    }, [
        (70, "01, 11 60-240"),
        (15, "01, 02 10-30, 01 30-90, 11 60-240"),
        (7, "01, 13 30-120, 11 60-240"),
        (5, "03"),
        (3, "01, 12 20-90"),
    ], confirmed=True),
    _lifecycle("transport_vehicle", "msa", {
        "01": "运输工具申报已提交", "02": "已受理", "03": "海事、边检联合审核中",
        "04": "需补充材料：请补充船员名单", "05": "登临检查：请安排船方配合", "06": "准予进出港",
        "07": "航次办结", "08": "不予批准", "09": "申报已撤销",
    }, [
        (65, "01, 02 5-20, 03 10-40, 06 20-90, 07 60-240"),
        (12, "01, 02 5-20, 03 10-40, 04 10-30, 03 30-90, 06 20-90, 07 60-240"),
        (10, "01, 02 5-20, 03 10-40, 05 20-60, 06 30-120, 07 60-240"),
        (8, "01, 02 5-20, 03 10-40, 08 20-60"),
        (5, "01, 09 10-120"),
    ], confirmed=False),
    _lifecycle("license", "mofcom", {
        "10": "申请已提交", "20": "已受理", "30": "审核中", "35": "退回修改：请上传合同扫描件",
        "40": "审核通过", "50": "许可证已签发", "60": "许可证已核销（已使用完毕）", "80": "不予许可",
        "90": "申请已撤回",
    }, [
        (60, "10, 20 5-30, 30 10-60, 40 30-180, 50 10-60"),
        (10, "10, 20 5-30, 30 10-60, 40 30-180, 50 10-60, 60 120-360"),
        (15, "10, 20 5-30, 30 10-60, 35 20-90, 30 30-180, 40 30-180, 50 10-60"),
        (10, "10, 20 5-30, 30 10-60, 80 30-180"),
        (5, "10, 90 10-120"),
    ], confirmed=False),
    _lifecycle("certificate_of_origin", "ccpit", {
        "01": "已申报", "02": "已受理", "03": "审核中", "04": "退回修改：请核对原产地标准",
        "05": "产地核查：请配合工厂实地核查", "06": "已签证", "07": "证书已领取", "08": "拒签",
        "09": "已撤销",
    }, [
        (65, "01, 02 5-30, 03 10-60, 06 10-60, 07 30-240"),
        (12, "01, 02 5-30, 03 10-60, 04 10-60, 03 30-120, 06 10-60, 07 30-240"),
        (8, "01, 02 5-30, 03 10-60, 05 30-120, 06 60-240, 07 30-240"),
        (10, "01, 02 5-30, 03 10-60, 08 10-60"),
        (5, "01, 09 10-60"),
    ], confirmed=False),
    _lifecycle("enterprise_qualification", "gacc", {
        "1": "备案申请已提交", "2": "已受理", "3": "审核中", "4": "需补正材料：请补充营业执照副本",
        "5": "现场核查", "6": "备案成功", "7": "不予备案", "8": "申请已撤回",
    }, [
        (65, "1, 2 10-60, 3 30-120, 6 60-240"),
        (12, "1, 2 10-60, 3 30-120, 4 10-60, 3 60-240, 6 60-240"),
        (10, "1, 2 10-60, 3 30-120, 5 60-240, 6 60-240"),
        (8, "1, 2 10-60, 3 30-120, 7 60-240"),
        (5, "1, 8 10-120"),
    ], confirmed=False),
    _lifecycle("export_tax_refund", "sta", {
        "01": "退税申报已接收", "02": "已受理", "03": "审核中",
        "04": "存在疑点，需补正资料：请提供出口货物报关单", "05": "函调中，暂缓退税", "06": "审批通过",
        "07": "已退库，退税款已到账", "08": "不予退税", "09": "申报已撤回",
    }, [
        (60, "01, 02 10-60, 03 30-120, 06 60-240, 07 60-240"),
        (12, "01, 02 10-60, 03 30-120, 04 10-60, 03 60-180, 06 60-240, 07 60-240"),
        (10, "01, 02 10-60, 03 30-120, 05 60-240, 03 120-360, 06 60-240, 07 60-240"),
        (13, "01, 02 10-60, 03 30-120, 08 30-120"),
        (5, "01, 09 10-60"),
    ], confirmed=False),
    _lifecycle("tax_payment", "bank", {
        "01": "税单已生成", "02": "待支付：请在15日内缴纳税款", "03": "扣款中",
        "04": "扣款失败：账户余额不足", "05": "已支付", "06": "已核注入库", "07": "税单已作废",
        "08": "已逾期，产生滞纳金",
    }, [
        (70, "01, 02 1-10, 03 5-60, 05 1-10, 06 10-60"),
        (12, "01, 02 1-10, 03 5-60, 04 1-10, 03 30-180, 05 1-10, 06 10-60"),
        (8, "01, 02 1-10, 08 180-360, 03 10-60, 05 1-10, 06 10-60"),
        (10, "01, 02 1-10, 07 30-240"),
    ], confirmed=False),
    _lifecycle("processing_trade", "gacc", {
        "1": "暂存", "3": "入库成功", "4": "入库失败", "17": "待审核", "5": "审核通过", "6": "审核拒绝",
        "99": "删除",
    }, [
        (60, "3, 17 5-30, 5 20-120"),
        (20, "3, 5 5-30"),
        (8, "4"),
        (7, "3, 17 5-30, 6 20-120"),
        (5, "3, 99 30-180"),
    ], confirmed=True),
    _lifecycle("goods_clearance", "gacc", {
        "10": "已申报", "20": "海关已接单", "30": "审核中", "35": "待缴纳税款", "40": "查验中",
        "50": "暂扣", "60": "已放行", "70": "退运", "80": "已结关",
    }, [
        (65, "10, 20 1-10, 30 2-20, 60 5-30, 80 30-120"),
        (12, "10, 20 1-10, 30 2-20, 35 5-30, 60 10-60, 80 30-120"),
        (12, "10, 20 1-10, 30 2-20, 40 10-60, 60 30-120, 80 30-120"),
        (6, "10, 20 1-10, 30 2-20, 40 10-60, 50 30-120, 60 120-360, 80 30-120"),
        (5, "10, 20 1-10, 30 2-20, 40 10-60, 70 60-240"),
    ], confirmed=False),
    _lifecycle("cross_border_ecommerce", "gacc", {
        "1": "暂存", "2": "申报中", "3": "发送海关成功", "4": "发送海关失败", "100": "退单", "120": "入库",
        "300": "人工审核", "399": "审结", "500": "查验", "501": "扣留移送通关", "502": "扣留移送缉私",
        "503": "扣留移送法规", "599": "其他扣留", "700": "退运", "800": "放行", "899": "结关",
    }, [
        (65, "3, 120 1-10, 399 5-30, 800 5-30, 899 60-240"),
        (12, "3, 120 1-10, 300 10-60, 399 10-60, 800 5-30, 899 60-240"),
        (10, "3, 120 1-10, 500 10-60, 800 30-120, 899 60-240"),
        (5, "3, 100 1-10"),
        (3, "3, 120 1-10, 500 10-60, 501 30-120"),
        (3, "3, 120 1-10, 500 10-60, 700 60-240"),
        (2, "4"),
    ], confirmed=True),
    _lifecycle("service_trade", "mofcom", {
        "01": "合同登记申请已提交", "02": "已受理", "03": "审核中", "04": "退回补正：请补充合同附件",
        "05": "准予登记", "06": "收付汇已办结", "07": "不予登记", "08": "申请已撤回",
    }, [
        (65, "01, 02 10-60, 03 30-120, 05 60-240, 06 60-240"),
        (15, "01, 02 10-60, 03 30-120, 04 10-60, 03 30-120, 05 60-240, 06 60-240"),
        (12, "01, 02 10-60, 03 30-120, 07 60-240"),
        (8, "01, 08 10-120"),
    ], confirmed=False),
    _lifecycle("inspection_quarantine", "gacc", {
        "10": "报检已提交", "20": "已受理", "30": "审单中", "35": "需补充材料：请上传原产地证明",
        "40": "现场查验/抽样", "45": "需检疫处理（熏蒸/消毒）", "50": "检验检疫合格，准予放行",
        "60": "证单已签发", "70": "检验检疫不合格（退运/销毁）",
    }, [
        (55, "10, 20 2-20, 30 5-30, 50 10-60, 60 10-60"),
        (20, "10, 20 2-20, 30 5-30, 40 10-60, 50 30-120, 60 10-60"),
        (8, "10, 20 2-20, 30 5-30, 35 10-60, 30 30-120, 50 10-60, 60 10-60"),
        (7, "10, 20 2-20, 30 5-30, 40 10-60, 45 30-120, 50 120-360, 60 10-60"),
        (10, "10, 20 2-20, 30 5-30, 40 10-60, 70 30-120"),
    ], confirmed=False),
    _lifecycle("transit", "gacc", {
        "01": "转关申报成功", "02": "启运地海关审核通过", "03": "退单：请核对运输工具信息",
        "04": "启运地海关已放行，已施加关锁", "05": "已到达指运地", "06": "指运地海关已核销，关锁已拆除",
        "07": "转关申报已撤销", "08": "查验通知",
    }, [
        (75, "01, 02 5-30, 04 10-60, 05 60-240, 06 30-120"),
        (10, "01, 02 5-30, 08 10-60, 04 30-120, 05 60-240, 06 30-120"),
        (10, "01, 03 5-30"),
        (5, "01, 02 5-30, 07 30-120"),
    ], confirmed=False),
]

LIFECYCLES: dict[str, Lifecycle] = {lifecycle.kind: lifecycle for lifecycle in _ALL}


def kinds_of(agency: str) -> tuple[str, ...]:
    return tuple(kind for kind, lifecycle in LIFECYCLES.items() if lifecycle.agency == agency)
