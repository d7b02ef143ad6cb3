"""Redraw latency of every widget, two ways; prints tables, asserts nothing about time.

1. Python: every widget constructor in ``lstmlib.course.widgets`` (discovered: each public function
   there that returns an ``Explorer``) is built and each control is swept over its range (sliders:
   both ends and points between; dropdowns and buttons: every option; toggles: both states). The
   ``Explorer.timings`` of every redraw give compute + update-artists time and PNG render time.
2. Browser: JupyterLab + Chromium run each notebook in notebooks/ and move every control
   (tests/browser/lab_harness.py, the harness of the browser tests); latency is first input event
   -> new picture loaded, on the page's clock, paired with the kernel's own compute + draw time
   for the same redraws.

Target (PERFORMANCE.md): every widget redraws in under 100 ms of compute + draw.

    python benchmarks/bench_widgets.py                  # both parts
    python benchmarks/bench_widgets.py --python-only    # no browser needed
    python benchmarks/bench_widgets.py --browser-only --notebooks 01_rnn_vanishing.ipynb
"""
from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import ipywidgets as W

REPO = Path(__file__).resolve().parents[1]
TARGET_MS = 100.0


# ----------------------------------------------------------------------------------------------
# Part 1: the widget callbacks in Python
# ----------------------------------------------------------------------------------------------

def explorers_in(obj) -> list:
    """The Explorers in a widget tree (a constructor may return an Explorer or a box of them)."""
    from lstmlib.course.widgets import Explorer
    if isinstance(obj, Explorer):
        return [obj]
    return [e for c in getattr(obj, "children", ()) for e in explorers_in(c)]


def literal_calls(name: str) -> list[dict]:
    """Keyword arguments of calls ``name(...)`` / ``x.name(...)`` in the notebooks whose arguments
    are all literals: how the chapters call a constructor that has required parameters."""
    found = []
    for nb in sorted((REPO / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text()).get("cells", [])
        for cell in cells:
            if cell.get("cell_type") != "code":
                continue
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            src = "\n".join(ln for ln in src.splitlines() if not ln.lstrip().startswith(("%", "!")))
            try:
                tree = ast.parse(src)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                f = node.func
                fname = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
                if fname != name or node.args:
                    continue
                try:
                    found.append({k.arg: ast.literal_eval(k.value) for k in node.keywords})
                except ValueError:
                    continue
    return found


def discover(module) -> list[tuple[str, object, dict | None, str]]:
    """(name, function, kwargs or None, note) for each public function defined in ``module`` or
    in its submodules (``lstmlib.course.widgets`` keeps one module per chapter)."""
    out = []
    prefix = module.__name__ + "."
    for name, fn in vars(module).items():
        if name.startswith("_") or not inspect.isfunction(fn):
            continue
        if fn.__module__ != module.__name__ and not fn.__module__.startswith(prefix):
            continue
        if name == "new_figure":
            continue
        sig = inspect.signature(fn)
        required = [p.name for p in sig.parameters.values()
                    if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if not required:
            out.append((name, fn, {}, ""))
            continue
        calls = [c for c in literal_calls(name) if set(required) <= set(c)]
        if calls:
            out.append((name, fn, calls[0], f"called as in the notebooks: {calls[0]}"))
        else:
            out.append((name, fn, None, f"needs {', '.join(required)} and no notebook calls it "
                                        "with literal arguments"))
    return out


def sweep_values(c, points: int) -> list:
    """Values to visit for one control: both ends, points between, every option."""
    if isinstance(c, (W.ToggleButton, W.Checkbox)):
        return [not c.value, c.value]
    if isinstance(c, (W.Dropdown, W.ToggleButtons, W.RadioButtons, W.SelectionSlider, W.Select)):
        return [("index", i) for i in range(len(c.options))]
    if isinstance(c, W.FloatLogSlider):
        return [c.base ** (c.min + (c.max - c.min) * k / (points - 1)) for k in range(points)]
    if isinstance(c, (W.IntRangeSlider, W.FloatRangeSlider)):
        lo, hi = c.min, c.max
        mid = type(lo)((lo + hi) / 2) if isinstance(lo, float) else (lo + hi) // 2
        return [(lo, hi), (lo, mid), (mid, hi), (lo, lo), (hi, hi)]
    if isinstance(c, (W.IntSlider, W.FloatSlider, W.BoundedIntText, W.BoundedFloatText)):
        vals = [c.min + (c.max - c.min) * k / (points - 1) for k in range(points)]
        return [int(round(v)) for v in vals] if isinstance(c.value, int) else vals
    return []


def set_value(c, v) -> None:
    if isinstance(v, tuple) and len(v) == 2 and v[0] == "index":
        c.index = v[1]
    else:
        c.value = v


def bench_python(module_name: str, points: int, repeat: int) -> list[dict]:
    module = importlib.import_module(module_name)
    rows = []
    for name, fn, kwargs, note in discover(module):
        if kwargs is None:
            rows.append({"widget": name, "skipped": note})
            continue
        t0 = time.perf_counter()
        try:
            built = fn(**kwargs)
        except Exception as e:  # report and go on: one broken widget must not hide the others
            rows.append({"widget": name, "skipped": f"construction raised {type(e).__name__}: {e}"})
            continue
        build_s = time.perf_counter() - t0
        exs = explorers_in(built)
        if not exs:
            continue  # a helper that is not a widget constructor
        for k, ex in enumerate(exs):
            label = name if len(exs) == 1 else f"{name}[{k}]"
            first = ex.timings[0] if ex.timings else (float("nan"), float("nan"))
            per_control = {}
            errors = []
            for cname, c in ex.controls.items():
                vals = sweep_values(c, points)
                if not vals:
                    continue
                start = getattr(c, "index", None) if isinstance(vals[0], tuple) and \
                    vals[0][0] == "index" else c.value
                n0 = len(ex.timings)
                for _ in range(repeat):
                    for v in vals:
                        try:
                            set_value(c, v)
                        except Exception as e:
                            errors.append(f"{cname}={v!r}: {type(e).__name__}: {e}")
                try:
                    set_value(c, ("index", start) if isinstance(vals[0], tuple)
                              and vals[0][0] == "index" else start)
                except Exception as e:
                    errors.append(f"{cname} restore: {type(e).__name__}: {e}")
                per_control[cname] = ex.timings[n0:]
            timings = [t for ts in per_control.values() for t in ts]
            rows.append({
                "widget": label, "note": note, "build_ms": 1e3 * build_s,
                "first_ms": 1e3 * sum(first), "redraws": len(timings),
                "total": [1e3 * (a + b) for a, b in timings],
                "compute": [1e3 * a for a, _ in timings], "render": [1e3 * b for _, b in timings],
                "per_control": {k: [1e3 * (a + b) for a, b in v] for k, v in per_control.items()},
                "errors": errors,
            })
    return rows


def _stats(xs: list[float]) -> tuple[float, float]:
    return (statistics.median(xs), max(xs)) if xs else (float("nan"), float("nan"))


def print_python(rows: list[dict]) -> None:
    print("\n## Python: compute + draw per redraw (ms), Explorer.timings\n")
    print("| widget | redraws | compute+draw median | max | compute median | render median "
          "| first draw | verdict |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "skipped" in r:
            print(f"| {r['widget']} | - | - | - | - | - | - | skipped: {r['skipped']} |")
            continue
        med, mx = _stats(r["total"])
        verdict = "ok" if mx < TARGET_MS else ("SLOW (median)" if med >= TARGET_MS
                                               else "slow at max")
        if r["errors"]:
            verdict += f"; {len(r['errors'])} error(s): {r['errors'][0]}"
        print(f"| {r['widget']} | {r['redraws']} | {med:.1f} | {mx:.1f} | "
              f"{_stats(r['compute'])[0]:.1f} | {_stats(r['render'])[0]:.1f} | "
              f"{r['first_ms']:.1f} | {verdict} |")
    slow = [r for r in rows if "total" in r and r["total"] and max(r["total"]) >= TARGET_MS]
    for r in slow:
        print(f"\n{r['widget']}: per control, compute+draw median / max (ms):")
        for k, v in r["per_control"].items():
            m, x = _stats(v)
            print(f"    {k:24s} {m:7.1f} / {x:7.1f}")


# ----------------------------------------------------------------------------------------------
# Part 2: the browser
# ----------------------------------------------------------------------------------------------

def bench_browser(notebooks: list[str], with_fixtures: bool) -> list[dict]:
    sys.path.insert(0, str(REPO / "tests" / "browser"))
    import lab_harness as h
    from playwright.sync_api import sync_playwright

    missing = [] if h.CHROMIUM.exists() else [str(h.CHROMIUM)]
    if missing:
        print(f"\n(browser part skipped: {missing[0]} is missing; apt-get install chromium)")
        return []
    names = notebooks or h.chapter_notebooks()
    if with_fixtures:
        names += ["explorer_fixture.ipynb"]
    if not names:
        print("\n(browser part: notebooks/ holds no notebook yet)")
        return []
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-widgets-") as tmp:
        root = Path(tmp) / "root"
        h.copy_notebooks([h.NOTEBOOKS, h.FIXTURES], root)
        with h.JupyterLabServer(root, Path(tmp) / "state") as server, sync_playwright() as pw:
            browser = h.launch_chromium(pw)
            try:
                for name in names:
                    run = h.drive_notebook(browser, server, name, artifacts=None)
                    rows += browser_rows(run)
            finally:
                browser.close()
    return rows


def browser_rows(run) -> list[dict]:
    titles = [k["title"] for k in run.kernel_timings]
    rows = []
    for ex in run.explorers:
        title = ex["title"] or f"explorer {ex['index']}"
        lat = [m.latency_ms for m in run.moves
               if m.explorer_index == ex["index"] and m.latency_ms is not None]
        # The kernel's explorer of the same title (unique), else the same position.
        k = (titles.index(ex["title"]) if ex["title"] and titles.count(ex["title"]) == 1
             else ex["index"] if ex["index"] < len(titles) else None)
        kt = run.kernel_timings[k]["timings"][1:] if k is not None else []  # [0]: construction
        shown, png = ex.get("shown_px") or [0, 0], ex.get("image_px") or [0, 0]
        rows.append({"notebook": run.name, "widget": title, "moves": len(lat), "browser": lat,
                     "kernel": [1e3 * (a + b) for a, b in kt],
                     "scale": shown[0] / png[0] if png[0] else float("nan"),
                     "failures": [f for f in run.failures() if f.startswith(title)]})
    if not run.explorers:
        rows.append({"notebook": run.name, "widget": "(no explorer)", "moves": 0, "browser": [],
                     "kernel": [], "scale": float("nan"), "failures": run.failures()})
    return rows


def print_browser(rows: list[dict]) -> None:
    if not rows:
        return
    print("\n## Browser: control moved -> picture redrawn (ms), with the kernel's compute + draw\n")
    print("| notebook | widget | moves | browser median | browser max | kernel compute+draw "
          "median | kernel max | shown/PNG width | failures |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        bm, bx = _stats(r["browser"])
        km, kx = _stats(r["kernel"])
        print(f"| {r['notebook']} | {r['widget']} | {r['moves']} | {bm:.0f} | {bx:.0f} | "
              f"{km:.1f} | {kx:.1f} | {r['scale']:.2f} | {len(r['failures'])} |")
    print("\n(browser: first input event -> new picture loaded, on the page's clock, 1400 px wide "
          "window; kernel: Explorer.timings of the same redraws; shown/PNG > 1 means the browser "
          "enlarges the picture)")
    for r in rows:
        for f in r["failures"]:
            print(f"  FAIL {r['notebook']}: {f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python-only", action="store_true")
    ap.add_argument("--browser-only", action="store_true")
    ap.add_argument("--notebooks", nargs="*", default=[], help="names in notebooks/ (default all)")
    ap.add_argument("--fixtures", action="store_true", help="also the browser-test fixture")
    ap.add_argument("--module", default="lstmlib.course.widgets", help="where the constructors live")
    ap.add_argument("--points", type=int, default=9, help="slider positions per sweep")
    ap.add_argument("--repeat", type=int, default=3, help="sweeps per control")
    ap.add_argument("--json", type=Path, help="also write the raw numbers here")
    a = ap.parse_args(argv)
    print(f"# Widget redraw latency (target: compute + draw < {TARGET_MS:.0f} ms)")
    py = [] if a.browser_only else bench_python(a.module, a.points, a.repeat)
    if not a.browser_only:
        print_python(py) if py else print("\n(no widget constructor found in " + a.module + ")")
    br = [] if a.python_only else bench_browser(a.notebooks, a.fixtures)
    print_browser(br)
    if a.json:
        a.json.write_text(json.dumps({"python": py, "browser": br}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
