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
    expected sizes with ``None`` where any size >= 1 goes. Lists and integer or boolean arrays are
    converted to ``dtype`` (``np.ones((5, 1, 3), dtype=int)`` is a fine input); a floating-point
    array must already have ``dtype``: mixing float32 and float64 would silently promote and lose
    the point of either.
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
    if a.dtype.kind in "iub" or not isinstance(given, np.ndarray):
        a = a.astype(dtype)  # whole numbers and lists carry no precision to keep
    elif a.dtype != dtype:
        raise ValueError(f"{name}: expected dtype {dtype} (the parameters' dtype), got {a.dtype}; "
                         f"convert with .astype(np.{dtype})")
    finite(a, name)
    return a


def state(a, name: str, *, batch: int, size: int, dtype: np.dtype) -> np.ndarray:
    """An initial state or a state gradient ``(B, H)``; ``None`` means zeros."""
    if a is None:
        return np.zeros((batch, size), dtype=dtype)
    return array(a, name, ndim=2, dims="(B, H)", shape=(batch, size), dtype=dtype)


def _fill(dims: str, shape: tuple) -> str:
    labels = [s.strip() for s in dims.strip("()").split(",")]
    parts = [lab if want is None else f"{lab}={want}" for lab, want in zip(labels, shape)]
    return "(" + ", ".join(parts) + ")"


def rng(value, name: str = "rng") -> np.random.Generator:
    """A ``np.random.Generator``; a whole number is taken as a seed for ``default_rng``."""
    if isinstance(value, np.random.Generator):
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
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


def sequence_inputs(p, cls, X, **states):
    """Check ``X (T, B, D)`` against the parameters and each initial state ``(B, H)`` (``None``
    gives zeros). Returns ``[X, state, ...]`` as arrays of the parameters' dtype."""
    params(p, cls)
    X = array(X, "X", ndim=3, dims="(T, B, D)", shape=(None, None, p.input_size), dtype=p.dtype)
    B, H = X.shape[1], p.hidden_size
    return [X] + [state(a, name, batch=B, size=H, dtype=p.dtype) for name, a in states.items()]


def step_inputs(p, cls, batch=None, **arrays):
    """Check one step's arrays: ``x (B, D)``, every other one ``(B, H)``, all with the same B.
    A state given as ``None`` becomes zeros (once B is known from an earlier argument)."""
    params(p, cls)
    out = []
    for name, a in arrays.items():
        if a is None and batch is not None and name != "x":
            out.append(np.zeros((batch, p.hidden_size), dtype=p.dtype))
            continue
        is_x = name == "x"
        a = array(a, name, ndim=2, dims="(B, D)" if is_x else "(B, H)",
                  shape=(batch, p.input_size if is_x else p.hidden_size), dtype=p.dtype)
        batch = a.shape[0]
        out.append(a)
    return out


def backward_inputs(dhs, cache, cache_types, forward_name: str, **final_grads):
    """Check a sequence backward's ``dhs`` (which must match the forward's outputs ``(T, B, H)``),
    its ``cache`` and the gradients on the final states (``dhT``, ``dcT``; ``None`` gives zeros).
    Returns ``[dhs, final grad, ...]``."""
    if not isinstance(cache, cache_types):
        names = " or ".join(c.__name__ for c in (cache_types if isinstance(cache_types, tuple) else (cache_types,)))
        raise ValueError(f"cache: expected the {names} returned by {forward_name}, got {type(cache).__name__}")
    T, B = cache.X.shape[:2]
    H, dt = cache.params.hidden_size, cache.params.dtype
    dhs = array(dhs, "dhs", ndim=3, dims="(T, B, H)", shape=(T, B, H), dtype=dt)
    return [dhs] + [state(a, name, batch=B, size=H, dtype=dt) for name, a in final_grads.items()]
