"""What a price-change push says, in each language: the item, the enterprise, old and new price."""

from __future__ import annotations

from decimal import Decimal

from core.languages import LANGUAGES
from notifications.messages import Text
from port_charges.models import ChargingEnterprise, FeeVersion, Port

UNIT_LABELS = {
    "teu": ("TEU", "TEU"), "feu": ("FEU", "FEU"), "container": ("箱", "container"), "ticket": ("票", "ticket"),
    "tonne": ("吨", "tonne"), "cbm": ("立方米", "m³"), "vessel_call": ("艘次", "vessel call"),
    "day": ("天", "day"), "hour": ("小时", "hour"), "set": ("套", "set"),
}


def money(price: Decimal, currency: str) -> str:
    return f"{currency} {price:,.2f}"


def unit_label(unit: str, lang: str) -> str:
    zh, en = UNIT_LABELS.get(unit, (unit, unit))
    return zh if lang == "zh-CN" else en


def price_change_texts(port: Port, enterprise: ChargingEnterprise, old: FeeVersion, new: FeeVersion) -> dict[str, Text]:
    """Title: the item and the enterprise; body: old → new price per unit, from when, at which port."""
    texts = {}
    for lang in LANGUAGES:
        zh = lang == "zh-CN"
        unit = unit_label(new.unit, lang)
        was, now = money(old.price, old.currency), money(new.price, new.currency)
        if zh:
            title = f"收费变更：{new.name_zh}（{enterprise.name_zh}）"
            body = f"{port.name_zh} · {was} → {now}（每{unit}），{new.effective_from:%Y-%m-%d} 起执行"
        else:
            title = f"Charge changed: {new.name_en} ({enterprise.name_en or enterprise.name_zh})"
            body = f"{port.name_en} · {was} → {now} per {unit}, from {new.effective_from:%Y-%m-%d}"
        texts[lang] = Text(title=title[:200], body=body[:1000])
    return texts
