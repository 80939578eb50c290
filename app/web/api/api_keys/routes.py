"""API keys of a company's systems: its company admins (or an administrator) create, list, rotate, revoke."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user

from app.web.api.api_keys.schemas import ApiKeyInSchema, ApiKeySchema, ApiKeySecretSchema
from app.web.api.common import commit
from app.web.extensions import db
from app.web.smorest import Blueprint
from core import api_keys
from core.errors import NotFound
from core.models import Role
from desk.service import audit
from status_tracker.companies import get_company

blp = Blueprint("api_keys", __name__, url_prefix="/companies/<id:company_id>/api-keys",
                description="API keys for a company's own systems (company admin, or admin)")


def _company_managed(company_id: int) -> int:
    """The company, if the caller manages its keys: an administrator any, a company admin its own (another
    company's keys do not exist for it)."""
    if current_user.role != Role.ADMIN and current_user.company_id != company_id:
        raise NotFound("no such company")
    return get_company(db.session, company_id).id


def _with_secret(key: api_keys.ApiKey, secret: str) -> api_keys.ApiKey:
    key.key = secret  # type: ignore[attr-defined]  # for this answer only: never stored
    return key


@blp.route("")
class ApiKeys(MethodView):
    @blp.login_required(Role.COMPANY_ADMIN, Role.ADMIN)
    @blp.response(200, ApiKeySchema(many=True))
    def get(self, company_id):
        """The company's keys, revoked ones too (never their secrets)"""
        return api_keys.company_keys(db.session, _company_managed(company_id))

    @blp.login_required(Role.COMPANY_ADMIN, Role.ADMIN)
    @blp.idempotent
    @blp.arguments(ApiKeyInSchema)
    @blp.response(201, ApiKeySecretSchema)
    def post(self, data, company_id):
        """Create a key: the answer shows it once"""
        key, secret = api_keys.create_key(db.session, company_id=_company_managed(company_id), name=data["name"],
                                          scopes=data["scopes"], created_by=current_user.id)
        audit(db.session, current_user, "api_key_create", target_type="api_key", target_id=key.id,
              details={"company_id": key.company_id, "scopes": key.scopes})
        commit()
        return _with_secret(key, secret)


@blp.route("/<id:key_id>")
class ApiKeyById(MethodView):
    @blp.login_required(Role.COMPANY_ADMIN, Role.ADMIN)
    @blp.response(200, ApiKeySchema)
    def delete(self, company_id, key_id):
        """Revoke a key: refused from the next request on"""
        key = api_keys.revoke_key(db.session, api_keys.get_key(db.session, _company_managed(company_id), key_id))
        audit(db.session, current_user, "api_key_revoke", target_type="api_key", target_id=key.id)
        commit()
        return key


@blp.route("/<id:key_id>/rotate")
class ApiKeyRotation(MethodView):
    @blp.login_required(Role.COMPANY_ADMIN, Role.ADMIN)
    @blp.response(200, ApiKeySecretSchema)
    def post(self, company_id, key_id):
        """A new secret for the key, shown once; the old one is refused from now on"""
        key = api_keys.get_key(db.session, _company_managed(company_id), key_id)
        secret = api_keys.rotate_key(db.session, key)
        audit(db.session, current_user, "api_key_rotate", target_type="api_key", target_id=key.id)
        commit()
        return _with_secret(key, secret)
