"""The self-checks of chapters 00-03 accept right answers, reject wrong ones, and say why."""
import numpy as np
import pytest

import lstmlib as ll
from lstmlib import exercises as ex
from lstmlib import gradflow as gf


def _right(v):
    assert isinstance(v, ex.Verdict) and v.correct and bool(v) and str(v).startswith("Right: "), v
    return str(v)


def _wrong(v, *words):
    assert isinstance(v, ex.Verdict) and not v.correct and not bool(v) and str(v).startswith("Not yet: "), v
    for w in words:
        assert w in v.message, (w, v.message)
    return str(v)


def test_verdict():
    assert repr(ex.Verdict(True, "x")) == "Right: x"
    assert repr(ex.Verdict(False, "y")) == "Not yet: y"


CHECKS_WITH_ONE_ANSWER = [ex.check_parameter_count, ex.check_joined_shape, ex.check_bound_factor,
                          ex.check_error_norms, ex.check_critical_radius, ex.check_memory_steps,
                          ex.check_lstm_step, ex.check_lstm_step_backward, ex.check_no_carry_failures,
                          ex.check_carry_ratio]


@pytest.mark.parametrize("check", CHECKS_WITH_ONE_ANSWER)
def test_placeholder_answers_are_not_yet_right(check):
    _wrong(check(...), "replace the ...")
    _wrong(check(None), "replace the ...")


# ---- chapter 00 --------------------------------------------------------------------------------------
def test_parameter_count():
    _right(ex.check_parameter_count(lambda D, H: 4 * H * (H + D + 1)))
    _wrong(ex.check_parameter_count(lambda D, H: 4 * H * (H + D)), "biases")
    _wrong(ex.check_parameter_count(lambda D, H: H * (H + D + 1)), "four")
    _wrong(ex.check_parameter_count(lambda D, H: 4 * H * (D + 1)), "recurrent")
    _wrong(ex.check_parameter_count(lambda D, H: 7), "for D=3, H=4")
    _wrong(ex.check_parameter_count(128), "function of D and H")

    def broken(D, H):
        raise NotImplementedError

    _wrong(ex.check_parameter_count(broken), "NotImplementedError")
    _wrong(ex.check_parameter_count(lambda D, H: 1 / 0), "ZeroDivisionError")


def test_joined_shape():
    _right(ex.check_joined_shape((4, 7)))
    _right(ex.check_joined_shape([4, 7]))
    _wrong(ex.check_joined_shape((7, 4)), "swapped")
    _wrong(ex.check_joined_shape((4, 4)), "one half")
    _wrong(ex.check_joined_shape((4, 8)), "H+D")
    _wrong(ex.check_joined_shape("4x7"), "shape")


# ---- chapter 01 --------------------------------------------------------------------------------------
def test_bound_factor():
    _right(ex.check_bound_factor(0.75 ** 20))
    _right(ex.check_bound_factor(0.0031712))
    _wrong(ex.check_bound_factor(3.0 ** 20), "beta_f")
    _wrong(ex.check_bound_factor(0.75), "one step")
    _wrong(ex.check_bound_factor(0.75 ** 19), "off by one")
    _wrong(ex.check_bound_factor(0.25 ** 20), "beta_W")
    _wrong(ex.check_bound_factor(0.5), "diag")
    _wrong(ex.check_bound_factor("a lot"), "number")
    _right(ex.check_bound_factor(2.0 ** 5, steps=5, activation="tanh", spectral_norm=2.0))


def _solution_error_norms(p, X):
    hs, _ = ll.rnn_forward(X, p)
    T = X.shape[0]
    d = np.ones_like(hs[-1]) * (1 - hs[-1] ** 2)
    out = [np.linalg.norm(d)]
    for k in range(T - 2, -1, -1):
        d = (d @ p.W) * (1 - hs[k] ** 2)
        out.append(np.linalg.norm(d))
    return np.array(out[::-1])


def test_error_norms():
    _right(ex.check_error_norms(_solution_error_norms))
    _right(ex.check_error_norms(lambda p, X: gf.rnn_gradient_flow(p, X).delta_norms))
    _wrong(ex.check_error_norms(lambda p, X: _solution_error_norms(p, X)[::-1]), "reverse")

    def dE_dh(p, X):
        flow = gf.rnn_gradient_flow(p, X)
        H = p.hidden_size
        g = np.concatenate([flow.deltas[1:] @ p.W, np.ones((1, 1, H))])
        return np.linalg.norm(g.reshape(len(g), -1), axis=1)

    _wrong(ex.check_error_norms(dE_dh), "dE/dh_k")

    def transposed(p, X):
        hs, _ = ll.rnn_forward(X, p)
        d = 1 - hs[-1] ** 2
        out = [np.linalg.norm(d)]
        for k in range(X.shape[0] - 2, -1, -1):
            d = (d @ p.W.T) * (1 - hs[k] ** 2)
            out.append(np.linalg.norm(d))
        return np.array(out[::-1])

    _wrong(ex.check_error_norms(transposed), "transposed")
    _wrong(ex.check_error_norms(lambda p, X: np.ones(X.shape[0])), "first difference")
    _wrong(ex.check_error_norms(lambda p, X: np.ones(2)), "norms")


def test_critical_radius():
    exp = gf.radius_experiment()
    grid = np.round(np.arange(0.1, 5.0 + 1e-9, 0.05), 10)
    want = next(r for r in grid if exp.flow(float(r), "tanh", 50).gain >= 1)
    assert 1.0 < want < 2.0  # tanh needs W to stretch by more than 1
    _right(ex.check_critical_radius(want))
    _right(ex.check_critical_radius(want + 0.02))
    _wrong(ex.check_critical_radius(1.0), "still vanishes")
    _wrong(ex.check_critical_radius(want + 0.5), "smaller radius")


# ---- chapter 02 --------------------------------------------------------------------------------------
def test_cell_update():
    c, h = 0.9 * 1.0 + 0.5 * 0.8, 0.6 * np.tanh(1.3)
    _right(ex.check_cell_update(c, h))
    _wrong(ex.check_cell_update(1.0 + 0.4, h), "forget gate")
    _wrong(ex.check_cell_update(0.9 + 0.8, h), "input gate")
    _wrong(ex.check_cell_update(0.9 * 0.4, h), "adds")
    _wrong(ex.check_cell_update(c, 0.6 * 1.3), "tanh is missing")
    _wrong(ex.check_cell_update(c, np.tanh(1.3)), "output gate")
    _wrong(ex.check_cell_update(c, ...), "replace the ...")
    # the expected values come from lstm_step_forward, at other gate values too
    _right(ex.check_cell_update(0.2 * -1.0 + 0.7 * 0.3, 0.4 * np.tanh(0.2 * -1.0 + 0.7 * 0.3),
                                f=0.2, i=0.7, c_tilde=0.3, c_prev=-1.0, o=0.4))


def test_memory_steps():
    assert 0.9 ** 6 > 0.5 > 0.9 ** 7
    _right(ex.check_memory_steps(7))
    _wrong(ex.check_memory_steps(6), "not yet below half")
    _wrong(ex.check_memory_steps(6.58), "whole number")
    _wrong(ex.check_memory_steps(10), "first n")
    _right(ex.check_memory_steps(1, f=0.3))


def _solution_step(x, h_prev, c_prev, p):
    s = ll.activations.sigmoid
    f = s(h_prev @ p.W_fh.T + x @ p.W_fx.T + p.b_f)
    i = s(h_prev @ p.W_ih.T + x @ p.W_ix.T + p.b_i)
    ct = np.tanh(h_prev @ p.W_ch.T + x @ p.W_cx.T + p.b_c)
    o = s(h_prev @ p.W_oh.T + x @ p.W_ox.T + p.b_o)
    c = f * c_prev + i * ct
    return o * np.tanh(c), c


def test_lstm_step():
    _right(ex.check_lstm_step(_solution_step))

    def no_tanh(*a):
        h, c = _solution_step(*a)
        _, _, k = ll.lstm_step_forward(*a)
        return k.o * c, c

    def no_input_gate(x, h_prev, c_prev, p):
        _, _, k = ll.lstm_step_forward(x, h_prev, c_prev, p)
        c = k.f * c_prev + k.c_tilde
        return k.o * np.tanh(c), c

    _wrong(ex.check_lstm_step(no_tanh), "tanh is missing")
    _wrong(ex.check_lstm_step(no_input_gate), "input gate")
    _wrong(ex.check_lstm_step(lambda *a: _solution_step(*a)[0]), "return (h, c)")
    _wrong(ex.check_lstm_step(lambda x, h, c, p: (h, c)), "c differs")


def test_lstm_step_backward():
    _right(ex.check_lstm_step_backward(ll.lstm_step_backward))

    def as_dict(dh, dc, k):
        dx, dh_prev, dc_prev, g = ll.lstm_step_backward(dh, dc, k)
        return dx, dh_prev, dc_prev, g.named()

    _right(ex.check_lstm_step_backward(as_dict))

    def no_f(dh, dc, k):
        dx, dh_prev, dc_prev, g = ll.lstm_step_backward(dh, dc, k)
        return dx, dh_prev, dc_prev / k.f, g

    def ignores_carry(dh, dc, k):
        return ll.lstm_step_backward(dh, np.zeros_like(dc), k)

    def bad_dx(dh, dc, k):
        dx, dh_prev, dc_prev, g = ll.lstm_step_backward(dh, dc, k)
        return 2 * dx, dh_prev, dc_prev, g

    def bad_dh(dh, dc, k):
        dx, dh_prev, dc_prev, g = ll.lstm_step_backward(dh, dc, k)
        return dx, 0 * dh_prev, dc_prev, g

    def missing_grad(dh, dc, k):
        dx, dh_prev, dc_prev, g = ll.lstm_step_backward(dh, dc, k)
        d = g.named()
        del d["W_fh"]
        return dx, dh_prev, dc_prev, d

    _wrong(ex.check_lstm_step_backward(no_f), "forget gate")
    _wrong(ex.check_lstm_step_backward(ignores_carry), "carry dc is missing")
    _wrong(ex.check_lstm_step_backward(bad_dx), "dx")
    _wrong(ex.check_lstm_step_backward(bad_dh), "dh_prev")
    _wrong(ex.check_lstm_step_backward(missing_grad), "W_fh")
    _wrong(ex.check_lstm_step_backward(lambda dh, dc, k: None), "return (dx, dh_prev, dc_prev, grads)")


def test_no_carry_failures():
    zero = {"W_ix", "b_i", "W_cx", "b_c", "X", "h0", "c0"}
    rand = zero | {"W_fh", "W_fx", "b_f", "W_ih", "W_ch"}
    assert set(gf.errata_gradcheck(gf.ERRATA_VARIANTS["no carry"], 2).failed) == zero
    assert set(gf.errata_gradcheck(gf.ERRATA_VARIANTS["no carry"], 2, zero_state=False).failed) == rand
    _right(ex.check_no_carry_failures(rand))
    _right(ex.check_no_carry_failures(sorted(rand)))
    _right(ex.check_no_carry_failures(zero, zero_state=True))
    _wrong(ex.check_no_carry_failures(zero), "does not vanish")  # the zero-state answer, for a random state
    _wrong(ex.check_no_carry_failures(rand | {"W_oh"}), "does not involve")
    _wrong(ex.check_no_carry_failures(zero | {"W_fh"}, zero_state=True), "h_0 = 0")
    _wrong(ex.check_no_carry_failures(zero | {"W_fx"}, zero_state=True), "c_0 = 0")
    _wrong(ex.check_no_carry_failures(zero - {"c0"}, zero_state=True), "lacks the carry")
    _wrong(ex.check_no_carry_failures({"W_zz"}), "unknown")
    _wrong(ex.check_no_carry_failures("W_ix"), "set of names")


def test_carry_ratio():
    assert ex._held_gate_carry(0.95, 20) == pytest.approx(0.95 ** 19, rel=1e-12)
    _right(ex.check_carry_ratio(0.95 ** 19))
    _right(ex.check_carry_ratio(0.3774))
    _wrong(ex.check_carry_ratio(0.95 ** 20), "off by one")
    _wrong(ex.check_carry_ratio(0.95 * 19), "not f times the number")
    _wrong(ex.check_carry_ratio(0.0), "does reach")
    _wrong(ex.check_carry_ratio(0.5), "one step at a time")
    _right(ex.check_carry_ratio(0.5 ** 4, f=0.5, steps=5))
