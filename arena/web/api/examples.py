"""curl and Python (requests) examples of one API operation, built from its OpenAPI entry.

Only the document is read (method, path, parameters' ``example``, security, request body,
response type), so a new route or parameter gets its examples without anyone writing them.
Placeholders a reader must fill are shell variables (``$STYLEARENA_TOKEN``) and file names.
"""
from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

TOKEN_VARIABLE = "STYLEARENA_TOKEN"


@dataclass(frozen=True)
class Call:
    """What both examples need: the request spelled out from the document."""

    method: str
    url: str  # path parameters filled, without the query
    query: tuple[tuple[str, Any], ...]
    auth: str  # "none", "required" or "optional"
    form: tuple[tuple[str, Any], ...]  # multipart fields; file fields hold a file name
    files: frozenset[str]
    download: str | None  # file name to save a binary response under
    json_body: dict[str, Any] | None = None  # a JSON request body (the schema's ``example``)


def auth_kind(security: list[dict] | None) -> str:
    """"none", "required" or "optional" from an operation's ``security`` list."""
    if not security:
        return "none"
    return "optional" if any(not requirement for requirement in security) else "required"


def _example(schema_or_param: dict[str, Any]) -> Any:
    if "example" in schema_or_param:
        return schema_or_param["example"]
    examples = schema_or_param.get("examples") or schema_or_param.get("schema", {}).get("examples")
    return examples[0] if examples else None


def build_call(base_url: str, path: str, method: str, op: dict[str, Any], values: dict[str, Any]) -> Call:
    """The example request of ``op``; ``values`` overrides parameter examples (e.g. a real slug)."""
    url = base_url + path
    query = []
    for param in op.get("parameters", []):
        value = values.get(param["name"], _example(param))
        if param["in"] == "path":
            url = url.replace("{" + param["name"] + "}", str(value if value is not None else param["name"].upper()))
        elif param["in"] == "query" and value is not None:
            query.append((param["name"], value))
    form, files = [], set()
    body = op.get("requestBody", {}).get("content", {}).get("multipart/form-data")
    if body:
        for name, prop in body["schema"].get("properties", {}).items():
            value = _example(prop)
            if value is None:
                continue
            form.append((name, value))
            if prop.get("format") == "binary":
                files.add(name)
    json_body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {}).get("example")
    ok = next((r for code, r in op.get("responses", {}).items() if code.startswith("2")), {})
    binary = [t for t in ok.get("content", {}) if t != "application/json"]
    download = None
    if binary:
        download = url.rstrip("/").rsplit("/", 1)[-1] + (".zip" if binary[0] == "application/zip" else "")
    return Call(method.upper(), url, tuple(query), auth_kind(op.get("security")), tuple(form),
                frozenset(files), download, json_body)


def _full_url(call: Call) -> str:
    return call.url + ("?" + urlencode(call.query) if call.query else "")


def curl_example(call: Call) -> str:
    """A curl command line (``-f`` so an HTTP error fails the command, and shows the JSON with ``--fail-with-body``)."""
    parts = ["curl --fail-with-body -sS"]
    if call.method != "GET" and not call.form:
        parts.append(f"-X {call.method}")
    if call.auth != "none":
        parts.append(f'-H "Authorization: Bearer ${TOKEN_VARIABLE}"')
    if call.json_body is not None:
        parts += ['-H "Content-Type: application/json"', "-d " + shlex.quote(json.dumps(call.json_body))]
    for name, value in call.form:
        parts.append("-F " + shlex.quote(f"{name}=@{value}" if name in call.files else f"{name}={value}"))
    if call.download:
        parts.append(f"-L -o {shlex.quote(call.download)}")
    # Always quoted: a query's "&" would otherwise end the command (our URLs hold no "'").
    parts.append(f"'{_full_url(call)}'")
    return " \\\n  ".join(parts)


def _py(value: Any) -> str:
    """A literal in the examples' one quoting style (JSON's double quotes are valid Python here)."""
    return json.dumps(value)


def _py_value(value: Any) -> str:
    """A Python literal of a JSON value (``true`` is ``True`` here), strings double-quoted."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_py(k)}: {_py_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_py_value(v) for v in value) + "]"
    return _py(value)


def python_example(call: Call) -> str:
    """A Python script using requests that prints the JSON answer (or saves the download)."""
    lines = ["import os" if call.auth != "none" else None, "import requests", "",
             f"response = requests.{call.method.lower()}(", f"    {_py(call.url)},"]
    if call.query:
        lines.append(f"    params={_py(dict(call.query))},")
    if call.auth != "none":
        lines.append(f'    headers={{"Authorization": "Bearer " + os.environ[{_py(TOKEN_VARIABLE)}]}},')
    files = {name: value for name, value in call.form if name in call.files}
    data = {name: value for name, value in call.form if name not in call.files}
    if files:
        opened = ", ".join(f'{_py(name)}: open({_py(value)}, "rb")' for name, value in files.items())
        lines.append(f"    files={{{opened}}},")
    if data:
        lines.append(f"    data={_py(data)},")
    if call.json_body is not None:
        lines.append(f"    json={_py_value(call.json_body)},")
    # An upload of a large file takes a while; reads are quick.
    lines += [f"    timeout={300 if files else 60},", ")",
              "if not response.ok:  # every error is JSON whose message says what to do",
              '    raise SystemExit(f"{response.status_code}: {response.json()[\'error\'][\'message\']}")']
    if call.download:
        lines += [f"with open({_py(call.download)}, \"wb\") as f:", "    f.write(response.content)"]
    else:
        lines.append("print(response.json())")
    return "\n".join(line for line in lines if line is not None)


# The whole participant path in one script: the routes it calls, checked against the document.
QUICKSTART_ROUTES = (("get", "/competitions/{slug}/limits"), ("post", "/competitions/{slug}/submissions"),
                     ("get", "/submissions/{submission_id}"), ("get", "/submissions/{submission_id}/log"))

_QUICKSTART = '''import os
import sys
import time

import requests

API = {api}
SLUG = {slug}
HEADERS = {{"Authorization": "Bearer " + os.environ["STYLEARENA_TOKEN"]}}


def call(method, path, **kwargs):
    response = requests.request(method, API + path, headers=HEADERS,
                                timeout=300, **kwargs)
    if not response.ok:  # every error is JSON whose message says what to do
        sys.exit(f"{{response.status_code}}: {{response.json()['error']['message']}}")
    return response.json()


limits = call("GET", f"/competitions/{{SLUG}}/limits")
if not limits["can_submit"]:
    sys.exit(limits["reason"])
print(limits["quota"]["remaining"], "uploads left today;", limits["charging_rule"])
with open("model.pt", "rb") as model:
    submission = call("POST", f"/competitions/{{SLUG}}/submissions",
                      files={{"file": model}}, data={{"label": "v1"}})
while True:
    submission = call("GET", f"/submissions/{{submission['id']}}")
    if submission["final"]:
        break
    print(submission["step"], submission["queue_position"] or "",
          submission["elapsed_s"] or "")
    time.sleep(5)
print(submission["status"], submission["scores"])
if submission["error"]:
    print(submission["error"]["message"])
    print(call("GET", f"/submissions/{{submission['id']}}/log")["log"] or "")
'''


def quickstart_example(doc: dict[str, Any], slug: str) -> str:
    """A script that checks the quota, uploads ``model.pt``, follows the run and prints the result.

    Raises:
        KeyError: a route the script calls is no longer in the document (a test renders it).
    """
    for method, path in QUICKSTART_ROUTES:
        doc["paths"][path][method]  # noqa: B018  (fails loudly if the script went stale)
    return _QUICKSTART.format(api=_py(doc["servers"][0]["url"]), slug=_py(slug))
