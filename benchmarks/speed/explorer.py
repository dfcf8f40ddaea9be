r"""Latency of the latent-space explorer: from a slider move to a new image.

What it measures
----------------
1. **Python, in an event loop** (as in a Jupyter/Voila kernel): ``slider.value = v``
   every ~16 ms (a 60 Hz drag). "to image": from the assignment until the
   ``Image`` widget's value has been replaced (its update message leaves for
   the browser at that moment); "handler": until the slider's callback
   returned, i.e. when the kernel can take the next move. The classifier and
   the nearest-neighbour search are throttled (at most every 0.15 s), so most
   moves pay only for one generator pass and a PNG; the moves that also run
   the analysis show up in the handler's p95 and max.
2. **Python, no event loop** (as in the unit tests): every move also runs the
   classifier and the nearest-neighbour search, after the image (the worst case
   for "handler").
3. **Breakdown** of one update: generator forward pass (1 x d -> 784), PNG
   encoding (224 x 224), classifier, nearest training image (one 784 x 50,000
   matrix-vector product).
4. ``--browser`` (optional): Voila serves notebook 06, headless Chromium
   presses ArrowRight on a slider; the page itself timestamps the key press and
   the moment the digit's ``src`` changes (round trip browser -> kernel ->
   browser, without Playwright's overhead; decoding and painting the PNG come
   on top, about one frame). Needs Playwright and /usr/bin/chromium.

Figures are printed, never judged: the machine may be busy.

Usage
-----
::

    python -m benchmarks.speed.explorer                 # Python-level figures (~30 s)
    python -m benchmarks.speed.explorer --browser       # plus the browser round trip (~2 min)
    python -m benchmarks.speed.explorer --checkpoint runs/x/generator.npz --moves 200
    python -m benchmarks.speed.explorer --quick         # smoke test: 10 moves, no browser

Default checkpoint: $GANLIB_EXPLORER_CHECKPOINT, else the shipped generator
(data/artifacts/generator.npz).
If data/classifier.npz is missing, an untrained classifier of the same
architecture stands in, so the timing is the same.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks import harness
from benchmarks.harness import REPO
from ganlib.data.paths import default_generator_path
from ganlib.evaluation.classifier import Classifier
from ganlib.evaluation.metrics import NearestNeighbours
from ganlib.explorer.widget import LatentExplorer, render_png
from ganlib.io.generator import load_generator


def stats(seconds) -> str:
    return harness.milliseconds(seconds)


def pick_checkpoint(arg) -> Path:
    if arg:
        return Path(arg)
    if os.environ.get("GANLIB_EXPLORER_CHECKPOINT"):
        return Path(os.environ["GANLIB_EXPLORER_CHECKPOINT"])
    return default_generator_path()


def pick_classifier():
    return Classifier.load(), "the shipped classifier"


class ImageClock:
    """Records when the explorer's Image widget receives a new value."""

    def __init__(self, explorer):
        self.stamp = None
        explorer.image.observe(self._seen, names="value")

    def _seen(self, change):
        self.stamp = time.perf_counter()


def slider_values(n: int):
    """A back-and-forth drag over [-3, 3] in steps of 0.05 (the slider's step)."""
    ramp = np.round(np.arange(-3.0, 3.0001, 0.05), 2)
    path = np.concatenate([ramp, ramp[::-1]])
    return [float(path[(i + 60) % len(path)]) for i in range(n)]


def time_moves(explorer, values, pause: float | None = None):
    """Per move: (seconds until the Image value changed, seconds until the handler returned).

    ``pause``: seconds to wait between moves inside a running event loop (None: no loop)."""
    clock = ImageClock(explorer)
    to_image, total = [], []

    def move(v):
        clock.stamp = None
        t0 = time.perf_counter()
        explorer.sliders[0].value = v
        t1 = time.perf_counter()
        if clock.stamp is not None:  # an unchanged image (same PNG) sends no update
            to_image.append(clock.stamp - t0)
            total.append(t1 - t0)

    async def dragged():
        for v in values:
            move(v)
            await asyncio.sleep(pause)  # the next mouse event of the drag
        await asyncio.sleep(0.3)

    if pause is None:
        for v in values:
            move(v)
    else:
        asyncio.run(dragged())
    return to_image, total


def python_figures(checkpoint: Path, moves: int) -> None:
    clf, clf_name = pick_classifier()
    print(f"checkpoint: {checkpoint}\nclassifier: {clf_name}")
    t0 = time.perf_counter()
    explorer = LatentExplorer(checkpoint, classifier=clf)
    print(f"explorer start-up (first one loads MNIST): {time.perf_counter() - t0:.2f} s")
    t0 = time.perf_counter()
    LatentExplorer(checkpoint, classifier=clf)
    print(f"explorer start-up (MNIST cached; mostly the latent directions): {time.perf_counter() - t0:.2f} s")
    values = slider_values(moves)

    print("\nslider -> image, Python (to image: Image value replaced; handler: the slider's callback returned)")
    to_image, total = time_moves(explorer, values, pause=0.016)
    print(f"  in an event loop, 60 Hz drag, analysis throttled   to image: {stats(to_image)}")
    print(f"                                                     handler:  {stats(total)}")
    to_image, total = time_moves(explorer, values)
    print(f"  no event loop: analysis on every move              to image: {stats(to_image)}")
    print(f"                                                     handler:  {stats(total)}")

    G, z = explorer.G, explorer.current_z()[None]
    x = G.forward(z)[0]
    nearest = (
        explorer.nearest if explorer.nearest is not None else NearestNeighbours(np.zeros((50_000, 784), dtype=np.uint8))
    )
    parts = {
        "generator forward (1 row)": lambda: G.forward(z),
        "PNG 224 x 224": lambda: render_png(x),
        "classifier (1 row)": lambda: clf.predict_proba(x[None]),
        f"nearest of {len(nearest):,} training images": lambda: nearest.query(x),
    }
    print("\nbreakdown of one update")
    for name, fn in parts.items():
        fn()
        ts = []
        for _ in range(max(20, moves // 2)):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
        print(f"  {name:<38} {stats(ts)}")


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Timestamps taken inside the page: a key press (capture phase) and the digit's src attribute
# changing (MutationObserver), so Playwright's own overhead is not counted.
PAGE_CLOCK = """() => {
    window.__lat = []; window.__t0 = null;
    const img = document.querySelector('.ganlib-explorer img.ge-digit');
    document.addEventListener('keydown', () => { window.__t0 = performance.now(); }, true);
    new MutationObserver(() => {
        if (window.__t0 !== null) { window.__lat.push(performance.now() - window.__t0); window.__t0 = null; }
    }).observe(img, {attributes: true, attributeFilter: ['src']});
}"""


@contextlib.contextmanager
def voila(checkpoint: Path):
    """Voila serving notebook 06 on a free local port, for the block; yields the port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "GANLIB_EXPLORER_CHECKPOINT": str(checkpoint.resolve())}
    notebook = "notebooks/06-exploring-the-latent-space.ipynb"
    command = [sys.executable, "-m", "voila", "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1", notebook]
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def time_key_presses(page, handle, moves: int) -> None:
    """Slider moves by the keyboard, single and back to back; prints the page-measured latencies."""
    page.evaluate(PAGE_CLOCK)
    handle.focus()
    print("slider -> image, browser (key press to new src, measured in the page)")
    for pause_ms, label in ((300, "single moves (300 ms apart)"), (0, "back to back (next key at once)")):
        page.evaluate("() => { window.__lat = []; }")
        for i in range(moves):
            page.keyboard.press("ArrowRight" if (i // 30) % 2 == 0 else "ArrowLeft")
            page.wait_for_function("(n) => window.__lat.length > n", arg=i, timeout=10_000)
            page.wait_for_timeout(pause_ms)
        times = [ms / 1e3 for ms in page.evaluate("() => window.__lat")]
        print(f"  {label:<33} {stats(times)}")


def browser_figures(checkpoint: Path, moves: int) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("\nbrowser: skipped (pip install playwright)")
        return
    if not os.path.exists(CHROMIUM):
        print(f"\nbrowser: skipped (no {CHROMIUM})")
        return
    with voila(checkpoint) as port, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        t0 = time.perf_counter()
        page.goto(f"http://127.0.0.1:{port}/", timeout=180_000)
        handle = page.locator(".ganlib-explorer .widget-slider .noUi-handle").first
        handle.wait_for(state="visible", timeout=180_000)
        page.wait_for_function(
            "() => document.querySelector('.ganlib-explorer img.ge-digit').naturalWidth > 0", timeout=60_000
        )
        print(f"\nbrowser: page ready after {time.perf_counter() - t0:.1f} s (kernel start + notebook run)")
        time_key_presses(page, handle, moves)
        browser.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", help="generator checkpoint (default: see module docstring)")
    parser.add_argument("--moves", type=int, default=None, help="slider moves to time (default 100; 10 with --quick)")
    parser.add_argument("--browser", action="store_true", help="also time the browser round trip via Voila")
    harness.add_quick_argument(parser, "10 slider moves, no browser unless --browser")
    args = parser.parse_args(argv)
    moves = args.moves or (10 if args.quick else 100)
    checkpoint = pick_checkpoint(args.checkpoint)
    load_generator(checkpoint)  # fail early, with the checkpoint's own message
    print(harness.machine_line())
    python_figures(checkpoint, moves)
    if args.browser:
        browser_figures(checkpoint, min(moves, 60))  # per series
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
