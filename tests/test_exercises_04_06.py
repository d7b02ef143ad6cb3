"""The self-checks of chapters 04-06 accept right answers and reject wrong ones, with a reason."""
import numpy as np
import pytest

from lstmlib import exercises as ex
from lstmlib.activations import sigmoid


def _right(v):
    assert v.correct and str(v).startswith("Right: "), str(v)


def _wrong(v, *words):
    assert not v.correct and str(v).startswith("Not yet: "), str(v)
    for w in words:
        assert w in v.message, v.message


ALL = [ex.check_forget_bias_decay, ex.check_forget_bias_needed, ex.check_longest_reach,
       ex.check_gru_parameter_count, ex.check_torch_update_gate, ex.check_gru_step_gradient,
       ex.check_adding_baseline, ex.check_clipped_gradient, ex.check_chance_cross_entropy]


@pytest.mark.parametrize("check", ALL)
def test_no_answer_yet(check):
    # the placeholder the notebooks ship with is rejected (with chapter 00-03's shared wording)
    _wrong(check(...))
    _wrong(check(None))


def test_forget_bias_decay():
    f = float(sigmoid(np.float64(2.0)))
    _right(ex.check_forget_bias_decay(f ** 29))
    _right(ex.check_forget_bias_decay(0.0253))  # three digits are enough
    _wrong(ex.check_forget_bias_decay(f ** 30), "T - 1")
    _wrong(ex.check_forget_bias_decay(2.0 ** 29), "sigmoid")
    _wrong(ex.check_forget_bias_decay(0.5 ** 29), "b_f = 0")
    _wrong(ex.check_forget_bias_decay("a lot"), "number")
    _right(ex.check_forget_bias_decay(0.5 ** 9, forget_bias=0.0, steps=10))


def test_forget_bias_needed():
    want = ex.minimal_forget_bias(100, 0.01)
    assert sigmoid(np.float64(want)) ** 99 == pytest.approx(0.01)
    _right(ex.check_forget_bias_needed(round(want, 2)))
    _wrong(ex.check_forget_bias_needed(want - 0.5), "less than")
    _wrong(ex.check_forget_bias_needed(want + 1.0), "smallest")


def test_longest_reach():
    _right(ex.check_longest_reach("lstm"))
    _right(ex.check_longest_reach(" LSTM "))
    _wrong(ex.check_longest_reach("rnn"), "not the largest")
    _wrong(ex.check_longest_reach("transformer"), "one of")


def test_gru_parameter_count():
    D, H = 10, 20
    _right(ex.check_gru_parameter_count(3 * H * (H + D) + 6 * H))
    _right(ex.check_gru_parameter_count(3 * H * (H + D) + 3 * H, convention="article"))
    _wrong(ex.check_gru_parameter_count(3 * H * (H + D) + 3 * H), "article")
    _wrong(ex.check_gru_parameter_count(4 * H * (H + D) + 4 * H), "LSTM")
    _wrong(ex.check_gru_parameter_count(3 * H * (H + D)), "biases")
    with pytest.raises(ValueError, match="convention"):
        ex.check_gru_parameter_count(1, convention="keras")


def test_torch_update_gate():
    _right(ex.check_torch_update_gate(0.7))
    _wrong(ex.check_torch_update_gate(0.3), "OLD")
    _wrong(ex.check_torch_update_gate(0.1))


def test_gru_step_gradient():
    want = ex.gru_hand_example_grad()
    # the value by hand, from the derived formulas (article convention, one unit)
    e = ex.GRU_HAND_EXAMPLE
    h, x = e["h_prev"], e["x"]
    z = 1 / (1 + np.exp(-(e["W_zh"] * h + e["W_zx"] * x)))
    r = 1 / (1 + np.exp(-(e["W_rh"] * h + e["W_rx"] * x)))
    n = np.tanh(e["W_ch"] * r * h + e["W_cx"] * x)
    dn = z * (1 - n ** 2)
    by_hand = ((1 - z) + (n - h) * z * (1 - z) * e["W_zh"] + dn * e["W_ch"] * r
               + dn * e["W_ch"] * h * r * (1 - r) * e["W_rh"])
    assert want == pytest.approx(by_hand, rel=1e-12)
    _right(ex.check_gru_step_gradient(round(want, 4)))
    _wrong(ex.check_gru_step_gradient(1 - z), "direct path")
    _wrong(ex.check_gru_step_gradient(want + 0.1))


def test_adding_baseline():
    _right(ex.check_adding_baseline(2 / 3))
    _wrong(ex.check_adding_baseline(1 / 3), "one value")
    _wrong(ex.check_adding_baseline(1 / 6), "[0, 1]")
    _right(ex.check_adding_baseline(1 / 6, low=0.0, high=1.0))


def test_clipped_gradient():
    _right(ex.check_clipped_gradient([0.6, 0.8]))
    _wrong(ex.check_clipped_gradient([1.0, 1.0]), "direction")
    _wrong(ex.check_clipped_gradient([3.0, 4.0]), "above theta")
    _wrong(ex.check_clipped_gradient([0.6]), "expected 2 numbers")
    _wrong(ex.check_clipped_gradient(["a", "b"]), "list of numbers")
    _right(ex.check_clipped_gradient([0.3, 0.4], grad=(0.3, 0.4), theta=1.0))


def test_chance_cross_entropy():
    _right(ex.check_chance_cross_entropy(np.log(8)))
    _wrong(ex.check_chance_cross_entropy(3.0), "bits")
    _wrong(ex.check_chance_cross_entropy(0.125), "accuracy")
    _right(ex.check_chance_cross_entropy(np.log(4), classes=4))
