"""The LSTM's variants (Greff et al. 2017, "LSTM: A Search Space Odyssey"), each one change to the
LSTM of ``lstm.py``, as switches of one model. Read it beside ``lstm.py``: every line that a variant
changes carries its name.

Forward (column vectors; the standard lines are chapter 02's equations (1)-(6))::

    f_t  = sigmoid(W_f [h_{t-1}, x_t] + b_f  + p_f * c_{t-1})   (1)  NFG:  f_t = 1
    i_t  = sigmoid(W_i [h_{t-1}, x_t] + b_i  + p_i * c_{t-1})   (2)  NIG:  i_t = 1;  CIFG: i_t = 1 - f_t
    c~_t = tanh   (W_c [h_{t-1}, x_t] + b_c)                    (3)  NIAF: c~_t = W_c [h_{t-1}, x_t] + b_c
    c_t  = f_t * c_{t-1} + i_t * c~_t                           (4)
    o_t  = sigmoid(W_o [h_{t-1}, x_t] + b_o  + p_o * c_t)       (5)  NOG:  o_t = 1
    h_t  = o_t * tanh(c_t)                                      (6)  NOAF: h_t = o_t * c_t

The ``p_g * c`` terms are the peephole connections (Gers and Schmidhuber 2000): one weight per unit
(a diagonal matrix), present with ``peepholes=True``; the input and forget gates look at the cell
state they are about to change, ``c_{t-1}``, the output gate at the new one, ``c_t``. Greff et al.'s
"vanilla" LSTM has them, their NP variant does not; chapter 02's LSTM is ``variant="vanilla",
peepholes=False``. A gate that a variant removes has no weights at all (NIG, NFG, NOG and CIFG keep
three blocks of ``[W_gh | W_gx]``, so they learn a quarter fewer numbers).

Backward (chapter 03's derivation; ``s_t = tanh(c_t)`` and ``s' = 1 - s^2``, NOAF: ``s_t = c_t``,
``s' = 1``; ``delta_g`` the error of gate g's weighted input, 0 for a gate that is not there)::

    delta_o,t = dh_t * s_t * o_t (1 - o_t)                                            (c)
    dc_t      = dh_t * o_t * s'(c_t) + dc_{t+1} f_{t+1}  + delta_o,t p_o                 (b)  peephole o
    delta_f,t = dc_t * c_{t-1} * f_t (1 - f_t)          CIFG: dc_t (c_{t-1} - c~_t) f_t (1 - f_t)   (c)
    delta_i,t = dc_t * c~_t * i_t (1 - i_t)                                           (c)
    delta_c,t = dc_t * i_t * (1 - c~_t^2)               NIAF: dc_t * i_t              (c)
    dh_{t-1}  = sum_g W_gh^T delta_g,t;  dx_t = sum_g W_gx^T delta_g,t                (a), (e)
    dc_{t-1}  = dc_t * f_t + delta_f,t p_f + delta_i,t p_i       the peepholes' own paths back  (e)
    dp_f = sum_t delta_f,t c_{t-1},  dp_i = sum_t delta_i,t c_{t-1},  dp_o = sum_t delta_o,t c_t

So a peephole opens two new paths for the error: from the output gate back into ``c_t``, and from
the input and forget gates back into ``c_{t-1}``, besides the carry ``dc_t * f_t``.

Full gate recurrence (FGR: every gate also sees all gates' previous activations) is not here: its
state would be ``(h, c, f, i, o)``, not the ``(h, c)`` every other part of the library carries.

The parameters (``VariantLSTMParams``) keep the fused layout of ``LSTMParams``: row blocks of
``[W_gh | W_gx]`` for the gates the variant has, sigmoid gates first in the order f, i, o, the
candidate last; the peephole weights in one more vector. ``fused_variants`` computes the same
sequences fast (the tests hold the two equal, and both equal to ``lstm.py`` with every switch off).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from . import _validate
from .activations import sigmoid, sigmoid_grad_from_output, tanh_grad_from_output
from .params import BiasBlock, Fused, Grads, Names, Params, WeightBlock, init_storage
from .state import LSTMState, SequenceCache

__all__ = ["VARIANTS", "VARIANT_GATES", "VariantLSTMParams", "VariantLSTMGrads", "VariantStepCache",
           "VariantCache", "variant_step_forward", "variant_step_backward", "variant_forward",
           "variant_backward"]

VARIANT_GATES = {
    "vanilla": ("f", "i", "o", "c"),
    "NIG": ("f", "o", "c"),    # no input gate: i = 1
    "NFG": ("i", "o", "c"),    # no forget gate: f = 1
    "NOG": ("f", "i", "c"),    # no output gate: o = 1
    "NIAF": ("f", "i", "o", "c"),  # no input activation: c~ without tanh
    "NOAF": ("f", "i", "o", "c"),  # no output activation: h = o * c
    "CIFG": ("f", "o", "c"),   # coupled input and forget gate: i = 1 - f
}
"""Each variant's row blocks in ``weights`` (sigmoid gates first, the candidate ``c`` last)."""

VARIANTS = tuple(VARIANT_GATES)
"""The variant names: ``"vanilla"`` and Greff et al.'s one-change variants (NP is ``"vanilla"``
with ``peepholes=False``)."""


# ----------------------------------------------------------------------------------------------
# Parameters: LSTMParams' fused layout, with the variant's gates and optional peepholes
# ----------------------------------------------------------------------------------------------
class VariantGates:
    """``gates``: on the class, every block a variant can have (f, i, o, c); on an object, its own."""

    def __get__(self, obj, owner=None):
        return VARIANT_GATES["vanilla"] if obj is None else VARIANT_GATES[obj.variant]


class PeepholeBlock:
    """The ``(H,)`` slice of ``peephole`` for one sigmoid gate (an AttributeError when the variant
    has no such gate or no peepholes)."""

    def __init__(self, gate: str):
        self.gate = gate

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        if obj.peephole is None:
            raise AttributeError(f"p_{self.gate} exists only with peepholes=True")
        k, H = obj.gate_index(self.gate), obj.hidden_size
        return obj.peephole[k * H:(k + 1) * H]


class VariantLayout(Fused):
    """The article's 12 names (those of the gates the variant has) and the peepholes ``p_f``,
    ``p_i``, ``p_o`` ``(H,)``: views onto ``weights (G*H, H+D)``, ``bias (G*H,)`` and ``peephole
    ((G-1)*H,)`` (one entry per unit of each sigmoid gate, in the blocks' order)."""

    variant: str
    peephole: np.ndarray | None
    gates = VariantGates()
    storage_fields = ("weights", "bias", "peephole")
    names = Names("W_fh", "W_fx", "b_f", "W_ih", "W_ix", "b_i", "W_ch", "W_cx", "b_c", "W_oh", "W_ox", "b_o",
                  "p_f", "p_i", "p_o")
    W_fh = WeightBlock("f", "h"); W_fx = WeightBlock("f", "x"); b_f = BiasBlock("f")  # noqa: E702
    W_ih = WeightBlock("i", "h"); W_ix = WeightBlock("i", "x"); b_i = BiasBlock("i")  # noqa: E702
    W_ch = WeightBlock("c", "h"); W_cx = WeightBlock("c", "x"); b_c = BiasBlock("c")  # noqa: E702
    W_oh = WeightBlock("o", "h"); W_ox = WeightBlock("o", "x"); b_o = BiasBlock("o")  # noqa: E702
    p_f = PeepholeBlock("f"); p_i = PeepholeBlock("i"); p_o = PeepholeBlock("o")  # noqa: E702

    def gate_index(self, gate: str) -> int:
        """The row block of ``gate`` (an AttributeError, naming the variant, when it has none)."""
        gates = VARIANT_GATES[self.variant]
        if gate not in gates:
            raise AttributeError(f"the {self.variant} variant has no gate {gate!r} (its blocks: {gates})")
        return gates.index(gate)

    def has(self, gate: str) -> bool:
        """Whether the variant has gate ``gate`` (``"f"``, ``"i"``, ``"o"``) with weights of its own."""
        return gate in VARIANT_GATES[self.variant]

    @property
    def peepholes(self) -> bool:
        """Whether the gates see the cell state (read off the storage)."""
        return self.peephole is not None

    @property
    def title(self) -> str:
        """Greff et al.'s short name: ``V`` (vanilla with peepholes), ``NP``, ``NIG``, ... and
        ``+P`` for a variant that adds peepholes (``NIG+P``)."""
        if self.variant == "vanilla":
            return "V" if self.peepholes else "NP"
        return self.variant + ("" if self.peepholes else " (no peepholes)")

    def _check_variant_storage(self) -> None:
        if self.variant not in VARIANT_GATES:
            raise ValueError(f"variant: expected one of {VARIANTS}, got {self.variant!r}")
        self._check_storage()
        pp = self.peephole
        want = ((len(self.gates) - 1) * self.hidden_size,)
        if pp is not None and (not isinstance(pp, np.ndarray) or pp.shape != want or pp.dtype != self.dtype):
            got = (pp.shape, pp.dtype) if isinstance(pp, np.ndarray) else type(pp).__name__
            raise ValueError(f"{type(self).__name__}.peephole: expected None or shape {want} of dtype "
                             f"{self.dtype}, got {got}")


def check_variant(variant) -> str:
    """``variant`` if it is one of ``VARIANTS``, else a ValueError."""
    if not isinstance(variant, str) or variant not in VARIANT_GATES:
        raise ValueError(f"variant: expected one of {VARIANTS}, got {variant!r}")
    return variant


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class VariantLSTMParams(VariantLayout, Params):
    """An LSTM variant's parameters: ``weights``, ``bias`` (LSTMParams' layout for the variant's
    gates), ``peephole`` (or ``None``) and ``variant``, a name of ``VARIANTS`` (part of the model,
    not learned). ``VariantLSTMParams(p.weights, p.bias)`` runs an ``LSTMParams`` ``p`` unchanged."""

    peephole: np.ndarray | None = None
    variant: str = "vanilla"

    def __post_init__(self):
        self._check_variant_storage()

    @classmethod
    def init(cls, input_size: int, hidden_size: int, rng, *, variant: str = "vanilla",
             peepholes: bool = False, forget_bias: float = 0.0, dtype=np.float64,
             scale: float | None = None) -> "VariantLSTMParams":
        """Weights and biases from ``U(-k, k)``, ``k = 1/sqrt(H)`` (or ``scale``), drawn as
        ``LSTMParams.init`` draws them (so ``variant="vanilla"`` gives the same numbers), then
        the peepholes (drawn after the others, from the same range), then ``b_f = forget_bias``
        (refused for NFG, which has no forget gate). ``rng``: a Generator or an int seed."""
        variant = check_variant(variant)
        if not isinstance(peepholes, (bool, np.bool_)):
            raise ValueError(f"peepholes: expected True or False, got {peepholes!r}")
        forget_bias = _validate.real(forget_bias, "forget_bias")
        G = len(VARIANT_GATES[variant])
        if variant == "NFG" and forget_bias != 0.0:
            raise ValueError(f"forget_bias: the NFG variant has no forget gate, so expected 0.0, got {forget_bias}")
        H = _validate.positive_int(hidden_size, "hidden_size")
        weights, bias, peephole = init_storage(G, input_size, H, rng, dtype, scale,
                                               extra=(G - 1) * H if peepholes else 0)
        p = cls(weights, bias, peephole, variant)
        if p.has("f"):
            p.b_f[...] = forget_bias
        return p

    @classmethod
    def parameter_count(cls, input_size: int, hidden_size: int, *, variant: str = "vanilla",
                        peepholes: bool = False, forget_bias: float = 0.0) -> int:
        """``G H (H + D) + G H`` for the variant's ``G`` blocks, plus ``(G - 1) H`` peepholes."""
        D = _validate.positive_int(input_size, "input_size")
        H = _validate.positive_int(hidden_size, "hidden_size")
        G = len(VARIANT_GATES[check_variant(variant)])
        return G * H * (H + D) + G * H + ((G - 1) * H if peepholes else 0)

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f", {self.title})"


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class VariantLSTMGrads(VariantLayout, Grads):
    """The gradients under the parameters' names (``p_f``... with peepholes); ``dX``; ``dh0``,
    ``dc0`` (``dstate0``); with ``state_grads=True`` also ``dh``, ``dc (T, B, H)``: the total
    ``dE/dh_t`` and ``dE/dc_t`` (every path into ``c_t``, the peephole's included)."""

    peephole: np.ndarray | None = None
    variant: str = "vanilla"
    dX: np.ndarray | None = None
    dh0: np.ndarray | None = None
    dc0: np.ndarray | None = None
    dh: np.ndarray | None = None
    dc: np.ndarray | None = None

    def __post_init__(self):
        self._check_variant_storage()

    @property
    def dstate0(self) -> LSTMState:
        """The gradient of the initial state: ``LSTMState(dh0, dc0)``."""
        return LSTMState(self.dh0, self.dc0)


def empty_grads(p: VariantLSTMParams, **arrays) -> VariantLSTMGrads:
    """Zero gradients in ``p``'s layout, with ``arrays`` (``dX``, ``dh0``...) attached."""
    peephole = None if p.peephole is None else np.zeros_like(p.peephole)
    return VariantLSTMGrads(np.zeros_like(p.weights), np.zeros_like(p.bias), peephole, p.variant, **arrays)


# ----------------------------------------------------------------------------------------------
# One step
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class VariantStepCache:
    """What ``variant_step_backward`` needs; every array ``(B, H)`` (``x (B, D)``). ``s`` is what
    the output gate scales: ``tanh(c)``, or ``c`` itself for NOAF."""

    x: np.ndarray
    h_prev: np.ndarray
    c_prev: np.ndarray
    f: np.ndarray
    i: np.ndarray
    c_tilde: np.ndarray
    o: np.ndarray
    c: np.ndarray
    s: np.ndarray
    params: VariantLSTMParams


def _peep(p: VariantLSTMParams, gate: str, c: np.ndarray):
    """The peephole term ``p_g * c`` (0 without peepholes)."""
    return getattr(p, f"p_{gate}") * c if p.peepholes else 0.0


def variant_step_forward(x: np.ndarray, p: VariantLSTMParams, state: LSTMState | None = None):
    """One step of the variant's equations (module docstring). Inputs: ``x (B, D)``, ``p``,
    ``state = (h_prev, c_prev)`` (zeros when ``None``). Returns ``(LSTMState(h, c), cache)``."""
    x, (h_prev, c_prev) = _validate.step_inputs(p, VariantLSTMParams, x, state, cell=True)
    one = np.ones_like(c_prev)
    if p.has("f"):
        f = sigmoid(h_prev @ p.W_fh.T + x @ p.W_fx.T + p.b_f + _peep(p, "f", c_prev))  # (1) forget gate
    else:
        f = one                                                      # NFG: never forgets
    if p.variant == "CIFG":
        i = 1.0 - f                                                  # CIFG: writes what it forgets
    elif p.has("i"):
        i = sigmoid(h_prev @ p.W_ih.T + x @ p.W_ix.T + p.b_i + _peep(p, "i", c_prev))  # (2) input gate
    else:
        i = one                                                      # NIG: always writes
    net_c = h_prev @ p.W_ch.T + x @ p.W_cx.T + p.b_c
    c_tilde = net_c if p.variant == "NIAF" else np.tanh(net_c)       # (3) candidate; NIAF: no tanh
    c = f * c_prev + i * c_tilde                                     # (4) cell state
    if p.has("o"):
        o = sigmoid(h_prev @ p.W_oh.T + x @ p.W_ox.T + p.b_o + _peep(p, "o", c))  # (5) sees c_t
    else:
        o = one                                                      # NOG: always shows
    s = c if p.variant == "NOAF" else np.tanh(c)                     # NOAF: no tanh on the output
    h = o * s                                                        # (6) output
    return LSTMState(h, c), VariantStepCache(x, h_prev, c_prev, f, i, c_tilde, o, c, s, p)


def variant_step_backward(dstate: LSTMState, cache: VariantStepCache) -> VariantLSTMGrads:
    """Backward through one step. ``dstate = (dh, dc)``: the total ``dE/dh_t`` and the part of
    ``dE/dc_t`` that does not go through ``h_t`` (the carry from step t+1). Returns this step's
    share of every gradient, ``dX (B, D)``, ``dh0``, ``dc0 (B, H)`` (to the state the step started
    from) and ``dh``, ``dc``: what the step received, ``dc`` with every path into ``c_t``."""
    dh, dc = _validate.step_grad(dstate, cache, VariantStepCache, cell=True)
    k, p = cache, cache.params
    zero = np.zeros_like(dh)
    s_grad = 1.0 if p.variant == "NOAF" else tanh_grad_from_output(k.s)
    dc = dc + dh * k.o * s_grad                                      # (b) through h_t = o_t s(c_t)
    d_o = dh * k.s * sigmoid_grad_from_output(k.o) if p.has("o") else zero  # (c) delta_o
    if p.peepholes and p.has("o"):
        dc = dc + d_o * p.p_o                                        # peephole: o_t saw c_t
    if p.variant == "CIFG":                                          # f moves c_{t-1} in and c~ out
        d_f = dc * (k.c_prev - k.c_tilde) * sigmoid_grad_from_output(k.f)
    else:
        d_f = dc * k.c_prev * sigmoid_grad_from_output(k.f) if p.has("f") else zero  # (c) delta_f
    d_i = dc * k.c_tilde * sigmoid_grad_from_output(k.i) if p.has("i") else zero     # (c) delta_i
    c_grad = 1.0 if p.variant == "NIAF" else tanh_grad_from_output(k.c_tilde)
    d_c = dc * k.i * c_grad                                          # (c) delta_c~

    deltas = {"f": d_f, "i": d_i, "o": d_o, "c": d_c}
    dc_prev = dc * k.f                                               # (e) the carry
    if p.peepholes:
        dc_prev = dc_prev + sum(deltas[g] * getattr(p, f"p_{g}") for g in "fi" if p.has(g))  # peepholes saw c_{t-1}
    g = empty_grads(p, dX=np.zeros_like(k.x), dh0=np.zeros_like(dh), dc0=dc_prev, dh=dh, dc=dc)
    for gate in p.gates:                                             # the gates this variant has
        d = deltas[gate]
        g.dh0[...] += d @ getattr(p, f"W_{gate}h")                   # (a) sum_g W_gh^T delta_g
        g.dX[...] += d @ getattr(p, f"W_{gate}x")                    # (e) sum_g W_gx^T delta_g
        getattr(g, f"W_{gate}h")[...] = d.T @ k.h_prev               # (d)
        getattr(g, f"W_{gate}x")[...] = d.T @ k.x
        getattr(g, f"b_{gate}")[...] = d.sum(axis=0)
    if p.peepholes:                                                  # dp_g = sum over the batch of delta_g * c
        for gate in p.gates[:-1]:
            getattr(g, f"p_{gate}")[...] = (deltas[gate] * (k.c if gate == "o" else k.c_prev)).sum(axis=0)
    return g


# ----------------------------------------------------------------------------------------------
# A whole sequence: loops over the steps, as in lstm.py
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class VariantCache(SequenceCache):
    """What ``variant_backward`` needs: the inputs and every step's cache; ``f``, ``i``,
    ``c_tilde``, ``o``, ``c (T, B, H)`` and ``cT``, ``final_state`` as in ``lstm.LSTMCache``."""

    X: np.ndarray
    params: VariantLSTMParams
    hs: np.ndarray
    steps: tuple
    has_cell = True

    def _stack(self, name):
        return np.stack([getattr(s, name) for s in self.steps])

    f = property(lambda self: self._stack("f"), doc="forget gate f_t, (T, B, H) (ones for NFG)")
    i = property(lambda self: self._stack("i"), doc="input gate i_t, (T, B, H)")
    o = property(lambda self: self._stack("o"), doc="output gate o_t, (T, B, H)")
    c_tilde = property(lambda self: self._stack("c_tilde"), doc="candidate c~_t, (T, B, H)")
    c = property(lambda self: self._stack("c"), doc="cell state c_t, (T, B, H)")
    cT = property(lambda self: self.steps[-1].c.copy(), doc="final cell state c_T, (B, H)")


def variant_forward(X: np.ndarray, p: VariantLSTMParams, state: LSTMState | None = None):
    """``variant_step_forward`` at every step. ``X (T, B, D)``; ``state = (h0, c0)`` (zeros when
    ``None``). Returns ``(hs (T, B, H) read-only, VariantCache)``."""
    X, state = _validate.sequence_inputs(p, VariantLSTMParams, X, state, cell=True)
    hs, steps = [], []
    for x in X:
        state, step = variant_step_forward(x, p, state)
        hs.append(state.h)
        steps.append(step)
    hs = np.stack(hs)
    hs.flags.writeable = False
    return hs, VariantCache(X, p, hs, tuple(steps))


def variant_backward(dhs: np.ndarray, cache: VariantCache, dstate: LSTMState | None = None, *,
                     state_grads: bool = False) -> VariantLSTMGrads:
    """``variant_step_backward`` from step T down to 1, carrying ``dh`` and ``dc``. ``dhs (T, B,
    H)``; ``dstate = (dhT, dcT)`` (zeros when ``None``). Returns every gradient, ``dX``, ``dh0``,
    ``dc0``; with ``state_grads=True`` also ``dh``, ``dc (T, B, H)``."""
    dhs, (dh, dc) = _validate.backward_inputs(dhs, cache, VariantCache, "variant_forward", dstate, cell=True)
    p = cache.params
    total = empty_grads(p)
    dX = np.empty_like(cache.X)
    dh_total, dc_total = np.empty_like(cache.hs), np.empty_like(cache.hs)
    for t in reversed(range(len(cache.steps))):
        g = variant_step_backward((dhs[t] + dh, dc), cache.steps[t])
        for mine, step in zip(total.arrays(), g.arrays()):
            mine += step                                             # (d) shared weights: gradients add
        dX[t] = g.dX
        dh_total[t], dc_total[t] = g.dh, g.dc
        dh, dc = g.dh0, g.dc0
    return dataclasses.replace(total, dX=dX, dh0=dh, dc0=dc, dh=dh_total if state_grads else None,
                               dc=dc_total if state_grads else None)
