"""The OpenAPI 3.1 document of ``/api/v1`` (kept beside the routes; a test checks they agree)."""
from __future__ import annotations

from arena.services.upload_rules import MAX_LABEL_CHARS, MAX_NOTES_CHARS
from typing import Any

_ERROR = {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _json(description: str, schema: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _slug() -> dict[str, Any]:
    return {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}


SECURED = [{"bearerAuth": []}]

PATHS: dict[str, dict[str, Any]] = {
    "/openapi.json": {"get": {"summary": "This document", "security": [],
                              "responses": {"200": {"description": "OpenAPI document"}}}},
    "/me": {"get": {"summary": "The token's owner", "security": SECURED,
                    "responses": {"200": _json("The user", "User"), "401": _ERROR}}},
    "/competitions": {"get": {"summary": "Public competitions", "security": [],
                              "responses": {"200": _json("Competitions", "CompetitionList")}}},
    "/competitions/{slug}/leaderboard": {"get": {
        "summary": "One page of a leaderboard", "security": [],
        "parameters": [
            _slug(),
            {"name": "metric", "in": "query", "schema": {"type": "string"},
             "description": "Metric to rank by (default: the competition's ranking metric)"},
            {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
        ],
        "responses": {"200": _json("Leaderboard page", "Leaderboard"), "400": _ERROR, "404": _ERROR},
    }},
    "/competitions/{slug}/submissions": {"post": {
        "summary": "Upload a generator", "security": SECURED,
        "parameters": [_slug()],
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary",
                                    "description": "TorchScript .pt or .zip package"},
                           "label": {"type": "string", "maxLength": MAX_LABEL_CHARS},
                           "notes": {"type": "string", "maxLength": MAX_NOTES_CHARS}}}}}},
        "responses": {"201": _json("Queued submission", "Submission"), "400": _ERROR, "401": _ERROR,
                      "404": _ERROR, "413": _ERROR, "429": _ERROR},
    }},
    "/submissions": {"get": {"summary": "Your submissions", "security": SECURED,
                             "responses": {"200": _json("Submissions", "SubmissionList"), "401": _ERROR}}},
    "/submissions/{submission_id}": {"get": {
        "summary": "Status and scores of one of your submissions", "security": SECURED,
        "parameters": [{"name": "submission_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": _json("Submission", "Submission"), "401": _ERROR, "404": _ERROR},
    }},
}

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
    "User": {"type": "object", "properties": {"id": {"type": "integer"}, "username": {"type": "string"},
                                              "role": {"type": "string"}}},
    "CompetitionList": {"type": "object", "properties": {"competitions": {"type": "array", "items": {
        "type": "object", "properties": {"slug": {"type": "string"}, "title": {"type": "string"},
                                         "status": {"type": "string"}, "ranking_metric": {"type": "string"},
                                         "daily_quota": {"type": "integer"}, "entrants": {"type": "integer"},
                                         "leaderboard_url": {"type": "string"}}}}}},
    "Leaderboard": {"type": "object", "properties": {
        "competition": {"type": "string"}, "sort_metric": {"type": "string"},
        "direction": {"type": "string", "enum": ["lower_is_better", "higher_is_better"]},
        "dataset_version": {"type": ["string", "null"]}, "scorer_version": {"type": "string"},
        "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"},
        "rows": {"type": "array", "items": {"type": "object", "properties": {
            "rank": {"type": "integer"}, "submission_id": {"type": "integer"},
            "participant": {"type": "string"}, "label": {"type": "string"},
            "submitted_at": {"type": "string", "format": "date-time"}, "baseline": {"type": "boolean"},
            "calibrated": {"type": "boolean"},
            "metrics": {"type": "object", "additionalProperties": {"type": ["number", "null"]}}}}}}},
    "Submission": {"type": "object", "properties": {
        "id": {"type": "integer"}, "competition": {"type": "string"}, "label": {"type": "string"},
        "filename": {"type": "string"}, "format": {"type": "string", "enum": ["torchscript", "package"]},
        "status": {"type": "string", "enum": ["queued", "running", "scored", "failed", "disqualified"]},
        "final": {"type": "boolean"},
        "error": {"type": ["object", "null"],
                  "properties": {"code": {"type": "string"}, "message": {"type": "string"}}},
        "submitted_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": ["string", "null"]},
        "scores": {"type": "object", "additionalProperties": {"type": "number"}},
        "calibrated": {"type": "boolean"}, "dataset_version": {"type": ["string", "null"]},
        "scorer_version": {"type": ["string", "null"]}}},
    "SubmissionList": {"type": "object", "properties": {"submissions": {
        "type": "array", "items": {"$ref": "#/components/schemas/Submission"}}}},
}


def openapi_document(server_url: str) -> dict[str, Any]:
    """The OpenAPI document, with ``server_url`` as its server."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "StyleArena API", "version": "1",
                 "description": "Submit style-transfer generators and read leaderboards."},
        "servers": [{"url": server_url}],
        "security": SECURED,
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "A personal token from /account/tokens"}},
        },
    }
