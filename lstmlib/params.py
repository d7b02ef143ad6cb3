"""The parameters and gradients of the RNN, the LSTM and the GRU: fused storage, the article's names.

Every model keeps all its weight matrices in ONE array ``weights`` of shape ``(G*H, H+D)``: ``G``
row blocks, one per gate, each ``[W_gh | W_gx]`` (the article's ``W_g = [W_gh, W_gx]``, hidden state
first), and all biases in one vector ``bias`` of shape ``(G*H,)``. One matrix product then computes
every gate of a step. The article's names (``W_fh``, ``W_fx``, ``b_f``, ...) are *views* onto that
storage, so ``p.W_fh[0, 0] = 1.0`` (or ``p.W_fh[...] = M``) changes the model; rebinding
``p.W_fh = M`` is refused, as the dataclasses are frozen.

Parameters (``...Params``) and gradients (``...Grads``) are different types with the same names: a
gradient has the shape of what it differentiates and also carries the gradients of the inputs and
of the initial state (``dX``, ``dh0``, ``dc0``), but it cannot be passed where parameters go.

This module is the storage machinery; the mathematics lives in ``rnn``, ``lstm`` and ``gru``.
"""
from __future__ import annotations

import dataclasses
from typing import ClassVar, Iterator

import numpy as np

from . import _validate
from .activations import ACTIVATIONS
from .state import LSTMState

__all__ = ["Params", "Grads", "RNNParams", "RNNGrads", "LSTMParams", "LSTMGrads", "GRUParams",
           "GRUGrads", "init_storage"]


# ----------------------------------------------------------------------------------------------
# The machinery: named views onto fused storage
# ----------------------------------------------------------------------------------------------
class WeightBlock:
    """The ``(H, H)`` (``part="h"``) or ``(H, D)`` (``part="x"``) block of ``weights`` for one gate."""

    def __init__(self, gate: str, part: str):
        self.gate, self.part = gate, part

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        k, H = obj.gate_index(self.gate), obj.hidden_size
        cols = slice(0, H) if self.part == "h" else slice(H, None)
        return obj.weights[k * H:(k + 1) * H, cols]


class BiasBlock:
    """The ``(H,)`` slice of ``bias`` for one gate."""

    def __init__(self, gate: str):
        self.gate = gate

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        k, H = obj.gate_index(self.gate), obj.hidden_size
        return obj.bias[k * H:(k + 1) * H]


class OptionalArray:
    """A name for an optional storage field (the GRU's ``b_ch`` is ``hidden_bias``, which exists
    only with ``reset_after=True``): the array, or an AttributeError that says when it exists."""

    def __init__(self, field: str, when: str):
        self.field, self.when = field, when

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        a = getattr(obj, self.field)
        if a is None:
            raise AttributeError(f"{self.name} exists only with {self.when}")
        return a


class Names:
    """``names``: on the class, every parameter name the model can have, in the article's order;
    on an object, the names it has."""

    def __init__(self, *names: str):
        self.names = names

    def __get__(self, obj, owner=None):
        if obj is None:
            return self.names
        return tuple(n for n in self.names if _has(obj, n))


def _has(obj, name: str) -> bool:
    try:
        getattr(obj, name)
    except AttributeError:
        return False
    return True


class Fused:
    """What parameters and gradients share: the fused arrays, their sizes and the article's names.
    A model's layout sets ``gates`` (the order of the row blocks) and ``names``."""

    weights: np.ndarray  # (G*H, H+D)
    bias: np.ndarray  # (G*H,)
    gates: ClassVar[tuple[str, ...]] = ()
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
        """The row block of ``gate`` in ``weights`` and ``bias``."""
        return cls.gates.index(gate)

    def named(self) -> dict[str, np.ndarray]:
        """``{article name: view}`` in the article's order, e.g. ``{'W_fh': ..., ...}``."""
        return {name: getattr(self, name) for name in self.names}

    def __iter__(self) -> Iterator[tuple[str, np.ndarray]]:
        return iter(self.named().items())

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The storage arrays in a fixed order (what an optimizer updates in place)."""
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

    @classmethod
    def parameter_count(cls, input_size: int, hidden_size: int, **options) -> int:
        """How many numbers a model of these sizes learns, by formula: ``G H (H + D) + G H`` for
        ``G`` row blocks (the GRU with ``reset_after`` adds ``H``)."""
        D = _validate.positive_int(input_size, "input_size")
        H = _validate.positive_int(hidden_size, "hidden_size")
        G = len(cls.gates)
        return G * H * (H + D) + G * H + cls._extra_parameters(H, **options)

    @classmethod
    def _extra_parameters(cls, H: int) -> int:
        return 0

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

    def check_finite(self) -> None:
        """A ValueError naming the first parameter that holds NaN or an infinity (one pass over the
        storage when all is well)."""
        if all(np.isfinite(a.min()) and np.isfinite(a.max()) for a in self.arrays()):
            return
        for name, a in self.named().items():
            _validate.finite(a, f"p.{name}")

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(input_size={self.input_size}, hidden_size={self.hidden_size}, "
                f"dtype={self.dtype}, {self.num_parameters} parameters)")


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Grads(Fused):
    """Base of ``RNNGrads``, ``LSTMGrads`` and ``GRUGrads``: ``dE/d(parameter)`` under the
    parameters' names, ``dX`` and the gradient of the initial state (``dh0``, and ``dc0`` for the
    LSTM; ``dstate0`` gives it in the state's form). From a step's backward, ``dX`` is ``(B, D)``
    and "initial" means the state that step started from."""

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
    ``extra`` more biases drawn after the others (``None`` when 0). ``rng``: a Generator or a seed
    (a seed gives exactly the numbers ``np.random.default_rng(seed)`` would)."""
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


# ----------------------------------------------------------------------------------------------
# The plain RNN: net_t = U x_t + W h_{t-1} + b, h_t = f(net_t)
# ----------------------------------------------------------------------------------------------
class RNNLayout(Fused):
    """``weights (H, H+D)`` = ``[W | U]``, ``bias (H,)``: ``U (H, D)`` the input weights,
    ``W (H, H)`` the recurrent weights, ``b (H,)``."""

    gates: ClassVar[tuple[str, ...]] = ("h",)
    names = Names("U", "W", "b")
    W = WeightBlock("h", "h")
    U = WeightBlock("h", "x")
    b = BiasBlock("h")


def check_activation(name) -> str:
    """``name`` if it is one of ``activations.ACTIVATIONS``, else a ValueError."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {sorted(ACTIVATIONS)}, got {name!r}")
    return name


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class RNNParams(RNNLayout, Params):
    """The plain RNN's parameters and its activation function ``f`` (``"tanh"``, ``"sigmoid"`` or
    ``"relu"``: part of the model, not learned)."""

    activation: str = "tanh"

    def __post_init__(self):
        super().__post_init__()
        check_activation(self.activation)

    @classmethod
    def _extra_parameters(cls, H: int, *, activation: str = "tanh") -> int:
        check_activation(activation)  # the count does not depend on it, but a bad name is refused
        return 0

    @classmethod
    def init(cls, input_size: int, hidden_size: int, rng, *, activation: str = "tanh",
             dtype=np.float64, scale: float | None = None) -> "RNNParams":
        """Weights and biases from ``U(-k, k)``, ``k = 1/sqrt(H)`` (or ``scale``).
        ``rng``: a ``np.random.Generator`` or an int seed."""
        activation = check_activation(activation)
        weights, bias, _ = init_storage(1, input_size, hidden_size, rng, dtype, scale)
        return cls(weights, bias, activation)

    def with_activation(self, activation: str) -> "RNNParams":
        """The same storage (it trains and changes with ``self``) with another activation."""
        return dataclasses.replace(self, activation=check_activation(activation))

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f", {self.activation})"


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class RNNGrads(RNNLayout, Grads):
    """``U``, ``W``, ``b``; ``dX``; ``dh0``; with ``state_grads=True`` also ``dh (T, B, H)``, the
    total ``dE/dh_t`` at every step (from a step's backward: the ``dh`` it received)."""

    dX: np.ndarray | None = None
    dh0: np.ndarray | None = None
    dh: np.ndarray | None = None

    @property
    def dstate0(self) -> np.ndarray:
        """The gradient of the initial state, in the state's form: ``dh0``."""
        return self.dh0


# ----------------------------------------------------------------------------------------------
# The LSTM: gates f, i, o and the candidate c~ (chapter 02)
# ----------------------------------------------------------------------------------------------
class LSTMLayout(Fused):
    """The article's 12 parameters: ``weights (4H, H+D)`` with row blocks in the order f, i, o,
    c~ (the three sigmoid gates first, so that one call activates them all), ``bias (4H,)``.
    ``W_fh (H, H)``, ``W_fx (H, D)``, ``b_f (H,)`` and likewise i, c, o."""

    gates: ClassVar[tuple[str, ...]] = ("f", "i", "o", "c")
    names = Names("W_fh", "W_fx", "b_f", "W_ih", "W_ix", "b_i", "W_ch", "W_cx", "b_c", "W_oh", "W_ox", "b_o")
    W_fh = WeightBlock("f", "h"); W_fx = WeightBlock("f", "x"); b_f = BiasBlock("f")  # noqa: E702
    W_ih = WeightBlock("i", "h"); W_ix = WeightBlock("i", "x"); b_i = BiasBlock("i")  # noqa: E702
    W_ch = WeightBlock("c", "h"); W_cx = WeightBlock("c", "x"); b_c = BiasBlock("c")  # noqa: E702
    W_oh = WeightBlock("o", "h"); W_ox = WeightBlock("o", "x"); b_o = BiasBlock("o")  # noqa: E702


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class LSTMParams(LSTMLayout, Params):
    """The LSTM's 12 parameters in fused storage (see ``LSTMLayout``)."""

    @classmethod
    def _extra_parameters(cls, H: int, *, forget_bias: float = 0.0) -> int:
        _validate.real(forget_bias, "forget_bias")  # a value of b_f, not a count: checked only
        return 0

    @classmethod
    def init(cls, input_size: int, hidden_size: int, rng, *, forget_bias: float = 0.0,
             dtype=np.float64, scale: float | None = None) -> "LSTMParams":
        """Weights and biases from ``U(-k, k)``, ``k = 1/sqrt(H)`` (or ``scale``), then ``b_f``
        set to ``forget_bias`` (0 as in PyTorch and the article; 1 is Jozefowicz et al.'s advice
        for training, which chapters 05-07 follow). ``rng``: a Generator or an int seed."""
        forget_bias = _validate.real(forget_bias, "forget_bias")
        weights, bias, _ = init_storage(4, input_size, hidden_size, rng, dtype, scale)
        p = cls(weights, bias)
        p.b_f[...] = forget_bias
        return p


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class LSTMGrads(LSTMLayout, Grads):
    """The 12 gradients; ``dX``; ``dh0``, ``dc0`` (``dstate0``: an ``LSTMState``); with
    ``state_grads=True`` also ``dh``, ``dc (T, B, H)``, the total ``dE/dh_t`` and ``dE/dc_t``."""

    dX: np.ndarray | None = None
    dh0: np.ndarray | None = None
    dc0: np.ndarray | None = None
    dh: np.ndarray | None = None
    dc: np.ndarray | None = None

    @property
    def dstate0(self) -> LSTMState:
        """The gradient of the initial state, in the state's form: ``LSTMState(dh0, dc0)``."""
        return LSTMState(self.dh0, self.dc0)


# ----------------------------------------------------------------------------------------------
# The GRU: update gate z, reset gate r, candidate h~ (chapter 04)
# ----------------------------------------------------------------------------------------------
class GRULayout(Fused):
    """``weights (3H, H+D)`` with row blocks z, r, c (the candidate), ``bias (3H,)``, and
    ``hidden_bias (H,)`` = ``b_ch`` when ``reset_after`` (else ``None``). ``W_zh (H, H)``,
    ``W_zx (H, D)``, ``b_z (H,)`` and likewise r and c."""

    hidden_bias: np.ndarray | None
    gates: ClassVar[tuple[str, ...]] = ("z", "r", "c")
    storage_fields: ClassVar[tuple[str, ...]] = ("weights", "bias", "hidden_bias")
    names = Names("W_zh", "W_zx", "b_z", "W_rh", "W_rx", "b_r", "W_ch", "W_cx", "b_c", "b_ch")
    W_zh = WeightBlock("z", "h"); W_zx = WeightBlock("z", "x"); b_z = BiasBlock("z")  # noqa: E702
    W_rh = WeightBlock("r", "h"); W_rx = WeightBlock("r", "x"); b_r = BiasBlock("r")  # noqa: E702
    W_ch = WeightBlock("c", "h"); W_cx = WeightBlock("c", "x"); b_c = BiasBlock("c")  # noqa: E702
    b_ch = OptionalArray("hidden_bias", "reset_after=True")

    @property
    def reset_after(self) -> bool:
        """True for the cuDNN/PyTorch convention (the reset gate applied after the product)."""
        return self.hidden_bias is not None

    def _check_hidden_bias(self) -> None:
        hb = self.hidden_bias
        if hb is not None and (not isinstance(hb, np.ndarray) or hb.shape != (self.hidden_size,)
                               or hb.dtype != self.dtype):
            got = (hb.shape, hb.dtype) if isinstance(hb, np.ndarray) else type(hb).__name__
            raise ValueError(f"{type(self).__name__}.hidden_bias: expected None or shape "
                             f"({self.hidden_size},) of dtype {self.dtype}, got {got}")


def _check_reset_after(value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"reset_after: expected True or False, got {value!r}")
    return bool(value)


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class GRUParams(GRULayout, Params):
    """The GRU's parameters in fused storage (see ``GRULayout``)."""

    hidden_bias: np.ndarray | None = None

    def __post_init__(self):
        super().__post_init__()
        self._check_hidden_bias()

    @classmethod
    def _extra_parameters(cls, H: int, *, reset_after: bool = False) -> int:
        return H if _check_reset_after(reset_after) else 0

    @classmethod
    def init(cls, input_size: int, hidden_size: int, rng, *, reset_after: bool = False,
             dtype=np.float64, scale: float | None = None) -> "GRUParams":
        """Weights and biases from ``U(-k, k)``, ``k = 1/sqrt(H)`` (or ``scale``); with
        ``reset_after`` (PyTorch's convention; the article's is the default) also ``b_ch``, drawn
        after the others. ``rng``: a Generator or an int seed."""
        weights, bias, hidden_bias = init_storage(3, input_size, hidden_size, rng, dtype, scale,
                                                  extra=hidden_size if _check_reset_after(reset_after) else 0)
        return cls(weights, bias, hidden_bias)


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class GRUGrads(GRULayout, Grads):
    """The gradients (``b_ch`` with ``reset_after``); ``dX``; ``dh0``; with ``state_grads=True``
    also ``dh (T, B, H)``, the total ``dE/dh_t`` at every step."""

    hidden_bias: np.ndarray | None = None
    dX: np.ndarray | None = None
    dh0: np.ndarray | None = None
    dh: np.ndarray | None = None

    def __post_init__(self):
        super().__post_init__()
        self._check_hidden_bias()

    @property
    def dstate0(self) -> np.ndarray:
        """The gradient of the initial state, in the state's form: ``dh0``."""
        return self.dh0
