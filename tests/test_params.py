import dataclasses

import numpy as np
import pytest

import lstmlib as ll

SIZES = dict(input_size=3, hidden_size=4)


def test_lstm_views_write_through_to_fused_storage():
    p = ll.LSTMParams.init(**SIZES, rng=0)
    H = 4
    for gate, k in (("f", 0), ("i", 1), ("o", 2), ("c", 3)):
        getattr(p, f"W_{gate}h")[1, 2] = 100 + k
        getattr(p, f"W_{gate}x")[3, 0] = 200 + k
        getattr(p, f"b_{gate}")[2] = 300 + k
        assert p.weights[k * H + 1, 2] == 100 + k
        assert p.weights[k * H + 3, H + 0] == 200 + k
        assert p.bias[k * H + 2] == 300 + k
    p.W_ch[...] = np.full((4, 4), 7.0)
    assert np.all(p.weights[3 * H:, :H] == 7.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.W_ch = np.zeros((4, 4))  # rebinding would silently detach the name from the storage


@pytest.mark.parametrize("cls, names, shapes", [
    (ll.LSTMParams, ll.LSTMParams.names, None),
    (ll.RNNParams, ("U", "W", "b"), {"U": (4, 3), "W": (4, 4), "b": (4,)}),
])
def test_names_and_shapes(cls, names, shapes):
    p = cls.init(**SIZES, rng=1)
    assert tuple(p.named()) == tuple(names)
    for name, a in p.named().items():
        want = shapes[name] if shapes else ((4,) if name.startswith("b") else (4, 4 if name.endswith("h") else 3))
        assert a.shape == want, name
        assert np.shares_memory(a, p.weights) or np.shares_memory(a, p.bias)


def test_gru_names_depend_on_convention():
    q = ll.GRUParams.init(**SIZES, rng=2)
    assert q.names == ("W_zh", "W_zx", "b_z", "W_rh", "W_rx", "b_r", "W_ch", "W_cx", "b_c")
    with pytest.raises(AttributeError, match="reset_after=True"):
        q.b_ch
    q2 = ll.GRUParams.init(**SIZES, rng=2, reset_after=True)
    assert q2.names[-1] == "b_ch" and q2.b_ch.shape == (4,)
    assert q2.num_parameters == 3 * 4 * 7 + 3 * 4 + 4


def test_parameter_counts():
    assert ll.LSTMParams.init(**SIZES, rng=0).num_parameters == 4 * (4 * 7 + 4)
    assert ll.RNNParams.init(**SIZES, rng=0).num_parameters == 4 * 7 + 4


def test_init_is_seeded_and_ranged():
    a = ll.LSTMParams.init(**SIZES, rng=np.random.default_rng(5))
    b = ll.LSTMParams.init(**SIZES, rng=5)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert np.abs(a.weights).max() <= 0.5  # k = 1/sqrt(4)
    c = ll.LSTMParams.init(**SIZES, rng=5, forget_bias=1.0)
    assert np.all(c.b_f == 1.0)
    np.testing.assert_array_equal(c.b_i, a.b_i)


def test_copy_zeros_astype_are_independent():
    p = ll.GRUParams.init(**SIZES, rng=3, reset_after=True)
    c = p.copy()
    c.W_zh[...] = 0
    c.b_ch[...] = 0
    assert np.any(p.W_zh != 0) and np.any(p.b_ch != 0)
    z = p.zeros_like()
    assert type(z) is ll.GRUParams and not np.any(z.weights) and z.reset_after
    f = p.astype(np.float32)
    assert f.dtype == np.float32 and f.hidden_bias.dtype == np.float32
    np.testing.assert_allclose(f.weights, p.weights, rtol=1e-7)


def test_grads_copy_back_to_params_class():
    p = ll.LSTMParams.init(**SIZES, rng=0)
    _, cache = ll.lstm_forward(np.zeros((2, 1, 3)), p)
    g = ll.lstm_backward(np.ones((2, 1, 4)), cache)
    assert isinstance(g, ll.LSTMParams) and type(g.copy()) is ll.LSTMParams


def test_repr_is_short():
    assert repr(ll.LSTMParams.init(**SIZES, rng=0)) == (
        "LSTMParams(input_size=3, hidden_size=4, dtype=float64, 128 parameters)")


@pytest.mark.parametrize("kwargs, match", [
    (dict(input_size=0, hidden_size=4, rng=0), "input_size: expected a whole number >= 1, got 0"),
    (dict(input_size=3, hidden_size=-1, rng=0), "hidden_size"),
    (dict(input_size=3, hidden_size=2.5, rng=0), "hidden_size: expected a whole number"),
    (dict(input_size=True, hidden_size=4, rng=0), "input_size"),
    (dict(input_size=3, hidden_size=4, rng="seed"), "rng: expected a np.random.Generator"),
    (dict(input_size=3, hidden_size=4, rng=0, dtype=np.int64), "dtype: expected float32 or float64, got int64"),
    (dict(input_size=3, hidden_size=4, rng=0, dtype=np.float16), "dtype"),
    (dict(input_size=3, hidden_size=4, rng=0, forget_bias=float("nan")), "forget_bias"),
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
