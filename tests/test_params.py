"""Parameters and gradients: fused storage under the article's names, initialisation, copies, and
gradients as a type of their own."""
import dataclasses

import numpy as np
import pytest

import lstmlib as ll

SIZES = dict(input_size=3, hidden_size=4)
PARAMS = {"rnn": ll.RNNParams, "lstm": ll.LSTMParams, "gru": ll.GRUParams}


def test_lstm_views_write_through_to_fused_storage():
    p = ll.LSTMParams.init(**SIZES, rng=0)
    H = 4
    for gate, k in (("f", 0), ("i", 1), ("o", 2), ("c", 3)):
        getattr(p, f"W_{gate}h")[1, 2] = 100 + k
        getattr(p, f"W_{gate}x")[2, 0] = 200 + k
        getattr(p, f"b_{gate}")[2] = 300 + k
        assert p.weights[k * H + 1, 2] == 100 + k
        assert p.weights[k * H + 2, H + 0] == 200 + k
        assert p.bias[k * H + 2] == 300 + k
    p.W_ch[...] = np.full((4, 4), 7.0)
    assert np.all(p.weights[3 * H:, :H] == 7.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.W_ch = np.zeros((4, 4))  # rebinding would silently detach the name from the storage


def test_gru_and_rnn_views_write_through_to_fused_storage():
    q = ll.GRUParams.init(**SIZES, rng=0, reset_after=True)
    for gate, k in (("z", 0), ("r", 1), ("c", 2)):
        getattr(q, f"W_{gate}h")[0, 3] = 10 + k
        getattr(q, f"W_{gate}x")[3, 1] = 20 + k
        assert q.weights[4 * k, 3] == 10 + k and q.weights[4 * k + 3, 4 + 1] == 20 + k
    q.b_ch[1] = 5.0
    assert q.hidden_bias[1] == 5.0
    r = ll.RNNParams.init(**SIZES, rng=0)
    r.W[0, 1], r.U[2, 2], r.b[3] = 1.5, 2.5, 3.5
    assert (r.weights[0, 1], r.weights[2, 4 + 2], r.bias[3]) == (1.5, 2.5, 3.5)


@pytest.mark.parametrize("cls, names, shapes", [
    (ll.LSTMParams, ("W_fh", "W_fx", "b_f", "W_ih", "W_ix", "b_i", "W_ch", "W_cx", "b_c", "W_oh", "W_ox", "b_o"),
     None),
    (ll.RNNParams, ("U", "W", "b"), {"U": (4, 3), "W": (4, 4), "b": (4,)}),
    (ll.GRUParams, ("W_zh", "W_zx", "b_z", "W_rh", "W_rx", "b_r", "W_ch", "W_cx", "b_c"), None),
])
def test_names_and_shapes(cls, names, shapes):
    p = cls.init(**SIZES, rng=1)
    assert tuple(p.named()) == tuple(names) == tuple(n for n, _ in p)
    for name, a in p.named().items():
        want = shapes[name] if shapes else ((4,) if name.startswith("b") else (4, 4 if name.endswith("h") else 3))
        assert a.shape == want, name
        assert np.shares_memory(a, p.weights) or np.shares_memory(a, p.bias)
    assert (p.input_size, p.hidden_size) == (3, 4)


def test_gru_names_depend_on_convention():
    q = ll.GRUParams.init(**SIZES, rng=2)
    assert not q.reset_after and q.hidden_bias is None
    with pytest.raises(AttributeError, match="reset_after=True"):
        _ = q.b_ch
    q2 = ll.GRUParams.init(**SIZES, rng=2, reset_after=True)
    assert q2.reset_after and q2.names[-1] == "b_ch" and q2.b_ch.shape == (4,)
    assert q2.num_parameters == 3 * 4 * 7 + 3 * 4 + 4
    assert q.num_parameters == 3 * 4 * 7 + 3 * 4


def test_parameter_counts():
    assert ll.LSTMParams.init(**SIZES, rng=0).num_parameters == 4 * (4 * 7 + 4)
    assert ll.RNNParams.init(**SIZES, rng=0).num_parameters == 4 * 7 + 4


@pytest.mark.parametrize("kind", sorted(PARAMS))
def test_init_is_seeded_and_ranged(kind):
    cls = PARAMS[kind]
    a = cls.init(**SIZES, rng=np.random.default_rng(5))
    b = cls.init(**SIZES, rng=5)
    for x, y in zip(a.arrays(), b.arrays()):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a.weights, cls.init(**SIZES, rng=6).weights)
    assert np.abs(a.weights).max() <= 0.5 and np.abs(a.bias).max() <= 0.5  # k = 1/sqrt(4)
    assert np.abs(a.weights).max() > 0.4  # ... and the range is used, not a narrower one
    s = cls.init(**SIZES, rng=5, scale=0.01)
    assert np.abs(s.weights).max() <= 0.01


def test_lstm_forget_bias_sets_only_b_f():
    a = ll.LSTMParams.init(**SIZES, rng=5)
    c = ll.LSTMParams.init(**SIZES, rng=5, forget_bias=1.0)
    assert np.all(c.b_f == 1.0)
    np.testing.assert_array_equal(c.b_i, a.b_i)
    np.testing.assert_array_equal(c.weights, a.weights)


@pytest.mark.parametrize("seed", [0, 7, 123])
def test_gru_reset_after_init_with_an_int_seed_equals_init_with_its_generator(seed):
    """Regression: with an int seed, ``b_ch`` was drawn from a second generator made from the same
    seed, so it repeated the first H weights and differed from init with a Generator."""
    H = 4
    a = ll.GRUParams.init(3, H, rng=seed, reset_after=True)
    b = ll.GRUParams.init(3, H, np.random.default_rng(seed), reset_after=True)
    for x, y in zip(a.arrays(), b.arrays()):
        np.testing.assert_array_equal(x, y)
    assert len(a.arrays()) == 3
    assert not np.array_equal(a.b_ch, a.weights.ravel()[:H])
    # b_ch comes from the same generator, after the other parameters
    gen = np.random.default_rng(seed)
    k = 1 / np.sqrt(H)
    gen.uniform(-k, k, size=(3 * H, H + 3)), gen.uniform(-k, k, size=3 * H)
    np.testing.assert_array_equal(a.b_ch, gen.uniform(-k, k, size=H))
    # and reset_after does not change the other parameters
    np.testing.assert_array_equal(a.weights, ll.GRUParams.init(3, H, seed).weights)


def test_rnn_activation_is_part_of_the_params():
    p = ll.RNNParams.init(**SIZES, rng=0, activation="relu")
    assert p.activation == "relu" and repr(p).endswith(", relu)")
    assert p.copy().activation == "relu" and p.astype(np.float32).activation == "relu"
    assert ll.RNNParams.init(**SIZES, rng=0).activation == "tanh"
    with pytest.raises(ValueError, match=r"activation: expected one of \['relu', 'sigmoid', 'tanh'\], got 'elu'"):
        ll.RNNParams.init(**SIZES, rng=0, activation="elu")
    with pytest.raises(ValueError, match="activation"):
        ll.RNNParams(p.weights, p.bias, "softplus")


@pytest.mark.parametrize("kind", sorted(PARAMS))
def test_copy_and_astype_are_independent(kind):
    p = PARAMS[kind].init(**SIZES, rng=3, **({"reset_after": True} if kind == "gru" else {}))
    c = p.copy()
    assert type(c) is type(p)
    for a in c.arrays():
        a[...] = 0
    assert all(np.any(a != 0) for a in p.arrays())
    f = p.astype(np.float32)
    assert f.dtype == np.float32 and all(a.dtype == np.float32 for a in f.arrays())
    for a, b in zip(f.arrays(), p.arrays()):
        np.testing.assert_allclose(a, b, rtol=1e-7)
        assert not np.shares_memory(a, b)
    with pytest.raises(ValueError, match="dtype: expected float32 or float64, got float16"):
        p.astype(np.float16)


# ---- gradients are their own type -----------------------------------------------------------------
def _grads(kind, step):
    m = ll.MODELS[kind]
    p = m.init(3, 4, 0, **({"reset_after": True} if kind == "gru" else {}))
    X, dh = np.zeros((2, 1, 3)), np.ones((2, 1, 4))
    if step:
        _, k = m.step_forward(X[0], p, None)
        dstate = ll.LSTMState(dh[0], None) if m.has_cell else dh[0]
        return p, m.step_backward(dstate, k)
    _, cache = m.forward(X, p)
    return p, m.backward(dh, cache)


@pytest.mark.parametrize("kind", sorted(PARAMS))
@pytest.mark.parametrize("step", [False, True])
def test_gradients_are_not_parameters(kind, step):
    """Regression: gradients used to subclass the parameters, so a gradient could be trained on or
    run forward by mistake. Step and sequence backward return the same gradient type."""
    p, g = _grads(kind, step)
    m = ll.MODELS[kind]
    assert type(g) is m.grads
    assert not isinstance(g, ll.params.Params) and not isinstance(g, m.params)
    assert isinstance(g, ll.params.Grads)
    assert g.names == p.names  # the same article names ...
    for name, a in g.named().items():  # ... with the shapes of what they differentiate
        assert a.shape == getattr(p, name).shape
    with pytest.raises(ValueError, match=f"^p: expected {m.params.__name__}, got {m.grads.__name__}"):
        m.forward(np.zeros((2, 1, 3)), g)
    with pytest.raises(ValueError, match=f"^p: expected {m.params.__name__}, got {m.grads.__name__}"):
        m.forward(np.zeros((2, 1, 3)), g, reference=True)
    assert "parameter gradient norm" in repr(g)


def test_lstm_grads_to_lstm_forward_is_refused():
    _, g = _grads("lstm", step=False)
    assert isinstance(g, ll.LSTMGrads) and not isinstance(g, ll.LSTMParams)
    with pytest.raises(ValueError, match="^p: expected LSTMParams, got LSTMGrads"):
        ll.lstm_forward(np.zeros((2, 1, 3)), g)
    with pytest.raises(ValueError, match="^p: expected LSTMParams, got LSTMGrads"):
        ll.fused.lstm_forward(np.zeros((2, 1, 3)), g)
    with pytest.raises(ValueError, match="^p: expected LSTMParams, got LSTMGrads"):
        ll.lstm_step_forward(np.zeros((1, 3)), g)


def test_dstate0_is_the_initial_state_gradient_in_the_state_form():
    for step in (False, True):
        _, g = _grads("lstm", step)
        assert type(g.dstate0) is ll.LSTMState
        assert g.dstate0.h is g.dh0 and g.dstate0.c is g.dc0
        dh0, dc0 = g.dstate0  # unpacks like the state
        assert dh0 is g.dh0 and dc0 is g.dc0
        for kind in ("rnn", "gru"):
            _, g = _grads(kind, step)
            assert isinstance(g.dstate0, np.ndarray) and g.dstate0 is g.dh0


@pytest.mark.parametrize("cls", [ll.RNNParams, ll.RNNGrads, ll.LSTMParams, ll.LSTMGrads, ll.GRUParams,
                                 ll.GRUGrads])
def test_names_is_a_tuple_on_the_class_too(cls):
    """Regression (issue 14): ``GRUParams.names`` at class level was a property object, while
    ``LSTMParams.names`` was a tuple; code that lists a model's parameters without making one
    (tables, saving) needs the tuple."""
    names = cls.names
    assert type(names) is tuple and names and all(isinstance(n, str) for n in names)
    assert all(hasattr(cls, n) for n in names)  # each name is a view on the class


def test_class_names_list_every_parameter_an_object_may_have():
    assert ll.GRUParams.names == ("W_zh", "W_zx", "b_z", "W_rh", "W_rx", "b_r", "W_ch", "W_cx", "b_c", "b_ch")
    assert ll.GRUParams.init(3, 4, 0).names == ll.GRUParams.names[:-1]  # no b_ch in the article's GRU
    assert ll.GRUParams.init(3, 4, 0, reset_after=True).names == ll.GRUParams.names
    assert ll.LSTMParams.init(3, 4, 0).names == ll.LSTMParams.names
    assert ll.RNNParams.names == ("U", "W", "b")


def test_repr_is_short():
    assert repr(ll.LSTMParams.init(**SIZES, rng=0)) == (
        "LSTMParams(input_size=3, hidden_size=4, dtype=float64, 128 parameters)")
    assert repr(ll.RNNParams.init(**SIZES, rng=0)) == (
        "RNNParams(input_size=3, hidden_size=4, dtype=float64, 32 parameters, tanh)")
    g = ll.LSTMGrads(np.zeros((16, 7)), np.full(16, 0.25))
    assert repr(g) == "LSTMGrads(input_size=3, hidden_size=4, dtype=float64, parameter gradient norm 1)"


@pytest.mark.parametrize("kwargs, match", [
    (dict(input_size=0, hidden_size=4, rng=0), "input_size: expected a whole number >= 1, got 0"),
    (dict(input_size=3, hidden_size=-1, rng=0), "hidden_size"),
    (dict(input_size=3, hidden_size=2.5, rng=0), "hidden_size: expected a whole number"),
    (dict(input_size=True, hidden_size=4, rng=0), "input_size"),
    (dict(input_size=3, hidden_size=4, rng="seed"), "rng: expected a np.random.Generator"),
    (dict(input_size=3, hidden_size=4, rng=0, dtype=np.int64), "dtype: expected float32 or float64, got int64"),
    (dict(input_size=3, hidden_size=4, rng=0, dtype=np.float16), "dtype"),
    (dict(input_size=3, hidden_size=4, rng=0, forget_bias=float("nan")), "forget_bias"),
    (dict(input_size=3, hidden_size=4, rng=0, scale=-1.0), "scale: expected a number >= 0"),
])
def test_init_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ll.LSTMParams.init(**kwargs)


def test_constructor_checks_storage():
    with pytest.raises(ValueError, match=r"weights: expected shape \(4\*H, H\+D\)"):
        ll.LSTMParams(np.zeros((16, 4)), np.zeros(16))  # D would be 0
    with pytest.raises(ValueError, match="bias: expected dtype float64"):
        ll.LSTMParams(np.zeros((16, 7)), np.zeros(16, np.float32))
    with pytest.raises(ValueError, match="bias: expected shape"):
        ll.LSTMParams(np.zeros((16, 7)), np.zeros(15))
    with pytest.raises(ValueError, match="hidden_bias"):
        ll.GRUParams(np.zeros((12, 7)), np.zeros(12), np.zeros(3))
    with pytest.raises(ValueError, match="reset_after: expected True or False"):
        ll.GRUParams.init(3, 4, 0, reset_after="yes")
    with pytest.raises(ValueError, match=r"LSTMGrads.weights: expected a 2-D numpy array"):
        ll.LSTMGrads(np.zeros(16), np.zeros(16))
