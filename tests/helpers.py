"""Shared builders for the core tests: one place that knows how to make each model and its inputs."""
from __future__ import annotations

import numpy as np

import lstmlib as ll

# (label, params factory, forward, backward, initial-state names, forward kwargs)
MODEL_CASES = {
    "lstm": (lambda D, H, rng, dt: ll.LSTMParams.init(D, H, rng, dtype=dt), ll.lstm_forward,
             ll.lstm_backward, ("h0", "c0"), {}),
    "gru": (lambda D, H, rng, dt: ll.GRUParams.init(D, H, rng, dtype=dt), ll.gru_forward,
            ll.gru_backward, ("h0",), {}),
    "gru_reset_after": (lambda D, H, rng, dt: ll.GRUParams.init(D, H, rng, reset_after=True, dtype=dt),
                        ll.gru_forward, ll.gru_backward, ("h0",), {}),
    "rnn_tanh": (lambda D, H, rng, dt: ll.RNNParams.init(D, H, rng, dtype=dt), ll.rnn_forward,
                 ll.rnn_backward, ("h0",), {"activation": "tanh"}),
    "rnn_sigmoid": (lambda D, H, rng, dt: ll.RNNParams.init(D, H, rng, dtype=dt), ll.rnn_forward,
                    ll.rnn_backward, ("h0",), {"activation": "sigmoid"}),
}


def make_case(model: str, T: int, B: int, D: int, H: int, seed: int, dtype=np.float64):
    """Params, X, initial states (random, so no gradient is trivially zero) and an output gradient."""
    make, forward, backward, state_names, kw = MODEL_CASES[model]
    rng = np.random.default_rng(seed)
    p = make(D, H, rng, dtype)
    X = rng.standard_normal((T, B, D)).astype(dtype)
    states = {n: rng.standard_normal((B, H)).astype(dtype) for n in state_names}
    G = rng.standard_normal((T, B, H)).astype(dtype)
    return p, X, states, G, forward, backward, kw
