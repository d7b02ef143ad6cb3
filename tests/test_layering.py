"""The model layer stands alone (README, "API conventions"): no module of it imports the course,
statically or at run time, and what it prints is English unless a translation function is passed;
the course's language setting does not reach it. And ``make test-fast`` runs the model layer's
tests: none of its test files imports the course."""
import ast
import pathlib
import re
import subprocess
import sys

import numpy as np

import lstmlib as ll
from lstmlib import gradcheck, train

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lstmlib"
MODEL_LAYER = sorted(p for p in PACKAGE.rglob("*.py") if "course" not in p.relative_to(PACKAGE).parts)


def _package_of(path: pathlib.Path) -> str:
    """The dotted package a source file belongs to (itself for an ``__init__.py``)."""
    return ".".join(path.relative_to(ROOT).parts[:-1])


def _imported_modules(source: str, package: str) -> set[str]:
    """Every module ``source`` (in ``package``) imports, as an absolute dotted name (relative
    imports resolved, and ``importlib.import_module("...")`` / ``__import__("...")`` with a
    literal name)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[:len(base) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.add(module)
            found.update(f"{module}.{a.name}" for a in node.names)  # from . import course
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str) and getattr(node.func, "attr", getattr(node.func, "id", "")) \
                in ("import_module", "__import__"):
            found.add(node.args[0].value)
    return found


def _imports_of(path: pathlib.Path) -> set[str]:
    return _imported_modules(path.read_text(), _package_of(path))


def test_the_static_import_check_would_see_a_course_import():
    """The checker below is not blind: the ways of importing the course are all recognised."""
    for source in ("from ..course import i18n", "from .. import course", "import lstmlib.course.plots",
                   "from lstmlib.course.i18n import tr", "importlib.import_module('lstmlib.course')"):
        assert any(m.startswith("lstmlib.course") for m in _imported_modules(source, "lstmlib.charlm")), source
    assert not any(m.startswith("lstmlib.course") for m in _imported_modules("from . import charlm", "lstmlib"))


def test_no_module_of_the_model_layer_imports_the_course():
    assert len(MODEL_LAYER) >= 20 and PACKAGE / "charlm" / "sampling.py" in MODEL_LAYER
    offenders = {str(p.relative_to(ROOT)): sorted(m for m in _imports_of(p) if m.startswith("lstmlib.course"))
                 for p in MODEL_LAYER}
    assert not {k: v for k, v in offenders.items() if v}


def test_the_model_layer_runs_without_the_course_and_prints_english_whatever_the_course_language():
    """A fresh interpreter: import every model-layer module and use what prints (a gradient check's
    report, a training run's summary); nothing of the course, nor matplotlib, ipywidgets or IPython,
    is loaded. Then the course is imported and set to Chinese: the model layer's text does not
    change (issue 14: printing a report loaded the course, and set_language changed it)."""
    code = r'''
import importlib, pkgutil, sys
import numpy as np
import lstmlib
from lstmlib import charlm, network, optim, tasks, train
for package in (lstmlib, charlm):  # iter_modules, not walk_packages: that one imports the course to walk it
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        if info.name != "lstmlib.course":
            importlib.import_module(info.name)
def texts():
    report = lstmlib.check_gradients(np.ones((2, 1, 2)), lstmlib.GRUParams.init(2, 3, 0), 0)
    task = tasks.adding_task(5)
    history = train.fit(train.task_batches(task.sample, 2, 0), network.make_model("lstm", 2, 3, 1, 0),
                        optim.SGD(0.1), steps=2, evaluate=train.held_out(*task.sample(4, 1)))
    text = charlm.sample_text("ab", charlm.init_model("rnn", 96, 3, 0), charlm.ASCII, 5, 0)
    return [str(report), history.summary(seconds=False), repr(optim.Adam())]
before = texts()
print(sorted(m for m in sys.modules if m.startswith("lstmlib.course")
             or m.split(".")[0] in ("matplotlib", "ipywidgets", "IPython", "ipykernel")))
from lstmlib.course import i18n
i18n.set_language("zh")
print(texts() == before)
print(before[0])
print(before[1])
'''
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout.splitlines()
    assert out[0] == "[]"  # nothing of the course or the notebook stack after using the model layer
    assert out[1] == "True"  # the course's language does not reach the model layer
    text = "\n".join(out[2:])
    assert text.isascii() and "all pass" in text and "training: 2 steps, held-out loss" in text


def test_reports_are_english_unless_a_translation_is_passed():
    X = np.random.default_rng(0).standard_normal((3, 2, 2))
    report = gradcheck.check_gradients(X, ll.LSTMParams.init(2, 3, 0).astype(np.float32), 0)
    english = report.format()
    assert english == str(report) and english.isascii()
    assert english.splitlines()[0].split() == ["array", "shape", "relative", "error", "FD", "error", "max", "abs",
                                                "error", "result"]
    assert english.splitlines()[-1] == gradcheck.FLOAT32_NOTE
    seen = []

    def tr(message, **fields):
        seen.append(message)
        return "«" + (message.format(**fields) if fields else message) + "»"

    translated = report.format(tr)
    # every word of the table went through tr: with the translated pieces removed, no letters are left
    # except the rows' own names (the arrays' names are code, not prose)
    stripped = re.sub(r"«[^«»]*»", "", re.sub(r"«[^«»]*«[^«»]*»[^«»]*»", "", translated))
    names = {r.name for r in report.rows}
    leftover = {w for w in re.findall(r"[A-Za-z_]+[A-Za-z_0-9]*", stripped) if w not in names}
    assert leftover <= {"e"}, leftover  # "e" of numbers such as 1e-08
    assert {"array", "shape", "relative error", "FD error", "max abs error", "result", "pass",
            gradcheck.FLOAT32_NOTE} <= set(seen)
    history = train.History("", np.ones(2), np.ones(2), np.ones(2), np.array([0, 2]), np.array([1.0, 0.5]),
                            None, 1.0)
    assert history.summary() == "training: 2 steps in 1.0 s, held-out loss 0.5"
    assert history.summary(tr=tr) == "«««training»: 2 steps in 1.0 s, «held-out loss 0.5»»"[1:]


def test_make_test_fast_runs_the_model_layers_tests_only():
    """``make test-fast`` leaves out the course's, the notebooks', the translations', the
    environment's and the browser's tests; what it keeps imports nothing of the course."""
    recipe = re.search(r"^test-fast:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    ignored = re.findall(r"--ignore(?:-glob)?=['\"]?([^\s'\"]+)", recipe)
    kept = [p for p in sorted((ROOT / "tests").glob("test_*.py"))
            if not any(pathlib.PurePath(str(p.relative_to(ROOT))).match(g) for g in ignored)]
    names = {p.name for p in kept}
    assert {"test_gradients.py", "test_state.py", "test_network.py", "test_layering.py"} <= names
    assert not {n for n in names if n.startswith(("test_course_", "test_notebook_"))}
    for p in kept:
        assert not any(m.startswith("lstmlib.course") for m in _imports_of(p)), p.name
    assert "tests/browser" in recipe and "--nbval" not in recipe and "notebooks" not in recipe
