"""The API's human-readable docs at ``/api/v1/docs``, rendered on the server from the live
OpenAPI document (``arena.web.api.openapi``), so the page says what the routes do.

It is a blueprint of its own: the API blueprint is JSON only, and its routes and the
document must match one to one (a test), which an HTML page would break.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template, request

from arena.web.api import bp as api_bp
from arena.web.api.examples import Call, auth_kind, build_call, curl_example, python_example, quickstart_example
from arena.web.api.openapi import openapi_document
from arena.web.cache import cached_for_visitors
from arena.web.db_session import get_session
from arena.core.models import User
from arena.web.public.queries import own_submissions, viewer, visible_competitions

bp = Blueprint("api_docs", __name__)

METHOD_ORDER = {"get": 0, "post": 1, "put": 2, "patch": 3, "delete": 4}


@dataclass(frozen=True)
class Field:
    """One row of a parameter, body or schema table (nested properties get dotted names)."""

    name: str
    type: str
    ref: str | None  # the schema the type names, for a link
    required: bool
    description: str


@dataclass(frozen=True)
class Response:
    status: str
    description: str
    content_type: str | None
    ref: str | None


@dataclass(frozen=True)
class Operation:
    anchor: str
    method: str
    path: str
    summary: str
    description: str
    tag: str
    auth: str
    parameters: list[dict[str, Any]]
    body_type: str | None
    body_fields: list[Field]
    responses: list[Response]
    curl: str
    python: str


def _ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[1] if ref else None


def type_of(schema: dict[str, Any]) -> str:
    """A JSON schema as a short type: ``string``, ``integer | null``, ``array of Submission``."""
    if _ref_name(schema):
        return _ref_name(schema)
    kinds = schema.get("type", "any")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    words = []
    for kind in kinds:
        if kind == "array":
            words.append("array of " + type_of(schema.get("items", {})))
        elif kind == "string" and schema.get("format") == "binary":
            words.append("file")
        elif kind == "object" and "additionalProperties" in schema and not schema.get("properties"):
            words.append("object of " + type_of(schema["additionalProperties"]))
        else:
            words.append(kind)
    return " | ".join(words)


def _constraints(schema: dict[str, Any]) -> str:
    notes = []
    if "maxLength" in schema:
        notes.append(f"at most {schema['maxLength']} characters")
    if "minimum" in schema:
        notes.append(f"from {schema['minimum']}")
    if schema.get("format") == "date-time":
        notes.append("ISO 8601, UTC")
    if schema.get("enum"):
        notes.append("one of " + ", ".join("null" if v is None else str(v) for v in schema["enum"]))
    return "; ".join(notes)


def fields_of(schema: dict[str, Any], prefix: str = "") -> list[Field]:
    """The properties of an object schema, nested objects flattened to ``outer.inner`` rows."""
    rows = []
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        description = "; ".join(t for t in (prop.get("description", ""), _constraints(prop)) if t)
        rows.append(Field(prefix + name, type_of(prop), _ref_name(prop) or _ref_name(prop.get("items", {})),
                          name in required, description))
        if prop.get("properties"):
            rows += fields_of(prop, prefix + name + ".")
        elif prop.get("items", {}).get("properties"):
            rows += fields_of(prop["items"], prefix + name + "[].")
    return rows


def _anchor(method: str, path: str) -> str:
    return (method + path).replace("/", "-").replace("{", "").replace("}", "").replace(".", "-").strip("-")


def operations(doc: dict[str, Any], values: dict[str, Any]) -> list[Operation]:
    """Every operation of ``doc``, grouped by tag in document order, with its examples."""
    base = doc["servers"][0]["url"]
    found = []
    for path, ops in doc["paths"].items():
        for method, op in sorted(ops.items(), key=lambda item: METHOD_ORDER.get(item[0], 9)):
            call: Call = build_call(base, path, method, op, values)
            body = op.get("requestBody", {}).get("content", {})
            body_type = next(iter(body), None)
            responses = []
            for status, response in op["responses"].items():
                content_type = next(iter(response.get("content", {})), None)
                schema = response.get("content", {}).get(content_type, {}).get("schema", {}) if content_type else {}
                responses.append(Response(status, response.get("description", ""), content_type, _ref_name(schema)))
            found.append(Operation(
                anchor=_anchor(method, path), method=method.upper(), path=path, summary=op.get("summary", ""),
                description=op.get("description", ""), tag=(op.get("tags") or ["Other"])[0],
                auth=auth_kind(op.get("security", doc.get("security"))),
                parameters=[{**p, "type": type_of(p.get("schema", {}))} for p in op.get("parameters", [])],
                body_type=body_type, body_fields=fields_of(body[body_type]["schema"]) if body_type else [],
                responses=responses, curl=curl_example(call), python=python_example(call),
            ))
    tags = list(dict.fromkeys(o.tag for o in found))
    return sorted(found, key=lambda o: tags.index(o.tag))


def example_values(user: User | None) -> dict[str, Any]:
    """Real values for the examples' path parameters, so they run as pasted.

    The first public competition, and the reader's latest submission when they are logged in
    (a visitor's copy is cached and shared, so it never names anyone's submission).
    """
    session = get_session()
    competitions = visible_competitions(session, None)
    values: dict[str, Any] = {"slug": competitions[0].slug} if competitions else {}
    latest = own_submissions(session, user, limit=1) if user is not None else []
    if latest:
        values["submission_id"] = latest[0].id
    return values


@bp.get(api_bp.url_prefix + "/docs")
@cached_for_visitors
def docs():
    """The API reference: every route with auth, parameters, body, responses and examples."""
    doc = openapi_document(request.host_url.rstrip("/") + api_bp.url_prefix)
    values = example_values(viewer())
    ops = operations(doc, values)
    schemas = {name: fields_of(schema) for name, schema in doc["components"]["schemas"].items()}
    quickstart = quickstart_example(doc, values.get("slug", "SLUG"))
    return render_template("api_docs.html", doc=doc, operations=ops, schemas=schemas, quickstart=quickstart,
                           tags=list(dict.fromkeys(o.tag for o in ops)), base_url=doc["servers"][0]["url"])
