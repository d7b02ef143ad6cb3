"""Chapter 07: inside a trained network: traces of its cells and gates over text, the search for
the cell that tracks each feature best (chosen on training files, measured on validation files,
with intervals over files and partial correlations), and gate saturation."""
from __future__ import annotations

import dataclasses

import numpy as np

from ... import _validate
from ...charlm import ASCII, Vocabulary
from ...fused import Workspace
from ...losses import log_softmax
from ...models import model_of
from ...network import SequenceModel, forward
from ...train import blas_threads
from ..i18n import N_, tr
from ..tables import fixed_columns
from .corpus import FEATURES, Corpus, feature_titles

GATE_TITLES = {"i": N_("input"), "f": N_("forget"), "o": N_("output"), "z": N_("update"), "r": N_("reset")}
"""The gates' names, by the letter of their row block in the parameters (``Params.gates``)."""


def gate_letters(p) -> tuple:
    """The gates of a layer ``p``: its row blocks but the last, which is every model's candidate
    (``LSTMParams.gates`` = f, i, o, c; ``GRUParams.gates`` = z, r, c; the RNN's one block is its
    candidate, so it has none)."""
    return model_of(p).params.gates[:-1]


def layer_values(cache, p) -> dict:
    """One layer's values over a sequence from its fused cache, each ``(T, B, H)``: ``"cell"``
    (the memory a reader looks at: ``tanh(c_t)`` for a model with a cell state, the value its
    output gate reads; ``h_t`` otherwise), ``"h"``, and each gate of ``gate_letters(p)``."""
    out = {"h": np.asarray(cache.hs)}
    out["cell"] = np.tanh(cache.c) if model_of(p).has_cell else out["h"]
    for g in gate_letters(p):
        out[g] = np.asarray(getattr(cache, g))
    return out


# ----------------------------------------------------------------------------------------------
# One text, every value
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Trace:
    """One text read by a model from a zero state: ``text``; ``layers``, per layer (bottom first)
    a dict of ``(T, H)`` arrays (``layer_values``); ``logp (T,)``: log p (nats) of the character
    that follows each one (NaN after the last); ``replaced``: the characters of ``text`` outside
    the vocabulary, which the model read as the vocabulary's replacement character."""

    text: str
    layers: tuple
    logp: np.ndarray
    replaced: str = ""


def trace(model: SequenceModel, text: str, vocab: Vocabulary = ASCII) -> Trace:
    """Read ``text`` with ``model`` from a zero state and keep every layer's values at every
    character (``Trace``). Characters outside ``vocab`` are read as its replacement character and
    named in ``Trace.replaced``."""
    if not isinstance(text, str) or not text:
        raise ValueError(f"text: expected a non-empty string, got {text!r}")
    ids = vocab.encode(text, errors="replace")
    with blas_threads(1):
        logits, cache = forward(ids[:, None], model)
    layers = tuple({k: v[:, 0, :] for k, v in layer_values(c, p).items()}
                   for c, p in zip(cache.stack.layers, model.layers))
    logp = np.full(len(ids), np.nan)
    if len(ids) > 1:
        lp = log_softmax(logits[:-1, 0].astype(np.float64))
        logp[:-1] = lp[np.arange(len(ids) - 1), ids[1:]]
    return Trace(text, layers, logp, vocab.missing(text))


# ----------------------------------------------------------------------------------------------
# Running sums for correlations
# ----------------------------------------------------------------------------------------------
class Moments:
    """Sums over characters of cell values ``x`` (per layer, ``(N, H)``) and features ``f`` (``(N,
    F)``): enough for every correlation between a cell and a feature, between two features, and
    (with ``probe=True``) for least-squares read-outs of a whole layer."""

    def __init__(self, L: int, H: int, F: int, *, probe: bool = False):
        self.n = 0
        self.sx, self.sxx = np.zeros((L, H)), np.zeros((L, H))
        self.sf, self.sff = np.zeros(F), np.zeros((F, F))
        self.sxf = np.zeros((F, L, H))
        self.xtx = np.zeros((L, H + 1, H + 1)) if probe else None
        self.xtf = np.zeros((L, H + 1, F)) if probe else None

    def add(self, cells: list, feats: np.ndarray) -> None:
        """``cells``: per layer ``(N, H)``; ``feats (N, F)``."""
        self.n += feats.shape[0]
        self.sf += feats.sum(0)
        self.sff += feats.T @ feats
        for k, x in enumerate(cells):
            sx = x.sum(0)
            self.sx[k] += sx
            self.sxx[k] += np.einsum("ij,ij->j", x, x)
            xf = feats.T @ x  # (F, H)
            self.sxf[:, k, :] += xf
            if self.xtx is not None:  # [x 1]^T [x 1] and [x 1]^T f, without building [x 1]
                self.xtx[k][:-1, :-1] += x.T @ x
                self.xtx[k][:-1, -1] += sx
                self.xtx[k][-1, :-1] += sx
                self.xtx[k][-1, -1] += x.shape[0]
                self.xtf[k][:-1] += xf.T
                self.xtf[k][-1] += feats.sum(0)

    @staticmethod
    def total(parts: list) -> Moments:
        """The sums of several ``Moments`` (without probe sums)."""
        out = Moments(*parts[0].sx.shape, parts[0].sf.size)
        for m in parts:
            out.n += m.n
            for name in ("sx", "sxx", "sf", "sff", "sxf"):
                getattr(out, name)[...] += getattr(m, name)
        return out

    def _variances(self):
        n = self.n
        mx, mf = self.sx / n, self.sf / n
        vx = self.sxx / n - mx ** 2
        vf = np.diag(self.sff) / n - mf ** 2
        # a value that never changes (a cell stuck at +-1, a feature constant in these files) has
        # no correlation: NaN, not the ratio of two rounding errors
        vx = np.where(vx > 1e-9 * np.maximum(self.sxx / n, 1e-30), vx, np.nan)
        vf = np.where(vf > 1e-12, vf, np.nan)
        return mx, mf, vx, vf

    def corr(self) -> np.ndarray:
        """``r (F, L, H)`` between every feature and every cell."""
        mx, mf, vx, vf = self._variances()
        cov = self.sxf / self.n - mf[:, None, None] * mx[None]
        return np.clip(cov / np.sqrt(vx[None] * vf[:, None, None]), -1.0, 1.0)

    def feature_corr(self) -> np.ndarray:
        """``r (F, F)`` between the features."""
        _, mf, _, vf = self._variances()
        cov = self.sff / self.n - np.outer(mf, mf)
        return np.clip(cov / np.sqrt(np.outer(vf, vf)), -1.0, 1.0)


def partial_r(r_xa: float, r_xb: float, r_ab: float) -> float:
    """The partial correlation of x and a given b: what is left of ``r_xa`` once the part of x
    and of a that follows b linearly is taken out, ``(r_xa - r_xb r_ab) / sqrt((1 - r_xb^2)
    (1 - r_ab^2))``."""
    den = np.sqrt((1 - r_xb ** 2) * (1 - r_ab ** 2))
    return float((r_xa - r_xb * r_ab) / den) if den > 0 else float("nan")


def _probe(fit: Moments, test: Moments, ridge: float = 1e-3) -> np.ndarray:
    """Held-out correlation ``(F, L)`` of per-layer least-squares read-outs fitted on ``fit``."""
    L, H1, _ = fit.xtx.shape
    F = fit.sf.size
    out = np.zeros((F, L))
    n = test.n
    for k in range(L):
        A = fit.xtx[k] + ridge * fit.n * np.eye(H1)
        w = np.linalg.solve(A, fit.xtf[k])  # (H+1, F)
        Sx1 = test.xtx[k][-1] / n  # means of [x 1] on the test part (the last entry is the constant)
        m_hat = Sx1 @ w
        v_hat = np.einsum("if,ij,jf->f", w, test.xtx[k] / n, w) - m_hat ** 2
        mf = test.sf / n
        cov = np.einsum("if,if->f", w, test.xtf[k] / n) - m_hat * mf
        vf = np.diag(test.sff) / n - mf ** 2
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, k] = cov / np.sqrt(np.maximum(v_hat, 0) * np.maximum(vf, 0))
    return out


# ----------------------------------------------------------------------------------------------
# The search
# ----------------------------------------------------------------------------------------------
def _spread(ids: np.ndarray, batch: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """``batch`` windows of ``length`` characters spread evenly over ``ids``: ``(starts (B,),
    windows (B, length))``."""
    N = ids.size
    if batch * length > N:
        raise ValueError(f"length: expected windows x length <= {N} characters, got {batch} x {length}")
    starts = np.arange(batch) * (N // batch)
    return starts, np.stack([ids[s:s + length] for s in starts])


def _walk(model: SequenceModel, windows: np.ndarray, chunk: int = 250):
    """Read ``windows (B, L)`` (one stream each) chunk by chunk, carrying the state; yields
    ``(t0, layer values)`` for every chunk (``layer_values`` of each layer)."""
    state, ws = None, Workspace()
    for t0 in range(0, windows.shape[1], chunk):
        _, cache = forward(windows[:, t0:t0 + chunk].T, model, state, workspace=ws)
        state = cache.final_state
        yield t0, [layer_values(c, p) for c, p in zip(cache.stack.layers, model.layers)]


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
        header = [(tr("layer"), tr("gate"), tr("mean left"), tr("mean right"), tr("units mostly left"),
                   tr("units mostly right"), tr("(of {H})", H=H))]
        rows = []
        for k in range(L):
            for g in self.gates:
                lf, rt = self.left[g][k], self.right[g][k]
                rows.append((k + 1, tr(GATE_TITLES[g]), f"{lf.mean():.3f}", f"{rt.mean():.3f}",
                             int(np.sum(lf > mostly)), int(np.sum(rt > mostly)), ""))
        layout = [("<", 6), " ", ("<", 7), " ", (">", 10), " ", (">", 11), " ", (">", 18), " ", (">", 19),
                  "   ", ("<", 0)]
        return fixed_columns(layout, header, rows)


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class CellSearch:
    """For every feature and every cell (layer k, unit j), the correlation ``r`` between the
    cell's value (``layer_values``' ``"cell"``) and the feature: ``r_select (F, L, H)`` on the
    training files, where each feature's best cell is chosen (largest ``|r|``), and ``r_report``
    on the validation files, where it is measured. ``files``: the validation files' own
    ``Moments`` (for intervals over files); ``probe (F, L)``: the validation correlation of a
    least-squares read-out of a whole layer fitted on the training files; ``characters``: how
    many were counted on each side."""

    features: tuple
    r_select: np.ndarray
    r_report: np.ndarray
    probe: np.ndarray
    files: tuple
    characters: tuple
    label: str = ""

    @property
    def best(self) -> dict:
        """feature -> ``(layer, unit)`` of its best cell, chosen on the training files."""
        out = {}
        for k, f in enumerate(self.features):
            flat = np.nan_to_num(np.abs(self.r_select[k]), nan=-1.0)
            out[f] = tuple(int(v) for v in np.unravel_index(int(np.argmax(flat)), flat.shape))
        return out

    def best_r(self, feature: str) -> float:
        """The validation correlation of ``feature``'s best cell."""
        layer, unit = self.best[feature]
        return float(self.r_report[self.features.index(feature), layer, unit])

    def _cell_sums(self, cell: tuple) -> dict:
        """Per validation file, the sums that the correlations of ``cell`` need: ``n (P,)``, ``sx
        (P,)``, ``sxx (P,)``, ``sf (P, F)``, ``sff (P, F, F)``, ``sxf (P, F)``."""
        k, j = cell
        fs = self.files
        return {"n": np.array([m.n for m in fs], float), "sx": np.array([m.sx[k, j] for m in fs]),
                "sxx": np.array([m.sxx[k, j] for m in fs]), "sf": np.stack([m.sf for m in fs]),
                "sff": np.stack([m.sff for m in fs]), "sxf": np.stack([m.sxf[:, k, j] for m in fs])}

    def _stats(self, sums: dict, draws: np.ndarray, a: int, b: int | None) -> np.ndarray:
        """r of the cell with feature ``a`` (partial, given ``b``) for each row of file indices
        ``draws (R, P)`` (each file counted as often as it appears)."""
        t = {k: v[draws].sum(axis=1) for k, v in sums.items()}  # (R, ...)
        n = t["n"]
        mx, mf = t["sx"] / n, t["sf"] / n[:, None]
        vx = t["sxx"] / n - mx ** 2
        sff_diag = np.diagonal(t["sff"], axis1=1, axis2=2)
        vf = sff_diag / n[:, None] - mf ** 2
        with np.errstate(invalid="ignore", divide="ignore"):
            r = (t["sxf"] / n[:, None] - mf * mx[:, None]) / np.sqrt(vx[:, None] * vf)
            if b is None:
                return r[:, a]
            r_ab = (t["sff"][:, a, b] / n - mf[:, a] * mf[:, b]) / np.sqrt(vf[:, a] * vf[:, b])
            return (r[:, a] - r[:, b] * r_ab) / np.sqrt((1 - r[:, b] ** 2) * (1 - r_ab ** 2))

    def r(self, feature: str, cell: tuple | None = None, *, given: str | None = None) -> float:
        """The validation correlation of ``cell`` (default: the feature's best) with
        ``feature``; with ``given``, the partial correlation with ``feature`` given ``given``."""
        cell = self.best[feature] if cell is None else cell
        b = None if given is None else self.features.index(given)
        everything = np.arange(len(self.files))[None, :]
        return float(self._stats(self._cell_sums(cell), everything, self.features.index(feature), b)[0])

    def interval(self, feature: str, cell: tuple | None = None, *, given: str | None = None, draws: int = 2000,
                 level: float = 0.9, rng=0) -> tuple[float, float]:
        """A ``level`` percentile bootstrap interval of ``r`` (or the partial r), drawing the
        validation files again with replacement (``rng``: a seed)."""
        cell = self.best[feature] if cell is None else cell
        b = None if given is None else self.features.index(given)
        P = len(self.files)
        idx = np.random.default_rng(rng).integers(0, P, size=(draws, P))
        stats = self._stats(self._cell_sums(cell), idx, self.features.index(feature), b)
        q = (1 - level) / 2
        return float(np.nanquantile(stats, q)), float(np.nanquantile(stats, 1 - q))

    def table(self) -> str:
        """Per feature: the best cell (chosen on the training files), its r there and on the
        validation files with a 90% interval over those files, the best |r| any cell reaches on
        the validation files (chosen with hindsight), and each layer's linear probe."""
        L = self.r_select.shape[1]
        header = [(tr("feature"), tr("best cell"), tr("r (train)"), tr("r (valid)"), tr("90% interval"),
                   tr("hindsight"), *(tr("probe L{k}", k=k + 1) for k in range(L)))]
        titles = feature_titles()
        rows = []
        for k, f in enumerate(self.features):
            layer, unit = self.best[f]
            lo, hi = self.interval(f)
            top = np.nanmax(np.abs(self.r_report[k]))
            rows.append((titles[f], f"L{layer + 1}:{unit}", f"{self.r_select[k, layer, unit]:+.2f}",
                         f"{self.r_report[k, layer, unit]:+.2f}", f"[{lo:+.2f}, {hi:+.2f}]", f"{top:.2f}")
                        + tuple(f"{self.probe[k, j]:.2f}" for j in range(L)))
        layout = [("<", 27), " ", (">", 9), " ", (">", 9), " ", (">", 9), " ", (">", 16), " ", (">", 9)]
        layout += [" ", (">", 8)] * L
        note = tr("best cell chosen on {a:,} characters of the training files, measured on {b:,} of the "
                  "{n} validation files; intervals: 90% bootstrap over those files", a=self.characters[0],
                  b=self.characters[1], n=len(self.files))
        return fixed_columns(layout, header, rows) + "\n" + note

    def partial_table(self, pairs=(("brackets", "paren"), ("paren", "brackets"), ("column", "string"),
                                   ("string", "comment"), ("comment", "string"))) -> str:
        """For each ``(feature, given)``: the feature's best cell, its r with the feature, and the
        partial r given the other feature, each with a 90% interval over validation files."""
        titles = feature_titles()
        header = [(tr("feature"), tr("cell"), tr("r"), tr("90% interval"), tr("given"), tr("partial r"),
                   tr("90% interval"))]
        rows = []
        for a, b in pairs:
            layer, unit = self.best[a]
            r, (lo, hi) = self.r(a), self.interval(a)
            pr, (plo, phi) = self.r(a, given=b), self.interval(a, given=b)
            rows.append((titles[a], f"L{layer + 1}:{unit}", f"{r:+.2f}", f"[{lo:+.2f}, {hi:+.2f}]", titles[b],
                         f"{pr:+.2f}", f"[{plo:+.2f}, {phi:+.2f}]"))
        layout = [("<", 27), " ", (">", 6), " ", (">", 6), " ", (">", 16), "   ", ("<", 27), " ", (">", 9),
                  " ", (">", 16)]
        return fixed_columns(layout, header, rows)

    def __repr__(self) -> str:
        return f"CellSearch({self.label}: {len(self.features)} features, {self.characters} characters)"


def search_tables(trained: CellSearch, untrained: CellSearch) -> str:
    """The cell search of a trained network above that of the same network untrained (its initial
    weights), each under a heading naming it (``CellSearch.label``: the model's name)."""
    return "\n".join([tr("{name}, trained:", name=trained.label), trained.table(), "",
                      tr("{name}, untrained (its initial weights):", name=untrained.label), untrained.table()])


def _check_model_arg(model) -> None:
    if not isinstance(model, SequenceModel) or model.embedding is None:
        raise ValueError(f"model: expected a character model (a SequenceModel with an embedding, "
                         f"ch07.load_model(...).model), got {type(model).__name__}")


def _accumulate(model, corpus: Corpus, part: str, windows: int, length: int, warmup: int, *, probe: bool,
                saturation: tuple | None):
    """One pass over ``windows`` stretches of the ``part`` text: per-file ``Moments`` (and a
    pooled one with probe sums), and the saturation counts of ``saturation = (gates, low, high)``."""
    ids = corpus.valid_ids if part == "valid" else corpus.train_ids
    feats = np.stack([corpus.features(part)[f] for f in FEATURES], axis=1)  # (N, F)
    file_of = corpus.file_index(part)
    n_files = int(file_of.max()) + 1
    starts, win = _spread(ids, windows, length)
    L, H = len(model.layers), model.hidden_sizes[0]
    per_file = [Moments(L, H, len(FEATURES)) for _ in range(n_files)]
    pooled = Moments(L, H, len(FEATURES), probe=True) if probe else None
    gates = saturation[0] if saturation else ()
    left = {g: np.zeros((L, H)) for g in gates}
    right = {g: np.zeros((L, H)) for g in gates}
    counted = 0
    for t0, values in _walk(model, win):
        T = values[0]["cell"].shape[0]
        keep = np.arange(t0, t0 + T) >= warmup
        if not keep.any():
            continue
        pos = (starts[None, :] + np.arange(t0, t0 + T)[:, None])[keep].ravel()  # (T' B,) positions
        cells = [np.asarray(v["cell"][keep], dtype=np.float64).reshape(-1, H) for v in values]
        f_all, which = feats[pos], file_of[pos]
        for j in np.unique(which):
            sel = which == j
            per_file[j].add([x[sel] for x in cells], f_all[sel])
        if pooled is not None:
            pooled.add(cells, f_all)
        if gates:
            low, high = saturation[1:]
            counted += pos.size
            for k, v in enumerate(values):
                for g in gates:
                    a = v[g][keep]
                    left[g][k] += (a < low).sum(axis=(0, 1))
                    right[g][k] += (a > high).sum(axis=(0, 1))
    return per_file, pooled, (left, right, counted)


def cell_search(model: SequenceModel, corpus: Corpus, *, windows: int = 32, length: int = 1500, warmup: int = 100,
                label: str = "", low: float = 0.1, high: float = 0.9):
    """Measure every cell against every feature of ``FEATURES``: read ``windows`` stretches of
    ``length`` characters spread evenly over the training text (each from a zero state; the first
    ``warmup`` characters not counted) to choose each feature's best cell, and as many over the
    validation text to measure them (``CellSearch``); there also, for a model whose layers all
    have the same gates, their saturation (``Saturation``; ``None`` for the RNN). Returns
    ``(CellSearch, Saturation | None)``."""
    _check_model_arg(model)
    windows = _validate.positive_int(windows, "windows")
    length = _validate.positive_int(length, "length")
    if not 0 <= warmup < length:
        raise ValueError(f"warmup: expected 0 <= warmup < length = {length}, got {warmup}")
    if len(set(model.hidden_sizes)) != 1:
        raise ValueError(f"model: expected layers of one hidden size, got {model.hidden_sizes}")
    gates = {gate_letters(p) for p in model.layers}
    gates = gates.pop() if len(gates) == 1 else ()
    # On all the machine's BLAS threads: a matrix product splits its output between them, not its sums,
    # so the float64 numbers are the same on any count (and the search takes half the time on two).
    train_files, train_pool, _ = _accumulate(model, corpus, "train", windows, length, warmup, probe=True,
                                             saturation=None)
    valid_files, valid_pool, (left, right, counted) = _accumulate(
        model, corpus, "valid", windows, length, warmup, probe=True, saturation=(gates, low, high) if gates else None)
    select = Moments.total(train_files)
    search = CellSearch(FEATURES, select.corr(), Moments.total(valid_files).corr(), _probe(train_pool, valid_pool),
                        tuple(valid_files), (select.n, valid_pool.n), label)
    sat = None
    if gates:
        sat = Saturation(gates, {g: v / counted for g, v in left.items()},
                         {g: v / counted for g, v in right.items()}, low, high, counted)
    return search, sat


def saturation(model: SequenceModel, corpus: Corpus, **kw) -> Saturation:
    """The gates' saturation alone (``cell_search``'s second result); the model must have gates."""
    _check_model_arg(model)
    if not all(gate_letters(p) for p in model.layers):
        raise ValueError("model: expected layers with gates (an LSTM or a GRU); the RNN has none")
    return cell_search(model, corpus, **kw)[1]
