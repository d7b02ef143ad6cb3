"""Bad input gets a ValueError naming the argument, what was expected and what came; lists and
integer arrays carry no precision and are converted to the parameters' dtype; a float array of the
other precision is refused."""
import numpy as np
import pytest

import lstmlib as ll
from lstmlib import article, fused

RNG = np.random.default_rng(0)
P = {"lstm": ll.LSTMParams.init(3, 4, 0), "gru": ll.GRUParams.init(3, 4, 0), "rnn": ll.RNNParams.init(3, 4, 0)}
# every sequence forward: the readable ones and the fused ones
FORWARD = {(k, "readable"): getattr(ll, f"{k}_forward") for k in P}
FORWARD.update({(k, "fused"): getattr(fused, f"{k}_forward") for k in P})
BACKWARD = {(k, "readable"): getattr(ll, f"{k}_backward") for k in P}
BACKWARD.update({(k, "fused"): getattr(fused, f"{k}_backward") for k in P})
X = RNG.standard_normal((5, 2, 3))
with_nan = X.copy()
with_nan[2, 1, 0] = np.nan
with_inf = np.zeros((2, 4))
with_inf[0, 1] = np.inf

SEQUENCE_CASES = [
    ("2-D X", dict(X=X[0]), r"X: expected a 3-D array of shape \(T, B, D=3\), got shape \(2, 3\)"),
    ("wrong D", dict(X=X[:, :, :2]), r"X: expected shape \(T, B, D=3\), got shape \(5, 2, 2\)"),
    ("T = 0", dict(X=X[:0]), r"X: expected shape \(T, B, D\) with T >= 1, got shape \(0, 2, 3\)"),
    ("B = 0", dict(X=X[:, :0]), r"X: expected shape \(T, B, D\) with B >= 1"),
    ("NaN", dict(X=with_nan), "X: expected finite values, got 1 NaN or infinite entries"),
    ("float32 X", dict(X=X.astype(np.float32)), "X: expected dtype float64 .*got float32"),
    ("strings", dict(X=np.full((5, 2, 3), "a")), "X: expected a numeric array of dtype float64, got dtype <U1"),
    ("complex", dict(X=X + 0j), "X: expected a numeric array of dtype float64, got dtype complex128"),
    ("ragged list", dict(X=[[1.0], [1.0, 2.0]]), "X: expected an array"),
    ("h0 shape", dict(X=X, h0=np.zeros((2, 5))), r"h0: expected shape \(B=2, H=4\), got shape \(2, 5\)"),
    ("h0 batch", dict(X=X, h0=np.zeros((3, 4))), r"h0: expected shape \(B=2, H=4\), got shape \(3, 4\)"),
    ("h0 inf", dict(X=X, h0=with_inf), "h0: expected finite values"),
    ("h0 float32", dict(X=X, h0=np.zeros((2, 4), np.float32)), "h0: expected dtype float64"),
]


@pytest.mark.parametrize("impl", ["readable", "fused"])
@pytest.mark.parametrize("model", sorted(P))
@pytest.mark.parametrize("label, kwargs, match", SEQUENCE_CASES, ids=[c[0] for c in SEQUENCE_CASES])
def test_forward_rejects(model, impl, label, kwargs, match):
    with pytest.raises(ValueError, match=match):
        FORWARD[model, impl](p=P[model], **kwargs)


@pytest.mark.parametrize("impl", ["readable", "fused"])
@pytest.mark.parametrize("model", sorted(P))
def test_integer_arrays_and_lists_are_converted_like_floats(model, impl):
    """Regression: ``np.ones((5, 1, 3), dtype=int)`` and a list of ints were refused for not being
    float64, though whole numbers carry no precision to lose."""
    p = P[model]
    fwd, bwd = FORWARD[model, impl], BACKWARD[model, impl]
    Xi = np.ones((5, 1, 3), dtype=int)
    h0 = [[0, 1, 0, -1]]  # a list of ints
    dhs = np.arange(20).reshape(5, 1, 4).tolist()
    hs_f, cache_f = fwd(Xi.astype(np.float64), p, np.array(h0, dtype=np.float64))
    hs_i, cache_i = fwd(Xi, p, h0)
    np.testing.assert_array_equal(hs_i, hs_f)
    assert hs_i.dtype == np.float64 and cache_i.X.dtype == np.float64
    g_f = bwd(np.array(dhs, dtype=np.float64), cache_f)
    g_i = bwd(dhs, cache_i)
    for a, b in zip(g_i.arrays() + (g_i.dX, g_i.dh0), g_f.arrays() + (g_f.dX, g_f.dh0)):
        np.testing.assert_array_equal(a, b)
    # booleans and other integer widths too, and into float32 parameters
    hs_b, _ = fwd(Xi.astype(bool), p)
    np.testing.assert_array_equal(hs_b, fwd(Xi.astype(np.float64), p)[0])
    p32 = p.astype(np.float32)
    hs32, _ = fwd(Xi.astype(np.int8), p32)
    assert hs32.dtype == np.float32
    np.testing.assert_array_equal(hs32, fwd(Xi.astype(np.float32), p32)[0])
    # ... but a float array of the other precision is still refused, by name
    with pytest.raises(ValueError, match="^X: expected dtype float32 .*got float64"):
        fwd(Xi.astype(np.float64), p32)


def test_integer_inputs_to_step_functions_and_final_state_gradients():
    p = P["lstm"]
    h, c, k = ll.lstm_step_forward([[1, 0, 2]], p, [[0, 0, 1, 0]], np.zeros((1, 4), dtype=int))
    h2, c2, _ = ll.lstm_step_forward(np.array([[1.0, 0, 2]]), p, np.array([[0, 0, 1.0, 0]]))
    np.testing.assert_array_equal(h, h2)
    np.testing.assert_array_equal(c, c2)
    g = ll.lstm_step_backward([[1, 1, 1, 1]], [[0, 0, 0, 0]], k)
    np.testing.assert_array_equal(g.weights, ll.lstm_step_backward(np.ones((1, 4)), None, k).weights)
    _, cache = fused.lstm_forward(X, p)
    g_int = fused.lstm_backward(np.zeros((5, 2, 4)), cache, dhT=np.ones((2, 4), dtype=int), dcT=[[1] * 4] * 2)
    g_flt = fused.lstm_backward(np.zeros((5, 2, 4)), cache, dhT=np.ones((2, 4)), dcT=np.ones((2, 4)))
    np.testing.assert_array_equal(g_int.weights, g_flt.weights)


def test_lstm_rejects_bad_c0():
    for fwd in (ll.lstm_forward, fused.lstm_forward):
        with pytest.raises(ValueError, match=r"c0: expected a 2-D array of shape \(B=2, H=4\), got shape \(4,\)"):
            fwd(X, P["lstm"], c0=np.zeros(4))


@pytest.mark.parametrize("impl, cache_name, forward_name", [
    ("readable", "{M}Cache", "{m}_forward"), ("fused", "Fused{M}Cache", "fused.{m}_forward")])
@pytest.mark.parametrize("model", sorted(P))
def test_backward_rejects_mismatched_dhs_and_foreign_caches(model, impl, cache_name, forward_name):
    bwd = BACKWARD[model, impl]
    _, cache = FORWARD[model, impl](X, P[model])
    with pytest.raises(ValueError, match=r"dhs: expected shape \(T=5, B=2, H=4\), got shape \(4, 2, 4\)"):
        bwd(np.zeros((4, 2, 4)), cache)
    with pytest.raises(ValueError, match="dhs: expected finite values"):
        bwd(np.full((5, 2, 4), np.nan), cache)
    with pytest.raises(ValueError, match=r"dhT: expected shape \(B=2, H=4\), got shape \(1, 4\)"):
        bwd(np.zeros((5, 2, 4)), cache, np.zeros((1, 4)))
    with pytest.raises(ValueError, match="dhs: expected dtype float64"):
        bwd(np.zeros((5, 2, 4), np.float32), cache)
    want = f"cache: expected the {cache_name.format(M=model.upper())} returned by {forward_name.format(m=model)}"
    other = "gru" if model == "lstm" else "lstm"
    _, foreign = FORWARD[other, impl](X, P[other])
    with pytest.raises(ValueError, match=want):
        bwd(np.zeros((5, 2, 4)), foreign)
    other_impl = "fused" if impl == "readable" else "readable"
    _, same_model_other_impl = FORWARD[model, other_impl](X, P[model])
    with pytest.raises(ValueError, match=want):
        bwd(np.zeros((5, 2, 4)), same_model_other_impl)


@pytest.mark.parametrize("impl", ["readable", "fused"])
@pytest.mark.parametrize("model", sorted(P))
def test_wrong_params_type_is_named(model, impl):
    other = P["rnn" if model != "rnn" else "lstm"]
    with pytest.raises(ValueError, match=f"^p: expected {model.upper()}Params, got"):
        FORWARD[model, impl](X, other)


def test_step_functions_check_each_argument():
    p = P["lstm"]
    h = np.zeros((2, 4))
    with pytest.raises(ValueError, match=r"x: expected a 2-D array of shape \(B, D=3\), got shape \(3,\)"):
        ll.lstm_step_forward(np.zeros(3), p, h, h)
    with pytest.raises(ValueError, match=r"h_prev: expected shape \(B=2, H=4\), got shape \(3, 4\)"):
        ll.lstm_step_forward(np.zeros((2, 3)), p, np.zeros((3, 4)), h)
    with pytest.raises(ValueError, match=r"c_prev: expected shape \(B=2, H=4\), got shape \(2, 3\)"):
        ll.lstm_step_forward(np.zeros((2, 3)), p, h, np.zeros((2, 3)))
    _, _, k = ll.lstm_step_forward(np.zeros((2, 3)), p, h, h)
    with pytest.raises(ValueError, match=r"dc: expected shape \(B=2, H=4\)"):
        ll.lstm_step_backward(h, np.zeros((1, 4)), k)
    with pytest.raises(ValueError, match=r"dh: expected shape \(B=2, H=4\)"):
        ll.lstm_step_backward(np.zeros((2, 5)), None, k)
    with pytest.raises(ValueError, match="x: expected dtype float64"):
        ll.gru_step_forward(np.zeros((2, 3), np.float32), P["gru"], h)
    with pytest.raises(ValueError, match="h_prev: expected finite values"):
        ll.rnn_step_forward(np.zeros((2, 3)), P["rnn"], np.full((2, 4), np.inf))
    with pytest.raises(ValueError, match="^p: expected GRUParams, got LSTMParams"):
        ll.gru_step_forward(np.zeros((2, 3)), p)


def test_rnn_activation_is_checked():
    for fwd in (ll.rnn_forward, fused.rnn_forward):
        with pytest.raises(ValueError, match=r"activation: expected one of \['relu', 'sigmoid', 'tanh'\], got 'softplus'"):
            fwd(X, P["rnn"], activation="softplus")


def test_article_functions_check_their_arguments():
    with pytest.raises(ValueError, match="X: expected shape"):
        article.article_lstm_forward(X[:, :, :2], P["lstm"])
    _, cache = ll.lstm_forward(X, P["lstm"])
    with pytest.raises(ValueError, match="cache: expected the ArticleCache"):
        article.article_lstm_backward(np.zeros((5, 2, 4)), cache)
    _, acache = article.article_lstm_forward(X, P["lstm"])
    with pytest.raises(ValueError, match="errata: expected an ArticleErrata"):
        article.article_lstm_backward(np.zeros((5, 2, 4)), acache, errata=True)


@pytest.mark.parametrize("seed", [-1, -(2**40)])
def test_a_negative_seed_is_refused_in_one_sentence_naming_the_argument(seed):
    # numpy's own message comes from deep inside default_rng and does not name the argument
    with pytest.raises(ValueError, match=rf"^seed: expected a np.random.Generator or an int seed >= 0, got {seed}$"):
        ll._validate.rng(seed, "seed")
    with pytest.raises(ValueError, match=r"^rng: expected .* int seed >= 0, got -1$"):
        ll.LSTMParams.init(3, 4, -1)
