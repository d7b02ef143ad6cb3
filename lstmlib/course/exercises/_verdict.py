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
    if (v := _unanswered(answer)) is not None:
        return None, v
    try:
        x = float(answer)
    except (TypeError, ValueError):
        return None, Verdict(False, tr("expected {what} as a number, got {kind} {answer!r}.", what=what,
                                     kind=type(answer).__name__, answer=answer))
    if not np.isfinite(x):
        return None, Verdict(False, tr("expected {what} as a finite number, got {x}.", what=what, x=x))
    return x, None


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
