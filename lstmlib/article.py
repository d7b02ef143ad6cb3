"""An LSTM written the way the source article's companion code is shaped, and its three gradient
errata as switches.

The shape: one sample at a time, one gate at a time, states as column vectors ``(H, 1)`` kept in
Python lists, eight small matrix products per step. It computes the same function as
``lstm_forward`` (the tests hold them equal) and serves two purposes:

* the benchmark's "article-style" peer: how much batching and fusing buy;
* chapter 03's measurement of what the article's backward pass gets wrong. ``ArticleErrata``
  switches on our own re-creation of each mistake, and ``check_gradients`` shows which parameters
  then fail and by how much.

This is our code, not a port: it shares the article's structure, not its text.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from . import _validate
from .activations import sigmoid, sigmoid_grad_from_output, tanh_grad_from_output
from .lstm import LSTMGrads, LSTMParams

__all__ = ["ArticleErrata", "CORRECT", "ARTICLE", "ArticleCache", "article_lstm_forward",
           "article_lstm_backward", "article_backward_with"]

_GATES = ("f", "i", "c", "o")


@dataclasses.dataclass(frozen=True)
class ArticleErrata:
    """Which of the article's three gradient mistakes to reproduce.

    * ``no_cell_carry``: ``dE/dc_t`` lacks the path ``c_t -> c_{t+1}``, i.e. the term
      ``dc_{t+1} * f_{t+1}`` (its derivation defines the error term through ``h`` only);
    * ``input_grad_last_step_only``: ``dW_gx`` is ``delta_g,T x_T^T`` instead of the sum over steps;
    * ``gate_bias_from_forget``: ``db_i`` and ``db_o`` are summed from the forget gate's error term.
    """

    no_cell_carry: bool = False
    input_grad_last_step_only: bool = False
    gate_bias_from_forget: bool = False

    def __str__(self):
        on = [f.name for f in dataclasses.fields(self) if getattr(self, f.name)]
        return " + ".join(on) if on else "correct"


CORRECT = ArticleErrata()
ARTICLE = ArticleErrata(True, True, True)


@dataclasses.dataclass(frozen=True, eq=False)
class ArticleCache:
    """Per sample ``b``, per step ``t``: lists of column vectors ``(H, 1)``; ``h[b][0]`` and
    ``c[b][0]`` are the initial states."""

    X: np.ndarray
    params: LSTMParams
    h: list
    c: list
    f: list
    i: list
    c_tilde: list
    o: list


def article_lstm_forward(X: np.ndarray, p: LSTMParams, state=None):
    """Same function as ``lstm_forward``, computed sample by sample and gate by gate.
    ``state = (h0, c0)`` (zeros when ``None``). Returns ``(hs (T, B, H), ArticleCache)``.
    """
    X, (h0, c0) = _validate.sequence_inputs(p, LSTMParams, X, state, cell=True)
    T, B, _ = X.shape
    W = {g: (getattr(p, f"W_{g}h"), getattr(p, f"W_{g}x"), getattr(p, f"b_{g}")[:, None]) for g in _GATES}
    lists = {k: [] for k in ("h", "c", "f", "i", "c_tilde", "o")}
    hs = np.empty((T, B, p.hidden_size), dtype=p.dtype)
    for b in range(B):
        h, c = h0[b][:, None], c0[b][:, None]
        per = {k: [] for k in lists}
        per["h"].append(h)
        per["c"].append(c)
        for t in range(T):
            x = X[t, b][:, None]
            gate = {}
            for g in _GATES:
                Wh, Wx, bias = W[g]
                net = Wh @ h + Wx @ x + bias
                gate[g] = np.tanh(net) if g == "c" else sigmoid(net)
            c = gate["f"] * c + gate["i"] * gate["c"]
            h = gate["o"] * np.tanh(c)
            for k, v in (("f", gate["f"]), ("i", gate["i"]), ("c_tilde", gate["c"]), ("o", gate["o"]),
                         ("h", h), ("c", c)):
                per[k].append(v)
            hs[t, b] = h[:, 0]
        for k in lists:
            lists[k].append(per[k])
    return hs, ArticleCache(X, p, **lists)


def article_lstm_backward(dhs: np.ndarray, cache: ArticleCache, dstate=None, *,
                          errata: ArticleErrata = CORRECT) -> LSTMGrads:
    """BPTT sample by sample. With ``errata=CORRECT`` it equals ``lstm_backward``; each switch in
    ``errata`` re-creates one of the article's mistakes. ``dstate = (dhT, dcT)``: gradients
    arriving at the final state (zeros when ``None``; the article's code has no such input)."""
    if not isinstance(cache, ArticleCache):
        raise ValueError(f"cache: expected the ArticleCache of article_lstm_forward, got {type(cache).__name__}")
    if not isinstance(errata, ArticleErrata):
        raise ValueError(f"errata: expected an ArticleErrata, got {type(errata).__name__}")
    p = cache.params
    T, B, D = cache.X.shape
    H = p.hidden_size
    dhs = _validate.array(dhs, "dhs", ndim=3, dims="(T, B, H)", shape=(T, B, H), dtype=p.dtype)
    dhT, dcT = _validate.state(dstate, "dstate", cell=True, batch=B, size=H, dtype=p.dtype)
    g = LSTMGrads(np.zeros_like(p.weights), np.zeros_like(p.bias))
    dX = np.zeros_like(cache.X)
    dh0 = np.zeros((B, H), dtype=p.dtype)
    dc0 = np.zeros((B, H), dtype=p.dtype)
    for b in range(B):
        h, c = cache.h[b], cache.c[b]
        f, i, ct, o = cache.f[b], cache.i[b], cache.c_tilde[b], cache.o[b]
        dh = dhT[b][:, None].copy()
        dc_next = dcT[b][:, None].copy()
        for t in range(T - 1, -1, -1):  # list index t holds step t+1; h[t], c[t] are the previous states
            x = cache.X[t, b][:, None]
            dh = dh + dhs[t, b][:, None]
            tanh_c = np.tanh(c[t + 1])
            dc = dh * o[t] * tanh_grad_from_output(tanh_c)
            if not errata.no_cell_carry:
                dc = dc + dc_next
            delta = {
                "o": dh * tanh_c * sigmoid_grad_from_output(o[t]),
                "f": dc * c[t] * sigmoid_grad_from_output(f[t]),
                "i": dc * ct[t] * sigmoid_grad_from_output(i[t]),
                "c": dc * i[t] * tanh_grad_from_output(ct[t]),
            }
            dh = np.zeros((H, 1), dtype=p.dtype)
            dx = np.zeros((D, 1), dtype=p.dtype)
            for k in _GATES:
                getattr(g, f"W_{k}h")[...] += delta[k] @ h[t].T
                if not errata.input_grad_last_step_only or t == T - 1:
                    getattr(g, f"W_{k}x")[...] += delta[k] @ x.T
                bias_delta = delta["f"] if errata.gate_bias_from_forget and k in ("i", "o") else delta[k]
                getattr(g, f"b_{k}")[...] += bias_delta[:, 0]
                dh += getattr(p, f"W_{k}h").T @ delta[k]
                dx += getattr(p, f"W_{k}x").T @ delta[k]
            dX[t, b] = dx[:, 0]
            dc_next = dc * f[t]
        dh0[b], dc0[b] = dh[:, 0], dc_next[:, 0]
    return LSTMGrads(g.weights, g.bias, dX=dX, dh0=dh0, dc0=dc0)


def article_backward_with(errata: ArticleErrata):
    """A backward function with ``lstm_backward``'s signature that runs the article-style pass
    with ``errata``, for ``check_gradients(X, p, backward=article_backward_with(ARTICLE))``."""

    def backward(dhs, cache, dstate=None):
        # check_gradients hands us an lstm_forward cache; recompute the article-style one
        _, acache = article_lstm_forward(cache.X, cache.params, (cache.h0, cache.c0))
        return article_lstm_backward(dhs, acache, dstate, errata=errata)

    backward.__name__ = f"article_backward[{errata}]"
    return backward
