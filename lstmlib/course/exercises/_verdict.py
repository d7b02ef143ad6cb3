"""What every self-check shares: the ``Verdict`` it returns and the ways it reads an answer."""
from __future__ import annotations

import dataclasses

import numpy as np

from ..i18n import tr


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The answer to "is my answer right?": ``correct`` and a sentence saying why.

    Truthy when correct, so ``assert check_...(answer)`` works in a test; shown as one line,
    ``Right: ...`` or ``Not yet: ...``. Shared by every chapter's self-checks.
    """

    correct: bool
    message: str

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        return tr("Right: {message}", message=self.message) if self.correct else \
            tr("Not yet: {message}", message=self.message)

    __repr__ = __str__

def _unanswered(answer) -> Verdict | None:
    if answer is None or answer is Ellipsis:
        return Verdict(False, tr("replace the ... with your answer and run the cell again."))
    return None


def _number(answer, what: str) -> tuple[float | None, Verdict | None]:
    """``(x, None)`` for a real number (a Python or numpy number, or an array holding one), else
    ``(None, Verdict)`` saying what came instead: text, a list, several numbers, True/False, inf."""
    if (v := _unanswered(answer)) is not None:
        return None, v
    if isinstance(answer, (str, bytes)):
        return None, Verdict(False, tr("expected {what} as a number, got the text {answer!r}: write the number "
                                       "without quotes.", what=what, answer=answer))
    if isinstance(answer, (bool, np.bool_)):
        return None, Verdict(False, tr("expected {what} as a number, got {answer}.", what=what, answer=answer))
    if isinstance(answer, np.ndarray) and answer.size == 1 and answer.dtype.kind in "fiu":
        answer = answer.reshape(())[()]
    try:
        x = float(answer)
    except (TypeError, ValueError):
        return None, Verdict(False, tr("expected {what} as a number, got {kind} {answer}.", what=what,
                                       kind=type(answer).__name__, answer=_short(answer)))
    if not np.isfinite(x):
        return None, Verdict(False, tr("expected {what} as a finite number, got {x}.", what=what, x=x))
    return x, None


def _short(value, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters: a verdict stays one line."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _close(a, b, rtol=1e-3) -> bool:
    return bool(np.isclose(a, b, rtol=rtol, atol=0.0))


def _call(fn, *args):
    """``(result, None)`` or ``(None, Verdict)`` when ``fn`` is missing or raises."""
    if (v := _unanswered(fn)) is not None:
        return None, v
    if not callable(fn):
        return None, Verdict(False, tr("expected a function, got {kind}.", kind=type(fn).__name__))
    try:
        return fn(*args), None
    except NotImplementedError:
        return None, Verdict(False, tr("your function still raises NotImplementedError: fill in its body."))
    except Exception as err:  # the reader's code: report whatever went wrong, as a verdict
        return None, Verdict(False, tr("your function raised {kind}: {err}", kind=type(err).__name__, err=err))


def _same(a, b, atol=1e-10) -> bool:
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-7, atol=atol))


def _digits(x: float, want: float, *, decimals: int | None = None, significant: int | None = None) -> str | None:
    """How ``x`` compares with ``want`` at the precision an exercise states (give exactly one):
    ``"right"`` when ``x`` rounds to ``want`` there (within half a unit of its last digit, or
    closer), ``"coarse"`` when it is right one digit less precise (the right method, too few
    digits), else ``None``."""
    if decimals is not None:
        unit = 10.0 ** -decimals
    else:
        unit = 10.0 ** (np.floor(np.log10(abs(want))) - significant + 1) if want else 10.0 ** -significant
    err = abs(x - want)
    slack = 1e-9 * max(abs(want), unit)
    if err <= unit / 2 + slack:
        return "right"
    if err <= 5 * unit + slack:
        return "coarse"
    return None


def _more_digits(what: str, x: float, precision: str) -> Verdict:
    """The verdict for an answer that is right to fewer digits than the exercise asks for."""
    return Verdict(False, tr("{x:g} is close: the right method, but {what} needs {precision}.", x=x, what=what,
                             precision=precision))


def _returned_array(value, what: str, shape: tuple | None = None) -> tuple[np.ndarray | None, Verdict | None]:
    """What a reader's function returned, as a float array of ``shape`` (``None`` in ``shape``:
    any length; ``shape=None``: any shape), or a Verdict saying in one sentence what it returned
    instead."""
    kind = type(value).__name__
    if hasattr(value, "__next__"):
        return None, Verdict(False, tr("your function returned a generator, which hands out its values one at a "
                                       "time; wrap it in list(...). Expected {what}.", what=what))
    if isinstance(value, (str, bytes, dict, set)) or callable(value):
        return None, Verdict(False, tr("your function returned {kind} {value}; expected {what}.", kind=kind,
                                       value=_short(value), what=what))
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None, Verdict(False, tr("your function returned {kind} {value}, which is not an array of numbers "
                                       "(rows of different lengths, or text?); expected {what}.", kind=kind,
                                       value=_short(value), what=what))
    if shape is not None and (a.ndim != len(shape) or any(w is not None and g != w for g, w in zip(a.shape, shape))):
        return None, Verdict(False, tr("your function returned an array of shape {got}; expected {what}.",
                                       got=a.shape, what=what))
    if not np.all(np.isfinite(a)):
        return None, Verdict(False, tr("your function returned NaN or infinite values; expected {what}.", what=what))
    return a, None
