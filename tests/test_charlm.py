"""lstmlib.charlm: the character model's gradients (every parameter of a stacked model, the states
carried between chunks), truncated BPTT, evaluation, training and sampling."""
import math

import numpy as np
import pytest

import lstmlib as ll
from lstmlib import charlm
from lstmlib.gradcheck import numerical_gradient
from lstmlib.losses import log_softmax, softmax_cross_entropy

KINDS = [("lstm", {}), ("gru", {"reset_after": True}), ("gru", {"reset_after": False}), ("rnn", {})]
IDS = [f"{k}{'-' + str(kw['reset_after']) if kw else ''}" for k, kw in KINDS]


def _model(kind, kw, *, V=7, H=4, E=3, layers=2, seed=0, dtype=np.float64):
    return charlm.init_model(kind, V, H, seed, num_layers=layers, embedding_size=E, dtype=dtype, **kw)


def _states(model, B, rng):
    return [{k: rng.standard_normal((B, p.hidden_size)) for k in ll.model_of(p).states} for p in model.layers]


# ----------------------------------------------------------------------------------------------
# The vocabulary
# ----------------------------------------------------------------------------------------------
def test_ascii_vocabulary_is_newline_and_the_printable_characters():
    v = charlm.ASCII
    assert len(v) == 96 and v.chars[0] == "\n" and v.chars[1] == " " and v.chars[-1] == "~"
    text = "def f(x):\n    return x  # ~`{}[]\n"
    assert v.decode(v.encode(text)) == text
    with pytest.raises(ValueError, match="text: expected characters of the vocabulary"):
        v.encode("tab\there")
    assert v.decode(v.encode("tab\there é", errors="replace")) == "tab?here ?"
    with pytest.raises(ValueError, match="errors"):
        v.encode("a", errors="ignore")
    with pytest.raises(ValueError, match="ids"):
        v.decode([96])
    with pytest.raises(ValueError, match="chars"):
        charlm.Vocabulary("aab")
    with pytest.raises(ValueError, match="replacement"):
        charlm.Vocabulary("ab", replacement="?")


# ----------------------------------------------------------------------------------------------
# The model and its checks
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind,kw", KINDS, ids=IDS)
def test_init_model_shapes_and_parameter_count(kind, kw):
    m = _model(kind, kw, V=11, H=5, E=3, layers=3)
    G = {"lstm": 4, "gru": 3, "rnn": 1}[kind]
    extra = 5 if (kind == "gru" and kw["reset_after"]) else 0
    want = 11 * 3 + (G * 5 * (5 + 3) + G * 5 + extra) + 2 * (G * 5 * 10 + G * 5 + extra) + 11 * 5 + 11
    assert m.num_parameters == want == sum(a.size for a in m.arrays())
    assert m.vocab_size == 11 and m.hidden_sizes == (5, 5, 5) and m.kind == kind
    logits, cache = charlm.forward(np.zeros((6, 2), dtype=int), m)
    assert logits.shape == (6, 2, 11) and cache.hs.shape == (6, 2, 5)
    assert [set(s) for s in cache.final_states] == [set(ll.get_model(kind).states)] * 3


def test_lstm_forget_bias_and_float32_default():
    m = charlm.init_model("lstm", 5, 4, 0)
    assert m.dtype == np.float32 and np.all(m.layers[0].b_f == 1.0)
    assert "LSTM 1x4" in m.describe()


def test_model_checks_name_the_argument():
    m = _model("lstm", {})
    with pytest.raises(ValueError, match=r"layers\[1\]: expected input size 4"):
        charlm.CharModel(m.embedding, (m.layers[0], ll.LSTMParams.init(3, 4, 0)), m.head)
    with pytest.raises(ValueError, match="dtype"):
        charlm.CharModel(m.embedding.astype(np.float32), m.layers, m.head)
    with pytest.raises(ValueError, match="head"):
        charlm.CharModel(m.embedding, m.layers, ll.train.Linear.init(4, 6, 0, dtype=np.float64))
    with pytest.raises(ValueError, match="layers: expected at least one"):
        charlm.CharModel(m.embedding, (), m.head)
    with pytest.raises(ValueError, match="ids: expected integer"):
        charlm.forward(np.zeros((3, 2)), m)
    with pytest.raises(ValueError, match=r"ids: expected ids in \[0, 7\)"):
        charlm.forward(np.full((3, 2), 7), m)
    with pytest.raises(ValueError, match="ids: expected a 2-D array"):
        charlm.forward(np.zeros(3, dtype=int), m)
    with pytest.raises(ValueError, match=r"states\[0\]\['h'\]: expected shape \(2, 4\)"):
        charlm.forward(np.zeros((3, 2), dtype=int), m, [{"h": np.zeros((3, 4))}, None])
    with pytest.raises(ValueError, match="model: expected a charlm.CharModel"):
        charlm.forward(np.zeros((3, 2), dtype=int), m.layers[0])
    with pytest.raises(ValueError, match="kind"):
        charlm.init_model("transformer", 5, 4, 0)
    with pytest.raises(ValueError, match="dlogits"):
        _, cache = charlm.forward(np.zeros((3, 2), dtype=int), m)
        charlm.backward(np.zeros((3, 2, 6)), cache)


# ----------------------------------------------------------------------------------------------
# Gradients: every parameter of a 2-layer stack, the initial states, the final-state gradients
# ----------------------------------------------------------------------------------------------
def _loss_fn(model, ids, targets, states, dstates):
    """E = mean cross-entropy + sum(G * final state): the final-state term stands for what a later
    chunk sends back."""
    def E():
        logits, cache = charlm.forward(ids, model, states)
        loss, _ = softmax_cross_entropy(logits, targets)
        fin = cache.final_states
        return loss + sum(float(np.sum(d[k] * fin[j][k])) for j, d in enumerate(dstates) for k in d)
    return E


@pytest.mark.parametrize("kind,kw", KINDS, ids=IDS)
def test_every_parameter_and_state_against_finite_differences(kind, kw):
    rng = np.random.default_rng(7)
    m = _model(kind, kw, V=7, H=4, E=3, layers=2, seed=3)
    ids, targets = rng.integers(0, 7, (5, 2)), rng.integers(0, 7, (5, 2))
    states, dstates = _states(m, 2, rng), _states(m, 2, rng)
    E = _loss_fn(m, ids, targets, states, dstates)
    _, g, _ = charlm.loss_and_grads(ids, targets, m, states, dstates=dstates)
    names = ["embedding"] + [f"layer{k}.{f}" for k, p in enumerate(m.layers) for f in p.storage_fields
                             if getattr(p, f) is not None] + ["head.weights", "head.bias"]
    assert len(names) == len(m.arrays()) == len(g.arrays())
    for name, a, ga in zip(names, m.arrays(), g.arrays()):
        num = numerical_gradient(E, a, stencil="five-point")
        assert ga.shape == a.shape
        assert np.allclose(ga, num, rtol=1e-6, atol=1e-9), (name, np.max(np.abs(ga - num)))
    for k in range(2):  # what a backward pass through the previous chunk would receive
        for s in states[k]:
            num = numerical_gradient(E, states[k][s], stencil="five-point")
            assert np.allclose(g.dstates0[k][s], num, rtol=1e-6, atol=1e-9), (k, s)


def test_the_layer_below_receives_the_dx_of_the_layer_above():
    """Equation 14 made real: the error at layer 1's outputs is exactly layer 2's dX."""
    rng = np.random.default_rng(1)
    m = _model("lstm", {}, layers=2)
    ids, targets = rng.integers(0, 7, (6, 3)), rng.integers(0, 7, (6, 3))
    logits, cache = charlm.forward(ids, m)
    _, dlogits = softmax_cross_entropy(logits, targets)
    g = charlm.backward(dlogits, cache)
    lower = cache.stack.layers[0]
    again = ll.fused.lstm_backward(g.layers[1].dX, lower)
    assert np.allclose(again.weights, g.layers[0].weights, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kind,kw", KINDS, ids=IDS)
def test_two_chunks_with_carried_state_equal_the_whole_sequence(kind, kw):
    """Forward: the second chunk started from the first one's final states gives the logits of
    the whole sequence. Backward: the second chunk's dstates0 is the gradient arriving at the first
    chunk's final states; given to the first chunk's backward, the two chunks' gradients add up to
    the whole sequence's (full BPTT). Without it (truncated BPTT) they do not."""
    rng = np.random.default_rng(2)
    m = _model(kind, kw, V=7, H=4, E=3, layers=2)
    ids, targets = rng.integers(0, 7, (9, 2)), rng.integers(0, 7, (9, 2))
    whole, cache = charlm.forward(ids, m)
    _, d = softmax_cross_entropy(whole, targets)
    g_whole = charlm.backward(d, cache)
    first, c1 = charlm.forward(ids[:4], m)
    second, c2 = charlm.forward(ids[4:], m, c1.final_states)
    assert np.allclose(np.concatenate([first, second]), whole, rtol=1e-13, atol=1e-13)
    g2 = charlm.backward(d[4:], c2)
    g1 = charlm.backward(d[:4], c1, dstates=g2.dstates0)
    for a, b, w in zip(g1.arrays(), g2.arrays(), g_whole.arrays()):
        assert np.allclose(a + b, w, rtol=1e-10, atol=1e-13)
    g1_truncated = charlm.backward(d[:4], c1)
    assert not np.allclose(g1_truncated.layers[0].weights + g2.layers[0].weights, g_whole.layers[0].weights)
    # the gradient at the first chunk's final state, by finite differences of the second chunk's loss
    s = c1.final_states
    def E():
        logits, _ = charlm.forward(ids[4:], m, s)
        return float(np.sum(d[4:] * logits))
    num = numerical_gradient(E, s[1]["h"], stencil="five-point")
    assert np.allclose(g2.dstates0[1]["h"], num, rtol=1e-6, atol=1e-10)


def test_workspace_gives_the_same_gradients_and_final_states_survive_it():
    rng = np.random.default_rng(3)
    m = _model("lstm", {}, dtype=np.float32)
    ws = ll.fused.Workspace()
    ids, targets = rng.integers(0, 7, (8, 4)), rng.integers(0, 7, (8, 4))
    l1, g1, s1 = charlm.loss_and_grads(ids, targets, m)
    l2, g2, s2 = charlm.loss_and_grads(ids, targets, m, workspace=ws)
    assert l1 == pytest.approx(l2, rel=1e-6)
    for a, b in zip(g1.arrays(), g2.arrays()):
        assert np.allclose(a, b, rtol=1e-5, atol=1e-7)
    before = [v["c"].copy() for v in s2]
    charlm.loss_and_grads(ids, targets, m, s2, workspace=ws)  # overwrites the workspace's arrays
    assert all(np.array_equal(b, v["c"]) for b, v in zip(before, s2))


def test_bits_per_char():
    assert charlm.bits_per_char(math.log(2)) == pytest.approx(1.0)
    assert charlm.BITS_PER_NAT == pytest.approx(1 / math.log(2))
    with pytest.raises(ValueError, match="nats"):
        charlm.bits_per_char("one")


# ----------------------------------------------------------------------------------------------
# Long text: streams, chunks, evaluation
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
    with pytest.raises(ValueError, match="batch_size"):
        charlm.streams(ids, 12)
    with pytest.raises(ValueError, match="chunk"):
        list(charlm.chunks(s, 0))
    with pytest.raises(ValueError, match="ids"):
        charlm.streams(np.zeros((2, 3), dtype=int), 1)


def test_evaluation_does_not_depend_on_the_chunk_length_and_matches_forward():
    rng = np.random.default_rng(4)
    m = _model("gru", {"reset_after": True}, V=7, layers=2)
    ids = rng.integers(0, 7, 301)
    a = charlm.evaluate(m, ids, batch_size=3, chunk=7)
    b = charlm.evaluate(m, ids, batch_size=3, chunk=1000)
    assert a == pytest.approx(b, rel=1e-12)
    s = charlm.streams(ids, 3)
    logits, _ = charlm.forward(s[:, :-1].T, m)
    logp = log_softmax(logits)
    want = -np.mean(np.take_along_axis(logp, s[:, 1:].T[..., None], -1)) / math.log(2)
    assert a == pytest.approx(want, rel=1e-12)
    pos, lp, kept = charlm.next_char_log_probs(m, ids, batch_size=3, chunk=5, keep=[2, 3])
    assert pos.shape == lp.shape == (3 * 99,) and kept.shape == (3 * 99, 2)
    assert np.array_equal(pos[:99], np.arange(99)) and pos[99] == 100
    assert np.allclose(np.exp(lp[pos == 0]), np.exp(logp[0, 0, ids[1]]))
    assert np.allclose(kept[0], np.exp(logp[0, 0, [2, 3]]))


# ----------------------------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------------------------
def test_truncated_bptt_training_learns_a_repeating_text():
    text = charlm.ASCII.encode("def f(x):\n    return (x + 1)\n" * 60)
    m = charlm.init_model("lstm", 96, 24, 0, embedding_size=8)
    hist = charlm.train(m, text, steps=200, batch_size=4, chunk=16, lr=2e-2, final_lr=2e-3,
                        eval_ids=text[:400], eval_every=100, eval_batch_size=2, label="repeat")
    assert hist.steps == 200 and list(hist.eval_step) == [0, 100, 200]
    assert hist.eval_loss[0] > 6.0 and hist.eval_loss[-1] < 1.0  # from uniform (log2 96 = 6.58) to far below
    assert np.mean(hist.loss[-10:]) < np.mean(hist.loss[:10]) / 4
    assert hist.diverged_at is None and "repeat: 200 steps" in hist.summary()


def test_training_is_a_pure_function_of_its_seed():
    text = charlm.ASCII.encode("import os\nprint(os.getcwd())\n" * 40)
    runs = []
    for _ in range(2):
        m = charlm.init_model("gru", 96, 12, 5, embedding_size=4)
        h = charlm.train(m, text, steps=30, batch_size=4, chunk=8, eval_ids=text[:200], eval_every=15,
                         eval_batch_size=2)
        runs.append((h.loss, h.eval_loss, m.arrays()))
    assert np.array_equal(runs[0][0], runs[1][0]) and np.array_equal(runs[0][1], runs[1][1])
    assert all(np.array_equal(a, b) for a, b in zip(runs[0][2], runs[1][2]))


def test_training_reports_progress_and_checks_its_arguments():
    text = charlm.ASCII.encode("abc\n" * 100)
    m = charlm.init_model("rnn", 96, 8, 0, embedding_size=4)
    calls = []

    class P:
        def start(self, total, label): calls.append(("start", total, label))
        def update(self, step, loss): calls.append(("update", step))
        def close(self, history): calls.append(("close", history.steps))

    charlm.train(m, text, steps=5, batch_size=2, chunk=4, progress=P(), label="x")
    assert calls[0] == ("start", 5, "x") and calls[-1] == ("close", 5) and len(calls) == 7
    with pytest.raises(ValueError, match="chunk: expected fewer than"):
        charlm.train(m, text, steps=5, batch_size=2, chunk=500)
    with pytest.raises(ValueError, match="progress"):
        charlm.train(m, text, steps=5, batch_size=2, chunk=4, progress=object())
    with pytest.raises(ValueError, match="lr"):
        charlm.train(m, text, steps=5, batch_size=2, chunk=4, lr=-1.0)
    with pytest.raises(ValueError, match="eval_ids"):
        charlm.train(m, text, steps=5, batch_size=2, chunk=4, eval_ids=np.array([1.5, 2.5]))


def test_the_learning_rate_decays_linearly_to_final_lr():
    text = charlm.ASCII.encode("abcd\n" * 100)
    m = charlm.init_model("lstm", 96, 8, 0, embedding_size=4)
    opt = ll.optim.Adam(1e-2)
    charlm.train(m, text, steps=11, batch_size=2, chunk=4, lr=1e-2, final_lr=1e-3, optimizer=opt)
    assert opt.lr == pytest.approx(1e-3) and opt.t == 11


# ----------------------------------------------------------------------------------------------
# Sampling
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind,kw", KINDS, ids=IDS)
def test_sampling_draws_from_the_forward_passes_tempered_distribution(kind, kw):
    """The generator steps one character at a time with its own weight layout; the probabilities
    it reports are those of a forward pass over the primer and the drawn characters."""
    rng = np.random.default_rng(5)
    m = _model(kind, kw, V=11, H=5, E=3, layers=2)
    prime = rng.integers(0, 11, 4)
    for tau in (0.5, 1.0, 1.7):
        ids, probs = charlm.sample(m, prime, 25, temperature=tau, rng=3)
        seq = np.concatenate([prime, ids])
        logits, _ = charlm.forward(seq[:, None], m)
        lp = log_softmax(logits[len(prime) - 1:-1, 0] / tau)
        assert np.allclose(np.exp(lp[np.arange(25), ids]), probs, rtol=1e-10, atol=1e-12)


def test_sampling_is_seeded_and_temperature_sharpens():
    m = _model("lstm", {}, V=11, H=6, layers=1, seed=2)
    a, _ = charlm.sample(m, np.array([1, 2]), 50, temperature=1.0, rng=4)
    b, _ = charlm.sample(m, np.array([1, 2]), 50, temperature=1.0, rng=4)
    assert np.array_equal(a, b)
    _, cold = charlm.sample(m, np.array([1, 2]), 200, temperature=0.05, rng=4)
    _, hot = charlm.sample(m, np.array([1, 2]), 200, temperature=5.0, rng=4)
    assert np.median(cold) > 0.9 and cold.mean() > 3 * hot.mean()
    text = charlm.sample_text(charlm.init_model("rnn", 96, 4, 0), charlm.ASCII, "héllo", 10, rng=0)
    assert len(text) == 10
    with pytest.raises(ValueError, match="temperature"):
        charlm.sample(m, np.array([1]), 5, temperature=0.0)
    with pytest.raises(ValueError, match="prime"):
        charlm.sample(m, np.array([], dtype=int), 5)
    with pytest.raises(ValueError, match="vocab"):
        charlm.sample_text(m, charlm.ASCII, "x", 5)
