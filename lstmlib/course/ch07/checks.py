"""Chapter 07: the chapter's checks and small tables: the feature table, the carried-state check,
the evaluation check, the training cost, the best cells' views."""
from __future__ import annotations

import dataclasses
import numbers

import numpy as np

from ... import _validate, charlm, network
from ...charlm import ASCII
from ...losses import LOSSES
from ...models import get_model
from ..i18n import tr
from ..tables import fixed_columns, width
from .corpus import FEATURE_TITLES, FEATURES, VALID_BATCH, Corpus, char_features, feature_titles
from .lab import CellLab
from .models import ShippedModel


def feature_table(text: str) -> str:
    """``text`` (a line or two of Python) with the ground truth of every feature under each
    character: 1/0 for the binary ones, the count for the others (``*`` for 10 or more, ``?``
    where tokenize gave up)."""
    feats = char_features(text)
    shown = "".join("\u21b5" if ch == "\n" else ch for ch in text)

    def cell(v):
        if np.isnan(v):
            return "?"
        return "*" if v >= 10 else str(int(v))

    titles = feature_titles()
    rows = [(tr("text"), shown)] + [(titles[f], "".join(cell(v) for v in feats[f])) for f in FEATURES]
    first = max(width(t) for t, _ in rows) + 1
    return fixed_columns([("<", first), " ", ("<", 0)], [], rows, rule=None)


def carried_state_check(*, kind: str = "lstm", layers: int = 2, T: int = 12, split: int = 5, seed: int = 0) -> str:
    """Truncated BPTT's two facts, measured on a small random character model in float64: (1)
    reading a sequence in two chunks, the second from the first's final state, gives exactly the
    outputs of reading it whole; (2) giving the first chunk's backward the gradient the second
    chunk sends to its initial state (``dstate0``) gives exactly the gradients of full BPTT, and
    leaving it out (truncation) does not. ``T`` >= 2 steps, cut after ``split`` (1 to T - 1)."""
    m = get_model(kind, "kind")
    L = _validate.positive_int(layers, "layers")
    T = _validate.positive_int(T, "T")
    if T < 2:
        raise ValueError(f"T: expected a whole number >= 2 (two chunks need two steps), got {T}")
    if isinstance(split, bool) or not isinstance(split, numbers.Integral) or not 1 <= split <= T - 1:
        raise ValueError(f"split: expected a whole number from 1 to T - 1 = {T - 1}, got {split!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed: expected a whole number >= 0, got {seed!r}")
    rng = np.random.default_rng(seed)
    model = charlm.init_model(m.name, len(ASCII), 8, seed, layers=L, embedding_size=4, dtype=np.float64)
    ids = rng.integers(0, len(ASCII), (T, 3))
    targets = rng.integers(0, len(ASCII), (T, 3))
    whole, cache = network.forward(ids, model)
    _, d = LOSSES["xent"](whole, targets)
    g = network.backward(d, cache)
    first, c1 = network.forward(ids[:split], model)
    second, c2 = network.forward(ids[split:], model, c1.final_state)
    g2 = network.backward(d[split:], c2)
    g1 = network.backward(d[:split], c1, g2.dstate0)
    g1t = network.backward(d[:split], c1)

    def worst(a_list, b_list):
        return max(float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)) for a, b in zip(a_list, b_list))

    full = worst([a + b for a, b in zip(g1.arrays(), g2.arrays())], g.arrays())
    trunc = worst([a + b for a, b in zip(g1t.arrays(), g2.arrays())], g.arrays())
    outputs = float(np.max(np.abs(np.concatenate([first, second]) - whole)))
    facts = fixed_columns([("<", 70), " ", ("<", 0)], [], [  # the two verdicts in one column
        (tr("outputs: chunks with carried state = whole sequence (to 1e-12):"), outputs < 1e-12),
        (tr("gradients: dstate0 passed back = full BPTT (to 1e-12, relative):"), full < 1e-12)], rule=None)
    return "\n".join([
        tr("{layers}-layer {model}, {T} steps read as chunks of {a} and {b}:", layers=L, model=m.title, T=T,
           a=split, b=T - split),
        *("  " + line for line in facts.splitlines()),
        "  " + tr("gradients: nothing passed back (truncated BPTT), largest relative difference {diff:.2f}",
                  diff=trunc)])


def evaluation_check(shipped: ShippedModel, corpus: Corpus) -> str:
    """The recorded validation bits per character of a shipped model beside a fresh evaluation."""
    now = charlm.bits_per_char(corpus.valid_ids, shipped.model, batch_size=VALID_BATCH)
    return tr("{name}: recorded by the training script {recorded:.3f}, evaluated now {now:.3f} bits per "
              "character ({n:,} validation characters)", name=shipped.name, recorded=shipped.valid_bpc, now=now,
              n=len(corpus.valid_ids))


def training_cost_table(models: dict) -> str:
    """How each shipped model was trained and what it cost (as the training script recorded it):
    steps, characters read, CPU seconds, wall seconds, ms of CPU per step."""
    header = [(tr("model"), tr("steps"), tr("characters"), tr("CPU (s)"), tr("wall (s)"), tr("CPU ms/step"))]
    rows = []
    cpu = wall = 0.0
    for n, s in models.items():
        sp, m = s.spec, s.meta
        rows.append((n, sp.steps, f"{sp.steps * sp.chunk * sp.batch:,}", f"{m['cpu_seconds']:.0f}",
                     f"{m['wall_seconds']:.0f}", f"{1e3 * m['cpu_seconds'] / sp.steps:.1f}"))
        cpu, wall = cpu + m["cpu_seconds"], wall + m["wall_seconds"]
    rows.append((tr("total"), "", "", f"{cpu:.0f}", f"{wall:.0f}", ""))
    layout = [("<", 12), " ", (">", 6), " ", (">", 12), " ", (">", 8), " ", (">", 9), " ", (">", 11)]
    return fixed_columns(layout, header, rows)


def best_cell_views(lab: CellLab, text: str) -> list:
    """One ``CellView`` per distinct best cell: ``text`` coloured by the cell, titled with every
    feature it is the best cell for and its validation correlations (a cell that is best for two
    features is shown once)."""
    by_cell = {}
    for f in lab.search.features:
        by_cell.setdefault(lab.search.best[f], []).append(f)
    views = []
    for (layer, unit), feats in by_cell.items():
        v = lab.view(text, feats[0], layer, unit)
        parts = [f"{FEATURE_TITLES[f]} r = {lab.search.r(f):+.2f}" for f in feats]
        title = f"layer {layer + 1}, cell {unit}: " + "; ".join(parts) + f"   (validation files; this passage: {v.r_here:+.2f})"
        views.append(dataclasses.replace(v, title=title))
    return views
