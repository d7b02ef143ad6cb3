"""Self-checks of chapter 04's exercises."""
from __future__ import annotations

import numpy as np

from ...activations import sigmoid
from ...gru import GRUParams, gru_step_backward, gru_step_forward
from .. import ch04
from ..i18n import tr
from ._verdict import Verdict, _close, _number


CONVENTIONS = ("article", "pytorch")
"""The conventions the chapter-04 checks know, matched without regard to case ("PyTorch" works)."""


def _convention(convention) -> tuple[str | None, Verdict | None]:
    """``convention`` in lower case if it is one of ``CONVENTIONS``, else a Verdict."""
    name = convention.strip().lower() if isinstance(convention, str) else None
    if name not in CONVENTIONS:
        return None, Verdict(False, tr("convention: expected 'article' or 'pytorch' (any case), got {c!r}.",
                                       c=convention))
    return name, None


def _gru_counts(D: int, H: int) -> dict:
    """``{reset_after: ParameterCount}`` of the GRU, from ``ch04.parameter_counts``."""
    return {r.options["reset_after"]: r for r in ch04.parameter_counts(D, H) if "reset_after" in r.options}


def check_gru_parameter_count(answer, *, input_size: int = 10, hidden_size: int = 20,
                              convention: str = "pytorch") -> Verdict:
    """Exercise 04.1: how many numbers does a GRU with input size D and hidden size H store?
    ``convention``: ``"article"`` (reset before the product, one bias per gate, as lstmlib
    stores it) or ``"pytorch"`` (``nn.GRU``: two bias vectors of 3H each), in any case. The
    answer is a whole number, exactly."""
    convention, v = _convention(convention)
    if v is not None:
        return v
    x, v = _number(answer, tr("a parameter count"))
    if v is not None:
        return v
    if x != int(x):
        return Verdict(False, tr("{x:g} is not a whole number: a parameter count counts numbers.", x=x))
    counts = _gru_counts(input_size, hidden_size)
    D, H = input_size, hidden_size
    if convention == "article":
        want = counts[False].lstmlib
        how = tr("3 weighted inputs (z, r, h~) of H(H+D) weights and H biases each: 3*{H}*({H}+{D}) + 3*{H}",
                 H=H, D=D)
    else:
        want = counts[True].pytorch
        how = f"weight_ih (3H x D) + weight_hh (3H x H) + bias_ih (3H) + bias_hh (3H): 3*{H}*({H}+{D}) + 6*{H}"
    if x == want:
        return Verdict(True, f"{want} = {how}.")
    hints = {3 * H * (H + D): tr("the biases are missing."),
             4 * H * (H + D) + 4 * H: tr("that is the LSTM's count: the GRU has three weighted inputs, not four."),
             3 * H * (H + D) + 3 * H: tr("that is the article's count (one bias per gate); nn.GRU keeps two."),
             3 * H * (H + D) + 6 * H: tr("that is PyTorch's count (two bias vectors); the article has one.")}
    why = hints.get(int(x)) or tr("count W_gh, W_gx and the biases of z, r and h~.")
    return Verdict(False, tr("{x:g} is not it: {why}", x=x, why=why))


def check_torch_update_gate(answer, *, z_article: float = 0.3) -> Verdict:
    """Exercise 04.2: the article's update gate is ``z_article``; what value does PyTorch's
    ``nn.GRU`` report for its z at the same step?"""
    x, v = _number(answer, tr("a gate value"))
    if v is not None:
        return v
    want = 1.0 - z_article
    if _close(x, want, rtol=1e-6):
        return Verdict(True, tr("PyTorch writes h = (1 - z) n + z h_prev, so its z is the share of the "
                                "past: 1 - {z:g} = {want:g}. Same gate, negated weights and bias.",
                                z=z_article, want=want))
    if _close(x, z_article, rtol=1e-6):
        return Verdict(False, tr("the same number would mean the same role, but in PyTorch z weighs the OLD "
                                 "state h_prev, in the article it weighs the candidate."))
    return Verdict(False, tr("compare h = (1 - z) h_prev + z h~ (article) with h = (1 - z) n + z h_prev (PyTorch)."))


GRU_HAND_EXAMPLE = {"W_zh": 0.5, "W_zx": 1.0, "b_z": 0.0, "W_rh": -1.0, "W_rx": 0.5, "b_r": 0.0,
                    "W_ch": 2.0, "W_cx": 1.0, "b_c": 0.0, "x": 1.0, "h_prev": 0.5}
"""A one-unit GRU step (article convention) for exercise 04.3: every parameter and the inputs."""


def gru_hand_example(values: dict | None = None):
    """``(x, q, h_prev)`` of the one-unit GRU step ``values`` (default ``GRU_HAND_EXAMPLE``):
    ``x (1, 1)``, ``GRUParams`` with those numbers, ``h_prev (1, 1)``."""
    v = dict(GRU_HAND_EXAMPLE if values is None else values)
    q = GRUParams.init(1, 1, 0)
    for name in q.names:
        getattr(q, name)[...] = v[name]
    return np.array([[v["x"]]]), q, np.array([[v["h_prev"]]])


def gru_hand_example_grad(values: dict | None = None) -> float:
    """``dh_t/dh_{t-1}`` of the one-unit step ``values`` (default ``GRU_HAND_EXAMPLE``), from the
    library's ``gru_step_forward`` and ``gru_step_backward``."""
    x, q, h_prev = gru_hand_example(values)
    _, cache = gru_step_forward(x, q, h_prev)
    return float(gru_step_backward(np.ones((1, 1)), cache).dh0[0, 0])


def check_gru_step_gradient(answer) -> Verdict:
    """Exercise 04.3: ``dh_t/dh_{t-1}`` by hand for the one-unit GRU step ``GRU_HAND_EXAMPLE``,
    right to 3 decimals (within 5e-4)."""
    x, v = _number(answer, tr("a derivative"))
    if v is not None:
        return v
    want = gru_hand_example_grad()
    if abs(x - want) <= 5e-4:
        return Verdict(True, tr("dh_t/dh_(t-1) = {want:.4f}: the direct path (1 - z), plus the paths "
                                "through z, through r and through the candidate's W_ch (r * h).", want=want))
    e = dict(GRU_HAND_EXAMPLE)
    z = float(sigmoid(np.float64(e["W_zh"] * e["h_prev"] + e["W_zx"] * e["x"])))
    if abs(x - (1.0 - z)) <= 5e-4:
        return Verdict(False, tr("{x:.4f} is the direct path (1 - z) alone; h_(t-1) also enters z, r "
                                 "and the candidate.", x=x))
    if abs(x - want) <= 5e-3:
        return Verdict(False, tr("{x:.4g} is close: right method, give 3 decimals.", x=x))
    return Verdict(False, tr("{x:.4g} is not it. Go forward first (z, r, h~), then add the four paths "
                             "from h_(t-1) to h_t, as in gru_step_backward.", x=x))


def check_update_gate_bias(answer, *, forget_bias: float = 1.0, convention: str = "article") -> Verdict:
    """Exercise 04.4: the update-gate bias ``b_z`` with which a GRU keeps, per step and with
    near-zero weights, the same share of its state as an LSTM with forget bias ``forget_bias``:
    ``1 - sigmoid(b_z) = sigmoid(b_f)``, so ``b_z = -b_f`` in the article's convention (its z
    weighs the candidate) and ``b_z = +b_f`` in PyTorch's (its z weighs the old state).
    ``convention`` in any case ("PyTorch" works); right to 3 significant figures."""
    convention, v = _convention(convention)
    if v is not None:
        return v
    x, v = _number(answer, tr("a bias"))
    if v is not None:
        return v
    want = -forget_bias if convention == "article" else forget_bias
    keep = float(sigmoid(np.float64(forget_bias)))
    if _close(x, want, rtol=1e-3) or (want == 0 and abs(x) < 1e-9):
        fields = dict(want=want, keep=keep, b_f=forget_bias)
        if convention == "article":
            return Verdict(True, tr("b_z = {want:g}: the article's z weighs the candidate, so the kept share is "
                                    "1 - z, and {keep:.4f} = sigmoid({b_f:g}) is kept per step, as by the LSTM's "
                                    "forget gate. The share reaching step 1 after T - 1 steps is then "
                                    "{keep:.4f}^(T-1) for both.", **fields))
        return Verdict(True, tr("b_z = {want:g}: PyTorch's z weighs the old state, so the kept share is z "
                                "itself, and {keep:.4f} = sigmoid({b_f:g}) is kept per step, as by the LSTM's "
                                "forget gate. The share reaching step 1 after T - 1 steps is then "
                                "{keep:.4f}^(T-1) for both.", **fields))
    if _close(x, -want, rtol=1e-3):
        other = (tr("{x:g} is the answer in PyTorch's convention.", x=x) if convention == "article" else
                 tr("{x:g} is the answer in the article's convention.", x=x))
        return Verdict(False, other + tr(" Which term does z weigh here? "
                                         "Compare h = (1 - z) h_prev + z h~ with h = z h_prev + (1 - z) h~."))
    kept = "1 - sigmoid(b_z)" if convention == "article" else "sigmoid(b_z)"
    return Verdict(False, tr("{x:g} is not it: the share kept per step is {kept} in this convention; set it "
                             "equal to sigmoid(b_f) = {keep:.4f} (and 1 - sigmoid(a) = sigmoid(-a)).",
                             x=x, kept=kept, keep=keep))
