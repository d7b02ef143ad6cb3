"""Input checks shared by every public function.

Each check raises ``ValueError`` naming the argument, what was expected and what came, so that a
mistake surfaces at the call that made it instead of as a broadcasting error deep inside a loop.
"""
from __future__ import annotations

import numbers

import numpy as np

SUPPORTED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def as_dtype(dtype, name: str = "dtype") -> np.dtype:
    """The numpy dtype for ``dtype``, which must be float32 or float64."""
    try:
        dt = np.dtype(dtype)
    except TypeError as err:
        raise ValueError(f"{name}: expected float32 or float64, got {dtype!r}") from err
    if dt not in SUPPORTED_DTYPES:
        raise ValueError(f"{name}: expected float32 or float64, got {dt}")
    return dt


def positive_int(value, name: str) -> int:
    """``value`` as an int, which must be a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name}: expected a whole number >= 1, got {value!r}")
    if value < 1:
        raise ValueError(f"{name}: expected a whole number >= 1, got {value}")
    return int(value)


def finite(a: np.ndarray, name: str) -> None:
    """Raise when ``a`` holds NaN or an infinity (min and max propagate both, without a temporary)."""
    if a.size and not (np.isfinite(a.min()) and np.isfinite(a.max())):
        bad = int(np.size(a) - np.count_nonzero(np.isfinite(a)))
        raise ValueError(f"{name}: expected finite values, got {bad} NaN or infinite entries")


def array(a, name: str, *, ndim: int, dims: str, shape: tuple, dtype: np.dtype) -> np.ndarray:
    """Check an array argument and return it as an array of ``dtype``.

    ``dims`` spells the expected shape for the message, e.g. ``"(T, B, D)"``; ``shape`` holds the
    expected sizes with ``None`` where any size >= 1 goes. Lists, integer and boolean arrays, and
    float32 arrays given to a float64 model are converted (exactly: nothing is lost); a float64
    array given to a float32 model is refused, since converting it would silently round.
    """
    given = a
    if not isinstance(a, np.ndarray):
        try:
            a = np.asarray(a)
        except Exception as err:  # ragged lists and the like
            raise ValueError(f"{name}: expected an array of shape {dims}, got {type(given).__name__}") from err
    if a.dtype.kind not in "fiub":
        raise ValueError(f"{name}: expected a numeric array of dtype {dtype}, got dtype {a.dtype}")
    if a.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-D array of shape {_fill(dims, shape)}, got shape {a.shape}")
    for axis, (want, got) in enumerate(zip(shape, a.shape)):
        if got < 1:
            label = dims.strip("()").split(",")[axis].strip()
            raise ValueError(f"{name}: expected shape {dims} with {label} >= 1, got shape {a.shape}")
        if want is not None and got != want:
            raise ValueError(f"{name}: expected shape {_fill(dims, shape)}, got shape {a.shape}")
    if a.dtype.kind in "iub" or not isinstance(given, np.ndarray) or a.dtype.itemsize < np.dtype(dtype).itemsize:
        a = a.astype(dtype)  # whole numbers, lists and float32 into float64: nothing is lost
    elif a.dtype != dtype:
        raise ValueError(f"{name}: expected dtype {dtype} (the parameters' dtype), got {a.dtype}; "
                         f"convert with .astype(np.{dtype}) (this rounds) or use a float64 model")
    finite(a, name)
    return a


def state(value, name: str, *, cell: bool, batch: int, size: int, dtype: np.dtype):
    """A state (or its gradient) in the one form of ``lstmlib.state``: ``h (B, H)``, or for a
    model with a cell state (the LSTM) a pair ``(h, c)``, returned as an ``LSTMState``. ``None``
    gives zeros; so does ``None`` for either half of the LSTM's pair."""
    from .state import LSTMState

    def part(a, label):
        if a is None:
            return np.zeros((batch, size), dtype=dtype)
        return array(a, label, ndim=2, dims="(B, H)", shape=(batch, size), dtype=dtype)

    if not cell:
        if isinstance(value, tuple):
            raise ValueError(f"{name}: expected the array h (B, H) (the state of an RNN or GRU), got a "
                             f"tuple of {len(value)}" + (" (an LSTM's (h, c)?)" if len(value) == 2 else ""))
        if isinstance(value, dict):
            raise ValueError(f"{name}: expected the array h (B, H) (the state of an RNN or GRU), got dict")
        return part(value, name)
    if value is None:
        return LSTMState(part(None, name), part(None, name))
    if isinstance(value, np.ndarray) or not isinstance(value, (tuple, list)) or len(value) != 2:
        got = f"an array of shape {value.shape}" if isinstance(value, np.ndarray) else type(value).__name__
        raise ValueError(f"{name}: expected the LSTM's pair (h, c), each (B, H) (an LSTMState), got {got}")
    return LSTMState(part(value[0], f"{name}.h"), part(value[1], f"{name}.c"))


def _fill(dims: str, shape: tuple) -> str:
    labels = [s.strip() for s in dims.strip("()").split(",")]
    parts = [lab if want is None else f"{lab}={want}" for lab, want in zip(labels, shape)]
    return "(" + ", ".join(parts) + ")"


def rng(value, name: str = "rng") -> np.random.Generator:
    """A ``np.random.Generator``; a whole number is taken as a seed for ``default_rng``."""
    if isinstance(value, np.random.Generator):
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{name}: expected a np.random.Generator or an int seed >= 0, got {value}")
        return np.random.default_rng(int(value))
    raise ValueError(
        f"{name}: expected a np.random.Generator (e.g. np.random.default_rng(0)) or an int seed, "
        f"got {type(value).__name__}"
    )


def real(value, name: str) -> float:
    """A finite real number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name}: expected a finite number, got {value!r}")
    return float(value)


def params(p, cls) -> None:
    if not isinstance(p, cls):
        raise ValueError(f"p: expected {cls.__name__}, got {type(p).__name__}")


def sequence_inputs(p, cls, X, state0, *, cell: bool = False):
    """Check ``X (T, B, D)`` and the initial state against the parameters ``p`` (an instance of
    ``cls``, every entry finite). Returns ``(X, state)`` in the parameters' dtype, zeros for a
    ``None`` state."""
    params(p, cls)
    X = array(X, "X", ndim=3, dims="(T, B, D)", shape=(None, None, p.input_size), dtype=p.dtype)
    p.check_finite()
    try:
        return X, state(state0, "state", cell=cell, batch=X.shape[1], size=p.hidden_size, dtype=p.dtype)
    except ValueError as err:
        parts = state0 if cell and isinstance(state0, (tuple, list)) else (state0,)
        if any(np.ndim(a) == 2 and np.shape(a)[0] != X.shape[1] for a in parts if a is not None):
            # a batch that disagrees: often X given batch-major
            raise ValueError(f"{err} (B is X's second axis: sequences are time-major, X (T, B, D))") from None
        raise


def step_inputs(p, cls, x, state0, *, cell: bool = False):
    """Check one step's ``x (B, D)`` and the state it starts from (``None``: zeros). Returns
    ``(x, state)``. When the state holds NaN, the message also says whether ``p`` does (a NaN in
    the weights reaches the state one step later)."""
    params(p, cls)
    x = array(x, "x", ndim=2, dims="(B, D)", shape=(None, p.input_size), dtype=p.dtype)
    try:
        return x, state(state0, "state", cell=cell, batch=x.shape[0], size=p.hidden_size, dtype=p.dtype)
    except ValueError as err:
        if "finite" in str(err):
            p.check_finite()  # names the parameter when that is where the NaN came from
        raise


def step_grad(dstate, cache, cls, *, cell: bool = False):
    """Check a step backward's ``cache`` (an instance of ``cls``) and ``dstate``, the gradient
    arriving at the state the step returned (``None``: zeros)."""
    if not isinstance(cache, cls):
        raise ValueError(f"cache: expected the {cls.__name__} returned by the step forward, got "
                         f"{type(cache).__name__}" + (" (a sequence's cache: use the sequence backward)"
                                                      if hasattr(cache, "steps") or hasattr(cache, "hs") else ""))
    p = cache.params
    return state(dstate, "dstate", cell=cell, batch=cache.x.shape[0], size=p.hidden_size, dtype=p.dtype)


def backward_inputs(dhs, cache, cache_types, forward_name: str, dstate, *, cell: bool = False):
    """Check a sequence backward's ``dhs`` (which must match the forward's outputs ``(T, B, H)``),
    its ``cache`` and ``dstate``, the gradient arriving at the final state (``None``: zeros).
    Returns ``(dhs, dstate)``."""
    if not isinstance(cache, cache_types):
        names = " or ".join(c.__name__ for c in (cache_types if isinstance(cache_types, tuple) else (cache_types,)))
        raise ValueError(f"cache: expected the {names} returned by {forward_name}, got {type(cache).__name__}")
    T, B = cache.X.shape[:2]
    H, dt = cache.params.hidden_size, cache.params.dtype
    dhs = array(dhs, "dhs", ndim=3, dims="(T, B, H)", shape=(T, B, H), dtype=dt)
    return dhs, state(dstate, "dstate", cell=cell, batch=B, size=H, dtype=dt)
