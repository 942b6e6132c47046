"""The pages baseline: a bare Flask app rendering a Jinja page of the portal page's size.

    gunicorn --chdir bench baseline_app:app      (BASELINE_PAGE_BYTES=8000 sets the page size)

No database, no session, no extensions: what Flask, Jinja and gunicorn cost on their
own, so the ratio to it shows the portal's overhead on any machine.
"""

from __future__ import annotations

import os

from flask import Flask, redirect, render_template_string, request

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ title }}</title><link rel="stylesheet" href="/static/portal.css"></head>
<body><main>
<h1>{{ title }}</h1>
<ol>{% for row in rows %}
  <li><time datetime="{{ row.when }}">{{ row.when }}</time> <span class="what">{{ row.what }}</span></li>{% endfor %}
</ol>
</main></body>
</html>
"""
#: Bytes of one rendered row, to size the page like the portal's.
ROW_BYTES = len('  <li><time datetime="2026-11-21">2026-11-21</time> <span class="what">Payment received: 12.34 EUR</span></li>\n')

app = Flask(__name__)
_rows = [
    {"when": f"2026-11-{1 + n % 28:02d}", "what": f"Payment received: {10 + n % 90}.34 EUR"}
    for n in range(max(1, int(os.environ.get("BASELINE_PAGE_BYTES", "8000")) // ROW_BYTES))
]


@app.get("/page")
def page():
    """A page of the configured size, rendered by Jinja on every request."""
    return render_template_string(PAGE, title="What you owe", rows=_rows)


@app.post("/form")
def form():
    """Parse a form as the sign-in POST does, then redirect as it does (303)."""
    fields = {name: request.form.get(name, "") for name in ("reference", "dob_day", "dob_month", "dob_year")}
    if not fields["reference"]:
        return "reference missing", 400
    return redirect("/page", code=303)
