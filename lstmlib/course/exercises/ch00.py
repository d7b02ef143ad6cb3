"""Self-checks of chapter 00's exercises."""
from __future__ import annotations

import numbers

import numpy as np

from ...models import MODELS
from ..i18n import tr
from ._verdict import Verdict, _call, _short, _unanswered

_LSTM = MODELS["lstm"]


def _count_of(value, D: int, H: int) -> tuple[int | None, Verdict | None]:
    """What ``formula(D, H)`` returned, as a whole number, or a Verdict saying what it was."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(())[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return None, Verdict(False, tr("for D={D}, H={H} your function returned {kind} {value}; expected one whole "
                                       "number, the count.", D=D, H=H, kind=type(value).__name__, value=_short(value)))
    if not np.isfinite(value) or float(value) != int(value):
        return None, Verdict(False, tr("for D={D}, H={H} your function returned {value}, which is not a whole "
                                       "number: a count of numbers is.", D=D, H=H, value=value))
    return int(value), None


def check_parameter_count(formula, **other) -> Verdict:
    """Exercise 00.1: ``formula(D, H)`` should give how many numbers an LSTM with input size D and
    hidden size H learns; checked at four sizes against ``MODELS["lstm"].parameter_count(D, H)``.
    (Chapter 07's count of a whole character model is ``check_char_parameter_count``; given its
    keywords, this check says so.)"""
    if other:
        return Verdict(False, tr("this is chapter 00's check, of a formula f(D, H) for one LSTM layer; it takes no "
                                 "{names}. Chapter 07's count of a whole character model is checked by "
                                 "exercises.check_char_parameter_count.", names=", ".join(sorted(other))))
    if (v := _unanswered(formula)) is not None:
        return v
    if not callable(formula):
        return Verdict(False, tr("give a function of D and H, for example  lambda D, H: ...  "
                                 "(so that it can be checked at several sizes)."))
    sizes = ((3, 4), (1, 1), (10, 2), (2, 10))
    got = {}
    for D, H in sizes:
        out, err = _call(formula, D, H)
        if err is not None:
            return err
        got[D, H], err = _count_of(out, D, H)
        if err is not None:
            return err
    wrong = [(D, H) for D, H in sizes if got[D, H] != _LSTM.parameter_count(D, H)]
    if wrong:
        # a slip is named only when it explains the formula at every size (two slips can agree at one)
        slips = [(lambda D, H: _LSTM.parameter_count(H, D),
                  tr("D and H are swapped: the check calls your function as f(D, H), the input size first "
                     "(and W_gh is H x H, W_gx is H x D).")),
                 (lambda D, H: 4 * H * (H + D), tr("the biases are missing: each of the 4 weighted inputs has a bias "
                                                   "of H numbers.")),
                 (lambda D, H: H * (H + D + 1), tr("that counts one weighted input; an LSTM has four (f, i, c~ and o).")),
                 (lambda D, H: 3 * H * (H + D + 1), tr("the candidate c~ has weights and a bias too: four weighted "
                                                       "inputs, not three.")),
                 (lambda D, H: 4 * H * (D + 1), tr("the recurrent weights W_fh, W_ih, W_ch, W_oh (H x H each) are "
                                                   "missing.")),
                 (lambda D, H: 4 * (H + D + 1), tr("each gate has H rows: multiply by H."))]
        why = next((m for slip, m in slips if all(got[s] == slip(*s) for s in sizes)),
                   tr("count, for each of f, i, c~, o: W_gh (H x H), W_gx (H x D), b_g (H)."))
        D, H = wrong[0]
        return Verdict(False, tr("for D={D}, H={H} your formula gives {got}, the LSTM has {want}: {why}",
                                 D=D, H=H, got=got[D, H], want=_LSTM.parameter_count(D, H), why=why))
    return Verdict(True, tr("4H(H+D+1) numbers: four weighted inputs (f, i, c~, o), each with an H x H, an "
                            "H x D matrix and H biases. For D=3, H=4 that is {n}.", n=_LSTM.parameter_count(3, 4)))


def _pair_of_whole_numbers(answer) -> tuple[tuple[int, int] | None, Verdict | None]:
    """``(rows, columns)`` from a pair of whole numbers (a tuple, a list, an array, a ``.shape``),
    or a Verdict saying in one sentence what came instead."""
    example = tr("a pair (rows, columns) of whole numbers, such as (2, 5)")
    if isinstance(answer, (str, bytes)):
        return None, Verdict(False, tr("expected {example}, got the text {answer!r}.", example=example, answer=answer))
    if isinstance(answer, (dict, set)) or not hasattr(answer, "__len__"):
        return None, Verdict(False, tr("expected {example}, got {kind} {answer}.", example=example,
                                       kind=type(answer).__name__, answer=_short(answer)))
    items = list(np.asarray(answer, dtype=object).ravel()) if isinstance(answer, np.ndarray) else list(answer)
    if len(items) != 2:
        return None, Verdict(False, tr("expected {example}, got {n} values: {answer}.", example=example, n=len(items),
                                       answer=_short(answer)))
    for n in items:
        real = isinstance(n, numbers.Real) and not isinstance(n, (bool, np.bool_))
        if not real or not np.isfinite(n) or float(n) != int(n) or n < 1:
            return None, Verdict(False, tr("{n} is not a whole number >= 1: a shape counts rows and columns; "
                                           "expected {example}.", n=_short(n), example=example))
    return (int(items[0]), int(items[1])), None


def check_joined_shape(answer, input_size: int = 3, hidden_size: int = 4) -> Verdict:
    """Exercise 00.2: the shape of the article's joined matrix ``W_f = [W_fh, W_fx]`` for D = 3,
    H = 4 (compared with ``W_fh`` and ``W_fx`` of a real ``LSTMParams`` side by side)."""
    if (v := _unanswered(answer)) is not None:
        return v
    for value, name in ((input_size, "input_size"), (hidden_size, "hidden_size")):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            return Verdict(False, tr("{name}: expected a whole number >= 1 (the exercise uses D = 3, H = 4), "
                                     "got {value!r}.", name=name, value=value))
    got, err = _pair_of_whole_numbers(answer)
    if err is not None:
        return err
    p = _LSTM.init(input_size, hidden_size, 0)
    want = np.hstack([p.W_fh, p.W_fx]).shape
    H = hidden_size
    if got == want:
        return Verdict(True, tr("{want}: W_f takes the joined vector [h, x] of H+D = {cols} numbers to H = {H} "
                                "numbers, one per unit of the forget gate.", want=want, cols=want[1], H=H))
    if got == want[::-1]:
        why = tr("rows and columns are swapped: W_f maps the (H+D)-vector [h, x] to H numbers, so it has H rows.")
    elif got in ((H, H), (H, input_size)):
        why = tr("that is one half of it (W_fh or W_fx); the joined matrix has both halves side by side.")
    else:
        why = tr("the article writes W_f [h_{t-1}, x_t], a matrix times the H+D numbers of [h, x], giving H numbers.")
    return Verdict(False, tr("{got} is not the shape of W_f for D={D}, H={H}: {why}", got=got, D=input_size, H=H,
                             why=why))
