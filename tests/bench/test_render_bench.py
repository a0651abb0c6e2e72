"""Benchmark: render time of every hostile shape (tests/manuals/test_hostile_input.py)
beside real sections, with the guards.

Run with `make bench`. Prints CPU seconds (time.process_time) per shape and which
guards acted. With KB_BENCH_UNGUARDED=1 it also times the bare pipeline the guards
protect (python-Markdown + nh3, no guards) in a child process stopped after
KB_BENCH_UNGUARDED_SECONDS (default 20): the "before" column.
"""

import multiprocessing
import os
import time

import markdown
import pytest

from manuals.rendering import MARKDOWN_EXTENSIONS, _slugify, render_markdown, sanitize
from tests.manuals.test_hostile_input import CORPUS, LIMIT, _demo_bodies, fill

pytestmark = pytest.mark.django_db

UNGUARDED = os.environ.get("KB_BENCH_UNGUARDED") == "1"
UNGUARDED_SECONDS = float(os.environ.get("KB_BENCH_UNGUARDED_SECONDS", "20"))


def _cpu(function, *args) -> float:
    started = time.process_time()
    function(*args)
    return time.process_time() - started


def _bare(text: str) -> str:
    md = markdown.Markdown(
        extensions=MARKDOWN_EXTENSIONS,
        extension_configs={"toc": {"slugify": _slugify, "permalink": False}},
        output_format="html",
    )
    return sanitize(md.convert(text))


def _bare_child(text, queue):
    try:
        queue.put(f"{_cpu(_bare, text):.3f}")
    except RecursionError:
        queue.put("RecursionError")


def _unguarded(text: str) -> str:
    queue = multiprocessing.get_context("fork").Queue()
    child = multiprocessing.get_context("fork").Process(
        target=_bare_child, args=(text, queue)
    )
    child.start()
    child.join(UNGUARDED_SECONDS)
    if child.is_alive():
        child.kill()
        child.join()
        return f"> {UNGUARDED_SECONDS:.0f}"
    return queue.get() if not queue.empty() else "?"


def test_render_time_per_shape():
    bodies = _demo_bodies()
    shapes = {
        "a real section (demo, longest)": max(bodies, key=len),
        "the demo manual as one body": "\n\n".join(bodies),
        "real sections up to the limit": fill("\n\n".join(bodies) + "\n\n", LIMIT),
        **{name: text for name, (text, _guards) in CORPUS.items()},
    }
    header = f"{'shape':46} {'chars':>8} {'CPU s':>7}"
    if UNGUARDED:
        header += f" {'before':>14}"
    print("\n" + header + "  guards")
    worst = 0.0
    for name, text in shapes.items():
        rendered = None

        def run(text=text):
            nonlocal rendered
            rendered = render_markdown(text)

        spent = _cpu(run)
        worst = max(worst, spent)
        line = f"{name[:46]:46} {len(text):8} {spent:7.3f}"
        if UNGUARDED:
            line += f" {_unguarded(text):>14}"
        print(line + "  " + ",".join(rendered.limited))
    print(f"worst: {worst:.3f} s CPU")
