"""Chapter 04, the GRU: its gates held by hand, the two conventions compared, parameter counts,
and the parity with PyTorch's ``nn.GRU``."""
from __future__ import annotations

import dataclasses

import numpy as np

from .. import _validate
from ..gru import GRUParams, gru_backward, gru_forward, gru_step_backward
from ..lstm import LSTMParams
from ..rnn import RNNParams
from .ch02 import held_gate_bias

__all__ = ["FixedGateRun", "held_gates", "gru_fixed_gates", "GateLab", "ConventionGap",
           "compare_gru_conventions", "ParameterCount", "parameter_counts", "parameter_count_table",
           "TorchParity", "gru_torch_parity"]


@dataclasses.dataclass(frozen=True, eq=False)
class FixedGateRun:
    """A GRU run with its update and reset gates held at given values.

    ``hs (T, B, H)``: ``h_1..h_T``; ``h_tilde (T, B, H)``: the candidates; ``influence (T,)``:
    ``||dh_t/dh_0||_2`` for the first sample, how much of the starting state survives to step t.
    """

    z: float
    r: float
    hs: np.ndarray
    h_tilde: np.ndarray
    influence: np.ndarray


def held_gates(p: GRUParams, z: float, r: float) -> GRUParams:
    """A copy of ``p`` whose update and reset gates are ``z`` and ``r`` at every step, whatever
    the input: their weights are zero and their biases ``held_gate_bias(z)``, ``held_gate_bias(r)``."""
    _validate.params(p, GRUParams)
    q = p.copy()
    for gate, v in (("z", z), ("r", r)):
        getattr(q, f"W_{gate}h")[...] = 0.0
        getattr(q, f"W_{gate}x")[...] = 0.0
        getattr(q, f"b_{gate}")[...] = held_gate_bias(v, gate)
    return q


def gru_fixed_gates(X: np.ndarray, p: GRUParams, z: float, r: float,
                    h0: np.ndarray | None = None) -> FixedGateRun:
    """Run the GRU ``p`` over ``X (T, B, D)`` from ``h0 (B, H)`` with its gates held at ``z_t = z``
    and ``r_t = r`` (``held_gates``), in either convention::

        h~_t = tanh(W_ch (r * h_{t-1}) + W_cx x_t + b_c)              (reset_after=False)
        h~_t = tanh(W_cx x_t + b_c + r * (W_ch h_{t-1} + b_ch))       (reset_after=True)
        h_t  = (1 - z) * h_{t-1} + z * h~_t

    ``influence[t-1] = ||dh_t/dh_0||_2`` for the first sample: the product of the one-step
    Jacobians ``dh_t/dh_{t-1}``, each read off ``gru_step_backward`` (the backward of
    ``E = h_t[j]`` gives row j, so a batch of identity rows gives them all at once).
    """
    q = held_gates(p, z, r)
    hs, cache = gru_forward(X, q, h0)  # validates X and h0
    H = q.hidden_size
    # the first sample once per unit: identity rows as dE/dh_t then give all of dh_t/dh_{t-1}
    _, rows = gru_forward(np.repeat(cache.X[:, :1], H, axis=1), q, np.repeat(cache.h0[:1], H, axis=0))
    influence = np.empty(hs.shape[0])
    J = np.eye(H)
    for t, step in enumerate(rows.steps):
        J = gru_step_backward(np.eye(H), step).dh0 @ J  # one step's Jacobian, then the chain rule
        influence[t] = np.linalg.norm(J, 2)
    return FixedGateRun(float(z), float(r), hs, cache.h_tilde, influence)


class GateLab:
    """Chapter 04's explorer data: one GRU (article convention, H = 4, recurrent weights large
    enough that the reset gate matters) and one input sequence with a pulse at step 5 and noise."""

    def __init__(self, *, steps: int = 40, hidden_size: int = 4, seed: int = 0):
        gen = _validate.rng(seed)
        steps = _validate.positive_int(steps, "steps")
        self.params = GRUParams.init(1, hidden_size, gen)
        H = self.params.hidden_size
        q, _ = np.linalg.qr(gen.standard_normal((H, H)))
        self.params.W_ch[...] = 1.5 * q  # stretches by 1.5 in every direction
        self.params.W_cx[...] = np.linspace(1.0, -1.0, H).reshape(H, 1)  # units read x differently
        self.params.b_c[...] = 0.0
        x = 0.1 * gen.standard_normal(steps)
        x[4] += 2.0  # the pulse, at step 5
        self.X = x.reshape(steps, 1, 1)
        self.h0 = np.full((1, H), 0.8)
        self.h0[0, 1::2] = -0.8

    def run(self, z: float, r: float) -> FixedGateRun:
        return gru_fixed_gates(self.X, self.params, z, r, h0=self.h0)


@dataclasses.dataclass(frozen=True)
class ConventionGap:
    """How far apart the two GRU conventions are on the same weights (``compare_gru_conventions``)."""

    learned_reset: float  # max |h_before - h_after| with the reset gate as the weights make it
    open_reset: float  # the same with b_r so large that r = 1 everywhere

    def __str__(self) -> str:
        # below 1e-12 the difference is rounding, whose last bits depend on the BLAS build
        tiny = "< 1e-12" if self.open_reset < 1e-12 else f"{self.open_reset:.1e}"
        return (f"same weights, reset before vs after the product: max |h difference| = "
                f"{self.learned_reset:.3f}\nthe same with the reset gate held open (r = 1):     "
                f"max |h difference| {tiny}")

    __repr__ = __str__


def compare_gru_conventions(*, steps: int = 20, input_size: int = 3, hidden_size: int = 8,
                            seed: int = 0) -> ConventionGap:
    """Run one set of weights as the article's GRU (reset before the product) and as cuDNN's
    (reset after, with ``b_ch = 0``) on one random sequence; again with ``b_r = 40`` (``r = 1``
    to float64 precision), where the two formulas coincide."""
    gen = _validate.rng(seed)
    before = GRUParams.init(input_size, hidden_size, gen)
    X = gen.standard_normal((_validate.positive_int(steps, "steps"), 2, before.input_size))
    gaps = []
    for open_gate in (False, True):
        p = before.copy()
        if open_gate:
            p.b_r[...] = 40.0
        after = GRUParams(p.weights.copy(), p.bias.copy(), np.zeros(p.hidden_size))
        hb, _ = gru_forward(X, p)
        ha, _ = gru_forward(X, after)
        gaps.append(float(np.max(np.abs(hb - ha))))
    return ConventionGap(*gaps)


@dataclasses.dataclass(frozen=True)
class ParameterCount:
    """One row of ``parameter_counts``: a model, its formula, lstmlib's and PyTorch's counts."""

    model: str
    formula: str
    lstmlib: int
    pytorch: int | None  # None: PyTorch has no such layer


def parameter_counts(input_size: int, hidden_size: int) -> tuple[ParameterCount, ...]:
    """How many numbers each model learns for input size D and hidden size H: lstmlib's count
    (from real parameter objects) and what PyTorch stores (``nn.RNN``, ``nn.GRU``, ``nn.LSTM``
    keep two bias vectors, ``b_ih`` and ``b_hh``, where one suffices except for ``b_hn``)."""
    D = _validate.positive_int(input_size, "input_size")
    H = _validate.positive_int(hidden_size, "hidden_size")
    gen = np.random.default_rng(0)
    n = lambda p: p.num_parameters  # noqa: E731
    return (
        ParameterCount("RNN", "H(H+D) + H", n(RNNParams.init(D, H, gen)), H * (H + D) + 2 * H),
        ParameterCount("GRU, reset before (article)", "3H(H+D) + 3H",
                       n(GRUParams.init(D, H, gen)), None),
        ParameterCount("GRU, reset after (cuDNN, PyTorch)", "3H(H+D) + 4H",
                       n(GRUParams.init(D, H, gen, reset_after=True)), 3 * H * (H + D) + 6 * H),
        ParameterCount("LSTM", "4H(H+D) + 4H", n(LSTMParams.init(D, H, gen)), 4 * H * (H + D) + 8 * H),
    )


def parameter_count_table(input_size: int, hidden_size: int) -> str:
    """``parameter_counts`` as a text table (PyTorch has no reset-before GRU: shown as '-')."""
    rows = parameter_counts(input_size, hidden_size)
    head = f"{'model':<34}{'formula':>16}{'lstmlib':>10}{'PyTorch':>10}{'vs LSTM':>9}"
    lstm = rows[-1].lstmlib
    lines = [f"D = {input_size}, H = {hidden_size}", head, "-" * len(head)]
    for r in rows:
        torch_n = f"{'-':>10}" if r.pytorch is None else f"{r.pytorch:>10}"
        lines.append(f"{r.model:<34}{r.formula:>16}{r.lstmlib:>10}{torch_n}{r.lstmlib / lstm:>9.2f}")
    return "\n".join(lines)


@dataclasses.dataclass(frozen=True)
class TorchParity:
    """``gru_torch_parity``'s findings: the largest absolute difference per compared array
    (``None`` in ``skipped`` when torch is not installed)."""

    differences: dict
    tol: float
    skipped: str | None = None

    @property
    def passed(self) -> bool:
        return self.skipped is None and all(v <= self.tol for v in self.differences.values())

    def __str__(self) -> str:
        if self.skipped:
            return f"PyTorch parity: skipped ({self.skipped})"
        lines = [f"{'array':<14}{'max |lstmlib - torch|':>24}"]
        for name, v in self.differences.items():
            lines.append(f"{name:<14}{('< ' + format(self.tol, '.0e')) if v <= self.tol else format(v, '.2e'):>24}")
        verdict = "agree" if self.passed else "DISAGREE"
        lines.append(f"PyTorch parity: the output and all {len(self.differences) - 1} gradient arrays "
                     f"{verdict} to {self.tol:.0e}")
        return "\n".join(lines)

    __repr__ = __str__


def gru_torch_parity(*, steps: int = 6, batch: int = 3, input_size: int = 4, hidden_size: int = 5,
                     seed: int = 0, tol: float = 1e-12) -> TorchParity:
    """Run one random ``reset_after=True`` GRU (float64) in lstmlib and, converted with
    ``torch_interop.gru_to_torch``, in ``torch.nn.GRU``; compare the outputs and the gradients of
    ``E = sum(G * hs)`` for every torch parameter and the input. Skipped when torch is absent."""
    try:
        import torch
    except ImportError:
        return TorchParity({}, tol, skipped="torch is not installed")
    from ..torch_interop import gru_grads_to_torch, gru_to_torch
    gen = np.random.default_rng(seed)
    q = GRUParams.init(input_size, hidden_size, gen, reset_after=True)
    X = gen.standard_normal((steps, batch, input_size))
    G = gen.standard_normal((steps, batch, hidden_size))
    hs, cache = gru_forward(X, q)
    g = gru_backward(G, cache)
    m = gru_to_torch(q)
    Xt = torch.tensor(X, requires_grad=True)
    out, _ = m(Xt)
    (out * torch.from_numpy(G)).sum().backward()
    mine = gru_grads_to_torch(g)
    diffs = {"output h": float(np.max(np.abs(out.detach().numpy() - hs)))}
    for name, a in mine.items():
        diffs[name] = float(np.max(np.abs(getattr(m, name).grad.numpy() - a)))
    diffs["input X"] = float(np.max(np.abs(Xt.grad.numpy() - g.dX)))
    return TorchParity(diffs, tol)
