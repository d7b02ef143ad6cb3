"""Drive JupyterLab in a real Chromium: serve notebooks, run them, move every control of every
``lstmlib.course.widgets.Explorer`` and check that its picture redraws and that no error shows.

Used by ``tests/browser`` (pytest) and by ``benchmarks/bench_widgets.py`` (latency), so it has no
pytest dependency. The contract it relies on (see ``lstmlib/course/widgets/explorer.py``): every explorer is a
VBox with the CSS class ``lstmlib-explorer`` whose picture is an ``<img>`` with the class
``lstmlib-explorer-image``; each redraw sends a new PNG, and ipywidgets then gives that ``<img>``
a new blob ``src``. So "the picture redrew" means: that ``src`` changed and the new image loaded.

Recipes behind the choices here (JupyterLab flags, Chromium flags, waiting for the kernel, one key
press at a time): TESTING.md of the project notes.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

# Debian's Chromium (never `playwright install`); the variable exists to test the skip/fail path.
CHROMIUM = Path(os.environ.get("LSTMLIB_CHROMIUM", "/usr/bin/chromium"))
REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTIFACTS = REPO / "artifacts" / "browser"


def chapter_notebooks() -> list[str]:
    """Every notebook under notebooks/ (the Chinese ones in zh/ included), by path relative to
    it: chapters are covered as they land."""
    return sorted(p.relative_to(NOTEBOOKS).as_posix() for p in NOTEBOOKS.glob("**/*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts)

# Without the networking flags Chromium keeps trying to reach hosts this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--disable-features=Translate,MediaRouter,OptimizationHints",
]

# Generous: the first kernel start and import on a fresh machine once took two minutes.
SERVER_START_TIMEOUT_S = 120
KERNEL_READY_TIMEOUT_S = 180
RUN_ALL_TIMEOUT_S = 300
REDRAW_TIMEOUT_S = 30
# After an action that changed nothing, how long to watch for an unexpected redraw.
SETTLE_S = 0.3
# After the kernel finished handling a change, how long a picture may still take to arrive.
IDLE_GRACE_MS = 2000


# ----------------------------------------------------------------------------------------------
# The JupyterLab server
# ----------------------------------------------------------------------------------------------

def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to SIGTERM it when the process that started it dies
    (a test run killed with SIGKILL cannot run its teardown; the server must not outlive it)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterLabServer:
    """A JupyterLab server on 127.0.0.1 with a random token, serving ``root`` (a temporary copy:
    autosave would otherwise write into the repository). Started in its own process group and
    stopped with that group; kernels (jupyter_client starts each in a session of its own) are
    shut down through the REST API first and, if any survives, killed by pid.

    Use as a context manager, or call ``start()`` and ``stop()`` (``stop`` is idempotent).
    """

    def __init__(self, root: Path, state_dir: Path):
        self.root = Path(root)
        self.state = Path(state_dir)
        self.port = _free_port()
        self.token = secrets.token_hex(24)
        self.proc: subprocess.Popen | None = None
        self.log_path = self.state / "jupyterlab.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _settings(self) -> Path:
        settings = self.state / "settings"
        # No "Get Jupyter news?" pop-up and no update check: both would reach the network, and the
        # pop-up covers part of the page.
        notif = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        notif.parent.mkdir(parents=True, exist_ok=True)
        notif.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
        return settings

    def start(self) -> "JupyterLabServer":
        for d in ("config", "runtime", "ipython", "workspaces"):
            (self.state / d).mkdir(parents=True, exist_ok=True)
        env = os.environ.copy()
        # Inline figures silently vanish from outputs when kernels inherit MPLBACKEND=Agg.
        env.pop("MPLBACKEND", None)
        env.update(JUPYTER_CONFIG_DIR=str(self.state / "config"),
                   JUPYTER_RUNTIME_DIR=str(self.state / "runtime"),
                   IPYTHONDIR=str(self.state / "ipython"),
                   JUPYTER_PLATFORM_DIRS="1", PYTHONUNBUFFERED="1")
        cmd = [
            sys.executable, "-m", "jupyterlab", "--no-browser",
            f"--port={self.port}", "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
            "--ServerApp.allow_root=True",  # containers run as root; lab refuses otherwise
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, to run cells and wait
            f"--LabApp.user_settings_dir={self._settings()}",
            f"--LabApp.workspaces_dir={self.state / 'workspaces'}",
            "--LabApp.extension_manager=readonly",  # no queries to PyPI
        ]
        log = open(self.log_path, "wb")
        try:
            self.proc = subprocess.Popen(cmd, cwd=self.root, env=env, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True, preexec_fn=_die_with_parent)
        finally:
            log.close()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.proc.returncode}:\n"
                                   f"{self.log_tail()}")
            try:
                self.api("GET", "/api/status", timeout=2)
                return
            except (OSError, urllib.error.URLError):
                time.sleep(0.25)
        raise TimeoutError(f"JupyterLab did not answer within {SERVER_START_TIMEOUT_S} s:\n"
                           f"{self.log_tail()}")

    def api(self, method: str, path: str, timeout: float = 10):
        req = urllib.request.Request(self.base_url + path, method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body = r.read()
        return json.loads(body) if body else None

    def lab_url(self, notebook: str, workspace: str) -> str:
        # A workspace of its own per notebook, so no notebook opened earlier is restored.
        return f"{self.base_url}/lab/workspaces/{workspace}/tree/{notebook}?token={self.token}"

    def shutdown_kernels(self) -> None:
        try:
            for k in self.api("GET", "/api/kernels") or []:
                try:
                    self.api("DELETE", f"/api/kernels/{k['id']}", timeout=30)
                except (OSError, urllib.error.URLError):
                    pass
        except (OSError, urllib.error.URLError, ValueError):
            pass

    def _kernel_pids(self) -> list[int]:
        """Kernels this server started: their command line names a connection file in our
        runtime directory."""
        runtime = str(self.state / "runtime")
        pids = []
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                cmdline = (d / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if runtime in cmdline and "kernel" in cmdline:
                pids.append(int(d.name))
        return pids

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.shutdown_kernels()
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
        for pid in self._kernel_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc = None

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def __enter__(self) -> "JupyterLabServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def copy_notebooks(src_dirs: list[Path], dest: Path) -> None:
    """Copy each directory's contents (notebooks and whatever they read beside them) into
    ``dest``; checkpoints are left behind."""
    dest.mkdir(parents=True, exist_ok=True)
    for src in src_dirs:
        shutil.copytree(src, dest, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                      args=CHROMIUM_ARGS)


# ----------------------------------------------------------------------------------------------
# In-page JavaScript
# ----------------------------------------------------------------------------------------------

# Text of an element that does not depend on layout: JupyterLab 4 skips rendering cells outside
# the viewport (content-visibility), and innerText of a cell that is not rendered is empty. Each
# output (and each block inside it) is joined with a newline so that lines stay lines.
JS_TEXT_OF = """(el) => {
  if (!el) return '';
  const parts = [];
  const walk = (n) => {
    if (n.nodeType === Node.TEXT_NODE) { parts.push(n.textContent); return; }
    if (n.nodeType !== Node.ELEMENT_NODE || n.tagName === 'STYLE' || n.tagName === 'SCRIPT') return;
    const block = /^(DIV|P|PRE|LI|TR|H[1-6]|TABLE|UL|OL|BR|LABEL|BUTTON|OPTION)$/.test(n.tagName);
    if (block) parts.push('\\n');
    n.childNodes.forEach(walk);
    if (block) parts.push('\\n');
  };
  walk(el);
  return parts.join('').replace(/\\n\\s*\\n+/g, '\\n').trim();
}"""


# Remembers the notebook panel as window.__lstmNb: the log console, once opened, may become the
# shell's current widget.
JS_NOTEBOOK_OPEN = """(name) => {
  const app = window.jupyterapp;
  const w = app && app.shell && app.shell.currentWidget;
  const ok = !!(w && w.context && w.context.path === name && w.sessionContext && w.content);
  if (ok) window.__lstmNb = w;
  return ok;
}"""

JS_LOG_TEXT = """() => { const textOf = """ + JS_TEXT_OF + """;
  return Array.from(document.querySelectorAll('.jp-LogConsolePanel .jp-OutputArea'))
  .map(textOf).join('\\n').trim(); }"""

# '' while still starting, else the kernel's status; 'no-kernel' when the session has none (a
# kernel-selection dialog is then showing).
JS_KERNEL_STATUS = """() => {
  const w = window.__lstmNb;
  const sc = w.sessionContext;
  const dialog = document.querySelector('.jp-Dialog');
  if (dialog) return 'dialog: ' + dialog.textContent.slice(0, 300);
  if (!sc.session) return '';
  const k = sc.session.kernel;
  return k ? k.status : '';
}"""

# Done when the kernel is idle and every code cell has run, or a cell raised (run-all stops).
JS_RUN_STATE = """() => {
  const w = window.__lstmNb;
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  let code = 0, ran = 0, errors = 0;
  for (const cell of w.content.widgets) {
    if (cell.model.type !== 'code') continue;
    code += 1;
    if (cell.model.executionCount !== null) ran += 1;
    for (const o of cell.model.outputs.toJSON()) if (o.output_type === 'error') errors += 1;
  }
  return {status: k ? k.status : 'none', code, ran, errors};
}"""

# Every control inside every explorer, tagged with a data attribute so Python can address it.
JS_DISCOVER = """() => {
  const out = [];
  const text = """ + JS_TEXT_OF + """;
  document.querySelectorAll('.lstmlib-explorer').forEach((ex, i) => {
    ex.setAttribute('data-lstm-explorer', String(i));
    const img = ex.querySelector('img.lstmlib-explorer-image');
    const head = ex.querySelector(':scope > .widget-html');
    const controls = [];
    let n = 0;
    const tag = (el, info) => {
      const id = i + '-' + (n++);
      el.setAttribute('data-lstm-ctl', id);
      controls.push(Object.assign({id}, info));
    };
    const label = (el) => text(el.querySelector(':scope > .widget-label'));
    ex.querySelectorAll('.widget-slider').forEach((el) => {
      const handles = el.querySelectorAll('.noUi-handle');
      const h0 = handles[0];
      tag(el, {kind: 'slider', label: label(el), handles: handles.length,
               min: h0 ? h0.getAttribute('aria-valuemin') : null,
               max: h0 ? h0.getAttribute('aria-valuemax') : null,
               disabled: el.querySelector('[disabled]') !== null || el.hasAttribute('disabled')});
    });
    ex.querySelectorAll('.widget-dropdown').forEach((el) => {
      const sel = el.querySelector('select');
      tag(el, {kind: 'dropdown', label: label(el),
               options: Array.from(sel.options).map((o) => o.value), disabled: sel.disabled});
    });
    ex.querySelectorAll('button.widget-toggle-button').forEach((el) => {
      if (el.closest('.widget-toggle-buttons')) return;
      tag(el, {kind: 'toggle', label: text(el), disabled: el.disabled});
    });
    ex.querySelectorAll('.widget-toggle-buttons').forEach((el) => {
      const bs = el.querySelectorAll('button');
      tag(el, {kind: 'togglebuttons', label: label(el), options: Array.from(bs).map(text),
               disabled: Array.from(bs).every((b) => b.disabled)});
    });
    ex.querySelectorAll('.widget-checkbox').forEach((el) => {
      const inp = el.querySelector('input[type=checkbox]');
      tag(el, {kind: 'checkbox', label: text(el), disabled: inp.disabled});
    });
    ex.querySelectorAll('.widget-radio').forEach((el) => {
      const ins = el.querySelectorAll('input[type=radio]');
      tag(el, {kind: 'radio', label: label(el),
               options: Array.from(el.querySelectorAll('.widget-radio-box label')).map(text),
               disabled: Array.from(ins).every((b) => b.disabled)});
    });
    out.push({index: i, title: text(head), has_image: !!img,
              image_loaded: !!(img && img.src && img.complete && img.naturalWidth > 0),
              // PNG pixels vs pixels on screen: a ratio far from 1 is a blurry, resized picture
              image_px: img ? [img.naturalWidth, img.naturalHeight] : null,
              shown_px: img ? [img.clientWidth, img.clientHeight] : null,
              controls});
  });
  return out;
}"""

# A control's current value as the page shows it.
JS_VALUE = """(id) => {
  const el = document.querySelector(`[data-lstm-ctl="${id}"]`);
  if (el.classList.contains('widget-slider'))
    return Array.from(el.querySelectorAll('.noUi-handle')).map((h) => h.getAttribute('aria-valuenow')).join(',')
      + ' | ' + Array.from(el.querySelectorAll('.widget-readout')).map((r) => r.textContent.trim()).join(',');
  if (el.classList.contains('widget-dropdown')) return el.querySelector('select').value;
  if (el.classList.contains('widget-toggle-buttons'))
    return Array.from(el.querySelectorAll('button')).map((b) => b.classList.contains('mod-active') ? 1 : 0).join('');
  if (el.classList.contains('widget-toggle-button')) return el.classList.contains('mod-active') ? 'on' : 'off';
  if (el.classList.contains('widget-checkbox')) return el.querySelector('input').checked ? 'on' : 'off';
  if (el.classList.contains('widget-radio'))
    return Array.from(el.querySelectorAll('input')).map((b) => b.checked ? 1 : 0).join('');
  return null;
}"""

# Arm a probe on one explorer: the time of the first input event, of the img src change and of
# the new image's load, all on the page's own clock (so the CDP round trip is not counted).
JS_ARM = """(i) => {
  const ex = document.querySelector(`[data-lstm-explorer="${i}"]`);
  const img = ex.querySelector('img.lstmlib-explorer-image');
  const p = window.__lstmProbe || (window.__lstmProbe = {});
  if (p.cleanup) p.cleanup();
  Object.assign(p, {src0: img.src, tInput: null, tSrc: null, tLoad: null, srcChanges: 0});
  const onInput = () => { if (p.tInput === null) p.tInput = performance.now(); };
  const kinds = ['keydown', 'pointerdown', 'mousedown', 'input', 'change', 'click'];
  kinds.forEach((k) => ex.addEventListener(k, onInput, true));
  const mo = new MutationObserver(() => {
    if (img.src !== p.src0) { p.srcChanges += 1; if (p.tSrc === null) p.tSrc = performance.now(); }
  });
  mo.observe(img, {attributes: true, attributeFilter: ['src']});
  const onLoad = () => { if (p.tSrc !== null && p.tLoad === null) p.tLoad = performance.now(); };
  img.addEventListener('load', onLoad);
  // The kernel going busy and back to idle after the input means the callback has finished: a
  // picture that has not arrived shortly after that is not coming (no need to wait the full
  // timeout for a control that does not redraw).
  const kernel = window.__lstmNb.sessionContext.session.kernel;
  p.busy = false; p.tIdle = null;
  const onStatus = (_, s) => {
    if (p.tInput === null) return;
    if (s === 'busy') { p.busy = true; p.tIdle = null; }
    if (s === 'idle' && p.busy) p.tIdle = performance.now();
  };
  kernel.statusChanged.connect(onStatus);
  p.cleanup = () => { mo.disconnect(); img.removeEventListener('load', onLoad);
                      kernel.statusChanged.disconnect(onStatus);
                      kinds.forEach((k) => ex.removeEventListener(k, onInput, true)); };
  return img.src;
}"""

# Done when the kernel has finished with the change (busy, then idle) and the picture has
# arrived, or the kernel finished graceMs ago and no picture came.
JS_PROBE_DONE = """(graceMs) => { const p = window.__lstmProbe;
  return p.tIdle !== null && (p.tLoad !== null || performance.now() - p.tIdle > graceMs); }"""
JS_PROBE = """() => { const p = window.__lstmProbe;
  return {tInput: p.tInput, tSrc: p.tSrc, tLoad: p.tLoad, srcChanges: p.srcChanges}; }"""

# Run code in the notebook's kernel without touching the notebook; returns its stdout.
JS_KERNEL_EXEC = """async (code) => {
  const w = window.__lstmNb;
  const k = w.sessionContext.session.kernel;
  const f = k.requestExecute({code, silent: false, store_history: false}, true);
  let out = '', err = '';
  f.onIOPub = (msg) => {
    const t = msg.header.msg_type;
    if (t === 'stream') out += msg.content.text;
    if (t === 'error') err += msg.content.ename + ': ' + msg.content.evalue;
  };
  await f.done;
  return {out, err};
}"""

# Error, traceback or warning text that a reader could see. Prose (markdown) is not scanned:
# a chapter about BPTT says "error term" on every page. Outputs, dialogs, notifications and the
# log console (where ipywidgets sends what a widget callback prints or raises) are.
# An exception or warning as Python reports it is its class name, a colon and a message
# ("ValueError: X must be 3-D", "file.py:3: RuntimeWarning: overflow ..."). The class name alone is
# not enough: chapters show library source with inspect.getsource, full of
# `raise ValueError(...)` and `except ValueError:`, and that is the lesson, not an error.
PROBLEM_PATTERNS = [
    re.compile(r"Traceback \(most recent call last\)"),
    re.compile(r"(?<!except )\b[A-Z][A-Za-z]*(?:Error|Exception|Warning):\s+\S"),
    re.compile(r"^\s*warning:\s", re.I | re.M),
    re.compile(r"Error displaying widget|model not found|Failed to (?:load|render|display)", re.I),
    re.compile(r"Kernel (?:died|restarting|error)", re.I),
]

JS_VISIBLE_TEXTS = """() => {
  const textOf = """ + JS_TEXT_OF + """;
  const out = [];
  const w = window.__lstmNb;
  if (w && w.content && w.content.widgets) {
    w.content.widgets.forEach((cell, ci) => {
      if (cell.model.type !== 'code') return;
      for (const o of cell.model.outputs.toJSON()) {
        if (o.output_type === 'error')
          out.push({where: `cell ${ci} error output`, always: true,
                    text: o.ename + ': ' + o.evalue + '\\n' + (o.traceback || []).join('\\n')});
        else if (o.output_type === 'stream' && o.name === 'stderr')
          out.push({where: `cell ${ci} stderr`, always: true,
                    text: Array.isArray(o.text) ? o.text.join('') : o.text});
      }
      const area = cell.node.querySelector('.jp-OutputArea');
      const t = textOf(area);
      if (t) out.push({where: `cell ${ci} output`, text: t});
    });
  }
  const sels = ['.jp-Dialog', '.Toastify__toast', '.jp-LogConsolePanel .jp-OutputArea',
                '.jp-Notebook-ExecutionIndicator-tooltip'];
  for (const s of sels) document.querySelectorAll(s).forEach((el) => {
    const t = textOf(el);
    if (t) out.push({where: s, text: t, always: s.includes('LogConsole')});
  });
  return out;
}"""


# An exercise's self-check verdict (lstmlib.course.exercises.Verdict: "Right: ..." / "Not yet: ...") may
# name an exception on purpose ("your function still raises NotImplementedError"): that is the
# course talking to the reader, not an error. A traceback is never exempt.
VERDICT = re.compile(r"^\s*(?:Right|Not yet):\s")


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _offending(line: str) -> bool:
    if VERDICT.match(line):
        return bool(PROBLEM_PATTERNS[0].search(line))
    return any(p.search(line) for p in PROBLEM_PATTERNS)


def find_problems(texts: list[dict]) -> list[str]:
    """The entries of ``JS_VISIBLE_TEXTS`` that show an error, a traceback or a warning, each as
    ``"where: the distinct offending lines"``."""
    found, seen = [], set()
    for t in texts:
        text = ANSI.sub("", t["text"] or "")  # tracebacks come coloured
        lines = [" ".join(ln.split()) for ln in text.splitlines() if _offending(ln)]
        if not lines and not t.get("always"):
            continue
        # One report per cell: its stderr text is also in its rendered output area.
        cell = re.sub(r" (output|stderr|error output)$", "", t["where"])
        if cell.startswith("cell "):
            if cell in seen:
                continue
            seen.add(cell)
        distinct = list(dict.fromkeys(lines))
        summary = " | ".join(distinct[:8]) if distinct else " ".join(text.split())[:300]
        found.append(f"{t['where']}: {summary}")
    return found


# ----------------------------------------------------------------------------------------------
# Driving one notebook
# ----------------------------------------------------------------------------------------------

@dataclass
class Move:
    """One action on one control, and what the page did."""
    explorer: str
    control: str
    action: str
    before: str
    after: str
    redrew: bool
    latency_ms: float | None  # first input event -> new picture loaded, page clock
    src_ms: float | None      # first input event -> img src changed
    error: str = ""
    log: list[str] = field(default_factory=list)  # what the log console received meanwhile
    expect: str | None = None  # for a move to an end: the value it must reach
    cid: str = ""  # the control's id in the page

    @property
    def explorer_index(self) -> int:
        return int(self.cid.split("-")[0])

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass
class NotebookRun:
    name: str
    explorers: list[dict] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    kernel_explorers: int | None = None
    kernel_timings: list[dict] = field(default_factory=list)
    run_all_s: float = 0.0
    screenshots: list[Path] = field(default_factory=list)

    def failures(self) -> list[str]:
        out = list(self.problems)
        out += [f"browser console: {c}" for c in self.console_errors]
        if self.kernel_explorers is not None and self.kernel_explorers != len(self.explorers):
            out.append(f"the kernel displayed {self.kernel_explorers} Explorer(s) but the page "
                       f"shows {len(self.explorers)}")
        for ex in self.explorers:
            if not ex["has_image"]:
                out.append(f"explorer {ex['title']!r}: no img.lstmlib-explorer-image in the page")
            if not ex["controls"]:
                out.append(f"explorer {ex['title']!r}: no control found to move")
        for m in self.moves:
            for entry in m.log:
                out.append(f"{m.explorer} / {m.control} / {m.action}: log console: {entry}")
            if m.error:
                out.append(f"{m.explorer} / {m.control} / {m.action}: {m.error}")
            elif m.expect is not None and not _same_number(
                    m.after.split(" | ")[0].split(",")[0], m.expect):
                out.append(f"{m.explorer} / {m.control} / {m.action}: ended at {m.after}, "
                           f"not at the end of its range {m.expect}")
            if not m.error and m.changed and not m.redrew:
                out.append(f"{m.explorer} / {m.control} / {m.action}: value {m.before} -> "
                           f"{m.after} but the picture did not redraw")
        return out


def _same_number(a: str, b: str) -> bool:
    try:
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))
    except ValueError:
        return a == b


# Console messages that JupyterLab itself prints in a healthy session on these machines.
BENIGN_CONSOLE = [
    re.compile(r"Failed to load resource: the server responded with a status of 404"),
    re.compile(r"favicon", re.I),
]


class NotebookDriver:
    """Open one notebook in a fresh browser page, run it, exercise its explorers."""

    def __init__(self, browser, server: JupyterLabServer, name: str, artifacts: Path | None):
        self.server = server
        self.name = name
        self.artifacts = artifacts
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.context.set_default_timeout(REDRAW_TIMEOUT_S * 1000)
        self.page = self.context.new_page()
        self.run = NotebookRun(name)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda e: self.run.console_errors.append(f"page error: {e}"))

    def _on_console(self, msg) -> None:
        if msg.type != "error":
            return
        if any(p.search(msg.text) for p in BENIGN_CONSOLE):
            return
        self.run.console_errors.append(msg.text[:500])

    def close(self) -> None:
        try:
            self.context.close()
        finally:
            self.server.shutdown_kernels()

    # -- opening and running -------------------------------------------------------------------

    def open(self) -> None:
        stem = re.sub(r"[^A-Za-z0-9_-]", "-", self.name.removesuffix(".ipynb"))
        self.page.goto(self.server.lab_url(self.name, f"t-{stem}-{secrets.token_hex(3)}"),
                       timeout=KERNEL_READY_TIMEOUT_S * 1000)
        self.page.wait_for_function(JS_NOTEBOOK_OPEN, arg=self.name,
                                    timeout=KERNEL_READY_TIMEOUT_S * 1000)
        deadline = time.monotonic() + KERNEL_READY_TIMEOUT_S
        status = ""
        while time.monotonic() < deadline:
            status = self.page.evaluate(JS_KERNEL_STATUS)
            if status == "idle":
                self._open_log_console()
                return
            if status.startswith("dialog:"):
                raise AssertionError(f"{self.name}: a dialog opened instead of a kernel "
                                     f"(kernel not found?): {status[7:]}")
            time.sleep(0.2)
        raise TimeoutError(f"{self.name}: kernel not idle after {KERNEL_READY_TIMEOUT_S} s "
                           f"(last status {status!r})")

    def check_page(self, when: str) -> None:
        """Record every error/warning text visible now."""
        self.run.problems += [f"[{when}] {p}" for p in
                              find_problems(self.page.evaluate(JS_VISIBLE_TEXTS))]

    def run_all(self) -> None:
        t0 = time.monotonic()
        # Clearing first makes "every code cell has an execution count" mean "ran in this kernel".
        self.page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        self.page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        deadline = t0 + RUN_ALL_TIMEOUT_S
        state = {}
        while time.monotonic() < deadline:
            state = self.page.evaluate(JS_RUN_STATE)
            if state["status"] == "idle" and (state["ran"] == state["code"] or state["errors"]):
                break
            time.sleep(0.25)
        else:
            raise TimeoutError(f"{self.name}: run-all not finished after {RUN_ALL_TIMEOUT_S} s: "
                               f"{state}")
        self.run.run_all_s = time.monotonic() - t0
        if state["errors"]:
            self.run.problems.append(f"run-all: {state['errors']} cell(s) raised "
                                     f"({state['ran']}/{state['code']} code cells ran)")
        self._wait_widgets_rendered()

    def _wait_widgets_rendered(self, timeout_s: float = 60) -> None:
        """Wait until every widget output has a rendered view (not 'Loading widget...')."""
        js = """() => {
          const w = window.__lstmNb;
          let views = 0;
          for (const cell of w.content.widgets) {
            if (cell.model.type !== 'code') continue;
            for (const o of cell.model.outputs.toJSON())
              if (o.data && o.data['application/vnd.jupyter.widget-view+json']) views += 1;
          }
          const loading = Array.from(document.querySelectorAll('.jp-OutputArea-output'))
            .filter((e) => /Loading widget/.test(e.textContent)).length;
          const imgs = Array.from(document.querySelectorAll('img.lstmlib-explorer-image'));
          const unloaded = imgs.filter((i) => !(i.complete && i.naturalWidth > 0)).length;
          return {views, loading, unloaded};
        }"""
        deadline = time.monotonic() + timeout_s
        s = {}
        while time.monotonic() < deadline:
            s = self.page.evaluate(js)
            if s["loading"] == 0 and s["unloaded"] == 0:
                return
            time.sleep(0.25)
        self.run.problems.append(f"widgets still not rendered after {timeout_s:.0f} s: {s}")

    def check_markdown_images(self) -> None:
        """Every picture in the prose (``![..](figures/ch01.png)``) loads: a broken image is
        something the reader sees too. Each is scrolled into view first, as JupyterLab renders
        cells lazily."""
        imgs = self.page.locator(".jp-MarkdownOutput img")
        for k in range(imgs.count()):
            img = imgs.nth(k)
            try:
                img.scroll_into_view_if_needed(timeout=10_000)
                img.evaluate("""(i) => new Promise((ok) => {
                  if (i.complete) return ok();
                  i.addEventListener('load', ok); i.addEventListener('error', ok);
                  setTimeout(ok, 10000); })""")
                ok, src = img.evaluate("(i) => [i.complete && i.naturalWidth > 0, "
                                       "i.getAttribute('src') || '']")
            except Exception as e:
                ok, src = False, f"(not reachable: {type(e).__name__})"
            if not ok:
                src = re.sub(r"\?.*$|^https?://[^/]+", "", src)  # no host, token or xsrf
                self.run.problems.append(f"picture in the prose does not load: {src}")

    def kernel_exec(self, code: str) -> str:
        r = self.page.evaluate(JS_KERNEL_EXEC, code)
        if r["err"]:
            raise RuntimeError(f"kernel query failed: {r['err']}")
        return r["out"]

    def count_kernel_explorers(self) -> None:
        """Ask the kernel which Explorers it holds (title, redraw timings): to catch one that the
        page never shows, and to pair each browser latency with the kernel's compute + draw."""
        code = (
            "def _lstm_probe():\n"
            "    import json, re, sys\n"
            "    from ipywidgets.widgets.widget import _instances\n"
            "    m = sys.modules.get('lstmlib.course.widgets.explorer')\n"
            "    es = [w for w in list(_instances.values()) if m and isinstance(w, m.Explorer)]\n"
            "    head = lambda e: getattr(e.children[0], 'value', '') if e.children else ''\n"
            "    print(json.dumps([{'title': re.sub('<[^>]*>', '', head(e)).strip()\n"
            "                       if e.children and e.children[0] is not e.image else '',\n"
            "                       'timings': [list(map(float, t)) for t in e.timings]}\n"
            "                      for e in es]))\n"
            "_lstm_probe(); del _lstm_probe")
        data = json.loads(self.kernel_exec(code).strip().splitlines()[-1])
        self.run.kernel_explorers = len(data)
        self.run.kernel_timings = data

    # -- exercising explorers ------------------------------------------------------------------

    def discover(self) -> list[dict]:
        explorers = self.page.evaluate(JS_DISCOVER)
        for ex in explorers:
            ex["title"] = self._clean(ex["title"])
            for c in ex["controls"]:
                c["label"] = self._clean(c["label"])
                if "options" in c:
                    c["options"] = [self._clean(o) for o in c["options"]]
        self.run.explorers = explorers
        return explorers

    def _value(self, cid: str) -> str:
        return str(self.page.evaluate(JS_VALUE, cid))

    def _act(self, ex: dict, ctl: dict, action: str, do) -> Move:
        """Arm the probe, act, and wait for the picture when the value changed."""
        loc = self.page.locator(f'[data-lstm-ctl="{ctl["id"]}"]')
        loc.scroll_into_view_if_needed()
        before = self._value(ctl["id"])
        self.page.evaluate(JS_ARM, ex["index"])
        error = ""
        try:
            do(loc)
        except Exception as e:  # a control that cannot be operated is a failure, not a crash
            error = f"could not {action}: {type(e).__name__}: {str(e).splitlines()[0][:300]}"
        after = self._value(ctl["id"])
        if before != after and not error:
            try:
                self.page.wait_for_function(JS_PROBE_DONE, arg=IDLE_GRACE_MS,
                                            timeout=REDRAW_TIMEOUT_S * 1000)
            except Exception:  # timed out: judged below by whether the picture arrived
                pass
        elif not error:
            time.sleep(SETTLE_S)  # a redraw that was not expected would still be seen
        p = self.page.evaluate(JS_PROBE)
        log = [x.split(": ", 1)[1] for x in self.take_log()]
        lat = src = None
        if p["tInput"] is not None and p["tLoad"] is not None:
            lat, src = p["tLoad"] - p["tInput"], p["tSrc"] - p["tInput"]
        redrew = p["tLoad"] is not None
        label = self._clean(ctl["label"]) or ctl["kind"]
        return Move(ex["title"] or f"explorer {ex['index']}", f"{ctl['kind']} {label!r}", action,
                    before, after, redrew, lat, src, error, log, cid=ctl["id"])

    @staticmethod
    def _clean(label: str) -> str:
        return " ".join(label.replace("\u200b", " ").split())

    def _moves_for(self, ctl: dict) -> list[tuple[str, object]]:
        kind = ctl["kind"]
        if kind == "slider":
            moves = []
            for h in range(ctl["handles"]):
                def key(k, h=h):
                    def do(loc):
                        handle = loc.locator(".noUi-handle").nth(h)
                        handle.focus()
                        handle.press(k)
                    return do
                tag = f" (handle {h})" if ctl["handles"] > 1 else ""
                # Keyboard, as noUiSlider offers it: End/Home jump to the ends of the range.
                moves += [(f"End: maximum{tag}", key("End")), (f"Home: minimum{tag}", key("Home")),
                          (f"one step right{tag}", key("ArrowRight")),
                          (f"one step left{tag}", key("ArrowLeft")),
                          (f"End: maximum again{tag}", key("End"))]
            return moves
        if kind == "dropdown":
            opts = ctl["options"]
            # Every option when there are few; else both ends and the middle, and back.
            pick = opts if len(opts) <= 8 else [opts[-1], opts[len(opts) // 2], opts[0]]
            seq = list(pick[1:]) + [pick[0]] if len(pick) > 1 else pick
            return [(f"select {o!r}", (lambda o: lambda loc: loc.locator("select").select_option(o))(o))
                    for o in seq]
        if kind in ("togglebuttons", "radio"):
            sel = "button" if kind == "togglebuttons" else "input[type=radio]"
            n = len(ctl["options"])
            order = list(range(1, n)) + [0]
            return [(f"choose {ctl['options'][j]!r}",
                     (lambda j: lambda loc: loc.locator(sel).nth(j).click())(j)) for j in order]
        if kind in ("toggle", "checkbox"):
            target = "input" if kind == "checkbox" else None

            def click(loc):
                (loc.locator(target) if target else loc).click()
            return [("switch", click), ("switch back", click)]
        return []

    def exercise(self) -> None:
        for ex in self.discover():
            for ctl in ex["controls"]:
                if ctl.get("disabled"):
                    continue
                for action, do in self._moves_for(ctl):
                    move = self._act(ex, ctl, action, do)
                    if ctl["kind"] == "slider" and ctl["handles"] == 1 and not move.error:
                        if action.startswith("End"):
                            move.expect = ctl["max"]
                        elif action.startswith("Home"):
                            move.expect = ctl["min"]
                    self.run.moves.append(move)

    def _open_log_console(self) -> None:
        """Show the notebook's log console: what a widget callback prints, warns or raises goes
        there (ipywidgets routes a callback's output to it), not into the notebook."""
        self.page.evaluate("""async () => {
          const app = window.jupyterapp;
          await app.commands.execute('logconsole:open',
                                     {insertMode: 'split-bottom', source: window.__lstmNb.context.path});
          app.shell.activateById(window.__lstmNb.id);
          app.shell.collapseLeft();
        }""")
        self.page.wait_for_selector(".jp-LogConsolePanel", timeout=30_000)

    def take_log(self) -> list[str]:
        """The problems now in the log console, which is then cleared (so that each later
        message can be pinned on the move that caused it)."""
        text = self.page.evaluate(JS_LOG_TEXT)
        if not text:
            return []
        self.page.evaluate("() => window.jupyterapp.commands.execute('logconsole:clear')")
        self.page.wait_for_function(f"() => !({JS_LOG_TEXT})()", timeout=10_000)
        return find_problems([{"where": "log console", "text": text, "always": True}])

    def screenshots(self) -> None:
        if self.artifacts is None:
            return
        self.artifacts.mkdir(parents=True, exist_ok=True)
        stem = self.name.removesuffix(".ipynb").replace("/", "-")
        first = self.page.locator(".lstmlib-explorer")
        if first.count():
            first.first.scroll_into_view_if_needed()
        path = self.artifacts / f"{stem}.png"
        self.page.screenshot(path=str(path))
        self.run.screenshots.append(path)
        for i in range(first.count()):
            p = self.artifacts / f"{stem}--explorer{i}.png"
            first.nth(i).screenshot(path=str(p))
            self.run.screenshots.append(p)


def drive_notebook(browser, server: JupyterLabServer, name: str,
                   artifacts: Path | None = None) -> NotebookRun:
    """Open ``name``, check the page, run all, check again, move every control of every
    explorer, check the page and the log console, take screenshots. Returns the record; a
    caller decides what counts as failure (``NotebookRun.failures()``)."""
    d = NotebookDriver(browser, server, name, artifacts)
    try:
        d.open()
        d.check_page("on opening, before running")
        d.check_markdown_images()
        d.run_all()
        d.check_page("after run-all")
        d.run.problems += [f"[during run-all] {x}" for x in d.take_log()]
        d.count_kernel_explorers()
        d.exercise()
        d.check_page("after moving every control")
        d.count_kernel_explorers()
        try:
            d.screenshots()
        except Exception as e:  # a failed screenshot must not hide the real result
            d.run.problems.append(f"screenshot failed: {e}")
        return d.run
    except BaseException:
        if artifacts is not None:
            try:
                artifacts.mkdir(parents=True, exist_ok=True)
                d.page.screenshot(path=str(artifacts / f"{name.removesuffix('.ipynb').replace('/', '-')}--FAILED.png"))
            except Exception:
                pass
        raise
    finally:
        d.close()
