"""Autoescaping and safe Markdown: hostile labels, names and descriptions cannot run script."""
from __future__ import annotations

from html.parser import HTMLParser

from webfixtures import ann_client, app, client, world  # noqa: F401  (fixtures)
from webseed import add_scored, full_scores

HOSTILE_LABEL = '<script>alert("label")</script><img src=x onerror=alert(1)>'
HOSTILE_DESCRIPTION = """# Title

<script>alert('desc')</script>
<img src="x" onerror="alert(2)">
[click](javascript:alert(3))
<a href="https://example.org" onclick="alert(4)">ok link</a>
<iframe src="https://evil.example"></iframe>
"""


def _scored_hostile(world):
    s, comp = world["session"], world["competition"]
    comp.description = HOSTILE_DESCRIPTION
    comp.rules = "<style>body{display:none}</style>Be nice."
    sub = add_scored(s, comp, world["ann"], full_scores(1.0), 1, label=HOSTILE_LABEL,
                     notes="<b onmouseover=alert(5)>notes</b>")
    s.commit()
    return sub


class _Elements(HTMLParser):
    """Collects the real elements of a page (escaped text never becomes one)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.script_text.append(data)


def _no_injection(html: str) -> None:
    parser = _Elements()
    parser.feed(html)
    for tag, attrs in parser.found:
        assert tag not in ("iframe", "style", "object", "embed"), tag
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        for key in ("href", "src"):
            assert not (attrs.get(key) or "").lower().startswith("javascript:"), (tag, attrs)
        if tag == "script":  # only the site's own external script
            assert attrs.get("src", "").startswith("/static/"), attrs
    assert not "".join(parser.script_text).strip()


def test_hostile_label_is_escaped_everywhere(client, world):
    sub = _scored_hostile(world)
    for path in ("/competitions/demo", "/competitions/demo/leaderboard", f"/submissions/{sub.id}"):
        html = client.get(path).get_data(as_text=True)
        _no_injection(html)
        assert "&lt;script&gt;alert(&#34;label&#34;)&lt;/script&gt;" in html, path


def test_markdown_description_is_sanitized(client, world):
    _scored_hostile(world)
    html = client.get("/competitions/demo").get_data(as_text=True)
    _no_injection(html)
    assert "<h1>Title</h1>" in html and 'href="https://example.org"' in html and "ok link" in html


def test_owner_pages_escape_too(ann_client, world):
    sub = _scored_hostile(world)
    for path in ("/me/submissions", f"/me/submissions/{sub.id}"):
        _no_injection(ann_client.get(path).get_data(as_text=True))


def test_json_and_csv_carry_labels_as_data(client, world):
    _scored_hostile(world)
    data = client.get("/competitions/demo/leaderboard.json")
    assert data.mimetype == "application/json" and data.get_json()["rows"][0]["label"] == HOSTILE_LABEL
    assert client.get("/competitions/demo/leaderboard.csv").mimetype == "text/csv"


def test_security_headers_forbid_inline_script_and_framing(client, world):
    response = client.get("/competitions/demo")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["X-Content-Type-Options"] == "nosniff"
    assert 'style="' not in response.get_data(as_text=True)  # nothing the CSP would block


def test_the_injection_checker_itself_catches_injections():
    import pytest

    for html in ('<img src=x onerror="alert(1)">', "<script>alert(1)</script>", '<a href="javascript:x()">a</a>',
                 "<iframe src=//x></iframe>"):
        with pytest.raises(AssertionError):
            _no_injection(html)
