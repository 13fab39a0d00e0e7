"""The village officer's phone on a weak line: the inbox and a case page loaded by Chromium at
phone size (390×844) with the network throttled through the DevTools protocol
(``Network.emulateNetworkConditions``: 400 kbit/s down and up, 400 ms latency).

    .venv/bin/python bench/bench_phone.py [--runs 5] [--claims 40] [--label after] [--json out.json]

It serves a fresh SQLite county (``tests.live_server``: uvicorn, the suite's fixed clock) from the
checkout it sits in, so the same file copied into an older checkout measures that one (how the
"before" figures in docs/benchmarks.md were taken). The county: ``--claims`` claims waiting in the
officer's village, the case opened carrying three photos (~300 KB each, as the phone sends them)
and a PDF. Each run is a new browser context: sign in unthrottled, empty the cache, throttle, then

- **inbox, case (cold)**: the first visit to each page (the case after the inbox, as an officer goes);
- **inbox, case (warm)**: the same pages again (what the cache saves);
- **upload** (where the page offers it): a 4000×3000 camera JPEG picked and sent; the seconds
  from pressing 上传 to the page back, and the size the server stored.

Per page: seconds to the first contentful paint and to the end of the load event, bytes
transferred (Resource Timing's ``transferSize``: headers and body as sent, compressed or not; 0
from the cache) and requests by the load event, and again once scrolled to the end with the
network idle (thumbnails load lazily, after the load event). Prints the medians as a Markdown
table. With ``--json FILE`` the runs are added to those FILE holds already, so two checkouts can
be measured turn about (``--runs 1`` each, several times) on a machine whose load changes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
]
KBIT = 400  # down and up
LATENCY_MS = 400
PHONE = {"width": 390, "height": 844}


def photo(width: int = 4000, height: int = 3000, quality: int = 92, seed: int = 1) -> bytes:
    """A camera-like JPEG: a smooth scene (colour noise at 1/100 scale, blown up) under fine
    texture (noise at 1/4 scale): a 4000×3000 one is some 2.6 MB at quality 92, as a phone's."""
    import random

    from PIL import Image

    rnd = random.Random(seed)

    def noise(w: int, h: int) -> Image.Image:
        im = Image.new("RGB", (max(1, w), max(1, h)))
        im.putdata(
            [
                (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
                for _ in range(im.width * im.height)
            ]
        )
        return im.resize((width, height), Image.Resampling.BICUBIC)

    picture = Image.blend(noise(width // 100, height // 100), noise(width // 4, height // 4), 0.15)
    out = BytesIO()
    picture.save(out, "JPEG", quality=quality)
    return out.getvalue()


def county_with_evidence(claims: int) -> Callable[[Any], None]:
    def prepare(db: Any) -> None:
        from store.claims import add_evidence
        from tests.builders import county, export_claim, person

        c = county(db)
        made = [export_claim(db, c, person(db, c.village, name=f"卓玛{i}")).id for i in range(claims)]
        files = Path(str(db.engine.url.database)).parent / "files"
        case = made[0]
        for i in range(3):
            add_evidence(
                db, files, c.agent, case, f"工资条{i + 1}.jpg", photo(1600, 1200, 80, i), "wage_slip"
            )
        add_evidence(db, files, c.agent, case, "劳动合同.pdf", b"%PDF-1.4\n" + b"0" * 40_000, "contract")
        prepare.case = case  # type: ignore[attr-defined]

    return prepare


PAGE_WEIGHT = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const res = performance.getEntriesByType("resource");
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  return {
    fcp: paint ? paint.startTime / 1000 : null,
    s: nav.loadEventEnd / 1000,
    kb: (nav.transferSize + res.reduce((sum, r) => sum + r.transferSize, 0)) / 1024,
    requests: 1 + res.length,
    from_cache: res.filter((r) => r.transferSize === 0).length,
  };
}"""


def measure(page: Any, url: str) -> dict[str, Any]:
    """One visit, as the page's own Paint, Navigation and Resource Timing saw it: seconds from
    the navigation's start to the first contentful paint and to the end of the load event, bytes
    transferred (headers and body as sent; 0 for what came from the cache) and requests by then;
    then the same totals once scrolled to the end and the network idle (lazy thumbnails)."""
    response = page.goto(url, wait_until="load")
    page.wait_for_function("performance.getEntriesByType('navigation')[0].loadEventEnd > 0")
    page.wait_for_function("performance.getEntriesByName('first-contentful-paint').length > 0")
    weight = page.evaluate(PAGE_WEIGHT)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_load_state("networkidle")
    settled = page.evaluate(PAGE_WEIGHT)
    weight["kb_all"], weight["requests_all"] = settled["kb"], settled["requests"]
    weight["encoding"] = response.headers.get("content-encoding", "none")
    return weight


def one_run(browser: Any, base: str, case: int, upload: bytes, live: Any) -> dict[str, dict[str, Any]]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/login?next=/inbox")
    page.fill("input[name=username]", "village1")
    page.fill("input[name=password]", "password-123")
    page.click("button.primary")
    page.wait_for_url("**/inbox")
    page.goto("about:blank")
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.clearBrowserCache")  # what signing in fetched (the style sheet) is fetched again
    rate = KBIT * 1000 / 8  # bytes per second
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": LATENCY_MS, "downloadThroughput": rate, "uploadThroughput": rate},
    )
    out = {
        "inbox cold": measure(page, f"{base}/inbox"),
        "case cold": measure(page, f"{base}/claims/{case}"),
        "inbox warm": measure(page, f"{base}/inbox"),
        "case warm": measure(page, f"{base}/claims/{case}"),
    }
    if page.locator("form.upload").count():
        out["upload"] = send_photo(page, upload, live)
    context.close()
    return out


def send_photo(page: Any, content: bytes, live: Any) -> dict[str, Any]:
    from sqlalchemy import text

    with tempfile.NamedTemporaryFile(suffix=".jpg", delete=False) as f:
        f.write(content)
    picker = page.locator("form.upload input[type=file]").last
    page.select_option("form.upload select[name=kind]", "wage_slip")
    picker.set_input_files(f.name)
    page.wait_for_function("document.querySelector('form.upload .preview').textContent.includes('KB')")
    start = time.perf_counter()
    with page.expect_navigation(wait_until="load"):
        page.click("form.upload button.primary")
    took = time.perf_counter() - start
    os.unlink(f.name)
    with live.db.engine.connect() as conn:
        stored = conn.execute(text("SELECT size FROM evidence ORDER BY id DESC LIMIT 1")).scalar_one()
    return {"s": took, "kb": stored / 1024, "original_kb": len(content) / 1024, "encoding": "-"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--claims", type=int, default=40)
    parser.add_argument("--label", default=ROOT.name)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from tests.live_server import live_server

    prepare = county_with_evidence(args.claims)
    upload = photo(4000, 3000, 92, 99)
    earlier = json.loads(args.json.read_text()) if args.json and args.json.exists() else {}
    runs = earlier.get("runs", [])  # --json: runs of earlier invocations (interleaved with another checkout)
    with live_server(prepare=prepare) as live, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        for _ in range(args.runs):
            runs.append(one_run(browser, live.url, prepare.case, upload, live))  # type: ignore[attr-defined]
        browser.close()
    if args.json:  # kept before anything else can fail
        args.json.write_text(json.dumps({"label": args.label, "runs": runs}, indent=1))
    pages = list(runs[0])
    medians = {
        name: {
            m: statistics.median(r[name][m] for r in runs if r[name][m] is not None)
            for m in runs[0][name]
            if m != "encoding"
        }
        for name in pages
    }
    size = f"{PHONE['width']}×{PHONE['height']}"
    print(f"\n{args.label}: {len(runs)} runs, {KBIT} kbit/s down and up, {LATENCY_MS} ms, {size}")
    print(f"{platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()}")
    print(
        "\n| page | first paint s | load s | KB by load (requests, from cache) "
        "| KB with lazy pictures (requests) | HTML encoding |"
    )
    print("|---|---|---|---|---|---|")
    for name, m in medians.items():
        if "original_kb" in m:
            sent = f"a {m['original_kb']:.0f} KB photo sent as {m['kb']:.0f} KB"
            print(f"| {name} | | {m['s']:.2f} | {sent} | | |")
            continue
        enc = runs[0][name]["encoding"]
        by_load = f"{m['kb']:.1f} ({m['requests']:.0f}, {m['from_cache']:.0f})"
        settled = f"{m['kb_all']:.1f} ({m['requests_all']:.0f})"
        print(f"| {name} | {m['fcp']:.2f} | {m['s']:.2f} | {by_load} | {settled} | {enc} |")
    print("\nevery run (s):", {name: [round(r[name]["s"], 2) for r in runs] for name in pages})


if __name__ == "__main__":
    main()
