"""The training loop: batches in, a trained model and its ``History`` out.

``train_step`` is one step (forward, loss, backward through time, clipping, update) and ``fit`` the
loop around it, for any ``SequenceModel``: the adding problem's single layer (chapter 06) and the
character model's stack with an embedding (chapter 07) train here alike.

Batches come from a *batch source*, any iterator of ``Batch(X, y, carry)``. ``carry=False`` starts
the batch from zero states; ``carry=True`` continues the sequences of the batch before it, from the
state that batch ended in: truncated BPTT, where a long text is read in chunks and the gradient is
cut at each chunk's start. ``task_batches`` draws fresh sequences of a task at every step;
``charlm.text_batches`` walks through a text.

BLAS runs on one thread during the loop by default (``blas_threads``): at these sizes a second
thread costs more in synchronisation than it brings, and one thread makes a run repeatable bit for
bit on a given machine.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Callable, Iterator, NamedTuple

import numpy as np

from . import _validate
from .fused import Workspace
from .losses import LOSSES
from .network import Score, SequenceModel, dropout_masks, evaluate, loss_and_grads
from .optim import clip_grad_norm, global_norm

__all__ = ["Batch", "task_batches", "held_out", "History", "train_step", "fit", "PrintProgress",
           "blas_threads", "blas_kernel"]


class Batch(NamedTuple):
    """One step's data: ``X`` (``(T, B, D)`` floats or ``(T, B)`` ids), ``y`` the targets, and
    ``carry``: True when it continues the sequences of the batch before it (truncated BPTT)."""

    X: np.ndarray
    y: np.ndarray
    carry: bool = False


def task_batches(sample: Callable, batch_size: int, rng) -> Iterator[Batch]:
    """Endless fresh batches: ``sample(batch_size, rng) -> (X, y)`` at every step (a ``Task``'s
    ``sample``), new sequences each time, so there is nothing to memorise. ``rng``: a Generator or
    a seed, so a run is a pure function of its seeds."""
    if not callable(sample):
        raise ValueError(f"sample: expected a function (n, rng) -> (X, y), e.g. Task.sample, got {type(sample).__name__}")
    B = _validate.positive_int(batch_size, "batch_size")
    gen = _validate.rng(rng)
    while True:
        X, y = sample(B, gen)
        yield Batch(X, y, False)


def held_out(X, y, loss: str = "mse") -> Callable[[SequenceModel], Score]:
    """An evaluation for ``fit``: the model's ``Score`` on the fixed set ``(X, y)``."""
    if loss not in LOSSES:
        raise ValueError(f"loss: expected one of {sorted(LOSSES)}, got {loss!r}")

    def score(model: SequenceModel) -> Score:
        return evaluate(X, y, model, loss=loss)
    return score


# ----------------------------------------------------------------------------------------------
# What a run records
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass
class History:
    """What ``fit`` records. Per training step: ``loss`` (nats for cross-entropy), ``grad_norm``
    (before clipping) and ``wall_time`` (seconds since the start). At each evaluation (every
    ``eval_every`` steps, and at steps 0 and the last): ``eval_step``, ``eval_loss``,
    ``eval_accuracy`` (classification only). ``diverged_at``: the step whose loss or gradient
    overflowed, where the run stopped (else None)."""

    label: str
    loss: np.ndarray
    grad_norm: np.ndarray
    wall_time: np.ndarray
    eval_step: np.ndarray
    eval_loss: np.ndarray
    eval_accuracy: np.ndarray | None
    seconds: float
    diverged_at: int | None = None

    @property
    def steps(self) -> int:
        return len(self.loss)

    @property
    def final_eval_loss(self) -> float:
        """The last held-out loss (the last training loss when there was no evaluation)."""
        return float(self.eval_loss[-1]) if self.eval_loss.size else float(self.loss[-1])

    def steps_to(self, threshold: float) -> int | None:
        """The first evaluation step whose held-out loss is below ``threshold`` (None: never)."""
        hit = np.flatnonzero(self.eval_loss < threshold)
        return int(self.eval_step[hit[0]]) if hit.size else None

    def steps_to_accuracy(self, threshold: float) -> int | None:
        """The first evaluation step whose held-out accuracy is at least ``threshold``."""
        if self.eval_accuracy is None:
            raise ValueError("threshold: accuracy exists only for classification (loss 'xent')")
        hit = np.flatnonzero(self.eval_accuracy >= threshold)
        return int(self.eval_step[hit[0]]) if hit.size else None

    def seconds_at(self, step: int | None) -> float | None:
        """Wall time (s) when training step ``step`` had finished (None for None)."""
        if step is None:
            return None
        return float(self.wall_time[step - 1]) if step > 0 else 0.0

    def summary(self, seconds: bool = True, tr: Callable[..., str] | None = None) -> str:
        """One line: what ran, how far, how it ended (and, with ``seconds``, how long it took).
        ``tr(message, **fields)`` translates it (``None``: English)."""
        tr = tr or (lambda m, **f: m.format(**f))
        if self.diverged_at is not None:
            result = tr("diverged at step {step}", step=self.diverged_at)
        elif self.eval_loss.size:
            result = tr("held-out loss {loss:.4g}", loss=self.final_eval_loss)
        else:
            result = tr("loss {loss:.4g}", loss=self.final_eval_loss)
        fields = dict(label=self.label or tr("training"), steps=self.steps, seconds=self.seconds, result=result)
        if seconds:
            return tr("{label}: {steps} steps in {seconds:.1f} s, {result}", **fields)
        return tr("{label}: {steps} steps, {result}", **fields)

    def __repr__(self):
        return f"History({self.summary()})"


class PrintProgress:
    """A progress report for scripts: one line when training ends. Any object with these three
    methods can be passed to ``fit`` (the course passes a progress bar)."""

    def start(self, total: int, label: str) -> None:
        self.label = label

    def update(self, step: int, loss: float) -> None:
        pass

    def close(self, history: History) -> None:
        print(history.summary())


# ----------------------------------------------------------------------------------------------
# The step and the loop
# ----------------------------------------------------------------------------------------------
def train_step(batch: Batch, model: SequenceModel, optimizer, state=None, *, loss: str = "mse",
               clip: float | None = None, rng=None, workspace: Workspace | None = None):
    """One step of training on ``batch``: forward, loss, backward (BPTT), clipping, update.

    ``state``: where the batch starts when ``batch.carry`` (the final state of the batch before);
    ``rng``: draws the dropout masks when ``model.dropout`` > 0. Returns ``(loss, ||g||, state)``:
    the loss, the gradient's norm before clipping, and the final state (for the next batch).

    A diverging run ends here: when the loss or the gradient overflows, the parameters are left as
    they were, the returned norm is not finite (the loss is inf when the forward pass overflowed).
    """
    X, y, carry = batch
    start = state if carry else None
    masks = None
    if model.dropout:
        T, B = np.shape(X)[:2]
        masks = dropout_masks(model, T, B, rng)
    try:  # forward, loss, backward (BPTT)
        value, grads, final = loss_and_grads(X, y, model, start, loss=loss, masks=masks, workspace=workspace)
    except FloatingPointError:  # the prediction or the loss overflowed
        return np.inf, np.nan, None
    g = grads.arrays()
    # ||g|| before clipping; with clip, g is rescaled in place when ||g|| > clip
    norm = clip_grad_norm(g, clip) if clip is not None else global_norm(g)
    if np.isfinite(norm):
        optimizer.step(model.arrays(), g)  # the update, w <- w - ...
    return value, norm, final


def fit(batches, model: SequenceModel, optimizer, *, steps: int, loss: str = "mse",
        clip: float | None = None, evaluate: Callable[[SequenceModel], Score] | None = None,
        eval_every: int = 50, progress=None, label: str = "", threads: int | None = 1, rng=None,
        stop_when: Callable | None = None, after_step: Callable | None = None) -> History:
    """Train ``model`` in place: ``train_step`` on the next batch of ``batches``, ``steps`` times,
    and return the ``History``.

    ``batches``: a batch source (``task_batches``, ``charlm.text_batches``); ``optimizer``: an
    object with ``step(params, grads)`` (``optim.SGD``, ``optim.Adam``); ``clip``: the
    gradient-norm threshold theta (None: no clipping); ``evaluate(model) -> Score``: scored at step
    0, every ``eval_every`` steps and at the end (``held_out(X, y, loss)``); ``stop_when(loss,
    accuracy) -> bool``: stop at the first evaluation for which it is true; ``after_step(step,
    model)``: called after every update (to watch what training does); ``progress``: None, or an
    object with ``start(total, label)``, ``update(step, loss)`` and ``close(history)``;
    ``threads``: BLAS threads during the loop (None leaves BLAS alone); ``rng``: for the dropout
    masks (needed when ``model.dropout`` > 0).
    """
    batches = _check_fit(batches, model, optimizer, steps, loss, clip, evaluate, eval_every, progress, rng)
    gen = None if rng is None else _validate.rng(rng)
    record = _Recorder(steps, evaluate, progress, label, loss)
    workspace = Workspace()  # one set of buffers for every step's forward and backward pass
    state = None
    with blas_threads(threads):
        record.evaluate(0, model)
        for step in range(1, steps + 1):
            batch = next(batches)
            value, norm, state = train_step(batch, model, optimizer, state, loss=loss, clip=clip, rng=gen,
                                            workspace=workspace)
            record.step(step, value, norm)
            if not np.isfinite(norm):  # diverged: stop before inf or NaN reaches the weights
                break
            if after_step is not None:
                after_step(step, model)
            if step % eval_every == 0 or step == steps:
                score = record.evaluate(step, model)
                if stop_when is not None and score is not None and stop_when(*score):
                    break
    return record.finish()


def _check_fit(batches, model, optimizer, steps, loss, clip, evaluate, eval_every, progress, rng):
    """``fit``'s arguments checked (a ValueError naming the first bad one); returns the batch
    iterator."""
    if not isinstance(model, SequenceModel):
        raise ValueError(f"model: expected a SequenceModel (see network.make_model), got {type(model).__name__}")
    _validate.positive_int(steps, "steps")
    _validate.positive_int(eval_every, "eval_every")
    if isinstance(optimizer, type) or not callable(getattr(optimizer, "step", None)):
        what = f"the class {optimizer.__name__}: make one, e.g. {optimizer.__name__}(lr=1e-3)" \
            if isinstance(optimizer, type) else type(optimizer).__name__
        raise ValueError(f"optimizer: expected an optimizer object with .step(params, grads) "
                         f"(optim.SGD(...), optim.Adam(...)), got {what}")
    if loss not in LOSSES:
        raise ValueError(f"loss: expected one of {sorted(LOSSES)}, got {loss!r}")
    if clip is not None and _validate.real(clip, "clip") <= 0:
        raise ValueError(f"clip: expected None or a number > 0, got {clip}")
    if evaluate is not None and not callable(evaluate):
        raise ValueError(f"evaluate: expected None or a function model -> Score (train.held_out(X, y)), "
                         f"got {type(evaluate).__name__}")
    if progress is not None and not all(hasattr(progress, m) for m in ("start", "update", "close")):
        raise ValueError("progress: expected None or an object with start, update and close "
                         f"(e.g. train.PrintProgress()), got {type(progress).__name__}")
    if model.dropout and rng is None:
        raise ValueError(f"rng: expected a Generator or a seed for the dropout masks (dropout "
                         f"{model.dropout:g}), got None")
    if not hasattr(batches, "__next__"):
        raise ValueError(f"batches: expected an iterator of Batch (train.task_batches, "
                         f"charlm.text_batches), got {type(batches).__name__}")
    return batches


class _Recorder:
    """``fit``'s bookkeeping: the loss, gradient norm and wall time of every step, the held-out
    scores, the progress report; ``finish()`` makes the ``History``."""

    def __init__(self, steps, evaluate, progress, label, loss):
        self.evaluate_fn, self.progress, self.label, self.classify = evaluate, progress, label, loss != "mse"
        self.loss = np.full(steps, np.nan)
        self.norm = np.full(steps, np.nan)
        self.time = np.full(steps, np.nan)
        self.eval_step, self.eval_loss, self.eval_acc = [], [], []
        self.done, self.diverged = 0, None
        if progress is not None:
            progress.start(steps, label)
        self.t0 = time.perf_counter()

    def step(self, step: int, value: float, norm: float) -> None:
        self.loss[step - 1], self.norm[step - 1] = value, norm
        self.time[step - 1] = time.perf_counter() - self.t0
        self.done = step
        if not np.isfinite(norm):
            self.diverged = step
        elif self.progress is not None:
            self.progress.update(step, value)

    def evaluate(self, step: int, model) -> Score | None:
        if self.evaluate_fn is None:
            return None
        score = Score(*self.evaluate_fn(model))
        self.eval_step.append(step)
        self.eval_loss.append(score.loss)
        self.eval_acc.append(score.accuracy)
        return score

    def finish(self) -> History:
        n = self.done
        accuracy = None
        if self.classify and self.eval_acc and all(a is not None for a in self.eval_acc):
            accuracy = np.array(self.eval_acc, dtype=np.float64)
        hist = History(self.label, self.loss[:n], self.norm[:n], self.time[:n],
                       np.array(self.eval_step, dtype=np.int64), np.array(self.eval_loss, dtype=np.float64),
                       accuracy, time.perf_counter() - self.t0, self.diverged)
        if self.progress is not None:
            self.progress.close(hist)
        return hist


class _NoLimit:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def blas_threads(threads: int | None):
    """A context in which BLAS uses ``threads`` threads (``None``: leave BLAS as it is). The one
    place the library sets BLAS threads: small models train faster, and repeatably, on one."""
    if threads is None:
        return _NoLimit()
    threads = _validate.positive_int(threads, "threads")
    from threadpoolctl import threadpool_limits
    return threadpool_limits(threads)


def blas_kernel() -> str:
    """Which matrix-product kernels numpy runs here, e.g. ``"OpenBLAS 0.3.31, Haswell kernels"``.
    Two machines with different kernels round float32 sums differently, and a long training run
    amplifies the difference: a results file records this, so that a test that retrains a slice
    knows whether to expect the same numbers to the last digits."""
    from threadpoolctl import threadpool_info
    for lib in threadpool_info():
        if lib.get("internal_api") == "openblas":
            return f"OpenBLAS {lib.get('version')}, {lib.get('architecture')} kernels"
    return "numpy's BLAS: " + ", ".join(sorted({lib.get("internal_api", "?") for lib in threadpool_info()}))
