"""Chapter 07: inside a trained network: traces of its cells and gates over text, the search for
the cell that tracks each feature best, and gate saturation."""
from __future__ import annotations

import dataclasses

import numpy as np

from ... import _validate, charlm
from ...charlm import ASCII, CharModel, Vocabulary
from ...fused import Workspace
from ...losses import log_softmax
from ...models import model_of
from ..i18n import tr
from .corpus import FEATURES, Corpus, feature_titles

# ----------------------------------------------------------------------------------------------
# Inside a model: what every layer does at every character
# ----------------------------------------------------------------------------------------------
_GATES = {"lstm": ("i", "f", "o"), "gru": ("z", "r"), "rnn": ()}


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Trace:
    """One text read by a model from a zero state. ``text``; per layer (bottom first) a dict of
    ``(T, H)`` arrays: ``"cell"`` (LSTM: ``tanh(c_t)``, the value the output gate reads; GRU and
    RNN: ``h_t``), ``"h"``, and the gates (LSTM ``"i"``, ``"f"``, ``"o"``; GRU ``"z"``, ``"r"``);
    ``logp (T,)``: ``log p`` (nats) of the character that follows each one (NaN after the last)."""

    text: str
    layers: tuple
    logp: np.ndarray


def _one_thread():
    """BLAS held to one thread: at these sizes a second thread costs more than it brings, and on
    a machine whose other core is busy it can make a product many times slower."""
    from threadpoolctl import threadpool_limits
    return threadpool_limits(1)


def trace(model: CharModel, text: str, vocab: Vocabulary = ASCII) -> Trace:
    """Read ``text`` (characters outside ``vocab`` replaced) with ``model`` from a zero state and
    keep every layer's cell values and gates at every character (``Trace``)."""
    if not isinstance(text, str) or not text:
        raise ValueError(f"text: expected a non-empty string, got {text!r}")
    ids = vocab.encode(text, errors="replace")
    with _one_thread():
        logits, cache = charlm.forward(ids[:, None], model)
    layers = []
    for c in cache.stack.layers:
        kind = model_of(c.params).name
        d = {"h": np.asarray(c.h[:, 0, :])}
        d["cell"] = np.tanh(c.c[:, 0, :]) if kind == "lstm" else d["h"]
        for g in _GATES[kind]:
            d[g] = np.asarray(getattr(c, g)[:, 0, :])
        layers.append(d)
    logp = np.full(len(ids), np.nan)
    if len(ids) > 1:
        lp = log_softmax(logits[:-1, 0].astype(np.float64))
        logp[:-1] = lp[np.arange(len(ids) - 1), ids[1:]]
    return Trace(text, tuple(layers), logp)


def _spread(ids: np.ndarray, batch: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """``batch`` windows of ``length`` characters spread evenly over ``ids``: ``(starts (B,),
    windows (B, length))``."""
    N = ids.size
    if batch * length > N:
        raise ValueError(f"length: expected batch x length <= {N} characters, got {batch} x {length}")
    starts = np.arange(batch) * (N // batch)
    return starts, np.stack([ids[s:s + length] for s in starts])


def _walk(model: CharModel, windows: np.ndarray, chunk: int = 250):
    """Read ``windows (B, L)`` (one stream each) chunk by chunk, carrying the state; yields
    ``(t0, caches of the layers)`` for every chunk."""
    state, ws = None, Workspace()
    for t0 in range(0, windows.shape[1], chunk):
        x = windows[:, t0:t0 + chunk].T
        with _one_thread():
            _, cache = charlm.forward(x, model, state, workspace=ws)
        state = cache.final_states
        yield t0, cache.stack.layers


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class CellSearch:
    """For every feature and every cell (layer k, unit j) the correlation ``r`` between the cell's
    value (``Trace``'s ``"cell"``) and the feature, on two halves of the validation text: ``r_select``
    ``(F, L, H)`` on the first half (the first validation files), where each feature's best cell is
    chosen (largest ``|r|``), and ``r_report`` on the second half (other files), where it is
    reported. ``probe`` ``(F, L)``: the correlation on the second half of a linear read-out of
    every cell of a layer (least squares fitted on the first half). ``characters``: how many were
    counted in each half."""

    features: tuple
    r_select: np.ndarray
    r_report: np.ndarray
    probe: np.ndarray
    characters: tuple
    label: str = ""

    @property
    def best(self) -> dict:
        """feature -> ``(layer, unit)`` of its best cell, chosen on the first half."""
        out = {}
        for k, f in enumerate(self.features):
            flat = np.nan_to_num(np.abs(self.r_select[k]), nan=-1.0)
            out[f] = tuple(int(v) for v in np.unravel_index(int(np.argmax(flat)), flat.shape))
        return out

    def best_r(self, feature: str) -> float:
        """The held-out correlation (second half) of ``feature``'s best cell."""
        k = self.features.index(feature)
        layer, unit = self.best[feature]
        return float(self.r_report[k, layer, unit])

    def table(self) -> str:
        """Per feature: the best cell, its correlation on the half where it was chosen and on the
        held-out half, the best held-out |r| of any single cell, and each layer's linear probe."""
        L = self.r_select.shape[1]
        probe_cols = " ".join(f"{tr('probe L{k}', k=k + 1):>8}" for k in range(L))
        head = (f"{tr('feature'):<20} {tr('best cell'):>10} {tr('r (chosen)'):>10} {tr('r (held out)'):>12} "
                f"{tr('best |r| held out'):>17} {probe_cols}")
        titles = feature_titles()
        rows = [head, "-" * len(head)]
        for k, f in enumerate(self.features):
            layer, unit = self.best[f]
            top = np.nanmax(np.abs(self.r_report[k]))  # any cell, chosen with hindsight
            probes = " ".join(f"{self.probe[k, j]:>8.2f}" for j in range(L))
            rows.append(f"{titles[f]:<20} {f'L{layer + 1}:{unit}':>10} "
                        f"{self.r_select[k, layer, unit]:>+10.2f} {self.r_report[k, layer, unit]:>+12.2f} "
                        f"{top:>17.2f} {probes}")
        return "\n".join(rows)

    def __repr__(self) -> str:
        return f"CellSearch({self.label}: {len(self.features)} features, {self.characters} characters)"


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Saturation:
    """Per layer and gate, per unit: the fraction of characters at which the gate is
    left-saturated (below ``low``) and right-saturated (above ``high``): ``left[g]``, ``right[g]``
    ``(L, H)``, after Karpathy, Johnson & Fei-Fei (2015), figure 3."""

    gates: tuple
    left: dict
    right: dict
    low: float
    high: float
    characters: int

    def table(self, *, mostly: float = 0.5) -> str:
        """Per layer and gate: the mean fractions of time left- and right-saturated, and how many
        units are saturated more than ``mostly`` of the time on either side."""
        L, H = self.left[self.gates[0]].shape
        head = (f"{tr('layer'):<6} {tr('gate'):<7} {tr('mean left'):>10} {tr('mean right'):>11} "
                f"{tr('units mostly left'):>18} {tr('units mostly right'):>19}   " + tr("(of {H})", H=H))
        names = _gate_names()
        rows = [head, "-" * len(head)]
        for k in range(L):
            for g in self.gates:
                lf, rt = self.left[g][k], self.right[g][k]
                rows.append(f"{k + 1:<6} {names[g]:<7} {lf.mean():>10.3f} {rt.mean():>11.3f} "
                            f"{int(np.sum(lf > mostly)):>18} {int(np.sum(rt > mostly)):>19}")
        return "\n".join(rows)


_GATE_NAMES = {"i": "input", "f": "forget", "o": "output", "z": "update", "r": "reset"}


def _gate_names() -> dict:
    """``_GATE_NAMES`` in the course's language (for the saturation table)."""
    return {"i": tr("input"), "f": tr("forget"), "o": tr("output"), "z": tr("update"), "r": tr("reset")}


class _Moments:
    """Running sums for correlations of per-character cell values with features."""

    def __init__(self, L, H, F):
        self.n = 0
        self.sx = np.zeros((L, H)); self.sxx = np.zeros((L, H))
        self.sf = np.zeros(F); self.sff = np.zeros(F)
        self.sxf = np.zeros((F, L, H))
        self.xtx = np.zeros((L, H + 1, H + 1)); self.xtf = np.zeros((L, H + 1, F))

    def add(self, cells: list, feats: np.ndarray):
        # cells: per layer (N, H); feats (N, F)
        self.n += feats.shape[0]
        self.sf += feats.sum(0); self.sff += (feats ** 2).sum(0)
        for k, x in enumerate(cells):
            sx = x.sum(0)
            self.sx[k] += sx; self.sxx[k] += np.einsum("ij,ij->j", x, x)
            xf = feats.T @ x  # (F, H)
            self.sxf[:, k, :] += xf
            # [x 1]^T [x 1] and [x 1]^T f, without building [x 1]
            self.xtx[k][:-1, :-1] += x.T @ x
            self.xtx[k][:-1, -1] += sx; self.xtx[k][-1, :-1] += sx; self.xtx[k][-1, -1] += x.shape[0]
            self.xtf[k][:-1] += xf.T
            self.xtf[k][-1] += feats.sum(0)

    def corr(self) -> np.ndarray:
        n = self.n
        mx, mf = self.sx / n, self.sf / n
        vx = self.sxx / n - mx ** 2
        vf = self.sff / n - mf ** 2
        # a value that never changes (a cell stuck at tanh(c) = +-1) has no correlation: NaN,
        # not the ratio of two rounding errors
        vx = np.where(vx > 1e-9 * np.maximum(self.sxx / n, 1e-30), vx, np.nan)
        vf = np.where(vf > 1e-12, vf, np.nan)
        cov = self.sxf / n - mf[:, None, None] * mx[None]
        return np.clip(cov / np.sqrt(vx[None] * vf[:, None, None]), -1.0, 1.0)


def _probe(fit: _Moments, test: _Moments, ridge: float = 1e-3) -> np.ndarray:
    """Held-out correlation ``(F, L)`` of per-layer least-squares read-outs fitted on ``fit``."""
    L, H1, _ = fit.xtx.shape
    F = fit.sf.size
    out = np.zeros((F, L))
    n = test.n
    for k in range(L):
        A = fit.xtx[k] + ridge * fit.n * np.eye(H1)
        w = np.linalg.solve(A, fit.xtf[k])  # (H+1, F)
        # on the test half, from its sums: mean, variance of y_hat = x1 w, covariance with f
        Sx1 = test.xtx[k][-1] / n  # means of x1 (its last entry is the constant 1)
        m_hat = Sx1 @ w
        v_hat = np.einsum("if,ij,jf->f", w, test.xtx[k] / n, w) - m_hat ** 2
        mf = test.sf / n
        cov = np.einsum("if,if->f", w, test.xtf[k] / n) - m_hat * mf
        vf = test.sff / n - mf ** 2
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, k] = cov / np.sqrt(np.maximum(v_hat, 0) * np.maximum(vf, 0))
    return out


def cell_search(model: CharModel, corpus: Corpus, *, windows: int = 32, length: int = 2000,
                warmup: int = 100, label: str = "", low: float = 0.1, high: float = 0.9):
    """Read ``windows`` stretches of ``length`` characters spread evenly over the validation text
    (each from a zero state; the first ``warmup`` characters of each are not counted), and measure
    every cell against every feature of ``FEATURES`` (``CellSearch``: the first half of the
    stretches chooses, the second half reports) and, for an LSTM, the gates' saturation
    (``Saturation``, ``None`` otherwise). Returns ``(CellSearch, Saturation | None)``."""
    _check_model_arg(model)
    windows = _validate.positive_int(windows, "windows")
    length = _validate.positive_int(length, "length")
    if windows < 2:
        raise ValueError(f"windows: expected at least 2 (one half chooses, the other reports), got {windows}")
    if not 0 <= warmup < length:
        raise ValueError(f"warmup: expected 0 <= warmup < length = {length}, got {warmup}")
    starts, win = _spread(corpus.valid_ids, windows, length)
    feats = np.stack([corpus.valid_features[f] for f in FEATURES], axis=1)  # (N, F)
    L, H = len(model.layers), max(model.hidden_sizes)
    if len(set(model.hidden_sizes)) != 1:
        raise ValueError(f"model: expected layers of one hidden size, got {model.hidden_sizes}")
    halves = (_Moments(L, H, len(FEATURES)), _Moments(L, H, len(FEATURES)))
    kinds = [model_of(p).name for p in model.layers]
    lstm = all(k == "lstm" for k in kinds)
    gates = _GATES["lstm"] if lstm else ()
    left = {g: np.zeros((L, H)) for g in gates}
    right = {g: np.zeros((L, H)) for g in gates}
    with _one_thread():
        halves, left, right, counted = _search_pass(model, win, starts, feats, windows, warmup, kinds, lstm,
                                                    gates, halves, left, right, low, high)
    search = CellSearch(FEATURES, halves[0].corr(), halves[1].corr(), _probe(*halves),
                        (halves[0].n, halves[1].n), label)
    sat = None
    if lstm:
        sat = Saturation(gates, {g: v / counted for g, v in left.items()},
                         {g: v / counted for g, v in right.items()}, low, high, counted)
    return search, sat


def _search_pass(model, win, starts, feats, windows, warmup, kinds, lstm, gates, halves, left, right, low, high):
    """``cell_search``'s one pass over the windows: the running sums of both halves and the
    saturation counts."""
    H = max(model.hidden_sizes)
    half_of = np.arange(windows) >= windows // 2
    counted = 0
    for t0, caches in _walk(model, win):
        T = caches[0].hs.shape[0]
        keep = np.arange(t0, t0 + T) >= warmup  # (T,)
        if not keep.any():
            continue
        pos = starts[None, :] + np.arange(t0, t0 + T)[:, None]  # (T, B) positions in valid_text
        cells = []
        for c, kind in zip(caches, kinds):
            v = np.tanh(c.c) if kind == "lstm" else c.h
            cells.append(np.asarray(v[keep], dtype=np.float64))  # (T', B, H)
        f_all = feats[pos[keep]]  # (T', B, F)
        for half in (0, 1):
            sel = half_of == bool(half)
            halves[half].add([x[:, sel].reshape(-1, H) for x in cells], f_all[:, sel].reshape(-1, len(FEATURES)))
        if lstm:
            counted += int(keep.sum()) * windows
            for k, c in enumerate(caches):
                for g in gates:
                    a = getattr(c, g)[keep]
                    left[g][k] += (a < low).sum(axis=(0, 1))
                    right[g][k] += (a > high).sum(axis=(0, 1))
    return halves, left, right, counted


def _check_model_arg(model) -> None:
    if not isinstance(model, CharModel):
        raise ValueError(f"model: expected a charlm.CharModel, got {type(model).__name__}")


def saturation(model: CharModel, corpus: Corpus, **kw) -> Saturation:
    """The gates' saturation alone (``cell_search``'s second result); ``model`` must be an LSTM."""
    if any(model_of(p).name != "lstm" for p in getattr(model, "layers", ())):
        raise ValueError("model: expected an LSTM (saturation is measured on the input, forget and output gates)")
    return cell_search(model, corpus, **kw)[1]
