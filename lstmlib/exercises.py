"""Self-checks for the exercises that end each chapter: each function takes the reader's answer
and returns a ``Verdict`` that says right or wrong, and why."""
from __future__ import annotations

import dataclasses

import numpy as np

from .activations import DERIVATIVE_BOUND
from .gates import gate_switch_trace
from .gradflow import (ERRATA_VARIANTS, GRADCHECK_ARRAYS, errata_gradcheck, lstm_bptt_by_steps,
                       radius_experiment, rnn_gradient_flow)
from .lstm import LSTMParams, lstm_step_backward, lstm_step_forward
from .rnn import RNNParams, rnn_forward
# chapters 04-06
from .activations import sigmoid
from .gradflow import (MODEL_NAMES, GradientFlowLab, forget_bias_prediction,
                       parameter_counts)
from .gru import GRUParams, gru_step_backward, gru_step_forward
from .train import clip_grad_norm


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The answer to "is my answer right?": ``correct`` and a sentence saying why.

    Truthy when correct, so ``assert check_...(answer)`` works in a test; shown as one line,
    ``Right: ...`` or ``Not yet: ...``. Shared by every chapter's self-checks.
    """

    correct: bool
    message: str

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        return ("Right: " if self.correct else "Not yet: ") + self.message

    __repr__ = __str__

# ---- helpers shared by the chapter 00-03 checks ---------------------------------------------------
def _unanswered(answer) -> Verdict | None:
    if answer is None or answer is Ellipsis:
        return Verdict(False, "replace the ... with your answer and run the cell again.")
    return None


def _number(answer, what: str) -> tuple[float | None, Verdict | None]:
    if (v := _unanswered(answer)) is not None:
        return None, v
    try:
        x = float(answer)
    except (TypeError, ValueError):
        return None, Verdict(False, f"expected {what} as a number, got {type(answer).__name__} {answer!r}.")
    if not np.isfinite(x):
        return None, Verdict(False, f"expected {what} as a finite number, got {x}.")
    return x, None


def _close(a, b, rtol=1e-3) -> bool:
    return bool(np.isclose(a, b, rtol=rtol, atol=0.0))


def _call(fn, *args):
    """``(result, None)`` or ``(None, Verdict)`` when ``fn`` is missing or raises."""
    if (v := _unanswered(fn)) is not None:
        return None, v
    if not callable(fn):
        return None, Verdict(False, f"expected a function, got {type(fn).__name__}.")
    try:
        return fn(*args), None
    except NotImplementedError:
        return None, Verdict(False, "your function still raises NotImplementedError: fill in its body.")
    except Exception as err:  # the reader's code: report whatever went wrong, as a verdict
        return None, Verdict(False, f"your function raised {type(err).__name__}: {err}")


def _same(a, b, atol=1e-10) -> bool:
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-7, atol=atol))


# ---- chapter 00 ------------------------------------------------------------------------------------
def check_parameter_count(formula) -> Verdict:
    """Exercise 00.1: ``formula(D, H)`` should give how many numbers an LSTM with input size D and
    hidden size H learns (compared with ``LSTMParams.init(D, H, 0).num_parameters``)."""
    if (v := _unanswered(formula)) is not None:
        return v
    if not callable(formula):
        return Verdict(False, "give a function of D and H, for example  lambda D, H: ...  "
                              "(so that it can be checked at several sizes).")
    sizes = ((3, 4), (1, 1), (10, 2), (2, 10))
    for D, H in sizes:
        got, err = _call(formula, D, H)
        if err is not None:
            return err
        want = LSTMParams.init(D, H, 0).num_parameters
        if got != want:
            hints = [(4 * H * (H + D), "the biases are missing: each of the 4 weighted inputs has a bias of H numbers."),
                     (H * (H + D + 1), "that counts one weighted input; an LSTM has four (f, i, c~ and o)."),
                     (3 * H * (H + D + 1), "the candidate c~ has weights and a bias too: four weighted inputs, not three."),
                     (4 * H * (D + 1), "the recurrent weights W_fh, W_ih, W_ch, W_oh (H x H each) are missing."),
                     (4 * (H + D + 1), "each gate has H rows: multiply by H.")]
            why = next((m for val, m in hints if got == val),
                       "count, for each of f, i, c~, o: W_gh (H x H), W_gx (H x D), b_g (H).")
            return Verdict(False, f"for D={D}, H={H} your formula gives {got}, the LSTM has {want}: {why}")
    return Verdict(True, f"4H(H+D+1) numbers: four weighted inputs (f, i, c~, o), each with an H x H, an "
                         f"H x D matrix and H biases. For D=3, H=4 that is {LSTMParams.init(3, 4, 0).num_parameters}.")


def check_joined_shape(answer, input_size: int = 3, hidden_size: int = 4) -> Verdict:
    """Exercise 00.2: the shape of the article's joined matrix ``W_f = [W_fh, W_fx]`` for D = 3,
    H = 4 (compared with the forget-gate rows of ``LSTMParams.weights``)."""
    if (v := _unanswered(answer)) is not None:
        return v
    H = hidden_size
    want = LSTMParams.init(input_size, hidden_size, 0).weights[:H].shape
    try:
        got = tuple(int(n) for n in answer)
    except (TypeError, ValueError):
        return Verdict(False, f"expected a shape such as (rows, columns), got {answer!r}.")
    if got == want:
        return Verdict(True, f"{want}: W_f takes the joined vector [h, x] of H+D = {want[1]} numbers to H = {H} "
                             f"numbers, one per unit of the forget gate.")
    if got == want[::-1]:
        why = "rows and columns are swapped: W_f maps the (H+D)-vector [h, x] to H numbers, so it has H rows."
    elif got in ((H, H), (H, input_size)):
        why = "that is one half of it (W_fh or W_fx); the joined matrix has both halves side by side."
    else:
        why = "the article writes W_f [h_{t-1}, x_t], a matrix times the H+D numbers of [h, x], giving H numbers."
    return Verdict(False, f"{got} is not the shape of W_f for D={input_size}, H={H}: {why}")


# ---- chapter 01 ------------------------------------------------------------------------------------
def check_bound_factor(answer, *, steps: int = 20, activation: str = "sigmoid",
                       spectral_norm: float = 3.0) -> Verdict:
    """Exercise 01.1: the factor ``q`` in ``||delta_{t-steps}|| <= q ||delta_t||`` that the
    article's bound guarantees for ``activation`` and a W of the given spectral norm."""
    x, v = _number(answer, "the factor q")
    if v is not None:
        return v
    beta_f = DERIVATIVE_BOUND[activation]
    want = (beta_f * spectral_norm) ** steps
    if _close(x, want):
        tail = "so the error is guaranteed to vanish" if want < 1 else "which guarantees nothing: it may explode"
        return Verdict(True, f"(beta_f * beta_W)^{steps} = ({beta_f:g} * {spectral_norm:g})^{steps} = {want:.3g}, {tail}.")
    hints = [(spectral_norm ** steps, f"beta_f is missing: {activation}' is at most {beta_f:g}."),
             (beta_f * spectral_norm, f"that is one step; the bound multiplies {steps} of them."),
             ((beta_f * spectral_norm) ** (steps - 1), "off by one: from t back to t-k the product has k factors."),
             ((beta_f * spectral_norm) ** (steps + 1), "off by one: from t back to t-k the product has k factors."),
             (beta_f ** steps, "beta_W is missing: each step also multiplies by W (norm at most beta_W).")]
    why = next((h for val, h in hints if _close(x, val)),
               "each step back multiplies by diag[f'(net)] (norm <= beta_f) and by W (norm <= beta_W).")
    return Verdict(False, f"{x:.3g} is not the bound's factor: {why}")


def check_error_norms(fn) -> Verdict:
    """Exercise 01.2: ``fn(p, X)`` should return ``||delta_k||`` for k = 1..T, shape ``(T,)``, for a
    tanh RNN ``p`` run on ``X (T, 1, D)`` from h_0 = 0 with ``E = sum of h_T's entries``. Checked
    against ``gradflow.rnn_gradient_flow`` on three random problems."""
    for seed, (T, D, H) in enumerate(((6, 2, 3), (1, 3, 2), (9, 1, 4))):
        rng = np.random.default_rng(100 + seed)
        p = RNNParams.init(D, H, rng)
        X = rng.standard_normal((T, 1, D))
        got, err = _call(fn, p, X)
        if err is not None:
            return err
        flow = rnn_gradient_flow(p, X)
        want = flow.delta_norms
        got = np.asarray(got, dtype=float).ravel()
        if got.shape != want.shape:
            return Verdict(False, f"for T={T} expected {T} norms (one per step), got an array of shape {got.shape}.")
        if _same(got, want):
            continue
        hs, _ = rnn_forward(X, p)
        dE_dh = np.concatenate([flow.deltas[1:] @ p.W, np.ones((1, 1, H))])  # dE/dh_k
        wrong_W = np.empty_like(flow.deltas)
        wrong_W[-1] = flow.deltas[-1]
        for k in range(T - 2, -1, -1):
            wrong_W[k] = (wrong_W[k + 1] @ p.W.T) * (1 - hs[k] ** 2)
        if _same(got, np.linalg.norm(dE_dh.reshape(T, -1), axis=1)):
            why = "these are the norms of dE/dh_k; the article's delta_k is dE/dnet_k = dE/dh_k * f'(net_k)."
        elif _same(got, want[::-1]):
            why = "the right numbers in reverse order: index k-1 should hold step k (step 1 first)."
        elif _same(got, np.linalg.norm(wrong_W.reshape(T, -1), axis=1)):
            why = "W is transposed: with rows, one step back is  delta @ W  (the column form W^T delta)."
        else:
            k = int(np.argmax(~np.isclose(got, want, rtol=1e-7, atol=1e-10)))
            why = f"first difference at step k={k + 1}: yours {got[k]:.6g}, expected {want[k]:.6g}."
        return Verdict(False, f"(T={T}, D={D}, H={H}) {why}")
    return Verdict(True, "your error norms match the library's on three random RNNs: delta_T = f'(net_T) * "
                         "dE/dh_T, then delta_k = (delta_{k+1} @ W) * f'(net_k).")


def check_critical_radius(answer, *, steps: int = 50, activation: str = "tanh",
                          grid_step: float = 0.05) -> Verdict:
    """Exercise 01.3: the smallest spectral radius on the explorer's grid (0.1, 0.15, ...) at which
    ``||delta_1|| >= ||delta_T||`` for chapter 01's RNN (``gradflow.radius_experiment()``)."""
    x, v = _number(answer, "a spectral radius")
    if v is not None:
        return v
    exp = radius_experiment()
    grid = np.round(np.arange(0.1, 5.0 + 1e-9, grid_step), 10)
    gains = {float(r): exp.flow(float(r), activation, steps).gain for r in grid}
    want = next(r for r, g in gains.items() if g >= 1.0)
    if abs(x - want) <= grid_step / 2:
        return Verdict(True, f"at rho = {want:.2f} the error first arrives at step 1 at least as large as it left "
                             f"step {steps} (gain {gains[want]:.2g}). Not at rho = 1: {activation}' is below 1 "
                             f"wherever a unit is active, so W must stretch by more than 1 to make up for it.")
    near = min(gains, key=lambda r: abs(r - x))
    side = "still vanishes" if gains[near] < 1 else "already does not vanish, but a smaller radius also does not"
    return Verdict(False, f"at rho = {near:.2f} the gradient {side} (||delta_1||/||delta_T|| = {gains[near]:.2g}). "
                          f"Move the radius slider with T = {steps} and {activation}, and read the gain in the title.")


# ---- chapter 02 ------------------------------------------------------------------------------------
def _one_unit_step(f, i, c_tilde, c_prev, o):
    """``(c, h)`` from the library's own ``lstm_step_forward`` with one unit whose gates take the
    given values (zero weights; biases set to logit / artanh of the wanted values)."""
    p = LSTMParams.init(1, 1, 0)
    p.weights[...] = 0.0
    p.b_f[...] = np.log(f / (1 - f))
    p.b_i[...] = np.log(i / (1 - i))
    p.b_o[...] = np.log(o / (1 - o))
    p.b_c[...] = np.arctanh(c_tilde)
    h, c, _ = lstm_step_forward(np.zeros((1, 1)), np.zeros((1, 1)), np.full((1, 1), c_prev), p)
    return float(c[0, 0]), float(h[0, 0])


def check_cell_update(c, h, *, f: float = 0.9, i: float = 0.5, c_tilde: float = 0.8,
                      c_prev: float = 1.0, o: float = 0.6) -> Verdict:
    """Exercise 02.1: ``c_t`` and ``h_t`` by hand for one unit with the given gate values."""
    c, v = _number(c, "c_t")
    if v is not None:
        return v
    h, v = _number(h, "h_t")
    if v is not None:
        return v
    want_c, want_h = _one_unit_step(f, i, c_tilde, c_prev, o)
    if not _close(c, want_c):
        hints = [(c_prev + i * c_tilde, "the forget gate is missing: the old state is kept only in part, f * c_{t-1}."),
                 (f * c_prev + c_tilde, "the input gate is missing: only i * c~_t is written."),
                 (f * c_prev * i * c_tilde, "equation (4) adds the kept part and the written part."),
                 (f * c_tilde + i * c_prev, "f multiplies the old state c_{t-1}, i the candidate c~_t.")]
        why = next((m for val, m in hints if _close(c, val)), "use c_t = f * c_{t-1} + i * c~_t.")
        return Verdict(False, f"c_t = {c:.4g} is not right: {why}")
    if not _close(h, want_h):
        hints = [(o * want_c, "h_t = o_t * tanh(c_t): the tanh is missing."),
                 (float(np.tanh(o * want_c)), "the tanh applies to c_t alone; o_t multiplies after it."),
                 (float(np.tanh(want_c)), "the output gate is missing: h_t = o_t * tanh(c_t).")]
        why = next((m for val, m in hints if _close(h, val)), "use h_t = o_t * tanh(c_t).")
        return Verdict(False, f"c_t = {want_c:.4g} is right, but h_t = {h:.4g} is not: {why}")
    return Verdict(True, f"c_t = {f:g}*{c_prev:g} + {i:g}*{c_tilde:g} = {want_c:.4g}, and "
                         f"h_t = {o:g}*tanh({want_c:.4g}) = {want_h:.4g}.")


def check_memory_steps(answer, *, f: float = 0.9) -> Verdict:
    """Exercise 02.2: after one write (then i = 0), how many steps until ``c`` falls below half of
    what was written, with the forget gate held at ``f``? (From ``gates.gate_switch_trace``.)"""
    x, v = _number(answer, "a number of steps")
    if v is not None:
        return v
    trace = gate_switch_trace(f, 1.0, 1.0, 1.0, steps=500, pattern="pulse")
    below = np.nonzero(trace.c < trace.c[0] / 2)[0]
    want = int(below[0])  # c_{1+n} = f^n c_1: index 1+n-1 = n
    if x == want:
        return Verdict(True, f"{f:g}^{want - 1} = {f ** (want - 1):.3f} is still above 1/2, {f:g}^{want} = "
                             f"{f ** want:.3f} is below: {want} steps. The memory fades geometrically.")
    if x == want - 1:
        return Verdict(False, f"after {want - 1} steps c is {f ** (want - 1):.3f} of what was written: not yet below half.")
    if not float(x).is_integer():
        return Verdict(False, f"{x:g} is not a whole number of steps: c_(1+n) = f^n c_1 crosses 1/2 between two "
                              f"steps; count the first step at which it is below.")
    return Verdict(False, f"after {x:g} steps c is {f ** x:.3g} of what was written; find the first n with "
                          f"{f:g}^n < 1/2.")


def check_lstm_step(fn) -> Verdict:
    """Exercise 02.3: ``fn(x, h_prev, c_prev, p)`` should return ``(h, c)`` like
    ``lstm_step_forward`` (rows: ``x (B, D)``, states ``(B, H)``), on three random problems."""
    for seed, (B, D, H) in enumerate(((1, 2, 3), (2, 3, 2), (3, 1, 4))):
        rng = np.random.default_rng(200 + seed)
        p = LSTMParams.init(D, H, rng)
        x, h_prev, c_prev = rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
        out, err = _call(fn, x, h_prev, c_prev, p)
        if err is not None:
            return err
        try:
            h, c = out
        except (TypeError, ValueError):
            return Verdict(False, f"expected your function to return (h, c), got {type(out).__name__}.")
        want_h, want_c, k = lstm_step_forward(x, h_prev, c_prev, p)
        if not _same(c, want_c):
            if _same(c, k.f * c_prev + k.c_tilde):
                why = "c is missing the input gate: c = f * c_prev + i * c~."
            elif _same(c, c_prev + k.i * k.c_tilde):
                why = "c is missing the forget gate: c = f * c_prev + i * c~."
            else:
                why = "check equations (1)-(4); with rows, W_fh @ h becomes h_prev @ p.W_fh.T."
            return Verdict(False, f"(B={B}, D={D}, H={H}) c differs from the library's: {why}")
        if not _same(h, want_h):
            if _same(h, k.o * want_c):
                why = "h = o * tanh(c): the tanh is missing."
            elif _same(h, np.tanh(want_c)):
                why = "the output gate is missing: h = o * tanh(c)."
            else:
                why = "check equations (5)-(6): o = sigmoid(...), h = o * tanh(c)."
            return Verdict(False, f"(B={B}, D={D}, H={H}) c is right but h differs: {why}")
    return Verdict(True, "your step matches lstm_step_forward on three random problems, batches included.")


# ---- chapter 03 ------------------------------------------------------------------------------------
def check_lstm_step_backward(fn) -> Verdict:
    """Exercise 03.1: ``fn(dh, dc, cache)`` should return ``(dx, dh_prev, dc_prev, grads)`` like
    ``lstm_step_backward``; ``grads`` a dict (or ``LSTMParams``) with the 12 parameter names."""
    for seed, (B, D, H) in enumerate(((1, 2, 3), (2, 3, 2))):
        rng = np.random.default_rng(300 + seed)
        p = LSTMParams.init(D, H, rng)
        x, h_prev, c_prev = rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
        _, _, k = lstm_step_forward(x, h_prev, c_prev, p)
        dh, dc = rng.standard_normal((B, H)), rng.standard_normal((B, H))
        out, err = _call(fn, dh, dc, k)
        if err is not None:
            return err
        try:
            dx, dh_prev, dc_prev, grads = out
        except (TypeError, ValueError):
            return Verdict(False, "expected your function to return (dx, dh_prev, dc_prev, grads).")
        want = lstm_step_backward(dh, dc, k)
        dc_total = dc + dh * k.o * (1 - k.tanh_c ** 2)
        if not _same(dc_prev, want[2]):
            if _same(dc_prev, dc_total):
                why = "dc_prev must pass through the forget gate: dc_prev = dE/dc_t * f_t."
            elif _same(dc_prev, (dh * k.o * (1 - k.tanh_c ** 2)) * k.f):
                why = "the incoming carry dc is missing: dE/dc_t = dc + dh * o * (1 - tanh(c)^2)."
            else:
                why = "dc_prev = (dc + dh * o * (1 - tanh(c)^2)) * f."
            return Verdict(False, f"(B={B}, D={D}, H={H}) dc_prev differs from the library's: {why}")
        g = grads.named() if hasattr(grads, "named") else dict(grads) if isinstance(grads, dict) else None
        if g is None:
            return Verdict(False, "grads should be a dict {'W_fh': ..., ...} or an LSTMParams.")
        bad = [n for n in p.names if n not in g or not _same(g[n], getattr(want[3], n))]
        if bad:
            hint = ""
            if any(n.endswith("_f") or n.startswith("W_f") for n in bad):
                hint = " The forget gate's error term uses the cell state it multiplied: dE/dc_t * c_prev * f(1-f)."
            return Verdict(False, f"(B={B}, D={D}, H={H}) wrong or missing gradients: {', '.join(bad)}.{hint}")
        if not _same(dh_prev, want[1]):
            return Verdict(False, "the parameter gradients are right but dh_prev is not: it is the sum over the "
                                  "four gates of  delta_g @ W_gh  (rows).")
        if not _same(dx, want[0]):
            return Verdict(False, "everything but dx is right: dx is the sum over the four gates of  delta_g @ W_gx.")
    return Verdict(True, "your backward step matches lstm_step_backward: the carry enters dE/dc_t and leaves "
                         "through f_t, and every gate's error term is right.")


def check_no_carry_failures(answer, *, zero_state: bool = False) -> Verdict:
    """Exercise 03.2: the set of arrays (names from ``gradflow.GRADCHECK_ARRAYS``) whose gradient
    check fails when the cell-state carry is dropped, at T = 2, from a random initial state
    (``zero_state=False``) or a zero one (``gradflow.errata_gradcheck``)."""
    if (v := _unanswered(answer)) is not None:
        return v
    if isinstance(answer, str) or not hasattr(answer, "__iter__"):
        return Verdict(False, "expected a set of names such as {'W_ix', 'b_c'}.")
    got = set(answer)
    unknown = got - set(GRADCHECK_ARRAYS)
    if unknown:
        return Verdict(False, f"unknown names {sorted(unknown)}; choose from {', '.join(GRADCHECK_ARRAYS)}.")
    want = set(errata_gradcheck(ERRATA_VARIANTS["no carry"], 2, zero_state=zero_state).failed)
    state = "zero" if zero_state else "random"
    if got == want:
        why = ("of step 1's terms, those multiplied by h_0 = 0 (every W_gh) or by c_0 = 0 (delta_f,1, hence "
               "W_fx and b_f) vanish anyway" if zero_state else
               "with h_0 and c_0 not zero, every gate's step-1 term that depends on dE/dc_1 is wrong")
        return Verdict(True, f"{', '.join(n for n in GRADCHECK_ARRAYS if n in want)}. At T = 2 the carry only "
                             f"changes the error terms at step 1 ({state} initial state): {why}; the output "
                             f"gate never sees dE/dc_t, so W_oh, W_ox and b_o pass.")
    reasons = {}
    for n in got - want:
        if n in ("W_oh", "W_ox", "b_o"):
            reasons[n] = ("delta_o,t = dE/dh_t * tanh(c_t) * o(1-o) does not involve dE/dc_t, and at T = 2 the "
                          "step-2 error terms that feed dE/dh_1 need no carry")
        elif zero_state and n.endswith("h") and n.startswith("W_"):
            reasons[n] = "its step-1 term is delta_g,1 h_0^T, and h_0 = 0"
        elif zero_state and n in ("W_fx", "b_f"):
            reasons[n] = "delta_f,1 = dE/dc_1 * c_0 * f(1-f) is 0 because c_0 = 0, carry or not"
        else:
            reasons[n] = "it does not change"
    for n in want - got:
        reasons[n] = ("its step-1 part depends on dE/dc_1, which lacks the carry dE/dc_2 * f_2"
                      + ("" if zero_state else ", and with h_0, c_0 not zero that part does not vanish"))
    lines = "; ".join(f"{n}: {r}" for n, r in sorted(reasons.items()))
    return Verdict(False, f"not quite ({state} initial state). {lines}.")


def _held_gate_carry(f: float, steps: int) -> float:
    """``|dE/dc_1| / |dE/dc_T|`` for one unit whose gates are held (zero weights, forget bias
    logit(f)) with the loss at step T only, from ``gradflow.lstm_bptt_by_steps``."""
    p = LSTMParams.init(1, 1, 0)
    p.weights[...] = 0.0
    p.W_cx[...] = 1.0
    p.b_f[...] = np.log(f / (1 - f))
    X = np.ones((steps, 1, 1))
    dhs = np.zeros((steps, 1, 1))
    dhs[-1] = 1.0
    tr = lstm_bptt_by_steps(dhs, X, p)
    return float(abs(tr.dc[0, 0, 0]) / abs(tr.dc[-1, 0, 0]))


def check_carry_ratio(answer, *, f: float = 0.95, steps: int = 20) -> Verdict:
    """Exercise 03.3: one unit, forget gate held at ``f``, no recurrent weights, loss at step
    ``steps`` only: the ratio ``|dE/dc_1| / |dE/dc_T|`` (computed by ``lstm_bptt_by_steps``)."""
    x, v = _number(answer, "the ratio")
    if v is not None:
        return v
    want = _held_gate_carry(f, steps)
    if _close(x, want):
        return Verdict(True, f"{f:g}^{steps - 1} = {want:.4g}: with no recurrent weights the only way back is the "
                             f"carry, one factor f per step. A tanh RNN would also multiply by W and by slopes "
                             f"below 1 at every step; here a forget gate near 1 keeps the error alive.")
    hints = [(f ** steps, f"off by one: from c_{steps} back to c_1 there are {steps - 1} steps, one factor f each."),
             (f ** (steps - 2), f"off by one: from c_{steps} back to c_1 there are {steps - 1} steps, one factor f each."),
             (f * (steps - 1), "the carry multiplies at every step: f times f times ..., not f times the number of steps."),
             (0.0, "with the carry the error does reach c_1; only the article's version (no carry) would give 0 here."),
             (1.0, "each step back multiplies dE/dc by f_t (equation 4: c_t = f_t c_{t-1} + ...).")]
    why = next((m for val, m in hints if _close(x, val) or (val == 0.0 and x == 0.0)),
               "follow dE/dc_t back one step at a time: dE/dc_{t-1} = dE/dc_t * f_t when nothing enters through h.")
    return Verdict(False, f"{x:.4g} is not the ratio: {why}")

# === chapters 00-03 section: end ===

# ==============================================================================================
# Chapters 04-06 (the helpers _unanswered, _number, _close above are shared)
# ==============================================================================================
# ---- chapter 04 --------------------------------------------------------------------------------
def check_forget_bias_decay(answer, *, forget_bias: float = 2.0, steps: int = 30) -> Verdict:
    """Exercise 04.1: predict how much of ``dE/dc_T`` reaches ``c_1`` along the cell state of an
    LSTM with near-zero weights, forget bias ``forget_bias`` and T = ``steps``."""
    x, v = _number(answer, "a fraction")
    if v is not None:
        return v
    want = forget_bias_prediction(forget_bias, steps)
    f = float(sigmoid(np.float64(forget_bias)))
    if _close(x, want, rtol=0.02):
        return Verdict(True, f"every forget gate sits at sigmoid({forget_bias:g}) = {f:.4f}, and the "
                             f"error crosses {steps - 1} of them: {f:.4f}^{steps - 1} = {want:.3g}.")
    hints = {f ** steps: f"that is {steps} factors; from c_T back to c_1 there are T - 1 = {steps - 1}.",
             f: "that is one step; the error is multiplied by f at every one of the T - 1 steps.",
             forget_bias ** (steps - 1): "the factor is the gate's value sigmoid(b_f), not b_f itself.",
             0.5 ** (steps - 1): "that would be b_f = 0; here the bias is " + f"{forget_bias:g}."}
    why = next((m for val, m in hints.items() if _close(x, val, rtol=0.02)),
               "multiply by the forget gate's value once per step back in time.")
    return Verdict(False, f"{x:.3g} is not it: {why}")


def minimal_forget_bias(steps: int, keep: float) -> float:
    """The smallest ``b_f`` with ``sigmoid(b_f)^(steps-1) >= keep``: ``logit(keep^(1/(steps-1)))``."""
    f = keep ** (1.0 / (steps - 1))
    return float(np.log(f / (1.0 - f)))


def check_forget_bias_needed(answer, *, steps: int = 100, keep: float = 0.01) -> Verdict:
    """Exercise 04.2: the smallest forget bias (to 0.05) for which at least ``keep`` of the
    cell-state gradient survives ``steps - 1`` steps with near-zero weights."""
    x, v = _number(answer, "a forget-gate bias")
    if v is not None:
        return v
    want = minimal_forget_bias(steps, keep)
    got = forget_bias_prediction(x, steps)
    if abs(x - want) <= 0.05:
        return Verdict(True, f"b_f = {want:.2f}: sigmoid(b_f) = {keep:g}^(1/{steps - 1}) = "
                             f"{float(sigmoid(np.float64(want))):.4f}, the forget gate must pass about "
                             f"{100 * float(sigmoid(np.float64(want))):.1f}% at every step.")
    if x < want:
        return Verdict(False, f"with b_f = {x:g} only {got:.2g} of the gradient survives, less than "
                              f"{keep:g}. Solve sigmoid(b_f)^{steps - 1} = {keep:g} for b_f.")
    return Verdict(False, f"b_f = {x:g} keeps {got:.2g}, enough, but a smaller bias does too: the "
                          f"question asks for the smallest (to within 0.05).")


def check_longest_reach(answer, *, forget_bias: float = 1.0, scale: float = 1.0, steps: int = 50,
                        seed: int = 0) -> Verdict:
    """Exercise 04.3: in chapter 04's explorer with the given settings, which model's
    ``||dE/dh_1||`` is largest: 'rnn', 'lstm' or 'gru'?"""
    if (v := _unanswered(answer)) is not None:
        return v
    name = str(answer).strip().lower()
    if name not in MODEL_NAMES:
        return Verdict(False, f"answer with one of {', '.join(MODEL_NAMES)}, got {answer!r}.")
    comp = GradientFlowLab(seed=seed).compare(forget_bias, scale, steps)
    first = {k: float(f.relative("dh")[0]) for k, f in comp.flows.items()}
    want = max(first, key=first.get)
    summary = ", ".join(f"{k.upper()} {v:.1e}" for k, v in first.items())
    if name == want:
        return Verdict(True, f"||dE/dh_1|| / ||dE/dh_T|| = {summary}. The {want.upper()} keeps the most "
                             "of the gradient over the whole sequence.")
    return Verdict(False, f"at b_f = {forget_bias:g}, weight scale {scale:g}, T = {steps} the "
                          f"{name.upper()} is not the largest: read the title of the explorer at "
                          "those settings.")


# ---- chapter 05 --------------------------------------------------------------------------------
def check_gru_parameter_count(answer, *, input_size: int = 10, hidden_size: int = 20,
                              convention: str = "pytorch") -> Verdict:
    """Exercise 05.1: how many numbers does a GRU with input size D and hidden size H store?
    ``convention``: ``"article"`` (reset before the product, one bias per gate, as lstmlib
    stores it) or ``"pytorch"`` (``nn.GRU``: two bias vectors of 3H each)."""
    x, v = _number(answer, "a parameter count")
    if v is not None:
        return v
    rows = {r.model: r for r in parameter_counts(input_size, hidden_size)}
    D, H = input_size, hidden_size
    if convention == "article":
        want = rows["GRU, reset before (article)"].lstmlib
        how = f"3 weighted inputs (z, r, h~) of H(H+D) weights and H biases each: 3*{H}*({H}+{D}) + 3*{H}"
    elif convention == "pytorch":
        want = rows["GRU, reset after (cuDNN, PyTorch)"].pytorch
        how = (f"weight_ih (3H x D) + weight_hh (3H x H) + bias_ih (3H) + bias_hh (3H): "
               f"3*{H}*({H}+{D}) + 6*{H}")
    else:
        raise ValueError(f"convention: expected 'article' or 'pytorch', got {convention!r}")
    if x == want:
        return Verdict(True, f"{want} = {how}.")
    hints = {3 * H * (H + D): "the biases are missing.",
             4 * H * (H + D) + 4 * H: "that is the LSTM's count: the GRU has three weighted inputs, not four.",
             3 * H * (H + D) + 3 * H: "that is the article's count (one bias per gate); nn.GRU keeps two.",
             3 * H * (H + D) + 6 * H: "that is PyTorch's count (two bias vectors); the article has one."}
    return Verdict(False, f"{x:g} is not it: {hints.get(int(x), 'count W_gh, W_gx and the biases of z, r and h~.')}")


def check_torch_update_gate(answer, *, z_article: float = 0.3) -> Verdict:
    """Exercise 05.2: the article's update gate is ``z_article``; what value does PyTorch's
    ``nn.GRU`` report for its z at the same step?"""
    x, v = _number(answer, "a gate value")
    if v is not None:
        return v
    want = 1.0 - z_article
    if _close(x, want, rtol=1e-6):
        return Verdict(True, f"PyTorch writes h = (1 - z) n + z h_prev, so its z is the share of the "
                             f"past: 1 - {z_article:g} = {want:g}. Same gate, negated weights and bias.")
    if _close(x, z_article, rtol=1e-6):
        return Verdict(False, "the same number would mean the same role, but in PyTorch z weighs the OLD "
                              "state h_prev, in the article it weighs the candidate.")
    return Verdict(False, "compare h = (1 - z) h_prev + z h~ (article) with h = (1 - z) n + z h_prev (PyTorch).")


GRU_HAND_EXAMPLE = {"W_zh": 0.5, "W_zx": 1.0, "b_z": 0.0, "W_rh": -1.0, "W_rx": 0.5, "b_r": 0.0,
                    "W_ch": 2.0, "W_cx": 1.0, "b_c": 0.0, "x": 1.0, "h_prev": 0.5}
"""A one-unit GRU step (article convention) for exercise 05.3: every parameter and the inputs."""


def gru_hand_example(values: dict | None = None):
    """``(q, x, h_prev)`` of the one-unit GRU step ``values`` (default ``GRU_HAND_EXAMPLE``):
    ``GRUParams`` with those numbers, ``x (1, 1)``, ``h_prev (1, 1)``."""
    v = dict(GRU_HAND_EXAMPLE if values is None else values)
    q = GRUParams.init(1, 1, 0)
    for name in q.names:
        getattr(q, name)[...] = v[name]
    return q, np.array([[v["x"]]]), np.array([[v["h_prev"]]])


def gru_hand_example_grad(values: dict | None = None) -> float:
    """``dh_t/dh_{t-1}`` of the one-unit step ``values`` (default ``GRU_HAND_EXAMPLE``), from the
    library's ``gru_step_forward`` and ``gru_step_backward``."""
    q, x, h_prev = gru_hand_example(values)
    _, cache = gru_step_forward(x, h_prev, q)
    _, dh_prev, _ = gru_step_backward(np.ones((1, 1)), cache)
    return float(dh_prev[0, 0])


def check_gru_step_gradient(answer) -> Verdict:
    """Exercise 05.3: ``dh_t/dh_{t-1}`` by hand for the one-unit GRU step ``GRU_HAND_EXAMPLE``."""
    x, v = _number(answer, "a derivative")
    if v is not None:
        return v
    want = gru_hand_example_grad()
    if _close(x, want, rtol=1e-3):
        return Verdict(True, f"dh_t/dh_(t-1) = {want:.4f}: the direct path (1 - z), plus the paths "
                             "through z, through r and through the candidate's W_ch (r * h).")
    e = dict(GRU_HAND_EXAMPLE)
    z = float(sigmoid(np.float64(e["W_zh"] * e["h_prev"] + e["W_zx"] * e["x"])))
    if _close(x, 1.0 - z, rtol=1e-3):
        return Verdict(False, f"{x:.4f} is the direct path (1 - z) alone; h_(t-1) also enters z, r "
                              "and the candidate.")
    return Verdict(False, f"{x:.4g} is not it. Go forward first (z, r, h~), then add the four paths "
                          "from h_(t-1) to h_t, as in gru_step_backward.")


# ---- chapter 06 --------------------------------------------------------------------------------
def check_adding_baseline(answer, *, low: float = -1.0, high: float = 1.0) -> Verdict:
    """Exercise 06.1: the MSE of the best constant prediction on an adding problem whose values
    are ``U(low, high)`` and whose target is the plain sum of the two marked values."""
    x, v = _number(answer, "an MSE")
    if v is not None:
        return v
    var_one = (high - low) ** 2 / 12.0
    want = 2.0 * var_one
    if _close(x, want, rtol=0.01):
        return Verdict(True, f"the best constant is the mean {low + high:g}, and its MSE is the "
                             f"variance of the sum of two independent values, each (b - a)^2/12 "
                             f"with a = {low:g}, b = {high:g}: 2 x {var_one:.4g} = {want:.4g}.")
    if _close(x, var_one, rtol=0.01):
        return Verdict(False, "that is the variance of one value; the target adds two independent ones.")
    if _close(x, 1.0 / 6.0, rtol=0.01):
        return Verdict(False, f"1/6 is for values in [0, 1]; here they are in [{low:g}, {high:g}].")
    return Verdict(False, "the best constant is the mean of the target; its MSE is the target's variance.")


def check_clipped_gradient(answer, *, grad=(3.0, 4.0), theta: float = 1.0) -> Verdict:
    """Exercise 06.2: the gradient ``grad`` after clipping its norm at ``theta``."""
    if (v := _unanswered(answer)) is not None:
        return v
    try:
        x = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return Verdict(False, f"expected a list of numbers like {list(grad)}, got {answer!r}.")
    g = np.array(grad, dtype=float)
    want = g.copy()
    norm = clip_grad_norm([want], theta)
    if x.shape != g.shape:
        return Verdict(False, f"expected {g.size} numbers, one per entry of the gradient, got shape {x.shape}.")
    if np.allclose(x, want, rtol=1e-4, atol=1e-8):
        return Verdict(True, f"||g|| = {norm:g} > theta = {theta:g}, so g <- theta g/||g|| = "
                             f"{np.round(want, 4).tolist()}: same direction, norm {theta:g}.")
    if np.allclose(x, np.clip(g, -theta, theta)):
        return Verdict(False, "that clips each entry to [-theta, theta], which changes the direction; "
                              "norm clipping rescales the whole vector.")
    if np.allclose(x, g):
        return Verdict(False, f"||g|| = {norm:g} is above theta = {theta:g}, so the gradient is rescaled.")
    return Verdict(False, "divide the whole vector by its norm and multiply by theta.")


def check_chance_cross_entropy(answer, *, classes: int = 8) -> Verdict:
    """Exercise 06.3: the cross-entropy of the best constant prediction on a balanced
    ``classes``-way task (temporal order with three relevant symbols has 2^3 = 8 classes)."""
    x, v = _number(answer, "a cross-entropy")
    if v is not None:
        return v
    want = float(np.log(classes))
    if _close(x, want, rtol=0.005):
        return Verdict(True, f"predicting 1/{classes} for every class costs -ln(1/{classes}) = "
                             f"ln {classes} = {want:.4f} nats per sequence.")
    if _close(x, np.log2(classes), rtol=0.005):
        return Verdict(False, "that is in bits (log base 2); the training loss uses the natural log.")
    if _close(x, 1.0 / classes, rtol=0.005):
        return Verdict(False, "that is the chance accuracy; the cross-entropy is -ln of the probability "
                              "given to the right class.")
    return Verdict(False, "with no information the best prediction is uniform; its cross-entropy is -ln(1/K).")


# === chapters 04-06 section: end ===
