"""lstmlib.network: a stack with inputs (or an embedding) and a linear head. Every parameter
(embedding, each layer's, the head's), the inputs and each layer's initial state against finite
differences, for a prediction from the last step and at every step, one and two layers, mixed
models, dropout with fixed masks; what ``loss_and_grads``, ``evaluate`` and ``make_model`` return
and refuse."""
import warnings

import numpy as np
import pytest
from helpers import assert_states_close, make_params, random_state

import lstmlib as ll
from lstmlib import fused, network
from lstmlib.gradcheck import compare_gradients, numerical_gradient

# (layers, every_step, embedding, dropout, loss)
CASES = {
    "lstm-last-mse": (("lstm",), False, False, 0.0, "mse"),
    "rnn-every-mse-dropout": (("rnn_tanh",), True, False, 0.3, "mse"),
    "gru-embedding-last-xent": (("gru_reset_before",), False, True, 0.0, "xent"),
    "lstm-gru-last-xent": (("lstm", "gru_reset_before"), False, False, 0.0, "xent"),
    "gru-lstm-every-embedding-dropout": (("gru_reset_after", "lstm"), True, True, 0.4, "xent"),
    "rnn-rnn-every-mse": (("rnn_sigmoid", "rnn_tanh"), True, False, 0.0, "mse"),
}
T, B, D, H, K, V = 4, 3, 2, 3, 3, 5


def _model(layers, every_step, embedding, dropout, seed=0):
    """A SequenceModel of the given variants, built by hand (mixed models are allowed), with a
    head bias that is not zero."""
    rng = np.random.default_rng(seed)
    E = rng.standard_normal((V, D)) if embedding else None
    ps, d = [], D
    for v in layers:
        ps.append(make_params(v, d, H, rng))
        d = H
    head = network.Linear.init(H, K, rng)
    head.bias[...] = rng.standard_normal(K)
    return network.SequenceModel(tuple(ps), head, E, every_step, dropout)


def _data(model, loss, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, V, (T, B)) if model.embedding is not None else rng.standard_normal((T, B, D))
    shape = (T, B) if model.every_step else (B,)
    y = rng.integers(0, K, shape) if loss == "xent" else rng.standard_normal(shape + (K,))
    state = [random_state(ll.model_of(p), B, H, rng) for p in model.layers]
    masks = network.dropout_masks(model, T, B, rng)
    return X, y, state, masks


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_parameter_input_and_state_against_finite_differences(name):
    layers, every_step, embedding, dropout, loss = CASES[name]
    model = _model(layers, every_step, embedding, dropout)
    X, y, state, masks = _data(model, loss)
    assert (masks is None) == (dropout == 0)

    def E():
        return network.loss_and_grads(X, y, model, state, loss=loss, masks=masks)[0]

    value, grads, final = network.loss_and_grads(X, y, model, state, loss=loss, masks=masks)
    assert isinstance(grads, network.ModelGrads)
    labels = (["embedding"] if embedding else []) + [
        f"layer{k}.{f}" for k, p in enumerate(model.layers) for f in p.storage_fields
        if getattr(p, f) is not None] + ["head.weights", "head.bias"]
    arrays = dict(zip(labels, model.arrays(), strict=True))
    analytic = dict(zip(labels, grads.arrays(), strict=True))
    for k, (p, s, g) in enumerate(zip(model.layers, state, grads.layers, strict=True)):
        m = ll.model_of(p)
        for j, (a, d) in enumerate(zip(m.state_arrays(s), m.state_arrays(g.dstate0), strict=True)):
            arrays[f"state[{k}][{j}]"], analytic[f"state[{k}][{j}]"] = a, d
    if not embedding:
        arrays["X"], analytic["X"] = X, grads.dX
    else:
        assert grads.dX is None
    numeric = {n: numerical_gradient(E, a, stencil="five-point") for n, a in arrays.items()}
    report = compare_gradients(analytic, numeric, tol=1e-7, atol=0.0)
    assert report.passed, str(report)
    n_states = sum(len(ll.model_of(p).state_arrays(s)) for p, s in zip(model.layers, state))
    n_arrays = len(model.arrays()) + n_states
    assert len(report.rows) == n_arrays + (0 if embedding else 1)
    if masks is not None:  # the masks were in force: what the head reads is thinned
        assert np.any(masks.head == 0)
        out_masked = network.forward(X, model, state, masks=masks)[0]
        assert not np.allclose(out_masked, network.forward(X, model, state)[0])


@pytest.mark.parametrize("name", sorted(CASES))
def test_loss_and_grads_returns_loss_grads_and_the_final_state(name):
    layers, every_step, embedding, dropout, loss = CASES[name]
    model = _model(layers, every_step, embedding, dropout)
    X, y, state, masks = _data(model, loss)
    outputs, cache = network.forward(X, model, state, masks=masks)
    value, grads, final = network.loss_and_grads(X, y, model, state, loss=loss, masks=masks)
    assert value == pytest.approx(ll.losses.LOSSES[loss](outputs, y)[0], rel=1e-14)
    assert type(final) is list and len(final) == len(model.layers)
    for p, a, b in zip(model.layers, final, cache.final_state, strict=True):
        assert_states_close(a, b, ll.model_of(p))
    assert [a.shape for a in grads.arrays()] == [a.shape for a in model.arrays()]
    assert [type(g) for g in grads.layers] == [ll.model_of(p).grads for p in model.layers]
    # the final state goes on: the next chunk from it equals one forward over both chunks
    _, _, final = network.loss_and_grads(X, y, model, state, loss=loss)  # no dropout: as forward below
    X2 = X[::-1].copy()
    both = np.concatenate([X, X2])
    whole, _ = network.forward(both, model, state)
    second, _ = network.forward(X2, model, final)
    np.testing.assert_allclose(second, whole[T:] if every_step else whole, rtol=0, atol=1e-13)


def test_the_gradient_arriving_at_the_final_state_carries_two_chunks_exactly():
    """``network.backward``'s ``dstate``: the second chunk's ``dstate0`` per layer, handed to the
    first chunk's backward, makes the two chunks' gradients the whole sequence's."""
    model = _model(("lstm", "gru_reset_after"), True, True, 0.0)
    rng = np.random.default_rng(4)
    ids = rng.integers(0, V, (8, B))
    G = rng.standard_normal((8, B, K))
    _, cache = network.forward(ids, model)
    whole = network.backward(G, cache)
    _, c1 = network.forward(ids[:5], model)
    _, c2 = network.forward(ids[5:], model, c1.final_state)
    g2 = network.backward(G[5:], c2)
    g1 = network.backward(G[:5], c1, g2.dstate0)
    for a, b, w in zip(g1.arrays(), g2.arrays(), whole.arrays(), strict=True):
        np.testing.assert_allclose(a + b, w, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("every_step", [False, True])
def test_workspace_gives_the_same_bits(every_step):
    model = _model(("lstm", "rnn_tanh"), every_step, False, 0.0)
    X, y, state, _ = _data(model, "mse")
    value, grads, final = network.loss_and_grads(X, y, model, state)
    ws = fused.Workspace()
    for _ in range(2):
        v_w, g_w, f_w = network.loss_and_grads(X, y, model, state, workspace=ws)
        assert v_w == value
        for a, b in zip(g_w.arrays(), grads.arrays(), strict=True):
            np.testing.assert_array_equal(a, b)
    kept = [s.copy() for s in final[1:]]
    network.loss_and_grads(X * 2, y, model, state, workspace=ws)  # overwrites the workspace
    np.testing.assert_array_equal(f_w[1], kept[0])  # the final state handed out is the caller's


def test_evaluate_returns_a_score_and_predict_the_outputs():
    model = _model(("gru_reset_before",), False, False, 0.5)
    X, y, _, _ = _data(model, "xent")
    score = network.evaluate(X, y, model, loss="xent")
    assert isinstance(score, network.Score) and score._fields == ("loss", "accuracy")
    logits = network.predict(X, model)
    assert logits.shape == (B, K)
    np.testing.assert_array_equal(logits, network.forward(X, model)[0])  # no dropout when predicting
    want = -np.mean(ll.losses.log_softmax(logits)[np.arange(B), y])
    assert score.loss == pytest.approx(want, rel=1e-13)
    assert score.accuracy == np.mean(logits.argmax(axis=1) == y)
    loss, accuracy = network.evaluate(X, np.zeros((B, K)), model)  # regression: no accuracy
    assert accuracy is None and loss == pytest.approx(np.mean(logits ** 2), rel=1e-13)


def test_predict_by_hand():
    model = network.make_model("lstm", D, H, K, 0, every_step=False)
    X = np.random.default_rng(3).standard_normal((T, B, D))
    hs, _ = ll.lstm_forward(X, model.cell)
    np.testing.assert_allclose(network.predict(X, model), hs[-1] @ model.head.weights.T + model.head.bias,
                               rtol=1e-13)
    every = network.SequenceModel(model.layers, model.head, every_step=True)
    np.testing.assert_allclose(network.predict(X, every), hs @ model.head.weights.T + model.head.bias, rtol=1e-13)


# ---- make_model -----------------------------------------------------------------------------------
def test_make_model_defaults_are_the_registrys():
    """The same defaults wherever a model is made: float64, b_f = 0, the article's GRU, tanh."""
    for kind in ll.MODELS:
        m = network.make_model(kind, D, H, K, 0)
        assert m.dtype == np.float64 and m.kind == kind and m.embedding is None and m.dropout == 0.0
        assert not m.every_step and m.hidden_sizes == (H,)
    assert np.all(network.make_model("lstm", D, H, K, 0).cell.b_f == 0)
    np.testing.assert_array_equal(network.make_model("lstm", D, H, K, 0).cell.weights,
                                  ll.MODELS["lstm"].init(D, H, np.random.default_rng(0)).weights)
    assert not network.make_model("gru", D, H, K, 0).cell.reset_after
    assert network.make_model("rnn", D, H, K, 0).cell.activation == "tanh"
    # explicit options are the layers'
    assert np.all(network.make_model("lstm", D, H, K, 0, forget_bias=1.0).cell.b_f == 1.0)
    assert network.make_model("gru", D, H, K, 0, reset_after=True).cell.reset_after
    assert network.make_model("rnn", D, H, K, 0, activation="relu", layers=2).layers[1].activation == "relu"
    assert network.make_model("gru", D, H, K, 0, dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize("kind, option, value", [("gru", "forget_bias", 50), ("lstm", "reset_after", True),
                                                 ("rnn", "forget_bias", 1.0), ("lstm", "activation", "relu")])
def test_make_model_refuses_an_option_of_another_model(kind, option, value):
    """Issue 18: ``make_model("gru", forget_bias=50)`` ignored the bias without a word."""
    with pytest.raises(ValueError, match=f"^{option}: not an option of the {ll.MODELS[kind].title}"):
        network.make_model(kind, D, H, K, 0, **{option: value})


def test_make_model_draws_embedding_layers_head_in_order_from_its_rng():
    m = network.make_model("gru", D, H, K, 7, layers=2, vocab_size=V, reset_after=True)
    gen = np.random.default_rng(7)
    np.testing.assert_array_equal(m.embedding, gen.standard_normal((V, D)))
    for p, d in zip(m.layers, (D, H)):
        q = ll.GRUParams.init(d, H, gen, reset_after=True)
        for a, b in zip(p.arrays(), q.arrays(), strict=True):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(m.head.weights, network.Linear.init(H, K, gen).weights)
    assert m.num_parameters == V * D + ll.MODELS["gru"].parameter_count(D, H, reset_after=True) \
        + ll.MODELS["gru"].parameter_count(H, H, reset_after=True) + K * H + K


def test_sequence_model_properties_copy_and_describe():
    m = network.make_model("lstm", D, H, K, 0, layers=2, vocab_size=V, dropout=0.25, every_step=True)
    assert m.kind == "lstm" and m.vocab_size == V and m.output_size == K and m.input_size == D
    assert m.describe() == f"LSTM 2x{H}, embedding {V}x{D}, dropout 0.25, {m.num_parameters:,} parameters"
    assert repr(m) == f"SequenceModel({m.describe()})"
    with pytest.raises(AttributeError, match="cell: a model of 2 layers"):
        m.cell
    kept = [a.copy() for a in m.arrays()]
    c = m.copy()
    for a in c.arrays():
        a[...] = 7.0
    for a, b in zip(m.arrays(), kept, strict=True):
        np.testing.assert_array_equal(a, b)
    f = m.astype(np.float32)
    assert f.dtype == np.float32 and all(a.dtype == np.float32 for a in f.arrays())
    assert (f.every_step, f.dropout) == (True, 0.25)
    mixed = _model(("lstm", "gru_reset_before"), False, False, 0.0)
    assert mixed.kind == "mixed" and mixed.describe().startswith("LSTM-GRU 2x3, ")


def test_dropout_masks():
    m = network.make_model("lstm", D, H, K, 0, layers=2, dropout=0.25, every_step=True)
    masks = network.dropout_masks(m, 50, 40, 3)
    assert [a.shape for a in masks.layers] == [(50, 40, D), (50, 40, H)] and masks.head.shape == (50, 40, H)
    for a in (*masks.layers, masks.head):
        assert set(np.unique(a)) == {0.0, 1 / 0.75} and a.dtype == np.float64
        assert abs(np.mean(a == 0) - 0.25) < 0.04 and abs(a.mean() - 1.0) < 0.06  # expectation 1
    again = network.dropout_masks(m, 50, 40, 3)
    np.testing.assert_array_equal(again.head, masks.head)  # seeded
    assert not np.array_equal(network.dropout_masks(m, 50, 40, 4).head, masks.head)
    last = network.make_model("lstm", D, H, K, 0, dropout=0.5)
    assert network.dropout_masks(last, 5, 2, 0).head.shape == (2, H)  # what the head reads: h_T
    assert network.dropout_masks(network.make_model("lstm", D, H, K, 0), 5, 2, 0) is None


@pytest.mark.parametrize("where", ["head", "layers"])
def test_an_overflowing_gradient_is_a_floating_point_error_without_warnings(where):
    """A diverging float32 run: the loss is finite (it is summed in float64) but the gradient
    overflows, in the head's product or in the layers below. ``loss_and_grads`` says so with the
    ``FloatingPointError`` that ``train_step`` turns into a stopped run; no RuntimeWarning leaks
    (in a notebook it would print; under the tests' filter it is an error). Before, the head's
    overflow warned and then the layers refused its inf as bad input (a ValueError on dhs)."""
    model = network.make_model("rnn", 2, 8, 1, 0, dtype=np.float32)
    if where == "head":
        model.head.weights[...] = 1e38
    else:
        model.head.weights[...] = 1e19
        model.cell.W[...] = 1e19
    X = np.random.default_rng(0).standard_normal((20, 4, 2)).astype(np.float32)
    y = np.ones((4, 1), np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(FloatingPointError, match="overflowed"):
            network.loss_and_grads(X, y, model)
