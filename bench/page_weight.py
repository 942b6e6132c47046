"""Page weight: compressed bytes of every debtor page with all its subresources, and other hosts.

    .venv/bin/python bench/page_weight.py [--json OUT]

Each page is fetched through the app (production settings, a seeded SQLite file) as
a signed-in or signing-in debtor would fetch it, with `Accept-Encoding: gzip, br`.
The app does not compress: in production the TLS proxy in front of gunicorn does.
So the bench compresses each body itself with gzip level 6 (nginx's `gzip_comp_level`
range; brotli would be smaller) and adds the response headers as sent. Every
`src`/`href` of the HTML is followed: same-host subresources are fetched and counted
once per page (a first visit, empty cache); anything on another host is counted as a
request to another host (target: zero), `data:` URIs are inline. Target: <= 30 KB a page.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pages  # noqa: E402  (seeding and production settings shared with the load bench)

LIMIT_BYTES = 30 * 1024
BROWSER = {**pages.PROXY, "Accept-Encoding": "gzip, br", "Accept-Language": "en",
           "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
#: Attributes that make a browser fetch something (or navigate, for a/form: not counted as weight).
FETCHED = re.compile(r'<(link|script|img|iframe|source|video|audio)\b[^>]*?\b(?:href|src)="([^"]+)"', re.I)
NAVIGATION = re.compile(r'<(a|form)\b[^>]*?\b(?:href|action)="([^"]+)"', re.I)


def wire_bytes(response) -> int:
    """Headers as sent plus the body compressed as a proxy would."""
    headers = sum(len(k) + len(v) + 4 for k, v in response.headers.items()) + len("HTTP/1.1 200 OK\r\n\r\n")
    body = response.get_data()
    compressible = response.mimetype.startswith("text/") or response.mimetype in ("application/json", "image/svg+xml")
    return headers + (len(gzip.compress(body, 6)) if compressible and len(body) > 256 else len(body))


def weigh(client, path: str, expected: int = 200) -> dict:
    """One page: its wire bytes with every same-host subresource, and the requests to other hosts."""
    response = client.get(path, headers=BROWSER)
    if response.status_code != expected:
        raise SystemExit(f"{path}: {response.status_code}, expected {expected}")
    html = response.get_data(as_text=True)
    total, html_raw = wire_bytes(response), len(response.get_data())
    foreign, resources = [], []
    for _tag, url in FETCHED.findall(html):
        parts = urlsplit(url)
        if parts.scheme == "data":
            continue
        if parts.netloc:
            foreign.append(url)
            continue
        sub = client.get(url, headers=BROWSER)
        total += wire_bytes(sub)
        resources.append(url)
    links_out = [u for _tag, u in NAVIGATION.findall(html) if urlsplit(u).netloc]
    return {"path": path, "status": response.status_code, "html_bytes": html_raw, "wire_bytes": total,
            "subresources": resources, "other_host_requests": len(foreign), "other_hosts": foreign,
            "links_to_other_hosts": links_out}


def measure() -> dict:
    """Weigh every debtor page."""
    with tempfile.TemporaryDirectory(prefix="bench-weight-") as tmp:
        var_dir = Path(tmp)
        url = f"sqlite:///{var_dir / 'portal.db'}"
        seeded = pages.prepare_database(url, var_dir)
        os.environ.update(pages.production_env(url, var_dir))
        from portal import create_app

        app = create_app()
        debtor = app.test_client()
        results = {"sign-in": weigh(debtor, "/sign-in"), "genuine": weigh(debtor, "/genuine"),
                   "not found": weigh(debtor, "/no-such-page", 404)}
        debtor.get(f"/l/{seeded['token']}", headers=BROWSER)
        form = debtor.get("/sign-in", headers=BROWSER).get_data(as_text=True)
        signed = debtor.post("/sign-in", headers={**BROWSER, "Referer": "https://localhost/sign-in"}, data={
            "csrf_token": pages.csrf_token(form), "reference": seeded["page_reference"],
            "dob_day": "12", "dob_month": "4", "dob_year": "1980", "postcode": ""})
        if signed.status_code != 303:
            raise SystemExit(f"sign-in failed: {signed.status_code}")
        results["cases"] = weigh(debtor, "/cases")
        results["what you owe"] = weigh(debtor, f"/cases/{seeded['page_reference']}")
        pay = debtor.get(f"/cases/{seeded['page_reference']}/pay", headers=BROWSER)
        if pay.status_code == 200:
            results["pay"] = weigh(debtor, f"/cases/{seeded['page_reference']}/pay")
        pending = app.test_client()
        form = pending.get("/sign-in", headers=BROWSER).get_data(as_text=True)
        step = pending.post("/sign-in", headers={**BROWSER, "Referer": "https://localhost/sign-in"}, data={
            "csrf_token": pages.csrf_token(form), "reference": seeded["signin_refs"][0],
            "dob_day": "12", "dob_month": "4", "dob_year": "1980", "postcode": ""})
        if step.status_code != 303:
            raise SystemExit(f"knowledge step failed: {step.status_code}")
        results["code"] = weigh(pending, "/sign-in/code")
    return results


def main() -> None:
    """Weigh, print, write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = measure()
    for name, page in results.items():
        met = page["wire_bytes"] <= LIMIT_BYTES and page["other_host_requests"] == 0
        print(f"{name:14} {page['wire_bytes']:7,} B on the wire (HTML {page['html_bytes']:6,} B raw, "
              f"{len(page['subresources'])} subresource(s)), {page['other_host_requests']} other-host requests"
              f"  {'ok' if met else 'OVER TARGET'}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
