"""Stacked layers (``ll.stack_forward`` / ``ll.stack_backward``): every parameter of every layer,
the input and every layer's initial and final state against finite differences, with and without
dropout masks between the layers; two chunks with the state carried equal the whole sequence; a
stack hands its state to another (encoder to decoder); the stack is the layers chained by hand; its
arguments are checked."""
import numpy as np
import pytest
from helpers import (NAMES, assert_gradients_close, assert_gradients_equal, assert_states_close, make_params,
                     random_state)

import lstmlib as ll
from lstmlib import fused
from lstmlib.gradcheck import compare_gradients, numerical_gradient

STACKS = {
    "lstm-lstm": ("lstm", "lstm"),
    "lstm-gru": ("lstm", "gru_reset_after"),  # a GRU on top of an LSTM
    "gru-rnn": ("gru_reset_before", "rnn_tanh"),
    "rnn-lstm-gru": ("rnn_sigmoid", "lstm", "gru_reset_before"),
    "gru-lstm-rnn": ("gru_reset_after", "lstm", "rnn_tanh"),
}


def _stack(variants, seed, T=4, B=2, D=3, sizes=(3, 4, 2)):
    """Layers of the given variants (hidden sizes differ per layer, so a mix-up of shapes shows),
    an input, random initial states, a random output gradient and random final-state gradients."""
    rng = np.random.default_rng(seed)
    layers, d = [], D
    for v, H in zip(variants, sizes):
        layers.append(make_params(v, d, H, rng))
        d = H
    X = rng.standard_normal((T, B, D))
    states = [random_state(ll.model_of(p), B, p.hidden_size, rng) for p in layers]
    G = rng.standard_normal((T, B, layers[-1].hidden_size))
    dstates = [random_state(ll.model_of(p), B, p.hidden_size, rng) for p in layers]
    return layers, X, states, G, dstates


def _masks(layers, X, rate, seed):
    """Fixed dropout masks, one per layer's input: entries 0 or 1 / (1 - rate)."""
    rng = np.random.default_rng(seed)
    sizes = [X.shape[2]] + [p.hidden_size for p in layers[:-1]]
    return [((rng.random(X.shape[:2] + (d,)) >= rate) / (1 - rate)) for d in sizes]


def _state_rows(prefix, model, state, dstate0):
    """``{name: (array, its gradient)}`` for each array of a state."""
    pairs = zip(model.state_arrays(state), model.state_arrays(dstate0), strict=True)
    return {f"{prefix}.state[{j}]": (a, d) for j, (a, d) in enumerate(pairs)}


# every stack through the fused passes; a three-model stack also through the readable loops (each
# readable layer is checked on its own in test_gradients), and both with dropout masks
CHECKS = ([(name, "fused") for name in sorted(STACKS)] + [("rnn-lstm-gru", "readable")]
          + [(name, "fused-dropout") for name in ("rnn-lstm-gru", "gru-lstm-rnn")])


@pytest.mark.parametrize("name, mode", CHECKS, ids=[f"{m}-{n}" for n, m in CHECKS])
def test_stack_gradients_match_finite_differences(name, mode):
    """The loss reads the top layer's outputs and every layer's final state, so that every
    gradient path of a stack is exercised: up through the layers and out through the states. With
    fixed dropout masks on each layer's input, the masks are part of the function checked."""
    reference, with_masks = mode == "readable", mode == "fused-dropout"
    layers, X, states, G, dstates = _stack(STACKS[name], seed=len(name), T=3)
    masks = _masks(layers, X, 0.4, seed=7) if with_masks else None

    def run():
        return ll.stack_forward(X, layers, states, masks=masks, reference=reference)

    def loss():
        hs, cache = run()
        value = float(np.sum(G * hs))
        for p, fs, ds in zip(layers, cache.final_state, dstates, strict=True):
            m = ll.model_of(p)
            pairs = zip(m.state_arrays(fs), m.state_arrays(ds), strict=True)
            value += sum(float(np.sum(a * b)) for a, b in pairs)
        return value

    _, cache = run()
    grads = ll.stack_backward(G, cache, dstates)
    assert [type(g) for g in grads] == [ll.model_of(p).grads for p in layers]
    rows = {"X": (X, grads[0].dX)}
    for k, (p, g, s) in enumerate(zip(layers, grads, states, strict=True)):
        rows.update({f"{k}.{n}": (a, getattr(g, n)) for n, a in p.named().items()})
        rows.update(_state_rows(str(k), ll.model_of(p), s, g.dstate0))
    numeric = {key: numerical_gradient(loss, a, stencil="five-point") for key, (a, _) in rows.items()}
    report = compare_gradients({key: d for key, (_, d) in rows.items()}, numeric, tol=1e-7, atol=0.0)
    assert report.passed, str(report)
    assert len(report.rows) == 1 + sum(len(p.names) + len(ll.model_of(p).state_arrays(s))
                                       for p, s in zip(layers, states))
    if with_masks:  # the masks matter: a dropped input entry gets no gradient at all
        assert np.all(grads[0].dX[masks[0] == 0] == 0) and np.any(grads[0].dX != 0)


@pytest.mark.parametrize("name", sorted(STACKS) + [f"{v}-{v}" for v in NAMES])
@pytest.mark.parametrize("reference", [False, True])
def test_two_chunks_with_the_state_carried_equal_the_whole_sequence(name, reference):
    """Truncated BPTT over a stack, done exactly: chunk 2 starts from chunk 1's final state (a
    list, one per layer), and chunk 2's ``dstate0`` (one per layer) goes back into chunk 1's
    backward. Outputs, final states and every gradient equal the whole sequence's to 1e-12."""
    variants = STACKS[name] if name in STACKS else tuple(name.split("-"))
    layers, X, states, G, dstates = _stack(variants, seed=11, T=7)
    hs, cache = ll.stack_forward(X, layers, states, reference=reference)
    whole = ll.stack_backward(G, cache, dstates)
    hs1, c1 = ll.stack_forward(X[:3], layers, states, reference=reference)
    hs2, c2 = ll.stack_forward(X[3:], layers, c1.final_state, reference=reference)
    np.testing.assert_allclose(np.concatenate([hs1, hs2]), hs, rtol=0, atol=1e-12)
    for p, a, b in zip(layers, c2.final_state, cache.final_state, strict=True):
        assert_states_close(a, b, ll.model_of(p), atol=1e-12)
    g2 = ll.stack_backward(G[3:], c2, dstates)
    g1 = ll.stack_backward(G[:3], c1, [g.dstate0 for g in g2])
    for k, (a, b, w) in enumerate(zip(g1, g2, whole, strict=True)):
        for n in w.names:
            np.testing.assert_allclose(getattr(a, n) + getattr(b, n), getattr(w, n), rtol=1e-12, atol=1e-12,
                                       err_msg=f"layer {k} {n}")
        m = ll.model_of(w)
        for x, y in zip(m.state_arrays(a.dstate0), m.state_arrays(w.dstate0), strict=True):
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.concatenate([g1[0].dX, g2[0].dX]), whole[0].dX, rtol=1e-12, atol=1e-12)


def test_stack_encoder_hands_its_state_to_a_stack_decoder():
    """A 2-layer encoder's final state (a list) is a 2-layer decoder's initial state; the loss reads
    the decoder's outputs; the decoder's ``dstate0`` list goes into the encoder's backward."""
    rng = np.random.default_rng(23)
    enc = [make_params("lstm", 3, 3, rng), make_params("gru_reset_after", 3, 2, rng)]
    dec = [make_params("lstm", 2, 3, rng), make_params("gru_reset_before", 3, 2, rng)]
    X, Y = rng.standard_normal((3, 2, 3)), rng.standard_normal((2, 2, 2))
    G = rng.standard_normal((2, 2, 2))

    def run():
        _, ce = ll.stack_forward(X, enc)
        hs, cd = ll.stack_forward(Y, dec, ce.final_state)
        return hs, ce, cd

    def loss():
        return float(np.sum(G * run()[0]))

    _, ce, cd = run()
    gd = ll.stack_backward(G, cd)
    ge = ll.stack_backward(np.zeros((3, 2, 2)), ce, [g.dstate0 for g in gd])
    rows = {"X": (X, ge[0].dX), "Y": (Y, gd[0].dX)}
    for tag, ps, gs in (("enc", enc, ge), ("dec", dec, gd)):
        for k, (p, g) in enumerate(zip(ps, gs)):
            rows.update({f"{tag}{k}.{n}": (a, getattr(g, n)) for n, a in p.named().items()})
    numeric = {key: numerical_gradient(loss, a, stencil="five-point") for key, (a, _) in rows.items()}
    report = compare_gradients({key: d for key, (_, d) in rows.items()}, numeric, tol=1e-7, atol=0.0)
    assert report.passed, str(report)
    assert np.any(ge[0].W_fx != 0)  # the encoder learns only through the handed-over state


@pytest.mark.parametrize("name", sorted(STACKS))
def test_stack_is_the_layers_chained_by_hand(name):
    layers, X, states, G, dstates = _stack(STACKS[name], seed=3)
    masks = _masks(layers, X, 0.5, seed=2)
    hs, cache = ll.stack_forward(X, layers, states, masks=masks)
    x, caches = X, []
    for p, s, mask in zip(layers, states, masks):
        x, c = ll.model_of(p).forward(x * mask, p, s)
        caches.append(c)
    np.testing.assert_array_equal(hs, x)
    assert len(cache.final_state) == len(layers)
    for p, fs, c in zip(layers, cache.final_state, caches):
        assert_states_close(fs, c.final_state, ll.model_of(p))
    grads = ll.stack_backward(G, cache, dstates)
    dhs = G
    for k in reversed(range(len(layers))):
        g = ll.model_of(layers[k]).backward(dhs, caches[k], dstates[k])
        for a, b in zip(g.arrays() + (g.dX * masks[k],), grads[k].arrays() + (grads[k].dX,)):
            np.testing.assert_array_equal(a, b)
        dhs = g.dX * masks[k]


def test_stack_with_workspace_and_readable_layers_agree_with_fused():
    layers, X, states, G, dstates = _stack(STACKS["gru-lstm-rnn"], seed=5)
    hs, cache = ll.stack_forward(X, layers, states)
    grads = ll.stack_backward(G, cache, dstates)
    ws = fused.Workspace()
    hs_w, cache_w = ll.stack_forward(X, layers, states, workspace=ws)
    np.testing.assert_array_equal(hs_w, hs)
    for g, gw in zip(grads, ll.stack_backward(G, cache_w, dstates, workspace=ws), strict=True):
        assert_gradients_equal(gw, g)
    # each layer gets its own part of the workspace: the lower layers' caches are still valid
    assert all(ws.part(k).nbytes > 0 for k in range(3))
    hs_r, cache_r = ll.stack_forward(X, layers, states, reference=True)
    np.testing.assert_allclose(hs_r, hs, rtol=0, atol=1e-13)
    for g, gr in zip(grads, ll.stack_backward(G, cache_r, dstates), strict=True):
        assert_gradients_close(gr, g)


def test_stack_arguments_are_checked():
    layers, X, states, G, dstates = _stack(STACKS["lstm-gru"], seed=1)
    with pytest.raises(ValueError, match=r"^state: expected one entry per layer \(2\), got 1"):
        ll.stack_forward(X, layers, states[:1])
    with pytest.raises(ValueError, match=r"^state: expected one entry per layer \(2\), got 3"):
        ll.stack_forward(X, layers, states + [None])
    with pytest.raises(ValueError, match=r"^state: expected a list with one state per layer \(2\).*\(wrap one"):
        ll.stack_forward(X, layers, states[0])  # an LSTMState is a tuple, but not a list of states
    with pytest.raises(ValueError, match="^layers: expected at least one layer"):
        ll.stack_forward(X, [])
    _, cache = ll.stack_forward(X, layers, [None, states[1]])  # None: that layer starts from zeros
    with pytest.raises(ValueError, match=r"^dstate: expected one entry per layer \(2\), got 1"):
        ll.stack_backward(G, cache, dstates[:1])
    with pytest.raises(ValueError, match="^cache: expected the StackCache returned by stack_forward"):
        ll.stack_backward(G, cache.layers[-1])
    # reversed, the GRU (4 units) feeds the LSTM (input size 3): the LSTM names the input it refuses
    with pytest.raises(ValueError, match=r"^X: expected shape \(T, B, D=3\), got shape \(4, 2, 4\)"):
        ll.stack_forward(X, layers[::-1])
    with pytest.raises(ValueError, match=r"^layers\[1\]: expected RNNParams, LSTMParams, GRUParams or VariantLSTMParams, got str"):
        ll.stack_forward(X, [layers[0], "gru"])
    with pytest.raises(ValueError, match=r"^state: expected the array h \(B, H\).*an LSTM's \(h, c\)"):
        ll.stack_forward(X, layers, [states[0], states[0]])  # a GRU has no cell state
    with pytest.raises(ValueError, match=r"^masks: expected one entry per layer \(2\), got 1"):
        ll.stack_forward(X, layers, masks=[np.ones(X.shape)])


def test_stack_masks_must_have_the_shape_of_the_input_they_thin():
    layers, X, _, _, _ = _stack(STACKS["lstm-gru"], seed=1)
    good = _masks(layers, X, 0.5, seed=0)
    ll.stack_forward(X, layers, masks=good)
    with pytest.raises(ValueError, match=r"^masks\[0\]: expected None or shape \(4, 2, 3\) like the layer's "
                                         r"input, got \(2, 3\)"):
        ll.stack_forward(X, layers, masks=[good[0][0], good[1]])  # (B, D) would broadcast over time
    with pytest.raises(ValueError, match=r"^masks\[1\]: expected None or shape \(4, 2, 3\)"):
        ll.stack_forward(X, layers, masks=[good[0], np.ones((4, 2, 4))])
