"""The OpenAPI 3.1 document of ``/api/v1`` (kept beside the routes; a test checks they agree).

It is the one description of the API: ``/api/v1/openapi.json`` serves it and the docs page
(``arena.web.api.docs``) renders it, examples included, so the two cannot drift apart.
Examples of values live in the document (``example`` on parameters, ``examples`` on
properties) for the docs page's curl and Python snippets.
"""
from __future__ import annotations

import copy
from typing import Any

from arena.core.enums import SubmissionFormat
from sandbox.efficiency import PARAMETER_SOURCES
from arena.services.leaderboard import RankState
from arena.services.upload_rules import MAX_LABEL_CHARS, MAX_NOTES_CHARS, UPLOAD_SUFFIXES

_ERROR = {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _json(description: str, schema: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _error(description: str) -> dict[str, Any]:
    return {**_ERROR, "description": description}


def _slug() -> dict[str, Any]:
    return {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"},
            "description": "The competition's short name, as in its page's address", "example": "stylize-2026"}


def _submission_id() -> dict[str, Any]:
    return {"name": "submission_id", "in": "path", "required": True, "schema": {"type": "integer"},
            "description": "The submission's number (returned by the upload)", "example": 42}


SECURED: list[dict[str, list]] = [{"bearerAuth": []}]
# OpenAPI's way to say "a token is optional": no requirement, or the bearer one.
OPTIONAL: list[dict[str, list]] = [{}, {"bearerAuth": []}]
_NO_TOKEN = _error("The token is missing, unknown or revoked")

PATHS: dict[str, dict[str, Any]] = {
    "/openapi.json": {"get": {
        "summary": "This document", "tags": ["Meta"], "security": [],
        "description": "The OpenAPI 3.1 description of this API, for code generators and clients.",
        "responses": {"200": {"description": "OpenAPI document", "content": {"application/json": {}}}}}},
    "/me": {"get": {
        "summary": "The token's owner", "tags": ["Account"], "security": SECURED,
        "description": "Check that a token works and whose it is. Create tokens at /account/tokens.",
        "responses": {"200": _json("The user", "User"), "401": _NO_TOKEN}}},
    "/competitions": {"get": {
        "summary": "Public competitions", "tags": ["Competitions"], "security": [],
        "description": "Every competition a visitor can see, open ones first, with links to its board, "
                       "limits and dev set.",
        "responses": {"200": _json("Competitions", "CompetitionList")}}},
    "/competitions/{slug}/leaderboard": {"get": {
        "summary": "One page of a leaderboard", "tags": ["Competitions"], "security": [],
        "description": "Each participant's best submission, ranked; baselines are unranked reference rows. "
                       "Scores have four significant digits.",
        "parameters": [
            _slug(),
            {"name": "metric", "in": "query", "schema": {"type": "string"}, "example": "fid",
             "description": "Metric to rank by (default: the competition's ranking metric)"},
            {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}, "example": 1,
             "description": "Page number, from 1"},
            {"name": "phase", "in": "query", "schema": {"type": "string"},
             "description": "A phase's name: that phase's board (its submissions, ranked among themselves); "
                            "default the whole competition's"},
        ],
        "responses": {"200": _json("Leaderboard page", "Leaderboard"), "400": _error("Unknown metric or page"),
                      "404": _error("No such competition or phase")},
    }},
    "/competitions/{slug}/limits": {"get": {
        "summary": "Limits, and your quota left", "tags": ["Competitions"], "security": OPTIONAL,
        "description": "The upload and sandbox limits, the charging rule and, with a token, how many uploads "
                       "you have left today, when the count resets and whether an upload would be accepted now "
                       "(with the reason when not). Without a token the quota fields are null.",
        "parameters": [_slug()],
        "responses": {"200": _json("Limits", "Limits"), "401": _NO_TOKEN, "404": _error("No such competition")},
    }},
    "/competitions/{slug}/dev-set": {"get": {
        "summary": "Download the public dev set", "tags": ["Competitions"], "security": [],
        "description": "The competition's public split as a zip (manifest.json, pairs.csv, content/, style/ "
                       "and, when the benchmark has them, references/): the same images the public smoke run "
                       "uses, for checking a generator locally. The hidden set is never downloadable.",
        "parameters": [_slug()],
        "responses": {"200": {"description": "The dev set",
                              "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}},
                      "404": _error("No such competition, or no dev set published yet")},
    }},
    "/competitions/{slug}/submissions": {"post": {
        "summary": "Upload a generator", "tags": ["Submissions"], "security": SECURED,
        "description": "Queue a generator for scoring. The public smoke run comes first; a failure there does "
                       "not use a daily upload (see the limits' charging rule). Poll the submission until "
                       "`final` is true.",
        "parameters": [_slug()],
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary", "examples": ["model.pt"],
                                    "description": f"The generator: {', '.join(UPLOAD_SUFFIXES)} (TorchScript "
                                                   "archive, torch.export program or zip package)"},
                           "label": {"type": "string", "maxLength": MAX_LABEL_CHARS, "examples": ["AdaIN v2"],
                                     "description": "Shown on the leaderboard"},
                           "notes": {"type": "string", "maxLength": MAX_NOTES_CHARS,
                                     "description": "Private to you and the organizers"}}}}}},
        "responses": {"201": _json("Queued submission", "Submission"),
                      "400": _error("The file or a field was refused (the message says why)"),
                      "401": _NO_TOKEN,
                      "403": _error("You have not accepted the competition's rules yet (code rules_not_accepted; "
                                    "rules_url and accept_url say where)"),
                      "404": _error("No such competition"),
                      "413": _error("Larger than the upload limit (named in the message; limit_bytes)"),
                      "429": _error("No uploads left today (the message says when the count resets)")},
    }},
    "/competitions/{slug}/rules": {"get": {
        "summary": "The rules, and whether you accepted them", "tags": ["Competitions"], "security": OPTIONAL,
        "description": "The organizers' rules as Markdown, their version (sha256 of the text) and, with a token, "
                       "whether you accepted them and when. A competition with rules refuses your first upload "
                       "until you accept them (once; a later change of the rules does not lock you out).",
        "parameters": [_slug()],
        "responses": {"200": _json("The rules", "Rules"), "401": _NO_TOKEN, "404": _error("No such competition")},
    }},
    "/competitions/{slug}/rules/accept": {"post": {
        "summary": "Accept the rules", "tags": ["Competitions"], "security": SECURED,
        "description": "Record that you accept the competition's current rules (the time and the version are "
                       "kept). Accepting again changes nothing; a competition without rules needs no acceptance "
                       "(`required` is false). Read them first: GET the rules or open `rules_url`.",
        "parameters": [_slug()],
        "responses": {"200": _json("Your standing with the rules", "RulesStanding"), "401": _NO_TOKEN,
                      "404": _error("No such competition")},
    }},
    "/submissions": {"get": {
        "summary": "Your submissions", "tags": ["Submissions"], "security": SECURED,
        "description": "The token owner's submissions, newest first (at most 100).",
        "responses": {"200": _json("Submissions", "SubmissionList"), "401": _NO_TOKEN}}},
    "/submissions/{submission_id}": {"get": {
        "summary": "Status and scores of one of your submissions", "tags": ["Submissions"], "security": SECURED,
        "description": "The live status (queued with position, smoke run, hidden run, scoring, scored or "
                       "failed), the error if it failed and the scores once scored.",
        "parameters": [_submission_id()],
        "responses": {"200": _json("Submission", "Submission"), "401": _NO_TOKEN,
                      "404": _error("No such submission of yours")},
    }},
    "/submissions/{submission_id}/final": {"post": {
        "summary": "Mark or unmark a final submission", "tags": ["Submissions"], "security": SECURED,
        "description": "Choose which of your submissions the private board ranks. You may mark up to the "
                       "competition's K (default 2) scored submissions, until its end date; without a choice "
                       "your best K by public-board score are taken. Marking the K+1-th is refused: unmark one "
                       "first. Baselines, rehearsal uploads and disqualified submissions are never final.",
        "parameters": [_submission_id()],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["final"], "example": {"final": True},
            "properties": {"final": {"type": "boolean", "examples": [True],
                                     "description": "true to mark it final, false to unmark it"}}}}}},
        "responses": {"200": _json("The submission, with marked_final", "Submission"),
                      "400": _error("The body is not {\"final\": true|false}"), "401": _NO_TOKEN,
                      "404": _error("No such submission of yours"),
                      "409": _error("Refused: K already marked, not scored, not eligible, or the competition "
                                    "has ended or been finalized (the message says what to do)")},
    }},
    "/submissions/{submission_id}/log": {"get": {
        "summary": "The public smoke run's log", "tags": ["Submissions"], "security": SECURED,
        "description": "What your generator printed on the public split. The hidden run's output is never "
                       "shown (it would describe the hidden images); `message` says why a log is missing. "
                       "Only the owner and organizers can read it; anyone else gets 404.",
        "parameters": [_submission_id()],
        "responses": {"200": _json("The log", "SubmissionLog"), "401": _NO_TOKEN,
                      "404": _error("No such submission of yours")},
    }},
}

_NULLABLE_INT = {"type": ["integer", "null"]}
_NULLABLE_NUMBER = {"type": ["number", "null"]}

# Where the caller stands with a competition's rules (the rules, accept and limits routes).
_RULES_STANDING: dict[str, Any] = {
    "required": {"type": "boolean", "description": "Whether uploads need an acceptance (false: no rules)"},
    "version": {"type": ["string", "null"], "description": "sha256 of the current rules text"},
    "accepted": {"type": "boolean", "description": "You accepted some version (what uploads need; false without "
                                                   "a token)"},
    "accepted_current": {"type": "boolean", "description": "You accepted the current version"},
    "accepted_version": {"type": ["string", "null"], "description": "The version you accepted last"},
    "accepted_at": {"type": ["string", "null"], "format": "date-time"},
    "rules_url": {"type": "string", "description": "The rules page"},
    "accept_url": {"type": "string", "description": "POST here with your token to accept"},
}

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {"code": {"type": "string", "description": "Stable, machine-readable"},
                       "message": {"type": "string", "description": "What went wrong and what to do"},
                       "limit_bytes": {"type": "integer", "description": "The upload limit (413 only)"},
                       "rules_url": {"type": "string", "description": "The rules page (rules_not_accepted only)"},
                       "accept_url": {"type": "string",
                                      "description": "Where to POST an acceptance (rules_not_accepted only)"}}}}},
    "User": {"type": "object", "properties": {"id": {"type": "integer"}, "username": {"type": "string"},
                                              "role": {"type": "string"},
                                              "email": {"type": ["string", "null"]},
                                              "notify_on_result": {"type": "boolean", "description":
                                                  "Emails on scored or failed submissions (set at "
                                                  "/account/notifications)"}}},
    "CompetitionList": {"type": "object", "properties": {"competitions": {"type": "array", "items": {
        "type": "object", "properties": {"slug": {"type": "string"}, "title": {"type": "string"},
                                         "status": {"type": "string", "enum": ["open", "closed"]},
                                         "ranking_metric": {"type": "string"},
                                         "daily_quota": {"type": "integer"}, "entrants": {"type": "integer"},
                                         "leaderboard_url": {"type": "string"},
                                         "limits_url": {"type": "string"},
                                         "rules_url": {"type": "string"},
                                         "rules_required": {"type": "boolean", "description": (
                                             "Whether participants accept rules before their first upload")},
                                         "dev_set_url": {"type": ["string", "null"],
                                                         "description": "null until a dev set is published"}}}}}},
    "Leaderboard": {"type": "object", "properties": {
        "competition": {"type": "string"}, "sort_metric": {"type": "string"},
        "direction": {"type": "string", "enum": ["lower_is_better", "higher_is_better"]},
        "dataset_version": {"type": ["string", "null"]}, "scorer_version": {"type": "string"},
        "phase": {"type": ["string", "null"], "description": "The phase whose board this is (null: the whole one)"},
        "statistics_protocol": {"type": "string", "description": "How ties and intervals are computed"},
        "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"},
        "rows": {"type": "array", "items": {"type": "object", "properties": {
            "rank": {**_NULLABLE_INT, "description": "null for a baseline (an unranked reference row)"},
            "submission_id": {"type": "integer"},
            "participant": {"type": "string"}, "label": {"type": "string"},
            "submitted_at": {"type": "string", "format": "date-time"}, "baseline": {"type": "boolean"},
            "calibrated": {"type": "boolean"},
            "metrics": {"type": "object", "additionalProperties": {"type": ["number", "null"]}},
            "tied": {"type": "boolean", "description": "Shares its rank (not separated at 95 %)"},
            "medal": {"type": "boolean", "description": "Earns its rank's medal"},
            "rank_state": {"type": "string", "enum": [state.value for state in RankState],
                           "description": "Where the rank comes from"},
            "intervals": {"type": "object", "description": "metric -> [low, high] of its 95 % interval",
                          "additionalProperties": {"type": "array", "items": {"type": "number"}}},
            "efficiency": {"type": ["object", "null"], "description": (
                "The hidden run's measured cost, null when not measured: one run on shared hardware, "
                "comparable only between entries with the same limits; never ranked"), "properties": {
                "latency_median_ms": _NULLABLE_NUMBER, "latency_p95_ms": _NULLABLE_NUMBER,
                "spread_p95_over_median": _NULLABLE_NUMBER, "throughput_images_per_s": _NULLABLE_NUMBER,
                "batch_size": _NULLABLE_INT, "timed_pairs": _NULLABLE_INT, "warmup_pairs": _NULLABLE_INT,
                "load_s": _NULLABLE_NUMBER, "peak_rss_mb": _NULLABLE_NUMBER, "peak_device_mb": _NULLABLE_NUMBER,
                "parameter_count": _NULLABLE_INT, "parameter_bytes": _NULLABLE_INT,
                "parameter_source": {"type": ["string", "null"], "enum": [None, *PARAMETER_SOURCES],
                                     "description": "How the count was obtained (declared: a package's manifest)"},
                "size_bytes": _NULLABLE_INT, "run_s": _NULLABLE_NUMBER,
                "limits": {"type": "object", "properties": {"device": {"type": "string"},
                                                            "cpus": _NULLABLE_NUMBER,
                                                            "memory_mb": _NULLABLE_INT}}}}}}}}},
    "Limits": {"type": "object", "properties": {
        "competition": {"type": "string"}, "status": {"type": "string", "enum": ["open", "closed", "draft"]},
        "can_submit": {"type": "boolean", "description": "Whether an upload would be accepted now"},
        "reason_code": {"type": ["string", "null"], "description": "Why not, as a code (null when it would)",
                        "enum": [None, "competition_closed", "not_started", "ended", "no_dataset", "not_signed_in",
                                 "quota_exceeded", "smoke_failures_exceeded", "rules_not_accepted"]},
        "reason": {"type": ["string", "null"], "description": "Why not, in one sentence"},
        "daily_quota": {"type": "integer", "description": "Counted uploads per UTC day"},
        "smoke_failure_cap": {"type": "integer", "description": "Free smoke-run failures per UTC day"},
        "charging_rule": {"type": "string"},
        "quota": {"type": ["object", "null"], "description": "Yours today (null without a token)", "properties": {
            "limit": {"type": "integer"}, "used": {"type": "integer"}, "remaining": {"type": "integer"},
            "smoke_failures_used": {"type": "integer"}, "smoke_failures_left": {"type": "integer"},
            "resets_at": {"type": "string", "format": "date-time"}}},
        "upload": {"type": "object", "properties": {
            "max_bytes": {"type": "integer"}, "max_size": {"type": "string", "description": "As the site shows it"},
            "formats": {"type": "array", "items": {"type": "string"}},
            "max_label_chars": {"type": "integer"}, "max_notes_chars": {"type": "integer"}}},
        "sandbox": {"type": "object", "properties": {
            "torch_version": {"type": "string"}, "device": {"type": "string", "enum": ["cpu", "cuda"]},
            "smoke_timeout_s": {"type": "integer"}, "timeout_s": {"type": "integer"},
            "memory_mb": {"type": "integer"}, "cpus": {"type": "number"}, "output_mb": {"type": "integer"},
            "runtime_image": {"type": "string", "description": "The competition's runtime image recipe and version"},
            "environment": {"type": "string", "description": "What a generator finds inside it"}}},
        "dev_set_url": {"type": ["string", "null"]}, "guide_url": {"type": "string"},
        "rules": {"$ref": "#/components/schemas/RulesStanding"}}},
    "RulesStanding": {"type": "object", "properties": _RULES_STANDING},
    "Rules": {"type": "object", "properties": {
        "competition": {"type": "string"}, "text": {"type": "string", "description": "The rules as Markdown"},
        **_RULES_STANDING}},
    "Submission": {"type": "object", "properties": {
        "id": {"type": "integer"}, "competition": {"type": "string"}, "label": {"type": "string"},
        "filename": {"type": "string"}, "format": {"type": "string", "enum": [f.value for f in SubmissionFormat]},
        "status": {"type": "string", "enum": ["queued", "running", "scored", "failed", "disqualified"]},
        "final": {"type": "boolean", "description": "No further change expected; stop polling"},
        "step": {"type": "string", "enum": ["queued", "starting", "smoke_run", "hidden_run", "scoring", "scored",
                                            "failed", "disqualified"]},
        "queue_position": {**_NULLABLE_INT, "description": "1 = next to run (while queued)"},
        "elapsed_s": {"type": ["number", "null"], "description": "Seconds since the run started"},
        "error": {"type": ["object", "null"],
                  "properties": {"code": {"type": "string"}, "message": {"type": "string"}}},
        "submitted_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": ["string", "null"]},
        "scores": {"type": "object", "additionalProperties": {"type": "number"}},
        "calibrated": {"type": "boolean"}, "dataset_version": {"type": ["string", "null"]},
        "scorer_version": {"type": ["string", "null"]},
        "disqualified_reason": {"type": ["string", "null"], "description": "The organizers' reason, when disqualified"},
        "baseline": {"type": "boolean"}, "rehearsal": {"type": "boolean"},
        "marked_final": {"type": "boolean", "description": (
            "You marked it as one of your final submissions (POST .../final); unrelated to `final`")},
        "marked_final_at": {"type": ["string", "null"], "format": "date-time"}}},
    "SubmissionList": {"type": "object", "properties": {"submissions": {
        "type": "array", "items": {"$ref": "#/components/schemas/Submission"}}}},
    "SubmissionLog": {"type": "object", "properties": {
        "id": {"type": "integer"}, "split": {"type": "string", "enum": ["public"]},
        "available": {"type": "boolean"},
        "log": {"type": ["string", "null"], "description": "The smoke run's output, or null"},
        "message": {"type": ["string", "null"], "description": "Why there is no log (null when there is one)"}}},
}


def openapi_document(server_url: str) -> dict[str, Any]:
    """The OpenAPI document, with ``server_url`` as its server (a copy: callers may change it freely)."""
    return copy.deepcopy({
        "openapi": "3.1.0",
        "info": {"title": "StyleArena API", "version": "1",
                 "description": "Submit style-transfer generators and read leaderboards. JSON in and out."},
        "servers": [{"url": server_url}],
        "security": SECURED,
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "A personal token from /account/tokens"}},
        },
    })
