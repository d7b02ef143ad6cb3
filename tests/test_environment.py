"""environment.yml (conda, Binder) and pyproject.toml must list the same packages."""
import pathlib
import re
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
