"""What a curious learner types after chapters 03-05 (issue 18), one row each: explorers and course
functions with odd arguments answer with one sentence that names the argument, the range it
accepts and the value it got; self-checks answer malformed answers and odd keywords with a
verdict, never a traceback. Every row failed (an IndexError, a TraitError deep in ipywidgets,
numpy's message, a NaN row with RuntimeWarnings, a ZeroDivisionError, a wrong hint) before."""
import warnings

import numpy as np
import pytest
from test_course_support import wrong

import lstmlib as ll
from lstmlib.course import ch03, ch04, ch05, exercises, widgets

# (call, the argument, the range it names, the value it names)
REFUSED = {
    "errata_explorer(max_steps=0)": (lambda: widgets.errata_explorer(max_steps=0), "max_steps", "from 2 to 12", "0"),
    "errata_explorer(max_steps=-2)": (lambda: widgets.errata_explorer(max_steps=-2), "max_steps", "from 2 to 12", "-2"),
    "errata_explorer(seed=-1)": (lambda: widgets.errata_explorer(seed=-1), "seed", ">= 0", "-1"),
    "gradient_flow_explorer(max_steps=4)": (lambda: widgets.gradient_flow_explorer(max_steps=4), "max_steps",
                                            "from 5 to 1000", "4"),
    "gradient_flow_explorer(seed=-1)": (lambda: widgets.gradient_flow_explorer(seed=-1), "seed", ">= 0", "-1"),
    "gradient_flow_explorer(steps=300)": (lambda: widgets.gradient_flow_explorer(steps=300), "steps",
                                          "from 5 to 200", "300"),
    "gate_hold_explorer(steps=4)": (lambda: widgets.gate_hold_explorer(steps=4), "steps", "from 5 to 2000", "4"),
    "gate_hold_explorer(steps=50000)": (lambda: widgets.gate_hold_explorer(steps=50000), "steps", "from 5 to 2000",
                                        "50000"),
    "gate_hold_explorer(seed=-1)": (lambda: widgets.gate_hold_explorer(seed=-1), "seed", ">= 0", "-1"),
    "gate_hold_explorer(z=1.5)": (lambda: widgets.gate_hold_explorer(z=1.5), "z", "[0, 1]", "1.5"),
    "ch04.GateLab(steps=3)": (lambda: ch04.GateLab(steps=3), "steps", "from 5 to 2000", "3"),
    "ch04.GateLab(seed=-1)": (lambda: ch04.GateLab(seed=-1), "seed", ">= 0", "-1"),
    "ch05.GradientFlowLab(max_steps=1)": (lambda: ch05.GradientFlowLab(max_steps=1), "max_steps", "from 2 to 5000",
                                          "1"),
    "ch05.GradientFlowLab(seed=-1)": (lambda: ch05.GradientFlowLab(seed=-1), "seed", ">= 0", "-1"),
    "ch05.cell_error_table(steps=1)": (lambda: ch05.cell_error_table(ch05.GradientFlowLab(max_steps=20), steps=1),
                                       "steps", "from 2 to 20", "1"),
    "ch05.cell_error_parts(T = 1)": (lambda: ch05.cell_error_parts(np.zeros((1, 1, 4)), ch05.gated_models(4, 3, 0)["lstm"]),
                                     "X", "at least 2 steps", "T = 1"),
    "lab.cell_jacobian_norms(steps=1)": (lambda: ch05.GradientFlowLab(max_steps=20).cell_jacobian_norms(steps=1),
                                         "steps", "from 2 to 20", "1"),
    "ch04.model_parameter_count('gru', 3, 4, -1)": (lambda: ch04.model_parameter_count("gru", 3, 4, -1),
                                                     "output_size", ">= 0", "-1"),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_an_odd_argument_gets_one_sentence(name):
    call, argument, accepted, value = REFUSED[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning on the way to the refusal
        with pytest.raises(ValueError) as info:
            call()
    message = str(info.value)
    assert message.startswith(f"{argument}: expected"), message
    assert accepted in message and value in message, message
    assert message.count("\n") == 0  # one sentence, no traceback-like detail


def test_a_long_gate_hold_explorer_warns_before_it_builds():
    with pytest.warns(UserWarning, match="steps = 600: each redraw recomputes 600 steps"):
        ex = widgets.gate_hold_explorer(steps=600)
    assert ex.controls["z"].max == 1.0


# (a self-check, its malformed answer or odd keyword, words the verdict must contain)
MALFORMED = {
    "03.1 gradients with string values": (
        lambda: exercises.check_lstm_step_backward(
            lambda dh, dc, k: (None, None, ll.lstm_step_backward((dh, dc), k).dc0, {n: "0" for n in ll.LSTMParams.names})),
        ("dx should be an array of numbers",)),
    "03.1 a transposed dW": (
        lambda: exercises.check_lstm_step_backward(_transposed_step), ("W_ix is transposed", "delta.T @")),
    "03.1 biases kept 2-D": (lambda: exercises.check_lstm_step_backward(_keepdims_step), ("b_i has shape", "keepdims")),
    "03.2 a loop that returns nothing": (lambda: exercises.check_lstm_backward_loop(lambda dhs, cache: None),
                                         ("return (dX, dh0, dc0, grads)",)),
    "03.3 a list of lists": (lambda: exercises.check_no_carry_failures([["W_ix", "b_c"]]), ("strings",)),
    "03.3 a dict": (lambda: exercises.check_no_carry_failures({"W_ix": True}), ("set of names", "dict")),
    "03.4 f = 1.5": (lambda: exercises.check_carry_ratio(0.5, f=1.5), ("f: expected", "(0, 1]", "1.5")),
    "03.4 a string": (lambda: exercises.check_carry_ratio("a lot"), ("as a number",)),
    "04.1 1920.5": (lambda: exercises.check_gru_parameter_count(1920.5), ("not a whole number",)),
    "04.1 convention='keras'": (lambda: exercises.check_gru_parameter_count(1920, convention="keras"),
                                ("convention: expected", "'keras'")),
    "04.4 a list of lists": (lambda: exercises.ch04.check_update_gate_bias([[1.0]]), ("as a number",)),
    "05.2 the off-by-one 3.055": (lambda: exercises.check_forget_bias_needed(3.055), ("off by one",)),
    "05.4 a dict": (lambda: exercises.ch05.check_cut_h_paths({"share": 0.1}), ("as a number",)),
}


def _transposed_step(dh, dc, k):
    g = ll.lstm_step_backward((dh, dc), k)
    grads = g.named()
    grads["W_ix"] = grads["W_ix"].T.copy()
    return g.dX, g.dh0, g.dc0, grads


def _keepdims_step(dh, dc, k):
    g = ll.lstm_step_backward((dh, dc), k)
    grads = g.named()
    grads["b_i"] = grads["b_i"][None, :]
    return g.dX, g.dh0, g.dc0, grads


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_malformed_answer_gets_a_verdict(name):
    check, words = MALFORMED[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wrong(check(), *words)


def test_the_right_answers_in_other_spellings_are_accepted():
    assert exercises.check_gru_parameter_count(1920, convention="PyTorch")  # what the notebook invites
    assert exercises.ch04.check_update_gate_bias(1.0, convention="PyTorch")
    assert exercises.check_carry_ratio(1.0, f=1.0)  # a forget gate held fully open keeps everything
    assert exercises.check_no_carry_failures(("W_ix", "b_i", "W_cx", "b_c", "X", "h0", "c0"), zero_state=True)
    assert ch03.errata_case(2)[0].shape == (2, 2, 3)
