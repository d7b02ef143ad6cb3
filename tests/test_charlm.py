"""lstmlib.charlm: the vocabulary, the character model (a SequenceModel with an embedding and a
prediction at every step), long text as streams and chunks for truncated BPTT through the one
training loop, bits per character, and sampling through the registry's single steps."""
import math

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import lstmlib as ll
from lstmlib import charlm, network, optim, train
from lstmlib.gradcheck import compare_gradients, numerical_gradient
from lstmlib.losses import log_softmax

KINDS = [("lstm", {}), ("gru", {"reset_after": True}), ("gru", {"reset_after": False}), ("rnn", {})]
IDS = [f"{k}{'-' + str(kw['reset_after']) if kw else ''}" for k, kw in KINDS]


def _model(kind, kw, *, V=7, H=4, E=3, layers=2, seed=0, dtype=np.float64, **more):
    return charlm.init_model(kind, V, H, seed, layers=layers, embedding_size=E, dtype=dtype, **kw, **more)


# ----------------------------------------------------------------------------------------------
# The vocabulary
# ----------------------------------------------------------------------------------------------
def test_ascii_vocabulary_is_newline_and_the_printable_characters():
    v = charlm.ASCII
    assert len(v) == 96 and v.chars[0] == "\n" and v.chars[1] == " " and v.chars[-1] == "~"
    text = "def f(x):\n    return x  # ~`{}[]\n"
    assert v.decode(v.encode(text)) == text
    with pytest.raises(ValueError, match=r"^text: expected characters of the vocabulary, got '\\t'"):
        v.encode("tab\there")
    assert v.missing("tab\there é") == "\té"
    assert v.decode(v.encode("tab\there é", errors="replace")) == "tab?here ?"
    with pytest.raises(ValueError, match="^errors"):
        v.encode("a", errors="ignore")
    with pytest.raises(ValueError, match="^ids"):
        v.decode([96])


def test_a_vocabulary_from_ones_own_text_needs_no_question_mark():
    """Regression (issue 14): a Vocabulary built from one's own text failed unless the text held
    "?", the replacement character every vocabulary had to contain."""
    text = "hello, world\n"
    v = charlm.Vocabulary.from_text(text)
    assert v.chars == "".join(sorted(set(text))) and "?" not in v.chars and v.replacement is None
    assert v.decode(v.encode(text)) == text
    assert charlm.Vocabulary("abc").chars == "abc"  # built by hand, without "?", too
    with pytest.raises(ValueError, match=r"^text: expected characters of the vocabulary, got 'z' \(this vocabulary "
                                         r"has no replacement character\)"):
        v.encode("zz", errors="replace")
    w = charlm.Vocabulary.from_text(text, replacement="_")
    assert "_" in w.chars and w.decode(w.encode("hello?", errors="replace")) == "hello_"
    with pytest.raises(ValueError, match="^chars"):
        charlm.Vocabulary("aab")
    with pytest.raises(ValueError, match="^replacement"):
        charlm.Vocabulary("ab", replacement="?")


# ----------------------------------------------------------------------------------------------
# The model
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind,kw", KINDS, ids=IDS)
def test_init_model_is_a_sequence_model_with_the_registrys_defaults(kind, kw):
    m = _model(kind, kw, V=11, H=5, E=3, layers=3)
    assert isinstance(m, network.SequenceModel) and m.every_step and m.vocab_size == 11
    assert m.hidden_sizes == (5, 5, 5) and m.kind == kind and m.dtype == np.float64
    count = ll.MODELS[kind].parameter_count
    want = 11 * 3 + count(3, 5, **kw) + 2 * count(5, 5, **kw) + 11 * 5 + 11
    assert m.num_parameters == want == sum(a.size for a in m.arrays())
    logits, cache = network.forward(np.zeros((6, 2), dtype=int), m)
    assert logits.shape == (6, 2, 11) and len(cache.final_state) == 3


def test_init_model_options_are_the_layers():
    assert np.all(charlm.init_model("lstm", 5, 4, 0).layers[0].b_f == 0.0)  # the default, as everywhere
    assert np.all(charlm.init_model("lstm", 5, 4, 0, forget_bias=1.0).layers[0].b_f == 1.0)
    assert charlm.init_model("gru", 5, 4, 0, reset_after=True).layers[0].reset_after
    assert charlm.init_model("rnn", 5, 4, 0, activation="relu").layers[0].activation == "relu"
    assert charlm.init_model("lstm", 5, 4, 0, dtype=np.float32).dtype == np.float32
    two = charlm.init_model("lstm", 5, 4, 0, layers=2, dropout=0.1)
    assert "LSTM 2x4, embedding 5x32, dropout 0.1" in two.describe()
    with pytest.raises(ValueError, match="^forget_bias: not an option of the GRU"):
        charlm.init_model("gru", 5, 4, 0, forget_bias=1.0)


def test_a_character_models_gradients_with_dropout_against_finite_differences():
    """(test_network checks every readout, stack and model; this is the character model as
    init_model makes it: embedding, 2 layers, every step, dropout masks fixed.)"""
    rng = np.random.default_rng(7)
    m = _model("rnn", {}, V=6, H=3, E=2, layers=2, seed=3, dropout=0.3)
    ids, targets = rng.integers(0, 6, (5, 2)), rng.integers(0, 6, (5, 2))
    masks = network.dropout_masks(m, 5, 2, 4)

    def E():
        return network.loss_and_grads(ids, targets, m, loss="xent", masks=masks)[0]

    _, g, _ = network.loss_and_grads(ids, targets, m, loss="xent", masks=masks)
    numeric = {str(k): numerical_gradient(E, a, stencil="five-point") for k, a in enumerate(m.arrays())}
    report = compare_gradients({str(k): a for k, a in enumerate(g.arrays())}, numeric, tol=1e-7, atol=0.0)
    assert report.passed, str(report)


# ----------------------------------------------------------------------------------------------
# Long text: streams, chunks, batches, scores
# ----------------------------------------------------------------------------------------------
def test_streams_and_chunks_cover_the_text_in_order():
    ids = np.arange(23)
    s = charlm.streams(ids, 3)
    assert s.shape == (3, 7) and np.array_equal(s[1], np.arange(7, 14))
    got = list(charlm.chunks(s, 4))
    assert [x.shape for x, _ in got] == [(4, 3), (2, 3)]
    x = np.concatenate([x for x, _ in got])
    y = np.concatenate([y for _, y in got])
    assert np.array_equal(x.T, s[:, :-1]) and np.array_equal(y.T, s[:, 1:])


def test_text_batches_carry_within_an_epoch_and_start_over_after_it():
    ids = np.arange(23)
    batches = charlm.text_batches(ids, 3, 4)
    first = [next(batches) for _ in range(5)]  # chunks of 4 and 2 steps, then the next epoch
    assert [b.carry for b in first] == [False, True, False, True, False]
    assert [b.X.shape for b in first] == [(4, 3), (2, 3)] * 2 + [(4, 3)]
    assert all(isinstance(b, train.Batch) for b in first)
    np.testing.assert_array_equal(first[2].X, first[0].X)
    np.testing.assert_array_equal(first[1].y, charlm.streams(ids, 3)[:, 5:7].T)


def test_fit_on_text_batches_is_truncated_bptt_with_the_state_carried():
    """One loop for everything: fit on text_batches equals a hand-written truncated BPTT loop
    (each chunk starts from the previous chunk's final state, zeros at an epoch's start), bit
    for bit; without the carried state the result differs."""
    text = np.random.default_rng(0).integers(0, 7, 61)
    m_fit = _model("lstm", {}, layers=2, seed=1)
    m_hand, m_cut = m_fit.copy(), m_fit.copy()
    train.fit(charlm.text_batches(text, 3, 6), m_fit, optim.Adam(0.01), steps=8, loss="xent", clip=1.0)
    for model, carry in ((m_hand, True), (m_cut, False)):
        opt, state = optim.Adam(0.01), None
        with threadpool_limits(1):
            for step, (x, y) in enumerate(list(charlm.chunks(charlm.streams(text, 3), 6)) * 2):
                if step == 8:
                    break
                start = state if carry and step % 4 else None  # 4 chunks an epoch
                _, grads, state = network.loss_and_grads(x, y, model, start, loss="xent")
                optim.clip_grad_norm(grads.arrays(), 1.0)
                opt.step(model.arrays(), grads.arrays())
    for a, b in zip(m_fit.arrays(), m_hand.arrays(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, b) for a, b in zip(m_fit.arrays(), m_cut.arrays()))


def test_scores_do_not_depend_on_the_chunk_length_and_match_one_forward_pass():
    rng = np.random.default_rng(4)
    m = _model("gru", {"reset_after": True}, V=7, layers=2)
    ids = rng.integers(0, 7, 301)
    a = charlm.bits_per_char(ids, m, batch_size=3, chunk=7)
    b = charlm.bits_per_char(ids, m, batch_size=3, chunk=1000)
    assert a == pytest.approx(b, rel=1e-12)
    s = charlm.streams(ids, 3)
    logits, _ = network.forward(s[:, :-1].T, m)  # each stream from a zero state, in one pass
    logp = log_softmax(logits)
    nats = -np.mean(np.take_along_axis(logp, s[:, 1:].T[..., None], -1))
    assert a == pytest.approx(nats / math.log(2), rel=1e-12)
    score = charlm.text_score(ids, batch_size=3, chunk=50)(m)
    assert isinstance(score, network.Score) and score.accuracy is None
    assert score.loss == pytest.approx(nats, rel=1e-12) and score.loss * charlm.BITS_PER_NAT == pytest.approx(a)
    pos, lp, kept = charlm.next_char_log_probs(ids, m, batch_size=3, chunk=5, keep=[2, 3])
    assert pos.shape == lp.shape == (3 * 99,) and kept.shape == (3 * 99, 2)
    assert np.array_equal(pos[:99], np.arange(99)) and pos[99] == 100
    np.testing.assert_allclose(lp[pos == 0], logp[0, 0, ids[1]], rtol=1e-12)
    np.testing.assert_allclose(kept[0], np.exp(logp[0, 0, [2, 3]]), rtol=1e-12)


def test_training_through_fit_learns_a_repeating_text():
    """A 24-unit LSTM reading "def f(x):\\n    return (x + 1)\\n" over and over: from uniform
    guessing (log2 96 = 6.6 bits per character) to below 1 bit within 200 steps (seed 0)."""
    vocab = charlm.ASCII
    text = vocab.encode("def f(x):\n    return (x + 1)\n" * 60)
    m = charlm.init_model("lstm", len(vocab), 24, 0, embedding_size=8, dtype=np.float32, forget_bias=1.0)
    h = train.fit(charlm.text_batches(text, 4, 16), m, optim.Adam(optim.linear_decay(2e-2, 2e-3, 200)),
                  steps=200, loss="xent", clip=5.0, evaluate=charlm.text_score(text[:400], batch_size=2),
                  eval_every=100, label="repeat")
    bits = h.eval_loss * charlm.BITS_PER_NAT
    assert list(h.eval_step) == [0, 100, 200] and bits[0] > 6.0 and bits[-1] < 1.0
    assert bits[-1] == pytest.approx(charlm.bits_per_char(text[:400], m, batch_size=2))
    assert h.diverged_at is None and "repeat: 200 steps" in h.summary()


# ----------------------------------------------------------------------------------------------
# Sampling
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind,kw", KINDS, ids=IDS)
def test_sampling_draws_from_the_forward_passes_tempered_distribution(kind, kw):
    """The generator steps one character at a time through the registry's step functions; the
    probabilities it reports are those of one fast forward pass over the primer and the drawn
    characters."""
    rng = np.random.default_rng(5)
    m = _model(kind, kw, V=11, H=5, E=3, layers=2)
    prime = rng.integers(0, 11, 4)
    for tau in (0.5, 1.0, 1.7):
        ids, probs = charlm.sample(prime, m, 25, 3, temperature=tau)
        seq = np.concatenate([prime, ids])
        logits, _ = network.forward(seq[:, None], m)
        lp = log_softmax(logits[len(prime) - 1:-1, 0] / tau)
        np.testing.assert_allclose(np.exp(lp[np.arange(25), ids]), probs, rtol=1e-10, atol=1e-12)


def test_sampling_needs_an_rng_and_follows_it():
    """Regression (issue 14): ``sample`` defaulted to ``rng=0``, so every call returned the same
    text. The rng is required; a seed gives the same text, another seed another."""
    m = _model("lstm", {}, V=11, H=6, layers=1, seed=2)
    prime = np.array([1, 2])
    with pytest.raises(TypeError, match="rng"):
        charlm.sample(prime, m, 50)
    a, _ = charlm.sample(prime, m, 50, 4)
    b, _ = charlm.sample(prime, m, 50, np.random.default_rng(4))
    c, _ = charlm.sample(prime, m, 50, 5)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    vocab = charlm.Vocabulary("abcdefghijk")
    texts = {charlm.sample_text("ab", m, vocab, 30, seed) for seed in range(4)}
    assert len(texts) == 4 and all(len(t) == 30 and set(t) <= set(vocab.chars) for t in texts)


def test_temperature_sharpens():
    m = _model("lstm", {}, V=11, H=6, layers=1, seed=2)
    m.head.weights[...] *= 10  # logits a few units apart
    _, cold = charlm.sample(np.array([1, 2]), m, 200, 4, temperature=0.05)
    _, warm = charlm.sample(np.array([1, 2]), m, 200, 4, temperature=1.0)
    _, hot = charlm.sample(np.array([1, 2]), m, 200, 4, temperature=5.0)
    assert np.median(cold) > 0.9 and cold.mean() > warm.mean() > hot.mean() > 1 / 11 * 0.9


def test_sample_text_refuses_characters_outside_the_vocabulary_naming_them():
    """Issue 18: chapter 07 replaced characters outside the vocabulary without a word."""
    m = charlm.init_model("rnn", 96, 4, 0)
    with pytest.raises(ValueError, match=r"^text: expected characters of the vocabulary, got '\\t', 'é'"):
        charlm.sample_text("def café(x):\n\treturn", m, charlm.ASCII, 10, 0)
    assert len(charlm.sample_text("def cafe(x):\n    return", m, charlm.ASCII, 10, 0)) == 10
    with pytest.raises(ValueError, match="^vocab: expected 7 characters like the model, got 96"):
        charlm.sample_text("x", _model("lstm", {}), charlm.ASCII, 5, 0)
