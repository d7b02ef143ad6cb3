"""The odd things a learner types in chapters 00-02, each answered in one readable sentence.

Every row below ended, before it was fixed, in a traceback from deep inside numpy, ipywidgets or
the check itself, in a silent wrong number, or in a hint that named the wrong slip. A self-check
answers with a ``Verdict`` ("Not yet: ..."); a course function or an explorer raises one
``ValueError`` whose message names the argument, what it accepts and the value given."""
import numpy as np
import pytest
from test_course_support import wrong

from lstmlib.course import ch01, ch02, exercises, widgets


def _flow_of_four_steps():
    """Chapter 01's small example (T = 4): what a reader has in ``flow`` after its section 3."""
    import lstmlib as ll
    rng = np.random.default_rng(1)
    r = ll.RNNParams.init(input_size=2, hidden_size=3, rng=rng)
    return ch01.rnn_gradient_flow(rng.standard_normal((4, 1, 2)), r)


def _lstm_step(x, p, state):
    (h, c), _ = __import__("lstmlib").lstm_step_forward(x, p, state)
    return h, c


SELF_CHECKS = [  # (the call, words the one-sentence verdict must contain)
    # 00.1: a function returning an array, a string; the arguments swapped; chapter 07's keywords
    (lambda: exercises.check_parameter_count(lambda D, H: np.array([D, H])), ["returned ndarray", "one whole number"]),
    (lambda: exercises.check_parameter_count(lambda D, H: "128"), ["returned str", "one whole number"]),
    (lambda: exercises.check_parameter_count(lambda H, D: 4 * H * (H + D + 1)), ["swapped", "f(D, H)"]),
    (lambda: exercises.check_parameter_count(..., kind="gru", hidden=148, vocab=96),
     ["chapter 00's check", "check_char_parameter_count"]),
    # 00.2: infinities, text, fractions
    (lambda: exercises.check_joined_shape((float("inf"), 7)), ["inf is not a whole number"]),
    (lambda: exercises.check_joined_shape("47"), ["the text '47'"]),
    (lambda: exercises.check_joined_shape((4.6, 7.9)), ["4.6 is not a whole number"]),
    # 01.1: two significant digits; a capitalised activation
    (lambda: exercises.check_bound_factor(0.0032), ["right method", "three significant digits"]),
    (lambda: exercises.check_bound_factor(0.75, activation="Sigmoid"), ["activation: expected one of", "'Sigmoid'"]),
    # 01.2: a function returning text, a dict, a generator, a ragged list; f' forgotten at T
    (lambda: exercises.check_error_norms(lambda X, p: "0.1 0.2"), ["returned str"]),
    (lambda: exercises.check_error_norms(lambda X, p: {1: 0.5}), ["returned dict"]),
    (lambda: exercises.check_error_norms(lambda X, p: (k for k in range(len(X)))), ["generator", "list(...)"]),
    (lambda: exercises.check_error_norms(lambda X, p: [[1.0, 2.0], [3.0]]), ["not an array of numbers"]),
    (lambda: exercises.check_error_norms(_forgot_the_slope_at_T), ["delta_T misses its slope"]),
    # 01.3: an activation for which no radius stops the vanishing
    (lambda: exercises.check_critical_radius(1.3, activation="sigmoid"), ["no radius up to 5", "tanh"]),
    # 02.1: a gate at 1 (the check divided by 1 - f); two decimals for three
    (lambda: exercises.check_cell_update(1.3, 0.517, f=1.0), ["c_t = 1.3 is not right"]),
    (lambda: exercises.check_cell_update(1.3, 0.52), ["right method", "three decimals"]),
    (lambda: exercises.check_cell_update(1.3, 0.517, f=1.5), ["f: expected a number from 0 to 1", "1.5"]),
    # 02.2: a forget gate of 1 (no step is ever below half); the time step the explorer shows
    (lambda: exercises.check_memory_steps(14, f=1.0), ["never falls below half"]),
    # 02.3: text, a dict, (c, h) swapped, the biases forgotten
    (lambda: exercises.check_lstm_step(lambda x, p, s: ("h", "c")), ["returned str 'h'"]),
    (lambda: exercises.check_lstm_step(lambda x, p, s: {"h": s[0], "c": s[1]}), ["returned dict"]),
    (lambda: exercises.check_lstm_step(lambda x, p, s: _lstm_step(x, p, s)[::-1]), ["you returned (c, h)"]),
    (lambda: exercises.check_lstm_step(_forgot_the_biases), ["the biases are missing"]),
    # 02.4: one decimal for two; a half-life of 0
    (lambda: exercises.check_forget_bias_for_half_life(3.3), ["right method", "two decimals"]),
    (lambda: exercises.check_forget_bias_for_half_life(3.3, half_life=0), ["half_life: expected a number"]),
]


def _forgot_the_slope_at_T(X, p):
    import lstmlib as ll
    hs, _ = ll.rnn_forward(X, p)
    d = np.ones_like(hs[-1])  # the slip: no f'(net_T)
    out = [np.linalg.norm(d)]
    for k in range(X.shape[0] - 2, -1, -1):
        d = (d @ p.W) * (1 - hs[k] ** 2)
        out.append(np.linalg.norm(d))
    return out[::-1]


def _forgot_the_biases(x, p, state):
    q = p.copy()
    q.bias[...] = 0.0
    return _lstm_step(x, q, state)


@pytest.mark.parametrize("call, words", SELF_CHECKS, ids=[f"check-{i}" for i in range(len(SELF_CHECKS))])
def test_an_odd_answer_gets_one_sentence(call, words):
    message = wrong(call(), *words)
    assert "\n" not in message and "Traceback" not in message


def test_the_first_step_below_half_is_the_one_the_explorer_shows():
    # the explorer's axis is the time step t: c_t first falls below half at t = 15 (f = 0.95)
    assert exercises.check_memory_steps(15, f=0.95).correct


FUNCTIONS = [  # (the call, the one-sentence ValueError: argument, range, value)
    (lambda: widgets.rnn_gradient_explorer(max_steps=1), r"^max_steps: expected a whole number from 2 to 1000, got 1$"),
    (lambda: widgets.rnn_gradient_explorer(seed=-1), r"^seed: expected .* int seed >= 0, got -1$"),
    (lambda: widgets.gate_bias_explorer(seed=-1), r"^seed: expected .* int seed >= 0, got -1$"),
    (lambda: widgets.gate_bias_explorer(steps=5000), r"^steps: expected a whole number from 8 to 400, got 5000$"),
    (lambda: widgets.gate_explorer(steps=1), r"^steps: expected a whole number from 2 to 200, got 1$"),
    (lambda: ch02.parameter_table(ch02.worked_example()[1], decimals=-1),
     r"^decimals: expected a whole number from 0 to 6, got -1$"),
    # chapter 01 run out of order: section 5's cells with the 4-step flow of section 3
    (lambda: _flow_of_four_steps().early_share(10),
     r"^n: expected a whole number from 1 to 3 \(T-1: this flow has T = 4 steps\), got 10$"),
    (lambda: _flow_of_four_steps().reach_table(back=(3, 10), last=6), r"^back: .* got 10$"),
    (lambda: ch02.lstm_step_trace(*ch02.worked_example(), sample=3),
     r"^sample: expected a whole number from 0 to 0 \(B-1: x holds B = 1 samples\), got 3$"),
]


@pytest.mark.parametrize("call, message", FUNCTIONS, ids=[f"call-{i}" for i in range(len(FUNCTIONS))])
def test_an_odd_argument_is_refused_in_one_sentence(call, message):
    with pytest.raises(ValueError, match=message):
        call()
