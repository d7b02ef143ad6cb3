"""Shared builders for the model-layer tests: one place that knows how to make each model variant,
its inputs, states and gradients, so that every property is tested for every variant."""
from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st

import lstmlib as ll

# variant -> (model name, options): every model and every option that changes the mathematics: the
# RNN's three activations, the LSTM (with a forget bias, so that b_f = 0 cannot hide anything), the
# GRU in both conventions.
OPTIONS = {
    "rnn_tanh": ("rnn", dict(activation="tanh")),
    "rnn_sigmoid": ("rnn", dict(activation="sigmoid")),
    "rnn_relu": ("rnn", dict(activation="relu")),
    "lstm": ("lstm", dict(forget_bias=0.5)),
    "gru_reset_before": ("gru", dict(reset_after=False)),
    "gru_reset_after": ("gru", dict(reset_after=True)),
}
NAMES = sorted(OPTIONS)
SMOOTH = [v for v in NAMES if v != "rnn_relu"]  # relu has a kink: finite differences need care there


def make_params(variant: str, D: int, H: int, rng, dtype=np.float64):
    """Fresh parameters of ``variant`` through the registry."""
    name, options = OPTIONS[variant]
    return ll.MODELS[name].init(D, H, rng, dtype=dtype, **options)


# The sizes every randomised test draws from: T 1-12, B 1-4, D 1-5, H 1-6, and a seed.
SIZES = st.tuples(st.integers(1, 12), st.integers(1, 4), st.integers(1, 5), st.integers(1, 6),
                  st.integers(0, 2**31 - 1))


def examples(n: int):
    """``settings`` drawing ``n`` examples under the default profile, scaled with the loaded
    profile (``thorough`` draws ten times as many)."""
    return settings(max_examples=max(1, round(n * settings.default.max_examples / 10)))


def random_state(model, B: int, H: int, rng, dtype=np.float64):
    """A random state in ``model``'s form: ``h``, or ``LSTMState(h, c)``."""
    arrays = [rng.standard_normal((B, H)).astype(dtype) for _ in range(2 if model.has_cell else 1)]
    return ll.LSTMState(*arrays) if model.has_cell else arrays[0]


@dataclasses.dataclass
class Case:
    """One model with inputs: ``p``, ``X (T, B, D)``, a random initial ``state`` (random, so that
    no gradient is trivially zero), a random output gradient ``G (T, B, H)`` and a random gradient
    ``dstate`` arriving at the final state, both states in the model's form."""

    variant: str
    p: object
    X: np.ndarray
    state: object
    G: np.ndarray
    dstate: object

    @property
    def model(self):
        return ll.model_of(self.p)

    def forward(self, **kw):
        """``model.forward(X, p, state, **kw)``."""
        return self.model.forward(self.X, self.p, self.state, **kw)


def make_case(variant: str, T: int, B: int, D: int, H: int, seed: int, dtype=np.float64) -> Case:
    rng = np.random.default_rng(seed)
    p = make_params(variant, D, H, rng, dtype)
    m = ll.model_of(p)
    X = rng.standard_normal((T, B, D)).astype(dtype)
    state = random_state(m, B, H, rng, dtype)
    G = rng.standard_normal((T, B, H)).astype(dtype)
    dstate = random_state(m, B, H, rng, dtype)
    return Case(variant, p, X, state, G, dstate)


def relu_margin(X, p, h0) -> float:
    """The smallest ``|net_t|`` of a relu RNN's forward pass: how far it stays from the kink."""
    h, smallest = h0, np.inf
    for t in range(X.shape[0]):
        net = X[t] @ p.U.T + h @ p.W.T + p.b
        smallest = min(smallest, float(np.abs(net).min()))
        h = np.maximum(net, 0.0)
    return smallest


STATE_NAMES = {False: ("h0",), True: ("h0", "c0")}


def gradient_arrays(g, *, state_grads: bool = False) -> dict:
    """Every array a backward pass returns, by name: each parameter's gradient, ``dX``, the
    initial state's gradient (``dh0``, and ``dc0`` for the LSTM) and, with ``state_grads``, the
    per-step totals ``dh`` (and ``dc``)."""
    m = ll.model_of(g)
    out = dict(g.named())
    out["dX"] = g.dX
    for name, a in zip(STATE_NAMES[m.has_cell], m.state_arrays(g.dstate0)):
        out["d" + name] = a
    if state_grads:
        out["dh"] = g.dh
        if m.has_cell:
            out["dc"] = g.dc
    return out


def assert_gradients_close(g1, g2, *, rtol=1e-10, atol=1e-11, state_grads=False):
    a = gradient_arrays(g1, state_grads=state_grads)
    b = gradient_arrays(g2, state_grads=state_grads)
    assert list(a) == list(b)
    for name in a:
        assert a[name].shape == b[name].shape, name
        np.testing.assert_allclose(a[name], b[name], rtol=rtol, atol=atol, err_msg=name)


def assert_gradients_equal(g1, g2, *, state_grads=False):
    a = gradient_arrays(g1, state_grads=state_grads)
    b = gradient_arrays(g2, state_grads=state_grads)
    assert list(a) == list(b)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def assert_states_close(s1, s2, model, *, atol=0.0):
    """Two states of ``model`` in its form, entry by entry within ``atol``."""
    for a, b in zip(model.state_arrays(s1), model.state_arrays(s2), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=atol)
