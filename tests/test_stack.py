"""Stacked layers (``ll.stack_forward`` / ``ll.stack_backward``): every parameter of every layer,
the input and every layer's initial and final states, against finite differences; the stack is
the layers chained by hand; its arguments are checked."""
import numpy as np
import pytest
from helpers import VARIANTS

import lstmlib as ll
from lstmlib import fused
from lstmlib.gradcheck import compare_gradients, numerical_gradient

STACKS = {
    "lstm-lstm": ("lstm", "lstm"),
    "lstm-gru": ("lstm", "gru_reset_after"),  # a GRU on top of an LSTM
    "gru-rnn": ("gru_reset_before", "rnn_tanh"),
    "rnn-lstm-gru": ("rnn_sigmoid", "lstm", "gru_reset_before"),
    "gru-lstm-lstm": ("gru_reset_after", "lstm", "lstm"),
}


def _stack(variants, seed, T=4, B=2, D=3, sizes=(3, 4, 2)):
    """Layers of the given variants (hidden sizes differ per layer, so a mix-up of shapes shows),
    an input, random initial states, a random output gradient and random final-state gradients."""
    rng = np.random.default_rng(seed)
    layers, d = [], D
    for v, H in zip(variants, sizes):
        layers.append(VARIANTS[v](d, H, rng, np.float64))
        d = H
    X = rng.standard_normal((T, B, D))
    states = [{n: rng.standard_normal((B, p.hidden_size)) for n in ll.model_of(p).states} for p in layers]
    G = rng.standard_normal((T, B, layers[-1].hidden_size))
    finals = [{n: rng.standard_normal((B, p.hidden_size)) for n in ll.model_of(p).states} for p in layers]
    return layers, X, states, G, finals


@pytest.mark.parametrize("name", sorted(STACKS))
@pytest.mark.parametrize("reference", [False, True])
def test_stack_gradients_match_finite_differences(name, reference):
    """The loss reads the top layer's outputs and every layer's final states, so that every
    gradient path of a stack is exercised: up through the layers and out through the states."""
    layers, X, states, G, finals = _stack(STACKS[name], seed=len(name))

    def run():
        return ll.stack_forward(X, layers, states, reference=reference)

    def loss():
        hs, cache = run()
        value = float(np.sum(G * hs))
        for fs, Gs in zip(cache.final_states, finals):
            value += sum(float(np.sum(Gs[n] * fs[n])) for n in Gs)
        return value

    _, cache = run()
    grads = ll.stack_backward(G, cache, finals)
    assert [type(g) for g in grads] == [ll.model_of(p).grads for p in layers]
    analytic, arrays = {"X": grads[0].dX}, {"X": X}
    for k, (p, g, s) in enumerate(zip(layers, grads, states)):
        for pname, a in p.named().items():
            analytic[f"{k}.{pname}"], arrays[f"{k}.{pname}"] = getattr(g, pname), a
        for n in s:
            analytic[f"{k}.{n}0"], arrays[f"{k}.{n}0"] = g.dstate0[n], s[n]
    numeric = {key: numerical_gradient(loss, a, stencil="five-point") for key, a in arrays.items()}
    report = compare_gradients(analytic, numeric, tol=1e-7, atol=0.0)
    assert report.passed, str(report)
    expected_rows = 1 + sum(len(p.names) + len(ll.model_of(p).states) for p in layers)
    assert len(report.rows) == expected_rows


@pytest.mark.parametrize("name", sorted(STACKS))
def test_stack_is_the_layers_chained_by_hand(name):
    layers, X, states, G, finals = _stack(STACKS[name], seed=3)
    hs, cache = ll.stack_forward(X, layers, states)
    x, caches = X, []
    for p, s in zip(layers, states):
        x, c = ll.model_of(p).forward(x, p, s)
        caches.append(c)
    np.testing.assert_array_equal(hs, x)
    assert len(cache.final_states) == len(layers)
    for fs, c in zip(cache.final_states, caches):
        assert set(fs) == set(c.final_state)
        for n in fs:
            np.testing.assert_array_equal(fs[n], c.final_state[n])
    grads = ll.stack_backward(G, cache, finals)
    dhs = G
    for k in reversed(range(len(layers))):
        g = ll.model_of(layers[k]).backward(dhs, caches[k], finals[k])
        for a, b in zip(g.arrays() + (g.dX,), grads[k].arrays() + (grads[k].dX,)):
            np.testing.assert_array_equal(a, b)
        dhs = g.dX


def test_stack_final_states_carry_a_stack_to_its_next_chunk():
    layers, X, states, _, _ = _stack(STACKS["rnn-lstm-gru"], seed=8, T=6)
    hs, _ = ll.stack_forward(X, layers, states)
    hs1, c1 = ll.stack_forward(X[:2], layers, states)
    hs2, _ = ll.stack_forward(X[2:], layers, c1.final_states)
    np.testing.assert_allclose(np.concatenate([hs1, hs2]), hs, rtol=0, atol=1e-14)
    assert [set(s) for s in c1.final_states] == [{"h"}, {"h", "c"}, {"h"}]


def test_stack_with_workspace_and_readable_layers_agree_with_fused():
    layers, X, states, G, finals = _stack(STACKS["gru-lstm-lstm"], seed=5)
    hs, cache = ll.stack_forward(X, layers, states)
    grads = ll.stack_backward(G, cache, finals)
    ws = fused.Workspace()
    hs_w, cache_w = ll.stack_forward(X, layers, states, workspace=ws)
    np.testing.assert_array_equal(hs_w, hs)
    for g, gw in zip(grads, ll.stack_backward(G, cache_w, finals, workspace=ws)):
        for a, b in zip(g.arrays() + (g.dX,), gw.arrays() + (gw.dX,)):
            np.testing.assert_array_equal(a, b)
    # each layer gets its own part of the workspace: the lower layers' caches are still valid
    assert all(ws.part(k).nbytes > 0 for k in range(3))
    hs_r, cache_r = ll.stack_forward(X, layers, states, reference=True)
    np.testing.assert_allclose(hs_r, hs, rtol=0, atol=1e-13)
    for g, gr in zip(grads, ll.stack_backward(G, cache_r, finals)):
        for a, b in zip(g.arrays() + (g.dX,), gr.arrays() + (gr.dX,)):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-11)


def test_stack_arguments_are_checked():
    layers, X, states, G, finals = _stack(STACKS["lstm-gru"], seed=1)
    with pytest.raises(ValueError, match=r"states: expected one entry per layer \(2\), got 1"):
        ll.stack_forward(X, layers, states[:1])
    with pytest.raises(ValueError, match=r"states: expected one entry per layer \(2\), got 3"):
        ll.stack_forward(X, layers, states + [None])
    with pytest.raises(ValueError, match="layers: expected at least one layer"):
        ll.stack_forward(X, [])
    _, cache = ll.stack_forward(X, layers, [None, states[1]])  # None: that layer starts from zeros
    with pytest.raises(ValueError, match=r"dstates: expected one entry per layer \(2\), got 1"):
        ll.stack_backward(G, cache, finals[:1])
    with pytest.raises(ValueError, match="cache: expected the StackCache returned by stack_forward"):
        ll.stack_backward(G, cache.layers[-1])
    # reversed, the GRU (4 units) feeds the LSTM (input size 3): the LSTM names the input it refuses
    with pytest.raises(ValueError, match=r"X: expected shape \(T, B, D=3\), got shape \(4, 2, 4\)"):
        ll.stack_forward(X, layers[::-1])
    with pytest.raises(ValueError, match="p: expected RNNParams, LSTMParams or GRUParams"):
        ll.stack_forward(X, [layers[0], "gru"])
    with pytest.raises(ValueError, match="state: expected keys among"):
        ll.stack_forward(X, layers, [states[0], {"c": states[1]["h"]}])  # a GRU has no cell state
