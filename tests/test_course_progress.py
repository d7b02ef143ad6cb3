"""The progress bar that ``train.fit`` reports to in a notebook. Its text (what a saved notebook
shows where the widget was: GitHub, nbviewer, a notebook opened without running it) is always a
line a reader wants, never a description of the widget; ``reporter`` picks what ``fit`` reports to."""
import re

import numpy as np

from lstmlib import train
from lstmlib.course import ch06, progress
from lstmlib.course.progress import ProgressBar
from lstmlib.optim import Adam


def _history(steps=800, *, diverged_at=None, label="LSTM T=50 seed 0", final=0.008537):
    eval_loss = np.array([0.2, final])
    return train.History(label, np.full(steps, 0.1), np.ones(steps), np.arange(steps) / 100.0,
                         np.array([0, steps]), eval_loss, None, 12.3, diverged_at)


def _static_text(bar) -> str:
    """What a notebook saves as the widget's plain-text view."""
    return bar._repr_mimebundle_()["text/plain"]


def _assert_reads_as_a_line(bar, want: str):
    for text in (repr(bar), str(bar), _static_text(bar)):
        assert text == want
        assert not text.startswith(("HBox", "ProgressBar(", "<")) and "children" not in text


def test_text_before_start_after_start_and_after_close():
    bar = ProgressBar(display=False)
    _assert_reads_as_a_line(bar, "training has not started")
    bar.start(800, "LSTM T=50 seed 0")
    _assert_reads_as_a_line(bar, "LSTM T=50 seed 0: started, 800 steps to go")
    hist = _history()
    bar.close(hist)
    _assert_reads_as_a_line(bar, "LSTM T=50 seed 0: 800 steps, held-out loss 0.008537")
    assert repr(bar) == hist.summary(seconds=False)  # the line fit's history prints, without the timing
    assert bar.bar.bar_style == "success" and bar.bar.value == 800
    assert bar.text.value == "800 steps, 12.3 s"


def test_an_unlabelled_run_still_says_what_happened():
    bar = ProgressBar(display=False)
    bar.start(10, "")
    assert repr(bar) == "training: started, 10 steps to go"
    bar.close(_history(10, label=""))
    assert repr(bar) == "training: 10 steps, held-out loss 0.008537"


def test_update_moves_the_bar_and_shows_the_loss():
    bar = ProgressBar(display=False)
    bar.start(100, "GRU T=20 seed 1")
    assert (bar.bar.max, bar.bar.value, bar.bar.description) == (100, 0, "GRU T=20 seed 1")
    bar.update(50, 0.12345)
    assert bar.bar.value == 50 and bar.text.value == "step 50/100, loss 0.1235"
    bar.update(100, 0.01)
    assert bar.bar.value == 100 and bar.text.value == "step 100/100, loss 0.0100"
    # about 50 redraws however long the run: steps between are not drawn
    bar.update(51, 9.0)
    assert bar.bar.value == 100 and "9.0" not in bar.text.value
    assert repr(bar) == "GRU T=20 seed 1: started, 100 steps to go"  # the bar moves, the line waits for the end


def test_close_marks_a_diverged_run_and_ends_the_bar_where_training_stopped():
    bar = ProgressBar(display=False)
    bar.start(300, "RNN T=50 scale=0.7 seed 2")
    bar.update(120, 3.0)
    bar.close(_history(137, diverged_at=137, label="RNN T=50 scale=0.7 seed 2"))
    assert bar.bar.bar_style == "danger" and bar.bar.value == 137 and bar.bar.max == 300
    _assert_reads_as_a_line(bar, "RNN T=50 scale=0.7 seed 2: 137 steps, diverged at step 137")


def test_the_bar_follows_a_real_training_run():
    spec = ch06.RunSpec(kind="lstm", task="adding", T=6, steps=12, hidden_size=4, batch_size=8,
                        eval_size=20, eval_every=5, stop_early=False)
    bar = ProgressBar(display=False)
    hist = train.fit(train.task_batches(spec.make_task().sample, spec.batch_size, 0), ch06.initial_model(spec),
                     Adam(spec.lr), steps=spec.steps, evaluate=train.held_out(*ch06.held_out_set(spec)),
                     eval_every=spec.eval_every, progress=bar, label=spec.label)
    assert bar.bar.value == bar.bar.max == 12 and bar.bar.bar_style == "success"
    assert re.fullmatch(r"LSTM T=6 b_f=1 seed 0: 12 steps, held-out loss [0-9.e+-]+", repr(bar))
    assert repr(bar) == hist.summary(seconds=False)


def test_a_bar_that_displays_itself_shows_its_line(capsys):
    # outside a notebook IPython's display prints the object: the line, not the widget's description
    bar = ProgressBar(display=True)
    bar.start(5, "LSTM T=5 seed 0")
    assert capsys.readouterr().out.strip() == "LSTM T=5 seed 0: started, 5 steps to go"
    bar.close(_history(5, label="LSTM T=5 seed 0"))
    assert repr(bar) == "LSTM T=5 seed 0: 5 steps, held-out loss 0.008537"


def test_the_bar_can_be_closed_as_a_widget():
    # ipywidgets closes widgets with close() and no argument (Widget.close_all, garbage collection at
    # exit); fit's protocol calls close(history). A bar must survive both.
    bar = ProgressBar(display=False)
    bar.start(3, "x")
    bar.close(_history(3, label="x"))
    bar.close()
    assert bar.comm is None


def test_reporter_outside_a_notebook():
    assert not progress.in_notebook()
    assert progress.reporter(None) is None
    assert isinstance(progress.reporter(True), train.PrintProgress)
    assert progress.reporter(False) is None


def test_reporter_inside_a_notebook(monkeypatch):
    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    assert isinstance(progress.reporter(None), ProgressBar)
    assert isinstance(progress.reporter(True), ProgressBar)
    assert progress.reporter(False) is None


def test_print_progress_prints_the_same_line(capsys):
    p = progress.reporter(True)
    p.start(800, "LSTM T=50 seed 0")
    p.update(1, 0.5)
    p.close(_history())
    assert capsys.readouterr().out == "LSTM T=50 seed 0: 800 steps in 12.3 s, held-out loss 0.008537\n"
