"""Chapter 07: the chapter's checks and small runs: the feature table, the carried-state check,
the live training run, the evaluation check and the training cost."""
from __future__ import annotations

import dataclasses

import numpy as np

from ... import charlm
from ...charlm import ASCII
from ...models import get_model
from ...train import History
from ..i18n import tr
from .corpus import FEATURE_TITLES, FEATURES, VALID_BATCH, Corpus, char_features, feature_titles
from .lab import CellLab
from .models import ShippedModel


# ----------------------------------------------------------------------------------------------
# Small tables and checks the chapter prints
# ----------------------------------------------------------------------------------------------
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

    rows = [f"{tr('text'):<19} {shown}"]
    titles = feature_titles()
    for f in FEATURES:
        rows.append(f"{titles[f]:<19} " + "".join(cell(v) for v in feats[f]))
    return "\n".join(rows)


def carried_state_check(*, kind: str = "lstm", layers: int = 2, T: int = 12, split: int = 5, seed: int = 0) -> str:
    """Truncated BPTT's two facts, measured on a small random model in float64: (1) reading a
    sequence in two chunks, the second from the first's final states, gives exactly the logits of
    reading it whole; (2) giving the first chunk's backward the gradient the second chunk sends
    to its initial states (``dstates0``) gives exactly the gradients of full BPTT, and leaving it
    out (truncation) does not."""
    rng = np.random.default_rng(seed)
    m = charlm.init_model(kind, len(ASCII), 8, seed, num_layers=layers, embedding_size=4, dtype=np.float64)
    ids = rng.integers(0, len(ASCII), (T, 3))
    targets = rng.integers(0, len(ASCII), (T, 3))
    from ...losses import softmax_cross_entropy
    whole, cache = charlm.forward(ids, m)
    _, d = softmax_cross_entropy(whole, targets)
    g = charlm.backward(d, cache)
    first, c1 = charlm.forward(ids[:split], m)
    second, c2 = charlm.forward(ids[split:], m, c1.final_states)
    g2 = charlm.backward(d[split:], c2)
    g1 = charlm.backward(d[:split], c1, dstates=g2.dstates0)
    g1t = charlm.backward(d[:split], c1)

    def worst(a_list, b_list):
        return max(float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)) for a, b in zip(a_list, b_list))

    full = worst([a + b for a, b in zip(g1.arrays(), g2.arrays())], g.arrays())
    trunc = worst([a + b for a, b in zip(g1t.arrays(), g2.arrays())], g.arrays())
    logits = float(np.max(np.abs(np.concatenate([first, second]) - whole)))
    return "\n".join([
        tr("{layers}-layer {model}, {T} steps read as chunks of {a} and {b}:", layers=layers,
           model=get_model(kind).title, T=T, a=split, b=T - split),
        "  " + tr("logits: chunks with carried state = whole sequence (to 1e-12):         {ok}", ok=logits < 1e-12),
        "  " + tr("gradients: dstates0 passed back = full BPTT (to 1e-12, relative):     {ok}", ok=full < 1e-12),
        "  " + tr("gradients: nothing passed back (truncated BPTT), largest relative difference {diff:.2f}",
                  diff=trunc)])


def live_training(corpus: Corpus, *, steps: int = 500, hidden: int = 96, chunk: int = 32, batch: int = 16,
                  seed: int = 0, progress=None) -> History:
    """A small one-layer LSTM trained for ``steps`` steps on the training text from its start,
    scored on the first 20 000 validation characters (a few seconds: the chapter's live run)."""
    model = charlm.init_model("lstm", len(corpus.vocab), hidden, seed)
    return charlm.train(model, corpus.train_ids, steps=steps, batch_size=batch, chunk=chunk, lr=1e-2,
                        final_lr=2e-3, eval_ids=corpus.valid_ids[:20_000], eval_every=max(1, steps // 3),
                        eval_batch_size=16, progress=progress,
                        label=tr("LSTM {hidden}, live (bits/char)", hidden=hidden))


def live_summary(hist: History, *, below: float = 3.5) -> str:
    """What a live run showed, coarse enough to hold on any machine."""
    start, end = float(hist.eval_loss[0]), float(hist.eval_loss[-1])
    return tr("validation bits per character before training above 6: {before}; after {steps} steps below "
              "{below:g}: {after}", before=start > 6, steps=hist.steps, below=below, after=end < below)


def evaluation_check(shipped: ShippedModel, corpus: Corpus) -> str:
    """The recorded validation bits per character of a shipped model beside a fresh evaluation."""
    now = charlm.evaluate(shipped.model, corpus.valid_ids, batch_size=VALID_BATCH)
    return tr("{name}: recorded by the training script {recorded:.3f}, evaluated now {now:.3f} bits per "
              "character ({n:,} validation characters)", name=shipped.name, recorded=shipped.valid_bpc, now=now,
              n=len(corpus.valid_ids))


def training_cost_table(models: dict) -> str:
    """How each shipped model was trained and how long it took (as the training script recorded
    it): steps, characters read, wall time, ms per step, the machine."""
    head = f"{tr('model'):<8} {tr('steps'):>6} {tr('characters'):>12} {tr('wall time (s)'):>14} {tr('ms/step'):>8}"
    rows = [head, "-" * len(head)]
    total = 0.0
    for n, s in models.items():
        sp, m = s.spec, s.meta
        rows.append(f"{n:<8} {sp.steps:>6} {sp.steps * sp.chunk * sp.batch:>12,} {m['wall_seconds']:>14.0f} "
                    f"{m['median_step_ms']:>8.1f}")
        total += m["wall_seconds"]
    rows.append(f"{tr('total'):<8} {'':>6} {'':>12} {total:>14.0f}")
    return "\n".join(rows)


def best_cell_views(lab: CellLab, text: str) -> list:
    """One ``CellView`` per feature: ``text`` coloured by that feature's best cell, titled with
    the cell and its held-out correlation (for ``plots.ch07.plot_best_cells``)."""
    views = []
    for k, f in enumerate(lab.search.features):
        layer, unit = lab.search.best[f]
        v = lab.view(text, f, layer, unit)
        title = (f"{FEATURE_TITLES[f]}: layer {layer + 1}, cell {unit}   (held-out r = "
                 f"{lab.search.r_report[k, layer, unit]:+.2f}; in this passage {v.r_here:+.2f})")
        views.append(dataclasses.replace(v, title=title))
    return views
