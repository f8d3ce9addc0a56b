"""Back-office pages about clients: the list and one client with its contract and cases."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template

from agency.auth.access import require_staff, staff_get
from agency.cases import queries as case_queries
from agency.clients.models import Client
from agency.extensions import db

bp = Blueprint("clients", __name__)
bp.before_request(require_staff)


@bp.route("/")
def index():
    clients = db.session.scalars(sa.select(Client).order_by(Client.name)).all()
    overviews = {c.id: case_queries.overview(c.id) for c in clients}
    return render_template("clients/index.html", clients=clients, overviews=overviews)


@bp.route("/<int:client_id>")
def detail(client_id: int):
    client = staff_get(Client, client_id)
    return render_template(
        "clients/detail.html",
        client=client,
        overview=case_queries.overview(client.id),
        rows=case_queries.case_rows(client_id=client.id, limit=25),
    )
