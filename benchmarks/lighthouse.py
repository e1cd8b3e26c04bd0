#!/usr/bin/env python3
"""Lighthouse scores of the built site's pages (`make lighthouse`; needs Node.js and Chromium).

    python benchmarks/lighthouse.py [--site build] [PAGE ...]

Serves the built site (default `build/`, made by `make build`) on 127.0.0.1 as a static host
would, runs Lighthouse (the npm package, version LIGHTHOUSE, fetched once by npx from the
package registry; it downloads no browser) with Debian's Chromium over each page, and prints
a Markdown table: the four category scores (out of 100) and the cumulative layout shift.
Exit code 1 if any score is below 100 or any page shifts.

This is a measurement, not a test: `make test` checks layout shift, accessibility (axe) and
HTML validity itself, without Node.js.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

LIGHTHOUSE = "12.8.2"
CHROMIUM = "/usr/bin/chromium"
PAGES = ("", "scar-types/", "scar-types/rolling/", "treatments/subcision/", "compare/",
         "compare/rolling/", "guides/which-scar-is-mine/")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def lighthouse(url: str, report: Path) -> dict:
    subprocess.run(
        ["npx", "--yes", f"lighthouse@{LIGHTHOUSE}", url, "--quiet", "--output=json",
         f"--output-path={report}", f"--only-categories={','.join(CATEGORIES)}",
         "--chrome-flags=--headless=new --no-sandbox"],
        check=True, env={**os.environ, "CHROME_PATH": CHROMIUM}, stdout=subprocess.DEVNULL)
    return json.loads(report.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=Path("build"))
    parser.add_argument("pages", nargs="*", default=PAGES)
    args = parser.parse_args()
    if not (args.site / "index.html").is_file():
        print(f"no built site in {args.site}/: run `make build` first", file=sys.stderr)
        return 1
    handler = functools.partial(_Quiet, directory=str(args.site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}/"
    print("| page | " + " | ".join(CATEGORIES) + " | CLS |")
    print("|---|" + "---|" * (len(CATEGORIES) + 1))
    failed = False
    with tempfile.TemporaryDirectory() as folder:
        for page in args.pages:
            result = lighthouse(origin + page, Path(folder) / "report.json")
            scores = [round(result["categories"][c]["score"] * 100) for c in CATEGORIES]
            shift = result["audits"]["cumulative-layout-shift"]["numericValue"]
            failed = failed or min(scores) < 100 or shift > 0
            print(f"| /{page} | " + " | ".join(map(str, scores)) + f" | {shift:g} |")
    server.shutdown()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
