"""Companies (administrators only)."""

from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import select

from app.web.api.common import PageArgs, commit
from app.web.api.companies.schemas import CompanyInSchema, CompanySchema, CompanyUpdateSchema
from app.web.extensions import db
from app.web.smorest import Blueprint
from core.models import Company, Role
from status_tracker.companies import create_company, get_company, update_company

blp = Blueprint("companies", __name__, url_prefix="/companies", description="Companies (admin)")


@blp.route("")
class Companies(MethodView):
    @blp.login_required(Role.ADMIN)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, CompanySchema(many=True))
    def get(self, page):
        """List companies"""
        return db.session.scalars(select(Company).order_by(Company.id).limit(page["limit"]).offset(page["offset"]))

    @blp.login_required(Role.ADMIN)
    @blp.idempotent
    @blp.arguments(CompanyInSchema)
    @blp.response(201, CompanySchema)
    @blp.alt_response(409, description="A company with this code exists")
    def post(self, data):
        """Register a company"""
        company = create_company(db.session, **data)
        commit()
        return company


@blp.route("/<id:company_id>")
class CompanyById(MethodView):
    @blp.login_required(Role.ADMIN)
    @blp.response(200, CompanySchema)
    def get(self, company_id):
        """Show a company"""
        return get_company(db.session, company_id)

    @blp.login_required(Role.ADMIN)
    @blp.arguments(CompanyUpdateSchema)
    @blp.response(200, CompanySchema)
    def patch(self, changes, company_id):
        """Rename a company or change its customs code"""
        company = update_company(db.session, get_company(db.session, company_id), **changes)
        commit()
        return company
