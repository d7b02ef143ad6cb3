"""Generating text: one character at a time, each drawn from the model and fed back in.

The primer is read as one sequence (the fast pass); then every new character goes through each
layer's single step, the registry's ``stepper``: the fast step kernel the sequence loops run,
prepared once (the tests hold the samples equal to the sequence forward's predictions).
"""
from __future__ import annotations

import numpy as np

from .. import _validate
from ..losses import log_softmax
from ..models import model_of
from ..network import SequenceModel, forward
from ..train import blas_threads
from .text import check_char_model, check_ids
from .vocab import Vocabulary

__all__ = ["sample", "sample_text"]


def sample(prime, model: SequenceModel, length: int, rng, *, temperature: float = 1.0):
    """Generate ``length`` characters after the primer ``prime (P,)`` (ids, P >= 1): read the
    primer, then repeatedly draw the next character from ``softmax(z / temperature)`` and feed it
    back. ``temperature`` < 1 sharpens the distribution (towards the most likely character), > 1
    flattens it. ``rng``: a Generator or a seed (required: a sample is random). Returns ``(ids
    (length,), probs (length,))``: the characters drawn and the probability the tempered
    distribution gave each."""
    check_char_model(model)
    prime = check_ids(prime, model.vocab_size, "prime", at_least=1)
    n = _validate.positive_int(length, "length")
    tau = _validate.real(temperature, "temperature")
    if tau <= 0:
        raise ValueError(f"temperature: expected a number > 0, got {temperature}")
    gen = _validate.rng(rng)
    with blas_threads(1):  # one row at a time: a second BLAS thread only adds synchronisation
        logits, cache = forward(prime[:, None], model)  # the primer, as one sequence
        z, state = logits[-1, 0], cache.final_state
        # the steps read what the model itself produced: unchecked where the stepper offers it
        steppers = [getattr(s, "unchecked", s) for s in (model_of(p).stepper(p) for p in model.layers)]
        outputs = [lambda st, m=model_of(p): m.state_arrays(st)[0] for p in model.layers]
        W, b = model.head.weights, model.head.bias
        out, probs = np.empty(n, dtype=np.int64), np.empty(n)
        for k in range(n):
            p = np.exp(log_softmax(z.astype(np.float64) / tau))
            nxt = int(min(np.searchsorted(np.cumsum(p), gen.random() * p.sum(), side="right"), p.size - 1))
            out[k], probs[k] = nxt, p[nxt]
            if k == n - 1:
                break
            x = model.embedding[[nxt]]  # (1, D): the character just drawn goes back in
            for j, (output_of, step) in enumerate(zip(outputs, steppers)):
                state[j] = step(x, state[j])  # one step of layer j
                x = output_of(state[j])  # its output h_t, what the layer above reads
            z = x[0] @ W.T + b
    return out, probs


def sample_text(prime: str, model: SequenceModel, vocab: Vocabulary, length: int, rng, *,
                temperature: float = 1.0) -> str:
    """``sample`` with text in and out: the ``length`` characters generated after ``prime``. A
    character of ``prime`` outside ``vocab`` is refused, naming it (``vocab.missing(prime)``;
    encode with ``errors="replace"`` and call ``sample`` to replace it instead)."""
    if not isinstance(vocab, Vocabulary):
        raise ValueError(f"vocab: expected a charlm.Vocabulary, got {type(vocab).__name__}")
    check_char_model(model)
    if len(vocab) != model.vocab_size:
        raise ValueError(f"vocab: expected {model.vocab_size} characters like the model, got {len(vocab)}")
    if not isinstance(prime, str) or not prime:
        raise ValueError(f"prime: expected a non-empty string, got {prime!r}")
    ids, _ = sample(vocab.encode(prime), model, length, rng, temperature=temperature)
    return vocab.decode(ids)
