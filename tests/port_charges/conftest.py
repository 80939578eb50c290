"""A port with charging enterprises, each linked to a company with a port-enterprise user."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from app.web.extensions import db
from core.models import Company, User
from port_charges.models import ChargingEnterprise, Port
from port_charges.publishing import create_enterprise
from tests.conftest import World


@dataclass
class Harbour:
    world: World
    port: Port
    enterprises: list[ChargingEnterprise] = field(default_factory=list)
    publishers: list[User] = field(default_factory=list)  # one port_enterprise user per enterprise
    admin: dict[str, str] = field(default_factory=dict)
    signed_in: list[dict[str, str]] = field(default_factory=list)  # the publishers' headers (logins are rate-limited)

    def entry(self, code: str = "THC-40", price: str = "850.00", effective_from: str = "2026-01-01",
              **extra: object) -> dict:
        return {"code": code, "name_zh": "码头作业费（40尺箱）", "name_en": "Terminal handling charge, 40' container",
                "category": "terminal_handling", "unit": "feu", "price": price, "currency": "CNY",
                "basis": "《港口收费计费办法》", "effective_from": effective_from, **extra}

    def publish(self, index: int, *entries: dict, headers: dict | None = None):
        return self.world.client.post(f"/port-charges/enterprises/{self.enterprises[index].id}/catalogue",
                                      json={"entries": list(entries)},
                                      headers=headers or self.signed_in[index])


@pytest.fixture
def harbour(world, app) -> Harbour:
    with app.app_context():
        port = Port(customs_office="2248", locode="CNSHA", name_zh="上海洋山港", name_en="Shanghai Yangshan")
        db.session.add(port)
        db.session.commit()
        harbour = Harbour(world, port)
    for n, (zh, en) in enumerate((("洋山一期码头", "Yangshan Phase I Terminal"),
                                   ("洋山四期码头", "Yangshan Phase IV Terminal"),
                                   ("冠东码头", "Guandong Terminal"))):
        company: Company = world.company(f"码头公司{n}")
        with app.app_context():
            enterprise = create_enterprise(db.session, None, db.session.get(Port, port.id), name_zh=zh, name_en=en,
                                           company_id=company.id)
            db.session.commit()
            harbour.enterprises.append(enterprise)
        harbour.publishers.append(world.user(company, role="port_enterprise"))
        harbour.signed_in.append(world.login(harbour.publishers[-1]))
    harbour.admin = world.login(world.user(role="admin"))
    return harbour
