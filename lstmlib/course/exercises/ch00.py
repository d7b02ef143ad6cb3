"""Self-checks of chapter 00's exercises."""
from __future__ import annotations


from ...lstm import LSTMParams
from ..i18n import tr
from ._verdict import Verdict, _call, _unanswered


def check_parameter_count(formula) -> Verdict:
    """Exercise 00.1: ``formula(D, H)`` should give how many numbers an LSTM with input size D and
    hidden size H learns (compared with ``LSTMParams.init(D, H, 0).num_parameters``)."""
    if (v := _unanswered(formula)) is not None:
        return v
    if not callable(formula):
        return Verdict(False, tr("give a function of D and H, for example  lambda D, H: ...  "
                                 "(so that it can be checked at several sizes)."))
    sizes = ((3, 4), (1, 1), (10, 2), (2, 10))
    for D, H in sizes:
        got, err = _call(formula, D, H)
        if err is not None:
            return err
        want = LSTMParams.init(D, H, 0).num_parameters
        if got != want:
            hints = [(4 * H * (H + D), tr("the biases are missing: each of the 4 weighted inputs has a bias of H numbers.")),
                     (H * (H + D + 1), tr("that counts one weighted input; an LSTM has four (f, i, c~ and o).")),
                     (3 * H * (H + D + 1), tr("the candidate c~ has weights and a bias too: four weighted inputs, not three.")),
                     (4 * H * (D + 1), tr("the recurrent weights W_fh, W_ih, W_ch, W_oh (H x H each) are missing.")),
                     (4 * (H + D + 1), tr("each gate has H rows: multiply by H."))]
            why = next((m for val, m in hints if got == val),
                       tr("count, for each of f, i, c~, o: W_gh (H x H), W_gx (H x D), b_g (H)."))
            return Verdict(False, tr("for D={D}, H={H} your formula gives {got}, the LSTM has {want}: {why}",
                                     D=D, H=H, got=got, want=want, why=why))
    return Verdict(True, tr("4H(H+D+1) numbers: four weighted inputs (f, i, c~, o), each with an H x H, an "
                            "H x D matrix and H biases. For D=3, H=4 that is {n}.",
                            n=LSTMParams.init(3, 4, 0).num_parameters))


def check_joined_shape(answer, input_size: int = 3, hidden_size: int = 4) -> Verdict:
    """Exercise 00.2: the shape of the article's joined matrix ``W_f = [W_fh, W_fx]`` for D = 3,
    H = 4 (compared with the forget-gate rows of ``LSTMParams.weights``)."""
    if (v := _unanswered(answer)) is not None:
        return v
    H = hidden_size
    want = LSTMParams.init(input_size, hidden_size, 0).weights[:H].shape
    try:
        got = tuple(int(n) for n in answer)
    except (TypeError, ValueError):
        return Verdict(False, tr("expected a shape such as (rows, columns), got {answer!r}.", answer=answer))
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
