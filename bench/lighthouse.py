"""Lighthouse (mobile) on the sign-in page and the "what you owe" page, under gunicorn with production settings.

    .venv/bin/python bench/lighthouse.py [--json OUT] [--keep-reports DIR]

Lighthouse 12.2.3 comes from npm (bench/lighthouse/package-lock.json; `npm ci` runs when
node_modules is missing) and drives Debian's /usr/bin/chromium: no browser is downloaded.
Its default setting is the mobile one (a mid-range phone, throttled 4G, 4x CPU slowdown).
The signed-in page gets the session cookie of a real sign-in through a reminder link.
Targets: performance >= 98, accessibility 100, best practices >= 95. A report, not a test:
it prints the scores and the failing audits, and exits 0 either way.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import pages  # noqa: E402  (seeding, production settings and the real sign-in shared with the load bench)

TOOL = HERE / "lighthouse"
LIGHTHOUSE = TOOL / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
#: The same flags as the e2e tests: nothing reaches out to Google's services.
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking "
                "--disable-component-update --disable-sync --no-first-run")
CATEGORIES = ("performance", "accessibility", "best-practices")
TARGETS = {"performance": 98, "accessibility": 100, "best-practices": 95}


def ensure_lighthouse() -> None:
    """Install Lighthouse from the lock file if it is not there yet."""
    if not LIGHTHOUSE.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=TOOL, check=True, timeout=600)


def audit(url: str, headers: dict, out: Path) -> dict:
    """One Lighthouse run (mobile); returns its scores (0-100) and the audits that did not pass."""
    cmd = [str(LIGHTHOUSE), url, f"--chrome-path={CHROMIUM}", f"--chrome-flags={CHROME_FLAGS}",
           f"--only-categories={','.join(CATEGORIES)}", "--output=json", f"--output-path={out}", "--quiet",
           f"--extra-headers={json.dumps(headers)}"]
    subprocess.run(cmd, check=True, timeout=300, env={"CHROME_PATH": CHROMIUM, "PATH": "/usr/bin:/bin"})
    report = json.loads(out.read_text())
    scores = {name: round(100 * (report["categories"][name]["score"] or 0)) for name in CATEGORIES}
    failing = sorted(
        f"{key}: {item['title']}" for key, item in report["audits"].items()
        if item.get("score") is not None and item["score"] < 0.9 and item.get("scoreDisplayMode") == "binary"
    )
    return {"url": url, "scores": scores, "failing_audits": failing,
            "lcp_ms": report["audits"]["largest-contentful-paint"]["numericValue"],
            "tbt_ms": report["audits"]["total-blocking-time"]["numericValue"]}


def run(keep: Path | None) -> dict:
    """Seed a SQLite database, serve the portal, sign in, and audit both pages."""
    ensure_lighthouse()
    with tempfile.TemporaryDirectory(prefix="bench-lighthouse-") as tmp:
        var_dir = Path(tmp)
        url = f"sqlite:///{var_dir / 'portal.db'}"
        seeded = pages.prepare_database(url, var_dir)
        portal, base = pages.start_gunicorn("wsgi:app", pages.production_env(url, var_dir), pages.ROOT)
        try:
            cookie = pages.sign_in_with_link(base, seeded["token"], seeded["page_reference"])
            reports = keep or var_dir
            reports.mkdir(parents=True, exist_ok=True)
            results = {
                "sign_in": audit(base + "/sign-in", pages.PROXY, reports / "sign-in.json"),
                "what_you_owe": audit(f"{base}/cases/{seeded['page_reference']}", {**pages.PROXY, "Cookie": cookie},
                                      reports / "what-you-owe.json"),
            }
        finally:
            pages.stop(portal)
    for result in results.values():
        result["met"] = all(result["scores"][k] >= v for k, v in TARGETS.items())
    return results


def main() -> None:
    """Parse arguments, run, print the table (and write JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--keep-reports", type=Path, help="keep Lighthouse's JSON reports in this folder")
    args = parser.parse_args()
    results = run(args.keep_reports)
    print(f"{'page':<14} {'performance':>11} {'accessibility':>13} {'best practices':>14}  met?")
    for name, result in results.items():
        s = result["scores"]
        print(f"{name:<14} {s['performance']:>11} {s['accessibility']:>13} {s['best-practices']:>14}  "
              f"{'yes' if result['met'] else 'NO'}")
        for line in result["failing_audits"]:
            print(f"    {line}")
    print(f"targets: performance >= {TARGETS['performance']}, accessibility {TARGETS['accessibility']}, "
          f"best practices >= {TARGETS['best-practices']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
