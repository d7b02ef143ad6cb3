"""Fused storage shared by the RNN, LSTM and GRU, for their parameters and for their gradients.

Every model keeps all its weight matrices in ONE array ``weights`` of shape ``(G*H, H+D)``: ``G``
row blocks, one per gate, each ``[W_gh | W_gx]`` (the article's ``W_g = [W_gh, W_gx]``, hidden state
first), and all biases in one vector ``bias`` of shape ``(G*H,)``. One matrix product then computes
every gate of a step. The article's names (``W_fh``, ``W_fx``, ``b_f``, ...) are descriptors that
return writable *views* onto that storage, so ``p.W_fh[0, 0] = 1.0`` (or ``p.W_fh[...] = M``)
changes the model; rebinding ``p.W_fh = M`` is refused, as the dataclasses are frozen.

Parameters (``Params``) and gradients (``Grads``) are different types with the same names: a
gradient has the shape of what it differentiates, and also carries the gradients of the inputs and
initial states (``dX``, ``dh0``, ...), but it cannot be passed where parameters are expected.
Each model module declares its names once, in a small "layout" class that both inherit from.
"""
from __future__ import annotations

import dataclasses
from typing import ClassVar, Iterator

import numpy as np

from . import _validate


class WeightBlock:
    """Descriptor: the ``(H, H)`` (``part="h"``) or ``(H, D)`` (``part="x"``) block of ``weights``
    for one gate."""

    def __init__(self, gate: str, part: str):
        if part not in ("h", "x"):
            raise ValueError(f"part: expected 'h' or 'x', got {part!r}")
        self.gate, self.part = gate, part

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        k, H = obj.gate_index(self.gate), obj.hidden_size
        cols = slice(0, H) if self.part == "h" else slice(H, None)
        return obj.weights[k * H:(k + 1) * H, cols]


class BiasBlock:
    """Descriptor: the ``(H,)`` slice of ``bias`` for one gate."""

    def __init__(self, gate: str):
        self.gate = gate

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        k, H = obj.gate_index(self.gate), obj.hidden_size
        return obj.bias[k * H:(k + 1) * H]


class Fused:
    """What parameters and gradients share: the fused arrays, their sizes and the article's names.

    A model's layout class sets ``gates`` (the row-block order in ``weights``) and ``names`` (the
    article's parameter names, in the article's order) and declares each name as a ``WeightBlock``
    or ``BiasBlock``.
    """

    weights: np.ndarray  # (G*H, H+D)
    bias: np.ndarray  # (G*H,)
    gates: ClassVar[tuple[str, ...]] = ()
    names: ClassVar[tuple[str, ...]] = ()
    storage_fields: ClassVar[tuple[str, ...]] = ("weights", "bias")

    @property
    def hidden_size(self) -> int:
        """H, the size of the hidden state."""
        return self.bias.shape[0] // len(self.gates)

    @property
    def input_size(self) -> int:
        """D, the size of one input vector."""
        return self.weights.shape[1] - self.hidden_size

    @property
    def dtype(self) -> np.dtype:
        return self.weights.dtype

    @classmethod
    def gate_index(cls, gate: str) -> int:
        return cls.gates.index(gate)

    def named(self) -> dict[str, np.ndarray]:
        """``{article name: writable view}`` in the article's order, e.g. ``{'W_fh': ..., ...}``."""
        return {name: getattr(self, name) for name in self.names}

    def __iter__(self) -> Iterator[tuple[str, np.ndarray]]:
        return iter(self.named().items())

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The fused storage arrays, in a fixed order (what an optimizer updates in place)."""
        return tuple(a for a in (getattr(self, f) for f in self.storage_fields) if a is not None)

    def _check_storage(self) -> None:
        cls = type(self).__name__
        G = len(self.gates)
        for field, nd in (("weights", 2), ("bias", 1)):
            a = getattr(self, field)
            if not isinstance(a, np.ndarray) or a.ndim != nd:
                got = a.shape if isinstance(a, np.ndarray) else type(a).__name__
                raise ValueError(f"{cls}.{field}: expected a {nd}-D numpy array, got {got}")
            _validate.as_dtype(a.dtype, f"{cls}.{field} dtype")
        if self.bias.shape[0] % G or self.bias.shape[0] == 0:
            raise ValueError(f"{cls}.bias: expected shape ({G}*H,), got {self.bias.shape}")
        H = self.bias.shape[0] // G
        if self.weights.shape[0] != G * H or self.weights.shape[1] <= H:
            raise ValueError(f"{cls}.weights: expected shape ({G}*H, H+D) = ({G * H}, {H}+D) with "
                             f"D >= 1, got {self.weights.shape}")
        if self.bias.dtype != self.weights.dtype:
            raise ValueError(f"{cls}.bias: expected dtype {self.weights.dtype} like weights, "
                             f"got {self.bias.dtype}")


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Params(Fused):
    """Base of ``RNNParams``, ``LSTMParams`` and ``GRUParams``: what a model learns."""

    weights: np.ndarray
    bias: np.ndarray

    def __post_init__(self):
        self._check_storage()

    @property
    def num_parameters(self) -> int:
        """How many numbers the model learns."""
        return sum(a.size for a in self.arrays())

    def copy(self):
        """A deep copy with its own storage."""
        return self._rebuild(lambda a: a.copy())

    def astype(self, dtype):
        """A copy in ``dtype`` (float32 or float64)."""
        dt = _validate.as_dtype(dtype)
        return self._rebuild(lambda a: a.astype(dt))

    def _rebuild(self, fn):
        new = {f: (None if getattr(self, f) is None else fn(getattr(self, f))) for f in self.storage_fields}
        return dataclasses.replace(self, **new)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(input_size={self.input_size}, hidden_size={self.hidden_size}, "
                f"dtype={self.dtype}, {self.num_parameters} parameters)")


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Grads(Fused):
    """Base of ``RNNGrads``, ``LSTMGrads`` and ``GRUGrads``: ``dE/d(parameter)`` under the
    parameters' names, plus the gradients of the inputs and initial states (declared by each
    model). A step's backward and a sequence's backward return the same type."""

    weights: np.ndarray
    bias: np.ndarray

    def __post_init__(self):
        self._check_storage()

    def __repr__(self) -> str:
        norm = float(np.sqrt(sum(np.sum(np.square(a, dtype=np.float64)) for a in self.arrays())))
        return (f"{type(self).__name__}(input_size={self.input_size}, hidden_size={self.hidden_size}, "
                f"dtype={self.dtype}, parameter gradient norm {norm:.3g})")


def init_storage(gates: int, input_size, hidden_size, rng, dtype, scale=None, extra: int = 0):
    """Fresh ``(weights, bias, extra_bias)`` for ``gates`` row blocks, drawn from ``U(-k, k)``,
    ``k = 1/sqrt(H)`` by default (the range PyTorch uses for its recurrent layers, so that a model
    here and one there start from the same distribution), or ``k = scale``. ``extra_bias`` holds
    ``extra`` more biases drawn from the same generator after the others (``None`` when 0).

    ``rng`` is a ``np.random.Generator`` or an int seed; a seed gives exactly the numbers that
    ``np.random.default_rng(seed)`` would.
    """
    D = _validate.positive_int(input_size, "input_size")
    H = _validate.positive_int(hidden_size, "hidden_size")
    gen = _validate.rng(rng)
    dt = _validate.as_dtype(dtype)
    k = 1.0 / np.sqrt(H) if scale is None else _validate.real(scale, "scale")
    if k < 0:
        raise ValueError(f"scale: expected a number >= 0, got {scale}")
    weights = gen.uniform(-k, k, size=(gates * H, H + D)).astype(dt)
    bias = gen.uniform(-k, k, size=gates * H).astype(dt)
    extra_bias = gen.uniform(-k, k, size=extra).astype(dt) if extra else None
    return weights, bias, extra_bias
