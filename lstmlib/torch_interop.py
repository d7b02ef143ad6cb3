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

from .gru import GRUParams
from .lstm import LSTMParams

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


def lstm_to_torch(p: LSTMParams):
    """A ``torch.nn.LSTM`` (same dtype) computing exactly what ``p`` computes."""
    torch = _torch()
    if not isinstance(p, LSTMParams):
        raise ValueError(f"p: expected LSTMParams, got {type(p).__name__}")
    m = torch.nn.LSTM(p.input_size, p.hidden_size, dtype=_torch_dtype(p.dtype))
    with torch.no_grad():
        m.weight_ih_l0.copy_(torch.from_numpy(np.concatenate([getattr(p, f"W_{g}x") for g in _LSTM_TORCH_ORDER])))
        m.weight_hh_l0.copy_(torch.from_numpy(np.concatenate([getattr(p, f"W_{g}h") for g in _LSTM_TORCH_ORDER])))
        m.bias_ih_l0.copy_(torch.from_numpy(np.concatenate([getattr(p, f"b_{g}") for g in _LSTM_TORCH_ORDER])))
        m.bias_hh_l0.zero_()
    return m


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


def gru_to_torch(q: GRUParams):
    """A ``torch.nn.GRU`` computing exactly what ``q`` computes; ``q`` must have
    ``reset_after=True`` (PyTorch's convention)."""
    torch = _torch()
    if not isinstance(q, GRUParams):
        raise ValueError(f"q: expected GRUParams, got {type(q).__name__}")
    if not q.reset_after:
        raise ValueError(
            "q: expected GRUParams with reset_after=True (torch.nn.GRU applies the reset gate after "
            "the product), got reset_after=False; the two conventions are different functions"
        )
    sign = {"z": -1.0, "r": 1.0, "c": 1.0}
    m = torch.nn.GRU(q.input_size, q.hidden_size, dtype=_torch_dtype(q.dtype))

    def stack(fmt):
        return torch.from_numpy(np.concatenate([sign[g] * getattr(q, fmt.format(g)) for g in _GRU_TORCH_ORDER]))

    with torch.no_grad():
        m.weight_ih_l0.copy_(stack("W_{}x"))
        m.weight_hh_l0.copy_(stack("W_{}h"))
        m.bias_ih_l0.copy_(stack("b_{}"))
        m.bias_hh_l0.zero_()
        m.bias_hh_l0[2 * q.hidden_size:] = torch.from_numpy(q.b_ch)
    return m


def _torch_dtype(dtype):
    torch = _torch()
    return {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[np.dtype(dtype)]
