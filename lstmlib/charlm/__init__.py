"""A character-level language model: read text one character at a time, predict the next one.

The model is a ``network.SequenceModel`` with an embedding and a prediction at every step::

    x_t = E[id_t]                           embedding: row id_t of E (V, D_e)
    h_t^(1), ..., h_t^(L)                   L recurrent layers (RNN, LSTM or GRU)
    z_t = W_y h_t^(L) + b_y                 one score (logit) per character of the vocabulary
    p(id_{t+1} | id_1..id_t) = softmax(z_t) every step predicts the character that follows

It trains through the library's one loop, ``train.fit``, with the loss ``"xent"``: the mean
cross-entropy of the next character, in nats; divided by ``ln 2`` it is the model's **bits per
character**, how many bits an ideal coder driven by the model would spend per character.

What is particular to text lives here:

=================  ===========================================================================
``vocab``          ``Vocabulary``: characters <-> ids; ``ASCII``, the newline and printable ASCII
``text``           long text as streams and chunks: ``text_batches`` for truncated BPTT with a
                   carried state, ``next_char_log_probs``, ``bits_per_char``, ``text_score``
``sampling``       ``sample``: generate one character at a time, through the registry's step
=================  ===========================================================================
"""
from __future__ import annotations

import numpy as np

from ..network import SequenceModel, make_model
from .sampling import sample, sample_text
from .text import (BITS_PER_NAT, bits_per_char, chunks, next_char_log_probs, streams, text_batches,
                   text_score)
from .vocab import ASCII, Vocabulary

__all__ = ["Vocabulary", "ASCII", "init_model", "BITS_PER_NAT", "streams", "chunks", "text_batches",
           "next_char_log_probs", "bits_per_char", "text_score", "sample", "sample_text"]


def init_model(kind: str, vocab_size: int, hidden_size: int, rng, *, layers: int = 1,
               embedding_size: int = 32, dropout: float = 0.0, dtype=np.float64, **options) -> SequenceModel:
    """A fresh character model: ``network.make_model`` with an embedding ``(vocab_size,
    embedding_size)``, ``layers`` layers of ``kind`` and a head over the vocabulary at every step.
    ``options``: the layers' own, with the registry's defaults (``forget_bias``, ``reset_after``,
    ``activation``)."""
    return make_model(kind, embedding_size, hidden_size, vocab_size, rng, layers=layers,
                      vocab_size=vocab_size, every_step=True, dropout=dropout, dtype=dtype, **options)
