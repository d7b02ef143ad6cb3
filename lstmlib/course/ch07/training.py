"""Chapter 07: training a ``ModelSpec`` on the corpus (one function for the scripts, the sweeps and
the chapter's live run), and what is kept of a run: its curves, its bits per character on the
whole training and validation text, and per file."""
from __future__ import annotations

import os
import platform
import time

import numpy as np

from ... import charlm, optim, train
from ...network import SequenceModel
from ...train import History
from ..i18n import tr
from .closers import FINE_BINS, closer_counts, closer_ids, closer_sites
from .corpus import VALID_BATCH, Corpus
from .models import ModelSpec, ShippedModel


def optimizer_for(spec: ModelSpec) -> optim.Adam:
    """Adam with the spec's learning rate decayed linearly from ``lr`` to ``final_lr`` over
    ``spec.steps`` steps (a run stopped early follows the same schedule)."""
    return optim.Adam(optim.linear_decay(spec.lr, spec.final_lr, spec.steps))


def train_spec(spec: ModelSpec, train_ids, valid_ids, *, steps: int | None = None, progress=None,
               label: str | None = None, vocab_size: int = 96) -> tuple[SequenceModel, History]:
    """Train a fresh ``spec.init()`` with ``train.fit``: truncated BPTT over ``train_ids`` in
    ``spec.batch`` streams of chunks of ``spec.chunk`` (``charlm.text_batches``), Adam
    (``optimizer_for``), the gradient norm clipped at ``spec.clip``, the cross-entropy (nats) on
    ``valid_ids`` every ``spec.eval_every`` steps. ``steps``: stop after this many (default
    ``spec.steps``; the schedule is the spec's either way). Returns ``(model, History)``."""
    model = spec.init(vocab_size)
    hist = train.fit(charlm.text_batches(train_ids, spec.batch, spec.chunk), model, optimizer_for(spec),
                     steps=spec.steps if steps is None else steps, loss="xent", clip=spec.clip,
                     evaluate=charlm.text_score(valid_ids, batch_size=VALID_BATCH), eval_every=spec.eval_every,
                     progress=progress, label=spec.name if label is None else label, threads=spec.threads,
                     rng=np.random.default_rng([spec.seed, 1]))
    return model, hist


def history_dict(hist: History, window: int = 50) -> dict:
    """What is kept of a training ``History``, in bits per character: the validation curve, and the
    training chunks' loss averaged over windows of ``window`` steps."""
    n = len(hist.loss) // window
    train_bpc = hist.loss[:n * window].reshape(n, window).mean(axis=1) * charlm.BITS_PER_NAT if n else np.zeros(0)
    return {"eval_step": np.asarray(hist.eval_step), "eval_bpc": np.asarray(hist.eval_loss) * charlm.BITS_PER_NAT,
            "train_step": (np.arange(n) + 1) * window, "train_bpc": train_bpc}


def per_file_bits(pos, logp, corpus: Corpus, part: str) -> dict:
    """Bits per character on each file of ``part`` (``"train"`` or ``"valid"``) from a pass of
    ``charlm.next_char_log_probs`` over its ids (``pos``, ``logp``): ``{"files": names, "bits":
    (F,) sums of bits, "count": (F,) characters predicted}``; ``bits.sum() / count.sum()`` is
    ``charlm.bits_per_char`` of the whole part."""
    f = corpus.file_index(part)[pos]
    names = corpus.valid_names if part == "valid" else corpus.train_names
    bits = np.bincount(f, weights=-logp * charlm.BITS_PER_NAT, minlength=len(names))
    count = np.bincount(f, minlength=len(names))
    return {"files": list(names), "bits": bits, "count": count}


def measure(model: SequenceModel, corpus: Corpus, *, sites: dict | None = None) -> dict:
    """What a sweep keeps of a trained model, without dropout, each part read as ``VALID_BATCH``
    streams: ``"valid"`` and ``"train"`` (``per_file_bits`` of the whole validation and training
    text) and ``"closers"`` (``closer_counts`` on the validation text, in ``FINE_BINS``)."""
    sites = closer_sites(corpus) if sites is None else sites
    pos, logp, kept = charlm.next_char_log_probs(corpus.valid_ids, model, batch_size=VALID_BATCH,
                                                 keep=closer_ids(corpus))
    out = {"valid": per_file_bits(pos, logp, corpus, "valid"),
           "closers": closer_counts(pos, logp, kept, sites, len(corpus.valid_names), len(corpus.valid_ids),
                                    FINE_BINS)}
    pos, logp = charlm.next_char_log_probs(corpus.train_ids, model, batch_size=VALID_BATCH)
    out["train"] = per_file_bits(pos, logp, corpus, "train")
    return out


def flattening(eval_step, eval_bpc, share: float = 0.2) -> float:
    """How much the validation bits per character fell over the last ``share`` of the steps: the
    value at the evaluation nearest ``(1 - share)`` of the run minus the last (a curve that has
    flattened gives a number near 0)."""
    steps, bpc = np.asarray(eval_step), np.asarray(eval_bpc)
    k = int(np.argmin(np.abs(steps - (1 - share) * steps[-1])))
    return float(bpc[k] - bpc[-1])


def _rounded(d: dict, digits: int = 4) -> dict:
    """Arrays of ``d`` (nested) as lists of numbers rounded to ``digits`` decimals, for JSON."""
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out[k] = _rounded(v, digits)
        elif isinstance(v, np.ndarray):
            out[k] = v.tolist() if v.dtype.kind in "iu" else np.round(v, digits).tolist()
        else:
            out[k] = v
    return out


def run_record(spec: ModelSpec, corpus: Corpus, *, steps: int | None = None, sites: dict | None = None):
    """Train ``spec`` (``train_spec``) and ``measure`` it: ``(model, record)``, the record a dict
    for JSON: ``spec``, ``eval_step`` and ``eval_bpc`` (the validation curve), ``chunk_step`` and
    ``chunk_bpc`` (the training chunks' bits per character, averaged over 50 steps), ``valid_bpc`` and
    ``train_bpc`` (the whole texts after training), ``measured`` (per file, and the closers),
    ``cpu_seconds`` and ``wall_seconds`` (this run's process time and wall time), and
    ``diverged_at`` (None when the run finished)."""
    cpu, wall = time.process_time(), time.perf_counter()
    model, hist = train_spec(spec, corpus.train_ids, corpus.valid_ids, steps=steps, vocab_size=len(corpus.vocab))
    h = history_dict(hist)
    record = {"spec": spec.to_json(), "eval_step": h["eval_step"].tolist(),
              "eval_bpc": np.round(h["eval_bpc"], 5).tolist(), "chunk_step": h["train_step"].tolist(),
              "chunk_bpc": np.round(h["train_bpc"], 4).tolist(), "diverged_at": hist.diverged_at}
    if hist.diverged_at is None:
        m = measure(model, corpus, sites=sites)
        for part in ("valid", "train"):
            record[f"{part}_bpc"] = round(float(m[part]["bits"].sum() / m[part]["count"].sum()), 5)
        record["measured"] = _rounded({"valid": m["valid"], "train": m["train"], "closers": m["closers"]})
    record["cpu_seconds"] = round(time.process_time() - cpu, 1)
    record["wall_seconds"] = round(time.perf_counter() - wall, 1)
    return model, record


def shipped_from_record(spec: ModelSpec, model: SequenceModel, record: dict, corpus: Corpus) -> ShippedModel:
    """A ``ShippedModel`` (what ``save_model`` writes) from a trained model and its run record."""
    history = {k: np.asarray(record[k]) for k in ("eval_step", "eval_bpc")}
    history.update(train_step=np.asarray(record.get("chunk_step", []), dtype=np.int64),
                   train_bpc=np.asarray(record.get("chunk_bpc", []), dtype=np.float64))
    meta = {"valid_bpc": record["valid_bpc"], "train_bpc": record["train_bpc"], "cpu_seconds": record["cpu_seconds"],
            "wall_seconds": record["wall_seconds"], "parameters": int(model.num_parameters),
            "valid_characters": int(corpus.valid_ids.size), "train_characters": int(corpus.train_ids.size),
            "machine": machine()}
    return ShippedModel(spec.name, model, spec, corpus.vocab, history, meta)


def machine() -> str:
    """The machine a run was measured on: logical CPUs, architecture, numpy, OPENBLAS_CORETYPE."""
    core = os.environ.get("OPENBLAS_CORETYPE", "")
    return (f"{os.cpu_count()} logical CPUs, {platform.machine()}, numpy {np.__version__}"
            + (f", OPENBLAS_CORETYPE={core}" if core else ""))


def live_configuration(records: list, config: str = "rnn128", seed: int = 0) -> tuple[ModelSpec, dict]:
    """One run of a sweep to repeat live: ``config`` at its chosen learning rate with ``seed``:
    ``(spec, record)``."""
    from .comparison import best_learning_rates, runs_by
    lr = best_learning_rates(records)[config]
    record = [r for r in runs_by(records, config, lr) if r["spec"]["seed"] == seed][0]
    return ModelSpec.from_json(record["spec"]), record


def live_run(spec: ModelSpec, corpus: Corpus, *, steps: int, progress=None) -> History:
    """The first ``steps`` steps of ``spec``'s run (its own schedule, evaluations every
    ``spec.eval_every`` steps on the whole validation text), as the sweep ran them."""
    _, hist = train_spec(spec, corpus.train_ids, corpus.valid_ids, steps=steps, progress=progress,
                         label=tr("{title}, live", title=spec.title), vocab_size=len(corpus.vocab))
    return hist


def live_report(hist: History, recorded_bpc: float) -> str:
    """The live run's last validation bits per character beside the sweep's record of the same step."""
    return tr("validation bits per character after {steps} steps: {now:.4f} now, {then:.4f} recorded by the sweep",
              steps=int(hist.eval_step[-1]), now=hist.eval_loss[-1] * charlm.BITS_PER_NAT, then=recorded_bpc)


def live_summary(hist: History, recorded_bpc: float, *, tolerance: float = 0.01) -> str:
    """What a live run showed, coarse enough to hold on any machine."""
    start, end = hist.eval_loss[0] * charlm.BITS_PER_NAT, hist.eval_loss[-1] * charlm.BITS_PER_NAT
    return tr("before training above 6 bits per character: {before}; after {steps} steps within {tol:g} of the "
              "sweep's record: {same}", before=bool(start > 6), steps=int(hist.eval_step[-1]), tol=tolerance,
              same=bool(abs(end - recorded_bpc) < tolerance))
