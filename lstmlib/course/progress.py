"""Progress reports for ``train.fit`` in the notebooks: a bar while training runs, one line after.

A saved notebook keeps a widget's text next to its live view, and GitHub, nbviewer and a notebook
opened without running show only that text. So the bar's text is always the line a reader wants
there: what ran, how far it got and how it ended (``"LSTM T=50 seed 0: 800 steps, held-out loss
0.008537"``), never a description of the widget. When training ends the bar's output is updated
in place, so the saved text is the final line.
"""
from __future__ import annotations

import ipywidgets as W

from ..train import PrintProgress
from .i18n import tr

__all__ = ["ProgressBar", "reporter", "in_notebook"]


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where an ipywidgets bar can be displayed)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class ProgressBar(W.HBox):
    """A bar and a line of text for one ``fit``; shown when training starts (``display=False``
    keeps it off the page, for tests)."""

    def __init__(self, *, display: bool = True):
        self.bar = W.IntProgress(value=0, min=0, max=1, style={"description_width": "initial"})
        self.text = W.HTML(value="")
        super().__init__([self.bar, self.text])
        self._show = display
        self._handle = None
        self.line = tr("training has not started")
        self.label = ""
        self.total = 1
        self._every = 1

    def start(self, total: int, label: str) -> None:
        self.total, self.label = total, label
        self.bar.max, self.bar.description = total, label
        self._every = max(1, total // 50)  # about 50 redraws however long the run
        self.line = tr("{label}: started, {total} steps to go", label=label or tr("training"), total=total)
        if self._show:
            from IPython.display import display
            self._handle = display(self, display_id=True)

    def update(self, step: int, loss: float) -> None:
        if step % self._every == 0 or step == self.total:
            self.bar.value = step
            self.text.value = tr("step {step}/{total}, loss {loss:.4f}", step=step, total=self.total, loss=loss)

    def close(self, history=None) -> None:
        """``train.fit``'s last call, with its ``History``: the bar shows how training ended. Without
        one, ipywidgets' own ``close`` (it calls that at exit): the widget is taken down."""
        if history is None:
            super().close()
            return
        self.bar.value = history.steps  # an early stop ends the bar where training ended
        self.bar.bar_style = "danger" if history.diverged_at is not None else "success"
        self.line = history.summary(seconds=False, tr=tr)
        self.text.value = tr("{steps} steps, {seconds:.1f} s", steps=history.steps, seconds=history.seconds)
        if self._handle is not None:
            self._handle.update(self)  # the saved output now carries the final line

    def __repr__(self) -> str:
        return self.line


def reporter(progress: bool | None):
    """What ``fit`` reports to: ``None`` gives a bar in a notebook and nothing elsewhere, ``True``
    a bar in a notebook and one printed line elsewhere, ``False`` nothing."""
    if progress is False:
        return None
    if in_notebook():
        return ProgressBar()
    return PrintProgress() if progress else None
