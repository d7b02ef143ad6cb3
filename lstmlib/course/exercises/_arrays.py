"""Reading arrays out of a reader's answer (chapters 03-05): a malformed answer gets one sentence,
never a traceback."""
from __future__ import annotations

import numpy as np

from ..i18n import tr
from ._verdict import Verdict

__all__ = ["numbers", "gradient_dict", "names_set"]


def numbers(value, what: str) -> tuple[np.ndarray | None, Verdict | None]:
    """``(array of float64, None)``, or ``(None, Verdict)`` saying why ``value`` (``what``) is not
    an array of numbers (strings, ragged lists, dicts, None)."""
    if value is None or value is Ellipsis or isinstance(value, (str, bytes, dict, set)):
        return None, Verdict(False, tr("{what} should be an array of numbers, got {kind}.", what=what,
                                       kind=type(value).__name__))
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None, Verdict(False, tr("{what} should be an array of numbers, got {kind} that numpy cannot read as "
                                       "one (strings, or rows of different lengths?).", what=what,
                                       kind=type(value).__name__))
    return a, None


def gradient_dict(grads, names) -> tuple[dict | None, Verdict | None]:
    """``grads`` (a dict by parameter name, or a gradients object with ``named()``) as ``{name:
    array}``; a Verdict when it is neither, or when an entry is not an array of numbers."""
    if hasattr(grads, "named"):
        grads = grads.named()
    if not isinstance(grads, dict):
        return None, Verdict(False, tr("grads should be a dict {{'W_fh': ..., ...}} or an LSTMGrads, got {kind}.",
                                       kind=type(grads).__name__))
    out = {}
    for name in names:
        if name in grads:
            a, v = numbers(grads[name], f"grads[{name!r}]")
            if v is not None:
                return None, v
            out[name] = a
    return out, None


def names_set(answer, allowed) -> tuple[set | None, Verdict | None]:
    """A set of names from ``answer`` (a set, list or tuple of strings), each one of ``allowed``."""
    example = "{'W_ix', 'b_c'}"
    if isinstance(answer, (str, bytes, dict)) or not hasattr(answer, "__iter__"):
        return None, Verdict(False, tr("expected a set of names such as {example}, got {kind}.", example=example,
                                       kind=type(answer).__name__))
    items = list(answer)
    odd = [x for x in items if not isinstance(x, str)]
    if odd:
        return None, Verdict(False, tr("expected a set of names (strings) such as {example}; it holds {kind} "
                                       "{value!r}.", example=example, kind=type(odd[0]).__name__, value=odd[0]))
    got = set(items)
    unknown = got - set(allowed)
    if unknown:
        return None, Verdict(False, tr("unknown names {unknown}; choose from {names}.", unknown=sorted(unknown),
                                       names=", ".join(allowed)))
    return got, None
