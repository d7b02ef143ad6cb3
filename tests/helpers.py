"""Shared builders for the model-layer tests: one place that knows how to make each model variant,
its inputs and its gradients, so that every property is tested for every variant."""
from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import strategies as st

import lstmlib as ll

# variant -> parameters factory (D, H, rng, dtype). Every model and every option that changes the
# mathematics: the RNN's three activations, the LSTM, the GRU in both conventions.
VARIANTS = {
    "rnn_tanh": lambda D, H, rng, dt: ll.RNNParams.init(D, H, rng, activation="tanh", dtype=dt),
    "rnn_sigmoid": lambda D, H, rng, dt: ll.RNNParams.init(D, H, rng, activation="sigmoid", dtype=dt),
    "rnn_relu": lambda D, H, rng, dt: ll.RNNParams.init(D, H, rng, activation="relu", dtype=dt),
    "lstm": lambda D, H, rng, dt: ll.LSTMParams.init(D, H, rng, dtype=dt),
    "gru_reset_before": lambda D, H, rng, dt: ll.GRUParams.init(D, H, rng, dtype=dt),
    "gru_reset_after": lambda D, H, rng, dt: ll.GRUParams.init(D, H, rng, reset_after=True, dtype=dt),
}
NAMES = sorted(VARIANTS)
SMOOTH = [v for v in NAMES if v != "rnn_relu"]  # relu has a kink: finite differences need care there

# The sizes every randomised test draws from: T 1-12, B 1-4, D 1-5, H 1-6, and a seed.
SIZES = st.tuples(st.integers(1, 12), st.integers(1, 4), st.integers(1, 5), st.integers(1, 6),
                  st.integers(0, 2**31 - 1))


@dataclasses.dataclass
class Case:
    """One model with inputs: ``p``, ``X (T, B, D)``, random initial ``states`` by name (random, so
    that no gradient is trivially zero), a random output gradient ``G (T, B, H)`` and random
    gradients on the final states ``final`` by name."""

    variant: str
    p: object
    X: np.ndarray
    states: dict
    G: np.ndarray
    final: dict

    @property
    def model(self):
        return ll.model_of(self.p)

    def forward(self, **kw):
        return self.model.forward(self.X, self.p, self.states, **kw)


def make_case(variant: str, T: int, B: int, D: int, H: int, seed: int, dtype=np.float64) -> Case:
    rng = np.random.default_rng(seed)
    p = VARIANTS[variant](D, H, rng, dtype)
    names = ll.model_of(p).states
    X = rng.standard_normal((T, B, D)).astype(dtype)
    states = {n: rng.standard_normal((B, H)).astype(dtype) for n in names}
    G = rng.standard_normal((T, B, H)).astype(dtype)
    final = {n: rng.standard_normal((B, H)).astype(dtype) for n in names}
    return Case(variant, p, X, states, G, final)


def relu_margin(X, p, h0) -> float:
    """The smallest ``|net_t|`` of a relu RNN's forward pass: how far it stays from the kink."""
    h, smallest = h0, np.inf
    for t in range(X.shape[0]):
        net = X[t] @ p.U.T + h @ p.W.T + p.b
        smallest = min(smallest, float(np.abs(net).min()))
        h = np.maximum(net, 0.0)
    return smallest


def gradient_arrays(g, state_names, *, state_grads: bool = False) -> dict:
    """Every array a backward pass returns, by name: each parameter's gradient, ``dX``, the
    initial states' gradients (``dh0``, ``dc0``) and, with ``state_grads``, ``dh`` (and ``dc``)."""
    out = dict(g.named())
    out["dX"] = g.dX
    for n in state_names:
        out[f"d{n}0"] = g.dstate0[n]
    if state_grads:
        for n in state_names:
            out[f"d{n}"] = getattr(g, f"d{n}")
    return out


def assert_gradients_close(g1, g2, state_names, *, rtol=1e-10, atol=1e-11, state_grads=False):
    a = gradient_arrays(g1, state_names, state_grads=state_grads)
    b = gradient_arrays(g2, state_names, state_grads=state_grads)
    assert list(a) == list(b)
    for name in a:
        assert a[name].shape == b[name].shape, name
        np.testing.assert_allclose(a[name], b[name], rtol=rtol, atol=atol, err_msg=name)
