"""Bad input gets a ValueError naming the argument, what was expected and what came."""
import numpy as np
import pytest

import lstmlib as ll
from lstmlib import article

RNG = np.random.default_rng(0)
P = {"lstm": ll.LSTMParams.init(3, 4, 0), "gru": ll.GRUParams.init(3, 4, 0), "rnn": ll.RNNParams.init(3, 4, 0)}
FORWARD = {"lstm": ll.lstm_forward, "gru": ll.gru_forward, "rnn": ll.rnn_forward}
BACKWARD = {"lstm": ll.lstm_backward, "gru": ll.gru_backward, "rnn": ll.rnn_backward}
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
    ("mixed dtype", dict(X=X.astype(np.float32)), "X: expected dtype float64 .*got float32"),
    ("strings", dict(X=np.full((5, 2, 3), "a")), "X: expected a numeric array of dtype float64, got dtype <U1"),
    ("ints", dict(X=np.ones((5, 2, 3), dtype=int)), "X: expected dtype float64 .*got int64"),
    ("ragged list", dict(X=[[1.0], [1.0, 2.0]]), "X: expected an array"),
    ("h0 shape", dict(X=X, h0=np.zeros((2, 5))), r"h0: expected shape \(B=2, H=4\), got shape \(2, 5\)"),
    ("h0 batch", dict(X=X, h0=np.zeros((3, 4))), r"h0: expected shape \(B=2, H=4\), got shape \(3, 4\)"),
    ("h0 inf", dict(X=X, h0=with_inf), "h0: expected finite values"),
]


@pytest.mark.parametrize("model", sorted(P))
@pytest.mark.parametrize("label, kwargs, match", SEQUENCE_CASES, ids=[c[0] for c in SEQUENCE_CASES])
def test_forward_rejects(model, label, kwargs, match):
    with pytest.raises(ValueError, match=match):
        FORWARD[model](p=P[model], **kwargs)


def test_lstm_rejects_bad_c0():
    with pytest.raises(ValueError, match=r"c0: expected a 2-D array of shape \(B=2, H=4\), got shape \(4,\)"):
        ll.lstm_forward(X, P["lstm"], c0=np.zeros(4))


@pytest.mark.parametrize("model", sorted(P))
def test_backward_rejects_mismatched_dhs_and_foreign_cache(model):
    _, cache = FORWARD[model](X, P[model])
    with pytest.raises(ValueError, match=r"dhs: expected shape \(T=5, B=2, H=4\), got shape \(4, 2, 4\)"):
        BACKWARD[model](np.zeros((4, 2, 4)), cache)
    with pytest.raises(ValueError, match="dhs: expected finite values"):
        BACKWARD[model](np.full((5, 2, 4), np.nan), cache)
    other = "gru" if model == "lstm" else "lstm"
    _, foreign = FORWARD[other](X, P[other])
    with pytest.raises(ValueError, match=f"cache: expected the {model.upper()}Cache returned by {model}_forward"):
        BACKWARD[model](np.zeros((5, 2, 4)), foreign)


@pytest.mark.parametrize("model", sorted(P))
def test_wrong_params_type_is_named(model):
    other = P["rnn" if model != "rnn" else "lstm"]
    with pytest.raises(ValueError, match=f"p: expected {model.upper()}Params, got"):
        FORWARD[model](X, other)


def test_step_functions_check_each_argument():
    p = P["lstm"]
    h = np.zeros((2, 4))
    with pytest.raises(ValueError, match=r"x: expected a 2-D array of shape \(B, D=3\), got shape \(3,\)"):
        ll.lstm_step_forward(np.zeros(3), h, h, p)
    with pytest.raises(ValueError, match=r"h_prev: expected shape \(B=2, H=4\), got shape \(3, 4\)"):
        ll.lstm_step_forward(np.zeros((2, 3)), np.zeros((3, 4)), h, p)
    _, _, k = ll.lstm_step_forward(np.zeros((2, 3)), h, h, p)
    with pytest.raises(ValueError, match=r"dc: expected shape \(B=2, H=4\)"):
        ll.lstm_step_backward(h, np.zeros((1, 4)), k)
    with pytest.raises(ValueError, match="x: expected dtype float64"):
        ll.gru_step_forward(np.zeros((2, 3), np.float32), h, P["gru"])
    with pytest.raises(ValueError, match="h_prev: expected finite values"):
        ll.rnn_step_forward(np.zeros((2, 3)), np.full((2, 4), np.inf), P["rnn"])


def test_rnn_activation_is_checked():
    with pytest.raises(ValueError, match=r"activation: expected one of \['relu', 'sigmoid', 'tanh'\], got 'softplus'"):
        ll.rnn_forward(X, P["rnn"], activation="softplus")


def test_article_functions_check_their_arguments():
    with pytest.raises(ValueError, match="X: expected shape"):
        article.article_lstm_forward(X[:, :, :2], P["lstm"])
    _, cache = ll.lstm_forward(X, P["lstm"])
    with pytest.raises(ValueError, match="cache: expected the ArticleCache"):
        article.article_lstm_backward(np.zeros((5, 2, 4)), cache)
    _, acache = article.article_lstm_forward(X, P["lstm"])
    with pytest.raises(ValueError, match="errata: expected an ArticleErrata"):
        article.article_lstm_backward(np.zeros((5, 2, 4)), acache, errata=True)
