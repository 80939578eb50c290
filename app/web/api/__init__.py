"""The HTTP API: one package per resource, registered from one explicit list."""

from __future__ import annotations

from flask_smorest import Api

from app.web.api.api_keys.routes import blp as api_keys_blp
from app.web.api.audit.routes import blp as audit_blp
from app.web.api.auth.routes import blp as auth_blp
from app.web.api.clearances.routes import blp as clearances_blp
from app.web.api.companies.routes import blp as companies_blp
from app.web.api.desk.routes import blp as desk_blp
from app.web.api.devices.routes import blp as devices_blp
from app.web.api.events.routes import blp as events_blp
from app.web.api.me.routes import blp as me_blp
from app.web.api.notifications.routes import blp as notifications_blp
from app.web.api.port_charges.routes import blp as port_charges_blp
from app.web.api.shipments.routes import blp as shipments_blp
from app.web.api.stats.routes import blp as stats_blp
from app.web.api.status_kinds.routes import blp as status_kinds_blp
from app.web.api.subscriptions.routes import blp as subscriptions_blp
from app.web.api.users.routes import blp as users_blp
from app.web.api.webhooks.routes import blp as webhooks_blp

BLUEPRINTS = (
    auth_blp,
    me_blp,
    notifications_blp,
    status_kinds_blp,
    clearances_blp,
    events_blp,
    shipments_blp,
    subscriptions_blp,
    port_charges_blp,
    webhooks_blp,
    devices_blp,
    companies_blp,
    api_keys_blp,
    users_blp,
    stats_blp,
    desk_blp,
    audit_blp,
)


def register_blueprints(api: Api) -> None:
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)
