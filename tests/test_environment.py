"""The environment: environment.yml (conda, Binder) and pyproject.toml list the same packages, the
wheel holds every subpackage, and the model layer needs none of the course's packages."""
import fnmatch
import os
import pathlib
import re
import subprocess
import sys
import tomllib


ROOT = pathlib.Path(__file__).resolve().parents[1]
# Not in environment.yml on purpose: the browser driver and the optional PyTorch (see its header)
PIP_ONLY = {"playwright", "torch"}


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[ ;]", req.strip(), maxsplit=1)[0].lower()


def _pyproject():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = data["dependencies"] + [r for extra in data["optional-dependencies"].values() for r in extra]
    return {_name(r): r.replace(" ", "") for r in reqs}


def _environment_yml():
    conda, pip, section = {}, [], None
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):
            section = line.split(":")[0]
            continue
        item = line.strip()
        if section == "dependencies" and item.startswith("- "):
            spec = item[2:].strip()
            if spec == "pip:":
                section = "pip"
            else:
                conda[_name(spec)] = spec.replace(" ", "")
        elif section == "pip" and item.startswith("- "):
            pip.append(item[2:].strip())
    return conda, pip


def test_same_packages_and_versions():
    py = _pyproject()
    conda, pip = _environment_yml()
    expected = {n: r for n, r in py.items() if n not in PIP_ONLY}
    listed = {n: s for n, s in conda.items() if n not in ("python", "pip")}
    assert set(listed) == set(expected), f"only in environment.yml: {set(listed) - set(expected)}; only in pyproject: {set(expected) - set(listed)}"
    for name, spec in expected.items():
        assert listed[name] == spec, f"{name}: pyproject says {spec}, environment.yml says {listed[name]}"
    assert "-e ." in pip, "environment.yml must install the package itself (pip: -e .)"


def test_python_versions_agree():
    conda, _ = _environment_yml()
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    low = tuple(int(v) for v in requires.lstrip(">=").split("."))
    pinned = tuple(int(v) for v in conda["python"].split("=")[-1].split("."))
    assert pinned >= low


def test_the_model_layer_loads_no_plotting_or_notebook_packages():
    """``import lstmlib`` and everything the model layer does, training included, must work
    without matplotlib, ipywidgets or IPython (a script, a server, CI without a display): those
    belong to ``lstmlib.course``. A fresh interpreter, so that nothing imported by other tests
    counts."""
    code = (
        "import sys, lstmlib\n"
        "from lstmlib import article, fused, gradcheck, losses, models, network, optim, stack, tasks, train\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'ipywidgets')))\n"
        "m = network.make_model('lstm', 2, 3, 1, 0)\n"
        "train.fit(train.task_batches(tasks.adding_task(5).sample, 2, 0), m, optim.SGD(0.1), steps=2,\n"
        "          progress=train.PrintProgress())\n"
        "print(sorted({m.split('.')[0] for m in sys.modules}\n"
        "             & {'matplotlib', 'ipywidgets', 'IPython', 'ipykernel'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout.splitlines()
    assert out[0] == "[]"  # after import lstmlib and its model-layer modules
    assert out[1].startswith("training: 2 steps")  # PrintProgress's line
    assert out[2] == "[]"  # after a training run with a progress report


def _packages_listed():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text()).get("tool", {}).get("setuptools", {})
    listed = setuptools.get("packages")
    if isinstance(listed, list):
        return set(listed)
    # [tool.setuptools.packages.find], as setuptools reads it: every directory with an __init__.py
    # whose dotted name matches an include pattern and no exclude pattern. (Not setuptools'
    # find_packages: a Python >= 3.12 venv does not contain setuptools.)
    find = listed.get("find", {}) if isinstance(listed, dict) else {}
    where = ROOT / find.get("where", ["."])[0]
    names = set()
    for top, dirs, files in os.walk(where):
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # not .venv, .git
        if "__init__.py" in files:
            names.add(".".join(pathlib.Path(top).relative_to(where).parts))
    return {n for n in names if any(fnmatch.fnmatchcase(n, pat) for pat in find.get("include", ["*"]))
            and not any(fnmatch.fnmatchcase(n, pat) for pat in find.get("exclude", ()))}


def test_every_subpackage_of_lstmlib_is_packaged():
    present = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "lstmlib").rglob("__init__.py")}
    assert {"lstmlib", "lstmlib.course"} <= present
    missing = present - _packages_listed()
    assert not missing, f"not in the wheel: {sorted(missing)}"


def test_jupyterlab_settings_override_keeps_the_first_page_clean():
    """`make lab` copies scripts/jupyterlab-overrides.json into the environment it builds, so the
    start page opens without JupyterLab's news prompt over it; the keys must be ones JupyterLab's
    own schema defines (a misspelt key would be ignored silently)."""
    import json
    overrides = json.loads((ROOT / "scripts" / "jupyterlab-overrides.json").read_text())
    notification = overrides["@jupyterlab/apputils-extension:notification"]
    assert notification == {"fetchNews": "false", "checkForUpdates": False}
    schema_dir = pathlib.Path(sys.prefix) / "share" / "jupyter" / "lab" / "schemas"
    schema = schema_dir / "@jupyterlab" / "apputils-extension" / "notification.json"
    if schema.exists():  # JupyterLab installed here: the keys and values must be valid
        props = json.loads(schema.read_text())["properties"]
        assert set(notification) <= set(props)
        assert "false" in [c["const"] for c in props["fetchNews"]["oneOf"]]
    makefile = (ROOT / "Makefile").read_text()
    assert "cp scripts/jupyterlab-overrides.json $(LAB_OVERRIDES)" in makefile
    installed = pathlib.Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    if (pathlib.Path(sys.prefix) / ".installed").exists():  # the environment `make` built
        assert json.loads(installed.read_text()) == overrides
