"""Convert parameters to and from PyTorch's ``nn.LSTM`` and ``nn.GRU`` (optional: needs torch).

What differs, and what the conversions do about it:

* gate order: PyTorch stacks ``i, f, g, o`` (LSTM) and ``r, z, n`` (GRU); lstmlib stacks
  ``f, i, o, c`` and ``z, r, c``. Rows are permuted.
* two biases: PyTorch adds ``b_ih + b_hh``; lstmlib keeps their sum (and, for the GRU with
  ``reset_after=True``, the one that cannot be merged: ``b_hn``, lstmlib's ``b_ch``). Going to
  PyTorch, ``b_hh`` is zero except ``b_hn``.
* the GRU's update gate: PyTorch writes ``h = (1 - z) n + z h_prev``, so its ``z`` is lstmlib's
  ``1 - z``. Since ``1 - sigmoid(a) = sigmoid(-a)``, its ``z`` weights and biases are lstmlib's
  negated.
* PyTorch's ``nn.GRU`` applies the reset gate after the product: only ``reset_after=True``
  parameters convert.
"""
from __future__ import annotations

import numpy as np

from .gru import GRUGrads, GRUParams
from .lstm import LSTMGrads, LSTMParams

_LSTM_TORCH_ORDER = ("i", "f", "c", "o")  # torch's i, f, g, o
_GRU_TORCH_ORDER = ("r", "z", "c")  # torch's r, z, n


def _torch():
    try:
        import torch
    except ImportError as err:  # pragma: no cover - exercised only without torch
        raise ImportError("torch_interop needs PyTorch: pip install torch==2.13.0 (CPU build)") from err
    return torch


def _check_module(m, kind: str):
    torch = _torch()
    cls = getattr(torch.nn, kind)
    if not isinstance(m, cls):
        raise ValueError(f"m: expected torch.nn.{kind}, got {type(m).__name__}")
    if m.num_layers != 1 or m.bidirectional or getattr(m, "proj_size", 0):
        raise ValueError(
            f"m: expected a single-layer, unidirectional {kind} without projection, got "
            f"num_layers={m.num_layers}, bidirectional={m.bidirectional}, proj_size={getattr(m, 'proj_size', 0)}"
        )


def _numpy(t) -> np.ndarray:
    return t.detach().cpu().numpy().copy()


def _blocks(a: np.ndarray, order, H):
    return {g: a[k * H:(k + 1) * H] for k, g in enumerate(order)}


def lstm_from_torch(m) -> LSTMParams:
    """``LSTMParams`` computing exactly what the ``torch.nn.LSTM`` ``m`` computes."""
    _check_module(m, "LSTM")
    H = m.hidden_size
    w_ih, w_hh = _numpy(m.weight_ih_l0), _numpy(m.weight_hh_l0)
    b = _numpy(m.bias_ih_l0) + _numpy(m.bias_hh_l0) if m.bias else np.zeros(4 * H, w_ih.dtype)
    wx, wh, bb = (_blocks(a, _LSTM_TORCH_ORDER, H) for a in (w_ih, w_hh, b))
    order = LSTMParams.gates
    weights = np.concatenate([np.hstack([wh[g], wx[g]]) for g in order])
    return LSTMParams(weights, np.concatenate([bb[g] for g in order]))


def _lstm_in_torch_layout(p, *, gradient: bool) -> dict:
    """``p``'s arrays as ``torch.nn.LSTM`` names them. For parameters ``bias_hh_l0`` is zero (the
    sum is what counts); for gradients it is the same as ``bias_ih_l0`` (both biases are added to
    one weighted input, so each has the whole derivative)."""
    def stack(fmt):
        return np.concatenate([getattr(p, fmt.format(g)) for g in _LSTM_TORCH_ORDER])

    b = stack("b_{}")
    return {"weight_ih_l0": stack("W_{}x"), "weight_hh_l0": stack("W_{}h"), "bias_ih_l0": b,
            "bias_hh_l0": b.copy() if gradient else np.zeros_like(b)}


def lstm_to_torch(p: LSTMParams):
    """A ``torch.nn.LSTM`` (same dtype) computing exactly what ``p`` computes."""
    if not isinstance(p, LSTMParams):
        raise ValueError(f"p: expected LSTMParams, got {type(p).__name__}")
    return _module("LSTM", p, _lstm_in_torch_layout(p, gradient=False))


def lstm_grads_to_torch(g: LSTMGrads) -> dict[str, np.ndarray]:
    """An ``LSTMGrads`` in ``torch.nn.LSTM``'s layout: ``{"weight_ih_l0": (4H, D), "weight_hh_l0":
    (4H, H), "bias_ih_l0": (4H,), "bias_hh_l0": (4H,)}``, rows in torch's order i, f, g, o:
    comparable entry by entry with the ``.grad`` of the module ``lstm_to_torch`` builds."""
    if not isinstance(g, LSTMGrads):
        raise ValueError(f"g: expected LSTMGrads, got {type(g).__name__}")
    return _lstm_in_torch_layout(g, gradient=True)


def gru_from_torch(m) -> GRUParams:
    """``GRUParams`` (``reset_after=True``) computing exactly what the ``torch.nn.GRU`` ``m``
    computes."""
    _check_module(m, "GRU")
    H = m.hidden_size
    w_ih, w_hh = _numpy(m.weight_ih_l0), _numpy(m.weight_hh_l0)
    zeros = np.zeros(3 * H, w_ih.dtype)
    b_ih, b_hh = (_numpy(m.bias_ih_l0), _numpy(m.bias_hh_l0)) if m.bias else (zeros, zeros)
    wx, wh, bi, bh = (_blocks(a, _GRU_TORCH_ORDER, H) for a in (w_ih, w_hh, b_ih, b_hh))
    sign = {"z": -1.0, "r": 1.0, "c": 1.0}  # torch's z is our 1 - z: negate its pre-activation
    weights = np.concatenate([sign[g] * np.hstack([wh[g], wx[g]]) for g in GRUParams.gates])
    bias = np.concatenate([sign["z"] * (bi["z"] + bh["z"]), bi["r"] + bh["r"], bi["c"]])
    return GRUParams(weights.astype(w_ih.dtype), bias.astype(w_ih.dtype), bh["c"].copy())


def _gru_in_torch_layout(q, *, gradient: bool) -> dict:
    """``q``'s arrays as ``torch.nn.GRU`` names them: rows in torch's order r, z, n, the z rows
    negated (torch's z is our ``1 - z``), ``b_hn`` = ``b_ch``. The other rows of ``bias_hh_l0`` are
    zero for parameters and equal to ``bias_ih_l0``'s for gradients (see ``_lstm_in_torch_layout``)."""
    sign = {"z": -1.0, "r": 1.0, "c": 1.0}

    def stack(fmt):
        return np.concatenate([sign[g] * getattr(q, fmt.format(g)) for g in _GRU_TORCH_ORDER])

    b_ih = stack("b_{}")
    b_hh = b_ih.copy() if gradient else np.zeros_like(b_ih)
    b_hh[2 * q.hidden_size:] = q.b_ch
    return {"weight_ih_l0": stack("W_{}x"), "weight_hh_l0": stack("W_{}h"), "bias_ih_l0": b_ih,
            "bias_hh_l0": b_hh}


def _check_reset_after(q, name: str, kind: str) -> None:
    if not isinstance(q, kind):
        raise ValueError(f"{name}: expected {kind.__name__}, got {type(q).__name__}")
    if not q.reset_after:
        raise ValueError(
            f"{name}: expected {kind.__name__} with reset_after=True (torch.nn.GRU applies the reset "
            "gate after the product), got reset_after=False; the two conventions are different functions"
        )


def gru_to_torch(q: GRUParams):
    """A ``torch.nn.GRU`` computing exactly what ``q`` computes; ``q`` must have
    ``reset_after=True`` (PyTorch's convention)."""
    _check_reset_after(q, "q", GRUParams)
    return _module("GRU", q, _gru_in_torch_layout(q, gradient=False))


def gru_grads_to_torch(g: GRUGrads) -> dict[str, np.ndarray]:
    """A ``GRUGrads`` of a ``reset_after=True`` GRU in ``torch.nn.GRU``'s layout (``weight_ih_l0
    (3H, D)``, ``weight_hh_l0 (3H, H)``, ``bias_ih_l0``, ``bias_hh_l0 (3H,)``): comparable entry by
    entry with the ``.grad`` of the module ``gru_to_torch`` builds."""
    _check_reset_after(g, "g", GRUGrads)
    return _gru_in_torch_layout(g, gradient=True)


def _module(kind: str, p, arrays: dict):
    torch = _torch()
    m = getattr(torch.nn, kind)(p.input_size, p.hidden_size, dtype=_torch_dtype(p.dtype))
    with torch.no_grad():
        for name, a in arrays.items():
            getattr(m, name).copy_(torch.from_numpy(np.ascontiguousarray(a)))
    return m


def _torch_dtype(dtype):
    torch = _torch()
    return {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[np.dtype(dtype)]
