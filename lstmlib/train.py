"""A recurrent layer with a linear head, and the loop that trains it.

A ``SequenceModel`` is one recurrent layer (``"rnn"``, ``"lstm"`` or ``"gru"``) and a linear head
that reads either the last hidden state (``y = W_y h_T + b_y``, one prediction per sequence) or
every hidden state (one prediction per step). ``loss_and_grads`` runs forward, the loss, and
backward, and returns the gradients as a tuple of arrays in the same order as
``model.arrays()``; the optimizers of ``optim`` update those arrays in place. ``train_step`` is one
step of training (gradients, clipping, update) and ``fit`` the loop around it: fresh batches,
held-out scores, a ``History``, and progress reported to an object the caller passes (the course's
notebooks pass a progress bar).

Everything trains in float32 (twice the matrix-product speed of float64) with BLAS held to one
thread: at these small sizes the second thread costs more in synchronisation than it brings, and
one thread makes a run bit-for-bit repeatable on a given machine.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Callable

import numpy as np

from . import _validate
from .fused import Workspace
from .losses import LOSSES
from .optim import clip_grad_norm, global_norm
from .models import get_model, model_of

__all__ = ["Linear", "SequenceModel", "make_model", "predict", "loss_and_grads", "History", "fit",
           "evaluate", "PrintProgress", "train_step"]


# ----------------------------------------------------------------------------------------------
# The model: a recurrent layer and a linear head
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Linear:
    """The readout ``y = W_y h + b_y``: ``weights (K, H)``, ``bias (K,)``."""

    weights: np.ndarray
    bias: np.ndarray

    @classmethod
    def init(cls, hidden_size: int, output_size: int, rng, dtype=np.float32) -> "Linear":
        """Weights from ``U(-k, k)``, ``k = 1/sqrt(H)``; bias zero."""
        H = _validate.positive_int(hidden_size, "hidden_size")
        K = _validate.positive_int(output_size, "output_size")
        dt = _validate.as_dtype(dtype)
        k = 1.0 / np.sqrt(H)
        w = _validate.rng(rng).uniform(-k, k, size=(K, H)).astype(dt)
        return cls(w, np.zeros(K, dtype=dt))

    def arrays(self) -> tuple[np.ndarray, ...]:
        return (self.weights, self.bias)

    def copy(self) -> "Linear":
        return Linear(self.weights.copy(), self.bias.copy())


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class SequenceModel:
    """A recurrent layer ``cell`` (``RNNParams``, ``LSTMParams`` or ``GRUParams``) and a ``Linear``
    head; ``every_step`` chooses a prediction per step instead of one from the last step."""

    cell: object
    head: Linear
    every_step: bool = False

    def __post_init__(self):
        model_of(self.cell)  # a ValueError naming the cell when it is not a model's parameters

    @property
    def kind(self) -> str:
        """``"rnn"``, ``"lstm"`` or ``"gru"``."""
        return model_of(self.cell).name

    def arrays(self) -> tuple[np.ndarray, ...]:
        """Every trainable array, in the order ``loss_and_grads`` returns gradients."""
        return self.cell.arrays() + self.head.arrays()

    @property
    def num_parameters(self) -> int:
        return sum(a.size for a in self.arrays())

    @property
    def dtype(self) -> np.dtype:
        return self.cell.dtype

    def copy(self) -> "SequenceModel":
        return SequenceModel(self.cell.copy(), self.head.copy(), self.every_step)

    def __repr__(self) -> str:
        return (f"SequenceModel({self.kind}, input_size={self.cell.input_size}, "
                f"hidden_size={self.cell.hidden_size}, output_size={self.head.weights.shape[0]}, "
                f"{self.num_parameters} parameters)")


def make_model(kind: str, input_size: int, hidden_size: int, output_size: int, rng, *,
               forget_bias: float = 1.0, scale: float | None = None, dtype=np.float32,
               every_step: bool = False, reset_after: bool = False,
               activation: str = "tanh") -> SequenceModel:
    """A fresh ``SequenceModel``. ``kind``: ``"rnn"``, ``"lstm"`` or ``"gru"``; ``forget_bias``
    (LSTM only) sets ``b_f``; ``scale``: weights ~ ``U(-scale, scale)`` instead of the default
    ``k = 1/sqrt(H)``; ``reset_after``: the GRU convention (PyTorch's when True); ``activation``:
    the RNN's."""
    model = get_model(kind, "kind")
    gen = _validate.rng(rng)
    extra = {"lstm": dict(forget_bias=forget_bias), "gru": dict(reset_after=reset_after),
             "rnn": dict(activation=activation)}[kind]
    cell = model.init(input_size, hidden_size, gen, dtype=dtype, scale=scale, **extra)
    return SequenceModel(cell, Linear.init(hidden_size, output_size, gen, dtype=dtype),
                         bool(every_step))


def _check_model(model) -> None:
    if not isinstance(model, SequenceModel):
        raise ValueError(f"model: expected a SequenceModel (see make_model), got {type(model).__name__}")


def predict(model: SequenceModel, X: np.ndarray) -> np.ndarray:
    """The head's output: ``(B, K)`` from the last step, or ``(T, B, K)`` when ``every_step``.
    ``X (T, B, D)`` in the model's dtype."""
    _check_model(model)
    hs, _ = model_of(model.cell).forward(X, model.cell)
    read = hs if model.every_step else hs[-1]
    return read @ model.head.weights.T + model.head.bias




def loss_and_grads(model: SequenceModel, X: np.ndarray, y: np.ndarray, loss: str = "mse", *,
                   workspace: Workspace | None = None):
    """Forward, loss and backward for one batch.

    ``X (T, B, D)``; ``y``: ``(B, K)`` floats for ``"mse"`` or ``(B,)`` ints for ``"xent"``
    (with ``T`` in front when ``model.every_step``); ``workspace``: see ``fused.Workspace``.
    Returns ``(loss value, grads, prediction)``, ``grads`` a tuple of arrays matching
    ``model.arrays()``.
    """
    _check_model(model)
    if loss not in LOSSES:
        raise ValueError(f"loss: expected one of {sorted(LOSSES)}, got {loss!r}")
    layer = model_of(model.cell)
    hs, cache = layer.forward(X, model.cell, workspace=workspace)  # every hidden state, (T, B, H)
    Wy = model.head.weights
    read = hs if model.every_step else hs[-1]
    # A diverging run (exploding weights, chapter 06's unclipped RNN) overflows here: check and
    # say so instead of letting inf and NaN flow into the backward pass.
    with np.errstate(over="ignore", invalid="ignore"):
        pred = read @ Wy.T + model.head.bias
        value, dpred = LOSSES[loss](pred, y)
        dpred = dpred.astype(model.dtype, copy=False)
        # the head: dW_y = sum dpred^T h, db_y = sum dpred, and dE/dh = dpred W_y
        flat_d = dpred.reshape(-1, Wy.shape[0])
        dW = flat_d.T @ read.reshape(-1, Wy.shape[1])
        db = flat_d.sum(axis=0)
        dread = dpred @ Wy
    if not (np.isfinite(value) and np.all(np.isfinite(dread)) and np.all(np.isfinite(dW))):
        raise FloatingPointError(f"the loss or its gradient overflowed (loss {value:.3g}): "
                                 "the run diverged")
    if model.every_step:
        dhs = dread
    else:  # the loss reads h_T alone: no error enters from above at the earlier steps
        dhs = np.zeros_like(hs)
        dhs[-1] = dread
    g = layer.backward(dhs, cache, workspace=workspace)  # BPTT (chapters 01, 03 and 04)
    return value, g.arrays() + (dW, db), pred


# ----------------------------------------------------------------------------------------------
# The loop
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass
class History:
    """What ``fit`` records. Per training step: ``loss``, ``grad_norm`` (before clipping) and
    ``wall_time`` (seconds since the start). Every ``eval_every`` steps (and at the end):
    ``eval_step``, ``eval_loss``, ``eval_accuracy`` (classification only) on a fixed held-out set.
    ``diverged_at``: the step whose loss or gradient overflowed, where the run stopped (else None).
    """

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
        """The last held-out loss (the last training loss when no held-out set was given)."""
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

    def summary(self, seconds: bool = True) -> str:
        """One line: what ran, how far, how it ended (and, with ``seconds``, how long it took), in
        the course's language (``lstmlib.course.i18n``; English unless a notebook chose another)."""
        from .course.i18n import tr  # light (no matplotlib, no widgets); the model layer's one use of it
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


def evaluate(model: SequenceModel, X: np.ndarray, y: np.ndarray, loss: str = "mse"):
    """``(loss, accuracy)`` of ``model`` on ``(X, y)``; accuracy is ``None`` for ``"mse"``."""
    _check_model(model)
    if loss not in LOSSES:
        raise ValueError(f"loss: expected one of {sorted(LOSSES)}, got {loss!r}")
    with np.errstate(over="ignore", invalid="ignore"):  # a diverged model reads as inf, not a warning
        pred = predict(model, X)
        value, _ = LOSSES[loss](pred, y)
    if not np.isfinite(value):
        value = np.inf
    acc = None if loss == "mse" else float(np.mean(pred.argmax(axis=-1) == y))
    return value, acc


class PrintProgress:
    """A progress report for scripts: one line when training ends. Any object with these three
    methods can be passed to ``fit`` (the course passes an ipywidgets progress bar)."""

    def start(self, total: int, label: str) -> None:
        self.label = label

    def update(self, step: int, loss: float) -> None:
        pass

    def close(self, history: "History") -> None:
        print(history.summary())


def train_step(model: SequenceModel, X: np.ndarray, y: np.ndarray, optimizer, *, loss: str = "mse",
               clip: float | None = None, workspace: Workspace | None = None) -> tuple[float, float]:
    """One step of training on the batch ``(X (T, B, D), y)``: forward, loss, backward (BPTT),
    clipping, update. Returns ``(loss, ||g||)``, the gradient's norm before clipping.

    A diverging run ends here: when the loss or the gradient overflows, the parameters are left as
    they were, and the returned norm is not finite (the loss is inf when the forward pass
    overflowed already).
    """
    try:  # forward, loss, backward (BPTT)
        value, grads, _ = loss_and_grads(model, X, y, loss, workspace=workspace)
    except FloatingPointError:  # the prediction or the loss overflowed
        return np.inf, np.nan
    # ||g|| before clipping; with clip, g is rescaled in place when ||g|| > clip
    norm = clip_grad_norm(grads, clip) if clip is not None else global_norm(grads)
    if np.isfinite(norm):
        optimizer.step(model.arrays(), grads)  # the update, w <- w - ...
    return value, norm


def fit(model: SequenceModel, sample: Callable, *, steps: int, batch_size: int, optimizer, rng,
        loss: str = "mse", clip: float | None = None, eval_data=None, eval_every: int = 50,
        progress=None, label: str = "", threads: int | None = 1,
        stop_when: Callable | None = None, after_step: Callable | None = None) -> History:
    """Train ``model`` in place: ``train_step`` on a fresh batch ``sample(batch_size, rng)``,
    ``steps`` times, and return the ``History``.

    ``sample(n, rng) -> (X (T, n, D), y)`` (e.g. ``Task.sample``); ``rng``: a Generator or seed,
    so a run is a pure function of its seeds. ``clip``: the gradient-norm threshold theta (None:
    no clipping). ``eval_data (X, y)``: a fixed held-out set, scored every ``eval_every`` steps and
    at the end. ``stop_when(loss, accuracy) -> bool``: stop at the first held-out score for which
    it is true (``accuracy`` is None for ``"mse"``). ``after_step(step, model)``: called after
    every update (to watch what training does). ``progress``: None, or an object with
    ``start(total, label)``, ``update(step, loss)`` and ``close(history)``. ``threads``: BLAS
    threads during the loop (None leaves BLAS alone).
    """
    gen = _check_fit(model, steps, batch_size, optimizer, rng, loss, clip, eval_every, progress)
    record = _Recorder(model, steps, loss, eval_data, progress, label)
    workspace = Workspace()  # one set of buffers for every step's forward and backward pass
    with blas_threads(threads):
        record.evaluate(0)
        for step in range(1, steps + 1):
            X, y = sample(batch_size, gen)  # new sequences at every step: nothing to memorise
            value, norm = train_step(model, X, y, optimizer, loss=loss, clip=clip, workspace=workspace)
            record.step(step, value, norm)
            if not np.isfinite(norm):  # diverged: stop before inf or NaN reaches the weights
                break
            if after_step is not None:
                after_step(step, model)
            if step % eval_every == 0 or step == steps:
                held_out = record.evaluate(step)  # (loss, accuracy), or None without eval_data
                if stop_when is not None and held_out is not None and stop_when(*held_out):
                    break
    return record.finish()


def _check_fit(model, steps, batch_size, optimizer, rng, loss, clip, eval_every, progress):
    """``fit``'s arguments checked (a ValueError naming the first bad one); returns the Generator."""
    _check_model(model)
    _validate.positive_int(steps, "steps")
    _validate.positive_int(batch_size, "batch_size")
    _validate.positive_int(eval_every, "eval_every")
    if not hasattr(optimizer, "step"):
        raise ValueError(f"optimizer: expected an object with .step(params, grads) (SGD, Adam), "
                         f"got {type(optimizer).__name__}")
    if loss not in LOSSES:
        raise ValueError(f"loss: expected one of {sorted(LOSSES)}, got {loss!r}")
    if clip is not None:
        theta = _validate.real(clip, "clip")
        if theta <= 0:
            raise ValueError(f"clip: expected None or a number > 0, got {clip}")
    if progress is not None and not all(hasattr(progress, m) for m in ("start", "update", "close")):
        raise ValueError("progress: expected None or an object with start, update and close "
                         f"(e.g. train.PrintProgress()), got {type(progress).__name__}")
    return _validate.rng(rng)


class _Recorder:
    """``fit``'s bookkeeping: the loss, gradient norm and wall time of every step, the held-out
    scores, the progress report; ``finish()`` makes the ``History``."""

    def __init__(self, model, steps, loss, eval_data, progress, label):
        self.model, self.loss_name, self.eval_data = model, loss, eval_data
        self.progress, self.label = progress, label
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

    def evaluate(self, step: int):
        if self.eval_data is None:
            return None
        value, acc = evaluate(self.model, self.eval_data[0], self.eval_data[1], self.loss_name)
        self.eval_step.append(step)
        self.eval_loss.append(value)
        self.eval_acc.append(acc)
        return value, acc

    def finish(self) -> History:
        n = self.done
        hist = History(
            self.label, self.loss[:n], self.norm[:n], self.time[:n],
            np.array(self.eval_step, dtype=np.int64), np.array(self.eval_loss, dtype=np.float64),
            None if self.loss_name == "mse" or not self.eval_acc
            else np.array(self.eval_acc, dtype=np.float64),
            time.perf_counter() - self.t0, self.diverged)
        if self.progress is not None:
            self.progress.close(hist)
        return hist


class _NoLimit:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def blas_threads(threads: int | None):
    """A context in which BLAS uses ``threads`` threads (``None``: leave BLAS as it is). Small
    models train faster, and repeatably, on one thread: a second one costs more in
    synchronisation than it brings."""
    if threads is None:
        return _NoLimit()
    threads = _validate.positive_int(threads, "threads")
    from threadpoolctl import threadpool_limits
    return threadpool_limits(threads)
