"""The OpenAPI 3.1 description of the JSON API, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from agency.clients.intake.columns import FIELDS


def document() -> dict[str, Any]:
    """Return the OpenAPI document."""
    invoice = {
        "type": "object",
        "description": "One invoice with its debtor; amounts as text (1234.56 or 1.234,56), "
        "dates as dd-mm-yyyy or yyyy-mm-dd. Paid invoices (paid_on) are payment history.",
        "required": [name for name, f in FIELDS.items() if f.required],
        "properties": {
            name: {"type": ["string", "number", "integer", "null"], "description": f.label_en}
            for name, f in FIELDS.items()
        },
        "additionalProperties": False,
    }
    report = {
        "type": "object",
        "properties": {
            "accepted": {"type": "boolean"},
            "rows": {"type": "integer"},
            "valid_rows": {"type": "integer"},
            "invalid_rows": {"type": "integer"},
            "debtors": {"type": "integer"},
            "debtors_new": {"type": "integer"},
            "debtors_known": {"type": "integer"},
            "invoices": {"type": "integer"},
            "invoices_new": {"type": "integer"},
            "invoices_known": {"type": "integer"},
            "invoices_changed": {"type": "integer"},
            "paid_invoices": {"type": "integer"},
            "credit_notes": {"type": "integer"},
            "principal_cents": {"type": "integer"},
            "error_count": {"type": "integer"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "row": {"type": "integer"},
                        "column": {"type": "string"},
                        "message": {"type": "string"},
                    },
                },
            },
        },
    }
    handoff = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "status": {
                "type": "string",
                "enum": [
                    "uploaded",
                    "validating",
                    "validated",
                    "rejected",
                    "duplicate",
                    "queued",
                    "importing",
                    "imported",
                    "failed",
                ],
            },
            "progress_percent": {"type": "integer"},
            "failure_reason": {"type": ["string", "null"]},
            "report": {"$ref": "#/components/schemas/Report"},
        },
    }
    flags = [
        {
            "name": "dry_run",
            "in": "query",
            "schema": {"type": "boolean"},
            "description": "Only check the rows; import nothing.",
        },
        {
            "name": "skip_invalid",
            "in": "query",
            "schema": {"type": "boolean"},
            "description": "Import the valid rows even when some rows have errors.",
        },
        {
            "name": "filename",
            "in": "query",
            "schema": {"type": "string"},
            "description": "Name of a file sent as the raw body.",
        },
    ]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Agency API",
            "version": "1",
            "description": "Hand over overdue invoices and their payment history.",
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token made in the portal.",
                }
            },
            "schemas": {"HandoffInvoice": invoice, "Report": report, "Handoff": handoff},
        },
        "security": [{"token": []}],
        "paths": {
            "/handoffs": {
                "post": {
                    "summary": "Hand over invoices (CSV, XLSX or JSON); checked at once",
                    "parameters": flags,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"file": {"type": "string", "format": "binary"}},
                                }
                            },
                            "text/csv": {"schema": {"type": "string"}},
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                                "schema": {"type": "string", "format": "binary"}
                            },
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "invoices": {
                                            "type": "array",
                                            "items": {
                                                "$ref": "#/components/schemas/HandoffInvoice"
                                            },
                                        }
                                    },
                                }
                            },
                        },
                    },
                    "responses": {
                        "202": {
                            "description": "Accepted; the import runs as a job",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Handoff"}
                                }
                            },
                        },
                        "200": {"description": "Checked only (dry_run), or already imported"},
                        "400": {"description": "No file, or a body that is not a handoff"},
                        "401": {"description": "No valid token"},
                        "413": {"description": "Larger than the upload limit"},
                        "422": {"description": "Rejected: the report says why"},
                    },
                }
            },
            "/handoffs/{id}": {
                "get": {
                    "summary": "Status, progress and report of a handoff",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The handoff",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Handoff"}
                                }
                            },
                        },
                        "404": {"description": "No such handoff of this client"},
                    },
                }
            },
        },
    }
