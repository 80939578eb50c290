"""Port charges (收费公示): ports, enterprises, catalogues and their history, comparison, search, follows;
publishing by a port enterprise, import by an administrator. Reading is open to every signed-in user."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user

from app.web.api.common import commit
from app.web.api.port_charges.schemas import (
    CatalogueSchema,
    CompareArgs,
    ComparisonSchema,
    EnterpriseInSchema,
    EnterprisePageSchema,
    EnterpriseSchema,
    FeeItemPageSchema,
    FeePageSchema,
    FollowInSchema,
    FollowSchema,
    HistoryArgs,
    ImportResultSchema,
    ImportSchema,
    OnArgs,
    PageArgs,
    PortInSchema,
    PortPageSchema,
    PortSchema,
    PublishResultSchema,
    PublishSchema,
    SearchArgs,
)
from app.web.extensions import db
from app.web.smorest import Blueprint
from core.models import Role
from port_charges import catalogue, follows, imports, publishing

blp = Blueprint("port_charges", __name__, url_prefix="/port-charges",
                description="Port charges (收费公示): published catalogues, comparison, follows")


@blp.route("/ports")
class Ports(MethodView):
    @blp.login_required()
    @blp.etag
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, PortPageSchema)
    def get(self, args):
        """The ports whose enterprises publish charges"""
        ports, next_cursor = catalogue.list_ports(db.session, cursor=args.get("cursor"), limit=args["limit"])
        return {"items": ports, "next_cursor": next_cursor}

    @blp.login_required(Role.ADMIN)
    @blp.idempotent
    @blp.arguments(PortInSchema)
    @blp.response(201, PortSchema)
    def post(self, data):
        """List a port (by its customs office code)"""
        port = publishing.create_port(db.session, current_user, **data)
        commit()
        return port


@blp.route("/ports/<id:port_id>")
class PortById(MethodView):
    @blp.login_required()
    @blp.etag
    @blp.response(200, PortSchema)
    def get(self, port_id):
        """One port"""
        return catalogue.get_port(db.session, port_id)


@blp.route("/ports/<id:port_id>/enterprises")
class PortEnterprises(MethodView):
    @blp.login_required()
    @blp.etag
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, EnterprisePageSchema)
    def get(self, args, port_id):
        """The enterprises that publish charges at this port"""
        rows, next_cursor = catalogue.list_enterprises(db.session, port_id, cursor=args.get("cursor"),
                                                       limit=args["limit"])
        return {"items": rows, "next_cursor": next_cursor}

    @blp.login_required(Role.ADMIN)
    @blp.idempotent
    @blp.arguments(EnterpriseInSchema)
    @blp.response(201, EnterpriseSchema)
    def post(self, data, port_id):
        """List a charging enterprise at this port (linked to the company whose users publish its catalogue)"""
        enterprise = publishing.create_enterprise(db.session, current_user, catalogue.get_port(db.session, port_id),
                                                  **data)
        commit()
        return enterprise


@blp.route("/ports/<id:port_id>/fee-items")
class PortFeeItems(MethodView):
    @blp.login_required()
    @blp.etag
    @blp.arguments(OnArgs, location="query")
    @blp.response(200, FeeItemPageSchema)
    def get(self, args, port_id):
        """The fee items the port's enterprises list on a date (default today), by code"""
        rows, next_cursor = catalogue.fee_items(db.session, port_id, args.get("on") or catalogue.today(),
                                                cursor=args.get("cursor"), limit=args["limit"])
        return {"items": rows, "next_cursor": next_cursor}


@blp.route("/ports/<id:port_id>/compare")
class Compare(MethodView):
    @blp.login_required()
    @blp.etag
    @blp.arguments(CompareArgs, location="query")
    @blp.response(200, ComparisonSchema)
    def get(self, args, port_id):
        """One fee item across the port's enterprises on a date: cheapest first, with min, median and max"""
        return catalogue.compare(db.session, port_id, args["code"], args.get("on") or catalogue.today(),
                                 cursor=args.get("cursor"), limit=args["limit"])


@blp.route("/enterprises/<id:enterprise_id>")
class EnterpriseById(MethodView):
    @blp.login_required()
    @blp.etag
    @blp.response(200, EnterpriseSchema)
    def get(self, enterprise_id):
        """One charging enterprise"""
        return catalogue.get_enterprise(db.session, enterprise_id)


@blp.route("/enterprises/<id:enterprise_id>/catalogue")
class Catalogue(MethodView):
    @blp.login_required()
    @blp.etag
    @blp.arguments(OnArgs, location="query")
    @blp.response(200, CatalogueSchema)
    def get(self, args, enterprise_id):
        """The enterprise's fee items in force on a date (default today), by code"""
        on = args.get("on") or catalogue.today()
        rows, next_cursor = catalogue.catalogue(db.session, enterprise_id, on, cursor=args.get("cursor"),
                                                limit=args["limit"])
        return {"enterprise": catalogue.get_enterprise(db.session, enterprise_id), "on": on, "items": rows,
                "next_cursor": next_cursor}

    @blp.login_required(Role.PORT_ENTERPRISE, Role.ADMIN)
    @blp.idempotent
    @blp.arguments(PublishSchema)
    @blp.response(200, PublishResultSchema)
    def post(self, data, enterprise_id):
        """Publish new prices of some fee items (my own enterprise's only); the versions they replace stay in
        the history, and the items' followers are told of each price change"""
        result = publishing.publish(db.session, current_user, catalogue.get_enterprise(db.session, enterprise_id),
                                    data["entries"])
        commit()
        return result


@blp.route("/enterprises/<id:enterprise_id>/history")
class History(MethodView):
    @blp.login_required()
    @blp.etag
    @blp.arguments(HistoryArgs, location="query")
    @blp.response(200, FeePageSchema)
    def get(self, args, enterprise_id):
        """Every version the enterprise published (of one item, with code), the latest published first"""
        rows, next_cursor = catalogue.history(db.session, enterprise_id, code=args.get("code"),
                                              cursor=args.get("cursor"), limit=args["limit"])
        return {"items": rows, "next_cursor": next_cursor}


@blp.route("/search")
class Search(MethodView):
    @blp.login_required()
    @blp.etag
    @blp.arguments(SearchArgs, location="query")
    @blp.response(200, FeePageSchema)
    def get(self, args):
        """Fee items in force on a date whose Chinese or English name holds the text"""
        rows, next_cursor = catalogue.search(db.session, args["q"], args.get("on") or catalogue.today(),
                                             port_id=args.get("port_id"), cursor=args.get("cursor"),
                                             limit=args["limit"])
        return {"items": rows, "next_cursor": next_cursor}


@blp.route("/imports")
class Imports(MethodView):
    @blp.login_required(Role.ADMIN)
    @blp.idempotent
    @blp.arguments(ImportSchema)
    @blp.response(200, ImportResultSchema)
    def post(self, data):
        """Import catalogues (CSV text or JSON rows): every row taken, or none with each bad row's reasons"""
        rows = imports.read_csv(data["csv"]) if "csv" in data else data["rows"]
        result = imports.import_rows(db.session, current_user, rows)
        commit()
        return result


@blp.route("/follows")
class Follows(MethodView):
    @blp.login_required()
    @blp.response(200, FollowSchema(many=True))
    def get(self):
        """What I follow"""
        return follows.list_follows(db.session, current_user.id)

    @blp.login_required()
    @blp.idempotent
    @blp.arguments(FollowInSchema)
    @blp.response(201, FollowSchema)
    @blp.alt_response(200, schema=FollowSchema, description="Followed already: the follow as it is")
    def post(self, data):
        """Follow an enterprise, or one fee item at every enterprise of a port: a push when a price changes"""
        if "enterprise_id" in data:
            follow, created = follows.follow_enterprise(db.session, current_user.id, data["enterprise_id"])
        else:
            follow, created = follows.follow_fee_item(db.session, current_user.id, data["port_id"], data["code"])
        commit()
        return follow, 201 if created else 200


@blp.route("/follows/<id:follow_id>")
class FollowById(MethodView):
    @blp.login_required()
    @blp.response(204)
    def delete(self, follow_id):
        """Stop following"""
        follows.unfollow(db.session, current_user.id, follow_id)
        commit()
