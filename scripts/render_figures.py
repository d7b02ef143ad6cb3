"""Render the README's pictures into notebooks/figures/: one per chapter (ch00.png .. ch08.png)
and one striking picture for the top of the README (hero.png).

Each picture is drawn by the same ``lstmlib.course.plots`` function a chapter calls, on the same
``lstmlib.course`` computation, so the README shows what the reader will see. A chapter whose picture only
exists after training can instead take an image saved in its executed notebook
(``NotebookImage``).

    python scripts/render_figures.py            # render every picture the table defines
    python scripts/render_figures.py ch04 hero  # only these
    python scripts/render_figures.py --list     # what can be rendered: plot functions, notebook images

THE TABLE (``PICTURES`` below) maps each picture to how it is made: each chapter's picture is
the figure its author chose to represent it.
"""
from __future__ import annotations

import argparse
import base64
import inspect
import io
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import matplotlib

matplotlib.use("Agg")  # a script: no display, and never the inline backend

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "notebooks" / "figures"
DPI = 100


@dataclass(frozen=True)
class NotebookImage:
    """A PNG output of an executed notebook: the ``index``-th (0-based, in cell order), or the first
    one of the cell whose code contains ``cell_code`` (which survives cells being added or moved).
    ``crop = (left, top, right, bottom)``, fractions of the image, keeps a part of it: a thumbnail
    shown 220 px wide must stay legible, which a whole tall figure is not."""
    notebook: str
    index: int | None = None
    cell_code: str | None = None
    crop: tuple[float, float, float, float] | None = None

    def png(self) -> bytes:
        path = REPO / "notebooks" / self.notebook
        if not path.exists():
            raise ValueError(f"notebooks/{self.notebook} does not exist (yet)")
        pngs = notebook_pngs(path)
        if self.cell_code is not None:
            cells = json.loads(path.read_text())["cells"]
            found = [png for i, png in pngs if self.cell_code in "".join(cells[i]["source"])]
            if not found:
                raise ValueError(f"{self.notebook}: no cell whose code contains {self.cell_code!r} has a PNG "
                                 "output (is it committed executed?)")
            png = found[0]
        elif self.index is not None and 0 <= self.index < len(pngs):
            png = pngs[self.index][1]
        else:
            raise ValueError(f"{self.notebook}: asked for PNG output {self.index}, it has "
                             f"{len(pngs)} (is it committed executed?)")
        return png if self.crop is None else crop_png(png, self.crop)


def crop_png(png: bytes, box: tuple[float, float, float, float]) -> bytes:
    """The part ``box = (left, top, right, bottom)`` (fractions of width and height) of a PNG."""
    from PIL import Image
    image = Image.open(io.BytesIO(png))
    w, h = image.size
    left, top, right, bottom = box
    if not 0 <= left < right <= 1 or not 0 <= top < bottom <= 1:
        raise ValueError(f"crop: expected 0 <= left < right <= 1 and 0 <= top < bottom <= 1, got {box}")
    out = io.BytesIO()
    image.crop((round(left * w), round(top * h), round(right * w), round(bottom * h))).save(out, format="png")
    return out.getvalue()


@dataclass(frozen=True)
class Picture:
    what: str                                 # one line: what the picture shows
    make: Callable | NotebookImage | None     # a recipe returning a Figure, or a notebook image


# --- recipes: a chapter's computation (lstmlib.course.chNN), then the plot function it uses ----------------

def _ch00():
    from lstmlib.course import plots
    return plots.plot_activations("tanh", 1.0)


def _ch01():
    from lstmlib.course import ch01, plots
    return plots.plot_error_norms_by_radius(ch01.radius_experiment(seed=0))


def _ch02():
    from lstmlib.course import plots
    return plots.plot_lstm_cell()


def _ch03():
    from lstmlib.course import ch03, plots
    return plots.plot_errata_heatmap(ch03.errata_table(steps=(2, 5)))


def _ch04():
    from lstmlib.course import plots
    return plots.plot_gru_cell()


def _ch05():
    from lstmlib.course import ch05, plots
    comp = ch05.GradientFlowLab(seed=0).compare(1.0, 1.0, 100)
    return plots.plot_gradient_flow(comp, highlight="lstm")


def _ch07():
    # One cell of the trained 2-layer LSTM over two short lines, large enough to read at 220 px.
    import dataclasses
    from lstmlib.course import ch07, plots
    corpus = ch07.load_corpus()
    model = ch07.load_model("lstm2").model
    search, _ = ch07.cell_search(model, corpus)
    view = ch07.CellLab(model, search, corpus).view(ch07.THUMBNAIL_TEXT, "brackets", *search.best["brackets"])
    return plots.plot_thumbnail(dataclasses.replace(view, title="one LSTM cell: inside brackets"))


def _ch08():
    from lstmlib.course import ch08, plots
    return plots.plot_sweep_boxes(ch08.load_results())


def _hero():
    # The course in one picture: how far back the gradient reaches in an RNN, an LSTM and a GRU.
    from lstmlib.course import ch05, plots
    comp = ch05.GradientFlowLab(seed=0).compare(1.0, 1.0, 100)
    return plots.plot_gradient_flow(comp, highlight="lstm",
                                    title="How far back does the gradient reach? (T = 100)")


PICTURES: dict[str, Picture] = {
    "hero": Picture("RNN vs LSTM vs GRU: the gradient reaching back over 100 steps", _hero),
    "ch00": Picture("an activation and its derivative (the warm-up widget)", _ch00),
    "ch01": Picture("error norms in a plain RNN for several spectral radii: vanish or explode",
                    _ch01),
    "ch02": Picture("the LSTM cell, equations (1)-(6)", _ch02),
    "ch03": Picture("the article's three BPTT errata, measured by gradient checks at T = 2 and 5", _ch03),
    "ch04": Picture("the GRU cell, equations (G1)-(G4)", _ch04),
    "ch05": Picture("gradient flow in an RNN, an LSTM and a GRU", _ch05),
    "ch06": Picture("learning curves of RNN, LSTM and GRU on the adding problem",
                    NotebookImage("06_training.ipynb", 0)),
    "ch07": Picture("one cell of the trained character LSTM over Python source", _ch07),
    "ch08": Picture("the LSTM variants against the vanilla LSTM on three tasks, 5 seeds each", _ch08),
}


# --- machinery -----------------------------------------------------------------------------------

def notebook_pngs(path: Path) -> list[tuple[int, bytes]]:
    """``(cell index, PNG bytes)`` of every image/png output of a notebook, in order."""
    nb = json.loads(Path(path).read_text())
    out = []
    for i, cell in enumerate(nb.get("cells", [])):
        for o in cell.get("outputs", []):
            data = o.get("data", {}).get("image/png")
            if data:
                out.append((i, base64.b64decode("".join(data) if isinstance(data, list) else data)))
    return out


def figure_png(fig) -> bytes:
    buf = io.BytesIO()
    # No "Software" stamp: re-rendering with another matplotlib changes no byte it need not.
    fig.savefig(buf, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    return buf.getvalue()


def render(name: str, pic: Picture) -> str:
    if pic.make is None:
        return "no recipe yet (fill PICTURES)"
    if isinstance(pic.make, NotebookImage):
        png = pic.make.png()
    else:
        png = figure_png(pic.make())
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.png").write_bytes(png)
    return f"{len(png) // 1024} KB"


def list_candidates() -> None:
    from lstmlib.course import plots
    print("lstmlib.course.plots functions (a recipe calls one of them):")
    for name, fn in vars(plots).items():
        if name.startswith("plot_") and inspect.isfunction(fn):
            print(f"  {name}{inspect.signature(fn)}")
    print("\nPNG outputs of the executed notebooks (for NotebookImage(notebook, index)):")
    for nb in sorted((REPO / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        for k, (ci, png) in enumerate(notebook_pngs(nb)):
            src = "".join(cells[ci]["source"]).strip().splitlines()
            print(f"  {nb.name} #{k}: cell {ci}, {len(png) // 1024} KB: {src[0][:70] if src else ''}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", help=f"some of {', '.join(PICTURES)} (default: all)")
    ap.add_argument("--list", action="store_true", help="list what a recipe can use")
    a = ap.parse_args(argv)
    if a.list:
        list_candidates()
        return 0
    unknown = set(a.names) - set(PICTURES)
    if unknown:
        ap.error(f"unknown picture(s) {sorted(unknown)}; expected some of {list(PICTURES)}")
    failed = 0
    for name in a.names or PICTURES:
        pic = PICTURES[name]
        t0 = time.perf_counter()
        try:
            result = render(name, pic)
        except Exception as e:  # one missing chapter must not stop the others
            result, failed = f"FAILED: {type(e).__name__}: {e}", failed + 1
        print(f"{name:5s} {pic.what}: {result} ({time.perf_counter() - t0:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
