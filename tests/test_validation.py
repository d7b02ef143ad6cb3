"""Bad input gets a ValueError naming the argument, what was expected and what came: one table of
odd calls covering every public function of the model layer; then the cases with more to say
(dtypes, the time-major hint, NaN in the weights, integer input)."""
import re

import numpy as np
import pytest

import lstmlib as ll
from lstmlib import article, charlm, fused, gradcheck, losses, network, optim, saving, tasks, train

RNG = np.random.default_rng(0)
P = {"lstm": ll.LSTMParams.init(3, 4, 0), "gru": ll.GRUParams.init(3, 4, 0), "rnn": ll.RNNParams.init(3, 4, 0)}
X = RNG.standard_normal((5, 2, 3))
DHS = np.zeros((5, 2, 4))
with_nan = X.copy()
with_nan[2, 1, 0] = np.nan
with_inf = np.zeros((2, 4))
with_inf[0, 1] = np.inf
MODEL = network.make_model("lstm", 3, 4, 2, 0)
CHAR = charlm.init_model("gru", 7, 4, 0, embedding_size=3)
IDS = np.arange(40) % 7
STEP_CACHE = {k: ll.MODELS[k].step_forward(X[0], p)[1] for k, p in P.items()}
SEQ_CACHE = {k: ll.MODELS[k].forward(X, p, reference=True)[1] for k, p in P.items()}
FUSED_CACHE = {k: ll.MODELS[k].forward(X, p)[1] for k, p in P.items()}
TWO_STATE = ll.LSTMState(np.zeros((2, 4)), np.zeros((2, 4)))


def _fit(**kw):
    args = dict(steps=2, loss="mse")
    args.update(kw)
    batches = args.pop("batches", train.task_batches(tasks.adding_task(5).sample, 2, 0))
    model = args.pop("model", network.make_model("rnn", 2, 3, 1, 0))
    optimizer = args.pop("optimizer", optim.SGD(0.1))
    return train.fit(batches, model, optimizer, **args)


# (label, call, the argument the message must name first)
TABLE = [
    # the cells, one step
    ("lstm_step_forward x 1-D", lambda: ll.lstm_step_forward(X[0, 0], P["lstm"]), "x"),
    ("gru_step_forward x wrong D", lambda: ll.gru_step_forward(X[0, :, :2], P["gru"]), "x"),
    ("rnn_step_forward p is a Grads",
     lambda: ll.rnn_step_forward(X[0], ll.RNNGrads(P["rnn"].weights, P["rnn"].bias)), "p"),
    ("lstm_step_forward state half wrong",
     lambda: ll.lstm_step_forward(X[0], P["lstm"], (None, np.zeros((3, 4)))), "state.c"),
    ("rnn_step_forward state inf", lambda: ll.rnn_step_forward(X[0], P["rnn"], with_inf), "state"),
    ("lstm_step_backward a sequence cache",
     lambda: ll.lstm_step_backward(TWO_STATE, SEQ_CACHE["lstm"]), "cache"),
    ("gru_step_backward cache None", lambda: ll.gru_step_backward(np.zeros((2, 4)), None), "cache"),
    ("rnn_step_backward dstate shape",
     lambda: ll.rnn_step_backward(np.zeros((2, 5)), STEP_CACHE["rnn"]), "dstate"),
    ("lstm_step_backward dstate NaN",
     lambda: ll.lstm_step_backward((np.full((2, 4), np.nan), None), STEP_CACHE["lstm"]), "dstate.h"),
    # the cells, a sequence (readable and fused)
    *[(f"{impl}.{k}_forward X 2-D", (lambda f=f, k=k: f(X[0], P[k])), "X")
      for k in P for impl, f in (("ll", getattr(ll, f"{k}_forward")), ("fused", getattr(fused, f"{k}_forward")))],
    *[(f"{impl}.{k}_backward foreign cache", (lambda f=f, k=k: f(DHS, FUSED_CACHE["rnn" if k == "gru" else "gru"])),
       "cache")
      for k in P for impl, f in (("ll", getattr(ll, f"{k}_backward")), ("fused", getattr(fused, f"{k}_backward")))],
    ("fused.lstm_forward workspace", lambda: fused.lstm_forward(X, P["lstm"], workspace={}), "workspace"),
    ("fused.gru_backward dhs T", lambda: fused.gru_backward(DHS[:4], FUSED_CACHE["gru"]), "dhs"),
    ("ll.rnn_backward dstate batch",
     lambda: ll.rnn_backward(DHS, SEQ_CACHE["rnn"], np.zeros((3, 4))), "dstate"),
    # parameters
    ("LSTMParams.init input_size 0", lambda: ll.LSTMParams.init(0, 4, 0), "input_size"),
    ("GRUParams.init hidden_size 2.5", lambda: ll.GRUParams.init(3, 2.5, 0), "hidden_size"),
    ("RNNParams.init rng", lambda: ll.RNNParams.init(3, 4, "seed"), "rng"),
    ("RNNParams.init activation", lambda: ll.RNNParams.init(3, 4, 0, activation="elu"), "activation"),
    ("LSTMParams.init forget_bias", lambda: ll.LSTMParams.init(3, 4, 0, forget_bias="1"), "forget_bias"),
    ("GRUParams.init reset_after", lambda: ll.GRUParams.init(3, 4, 0, reset_after="yes"), "reset_after"),
    ("LSTMParams.init dtype", lambda: ll.LSTMParams.init(3, 4, 0, dtype=np.float16), "dtype"),
    ("LSTMParams.init scale", lambda: ll.LSTMParams.init(3, 4, 0, scale=-1.0), "scale"),
    ("Params.astype", lambda: P["gru"].astype(np.int32), "dtype"),
    ("RNNParams.with_activation", lambda: P["rnn"].with_activation("softplus"), "activation"),
    ("LSTMParams(...) weights", lambda: ll.LSTMParams(np.zeros(16), np.zeros(16)), "LSTMParams.weights"),
    ("GRUParams(...) hidden_bias",
     lambda: ll.GRUParams(np.zeros((12, 7)), np.zeros(12), np.zeros(3)), "GRUParams.hidden_bias"),
    # the registry
    ("get_model", lambda: ll.get_model("transformer", "kind"), "kind"),
    ("model_of", lambda: ll.model_of(MODEL), "p"),
    ("Model.init option", lambda: ll.MODELS["gru"].init(3, 4, 0, forget_bias=1.0), "forget_bias"),
    ("Model.parameter_count option",
     lambda: ll.MODELS["rnn"].parameter_count(3, 4, reset_after=True), "reset_after"),
    ("Model.parameter_count size", lambda: ll.MODELS["lstm"].parameter_count(3, 0), "hidden_size"),
    ("Model.forward reference+workspace",
     lambda: ll.MODELS["lstm"].forward(X, P["lstm"], reference=True, workspace=fused.Workspace()), "workspace"),
    ("Model.backward readable cache+workspace",
     lambda: ll.MODELS["gru"].backward(DHS, SEQ_CACHE["gru"], workspace=fused.Workspace()), "workspace"),
    # stacks
    ("stack_forward no layers", lambda: ll.stack_forward(X, []), "layers"),
    ("stack_forward a bare state", lambda: ll.stack_forward(X, [P["lstm"]], TWO_STATE), "state"),
    ("stack_forward mask shape",
     lambda: ll.stack_forward(X, [P["lstm"]], masks=[np.ones((2, 3))]), "masks[0]"),
    ("stack_backward cache", lambda: ll.stack_backward(DHS, FUSED_CACHE["lstm"]), "cache"),
    # the network
    ("make_model kind", lambda: network.make_model("cnn", 3, 4, 2, 0), "kind"),
    ("make_model option", lambda: network.make_model("gru", 3, 4, 2, 0, forget_bias=50), "forget_bias"),
    ("make_model layers", lambda: network.make_model("gru", 3, 4, 2, 0, layers=0), "layers"),
    ("make_model dropout", lambda: network.make_model("gru", 3, 4, 2, 0, dropout=1.0), "dropout"),
    ("make_model vocab_size", lambda: network.make_model("gru", 3, 4, 2, 0, vocab_size=-1), "vocab_size"),
    ("SequenceModel layers", lambda: network.SequenceModel((), MODEL.head), "layers"),
    ("SequenceModel head", lambda: network.SequenceModel(MODEL.layers, "head"), "head"),
    ("SequenceModel layer sizes",
     lambda: network.SequenceModel((P["lstm"], P["gru"]), MODEL.head), "layers[1]"),
    ("SequenceModel every_step",
     lambda: network.SequenceModel(MODEL.layers, MODEL.head, every_step="yes"), "every_step"),
    ("SequenceModel embedding",
     lambda: network.SequenceModel(MODEL.layers, MODEL.head, np.zeros(3)), "embedding"),
    ("Linear.init", lambda: network.Linear.init(4, 0, 0), "output_size"),
    ("dropout_masks rng",
     lambda: network.dropout_masks(network.SequenceModel(CHAR.layers, CHAR.head, CHAR.embedding, True, 0.5), 3, 2,
                                   None), "rng"),
    ("network.forward model", lambda: network.forward(X, P["lstm"]), "model"),
    ("network.forward ids dtype", lambda: network.forward(np.zeros((3, 2)), CHAR), "X"),
    ("network.forward ids range", lambda: network.forward(np.full((3, 2), 7), CHAR), "X"),
    ("network.forward state", lambda: network.forward(X, MODEL, [np.zeros((2, 4))]), "state"),
    ("network.backward cache", lambda: network.backward(np.zeros((2, 2)), FUSED_CACHE["lstm"]), "cache"),
    ("network.backward doutputs",
     lambda: network.backward(np.zeros((3, 2)), network.forward(X, MODEL)[1]), "doutputs"),
    ("loss_and_grads loss", lambda: network.loss_and_grads(X, np.zeros((2, 2)), MODEL, loss="hinge"), "loss"),
    ("loss_and_grads target", lambda: network.loss_and_grads(X, np.zeros((3, 2)), MODEL), "target"),
    ("loss_and_grads labels",
     lambda: network.loss_and_grads(X, np.array([0, 2]), MODEL, loss="xent"), "labels"),
    ("predict model", lambda: network.predict(X, "model"), "model"),
    ("evaluate loss", lambda: network.evaluate(X, np.zeros((2, 2)), MODEL, loss="l1"), "loss"),
    # training
    ("task_batches sample", lambda: next(train.task_batches("adding", 2, 0)), "sample"),
    ("task_batches batch_size",
     lambda: next(train.task_batches(tasks.adding_task(5).sample, 0, 0)), "batch_size"),
    ("held_out loss", lambda: train.held_out(X, None, loss="l2"), "loss"),
    ("fit optimizer class", lambda: _fit(optimizer=optim.Adam), "optimizer"),
    ("fit model", lambda: _fit(model=P["rnn"]), "model"),
    ("fit steps", lambda: _fit(steps=0), "steps"),
    ("fit eval_every", lambda: _fit(eval_every=0), "eval_every"),
    ("fit clip", lambda: _fit(clip=-1.0), "clip"),
    ("fit loss", lambda: _fit(loss="l1"), "loss"),
    ("fit evaluate", lambda: _fit(evaluate=0.5), "evaluate"),
    ("fit progress", lambda: _fit(progress=object()), "progress"),
    ("fit batches", lambda: _fit(batches=[1, 2]), "batches"),
    ("fit threads", lambda: _fit(threads=0), "threads"),
    ("fit rng with dropout", lambda: _fit(model=network.make_model("rnn", 2, 3, 1, 0, dropout=0.5)), "rng"),
    ("train_step rng with dropout",
     lambda: train.train_step(train.Batch(X, np.zeros((2, 2))), network.make_model("lstm", 3, 4, 2, 0, dropout=0.5),
                              optim.SGD(0.1)), "rng"),
    ("History.steps_to_accuracy",
     lambda: train.History("", np.ones(1), np.ones(1), np.ones(1), np.zeros(1, int),
                                                        np.ones(1), None, 1.0).steps_to_accuracy(0.5), "threshold"),
    ("blas_threads", lambda: train.blas_threads(1.5), "threads"),
    # optimizers
    ("SGD lr", lambda: optim.SGD(0.0), "lr"),
    ("SGD momentum", lambda: optim.SGD(0.1, momentum=1.0), "momentum"),
    ("Adam beta2", lambda: optim.Adam(beta2=1.0), "beta2"),
    ("Adam eps", lambda: optim.Adam(eps=0.0), "eps"),
    ("Adam.step grads count", lambda: optim.Adam().step([np.zeros(2)], []), "grads"),
    ("SGD.step grads shape", lambda: optim.SGD().step([np.zeros(2)], [np.zeros(3)]), "grads[0]"),
    ("clip_grad_norm", lambda: optim.clip_grad_norm([np.zeros(2)], float("nan")), "max_norm"),
    ("linear_decay", lambda: optim.linear_decay(1e-3, 0.0, 10), "end"),
    ("linear_decay steps", lambda: optim.linear_decay(1e-3, 1e-4, 0), "steps"),
    # losses
    ("mse", lambda: losses.mse(np.zeros(3), np.zeros(2)), "target"),
    ("softmax_cross_entropy",
     lambda: losses.softmax_cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0])), "labels"),
    # tasks
    ("adding_problem T", lambda: tasks.adding_problem(1, 3, 0), "T"),
    ("adding_problem form", lambda: tasks.adding_problem(10, 3, 0, form="old"), "form"),
    ("temporal_order n", lambda: tasks.temporal_order(20, 0, 0), "n"),
    ("adding_task form", lambda: tasks.adding_task(10, form="x"), "form"),
    ("constant_baseline", lambda: tasks.constant_baseline("adding"), "task"),
    ("adding_solved", lambda: tasks.adding_solved(np.zeros(2), np.zeros(3)), "pred"),
    # gradient checks
    ("check_gradients p", lambda: gradcheck.check_gradients(X, object()), "p"),
    ("check_gradients eps", lambda: gradcheck.check_gradients(X, P["gru"], eps=0), "eps"),
    ("check_gradients out_grad",
     lambda: gradcheck.check_gradients(X, P["gru"], out_grad=DHS[:, :, :3]), "out_grad"),
    ("numerical_gradient stencil",
     lambda: gradcheck.numerical_gradient(lambda: 0.0, np.zeros(2), stencil="x"), "stencil"),
    ("compare_gradients shapes",
     lambda: gradcheck.compare_gradients({"a": np.zeros(2)}, {"a": np.zeros(3)}), "analytic['a']"),
    # the article-style LSTM
    ("article_lstm_forward X", lambda: article.article_lstm_forward(X[:, :, :2], P["lstm"]), "X"),
    ("article_lstm_backward cache", lambda: article.article_lstm_backward(DHS, SEQ_CACHE["lstm"]), "cache"),
    ("article_lstm_backward errata",
     lambda: article.article_lstm_backward(DHS, article.article_lstm_forward(X, P["lstm"])[1], errata=True), "errata"),
    # characters
    ("Vocabulary chars", lambda: charlm.Vocabulary("aab"), "chars"),
    ("Vocabulary replacement", lambda: charlm.Vocabulary("ab", replacement="?"), "replacement"),
    ("Vocabulary.from_text", lambda: charlm.Vocabulary.from_text(""), "text"),
    ("Vocabulary.encode", lambda: charlm.ASCII.encode("caf\u00e9"), "text"),
    ("Vocabulary.encode errors", lambda: charlm.ASCII.encode("a", errors="ignore"), "errors"),
    ("Vocabulary.decode", lambda: charlm.ASCII.decode([96]), "ids"),
    ("Vocabulary.missing", lambda: charlm.ASCII.missing(5), "text"),
    ("init_model kind", lambda: charlm.init_model("cnn", 7, 4, 0), "kind"),
    ("init_model option", lambda: charlm.init_model("lstm", 7, 4, 0, reset_after=True), "reset_after"),
    ("streams batch_size", lambda: charlm.streams(IDS, 30), "batch_size"),
    ("streams ids", lambda: charlm.streams(IDS.astype(float), 2), "ids"),
    ("chunks chunk", lambda: list(charlm.chunks(charlm.streams(IDS, 2), 0)), "chunk"),
    ("text_batches chunk", lambda: next(charlm.text_batches(IDS, 2, 50)), "chunk"),
    ("next_char_log_probs model", lambda: charlm.next_char_log_probs(IDS, MODEL), "model"),
    ("next_char_log_probs keep",
     lambda: charlm.next_char_log_probs(IDS, CHAR, batch_size=2, keep=[7]), "keep"),
    ("bits_per_char ids", lambda: charlm.bits_per_char(IDS + 1, CHAR, batch_size=2), "ids"),
    ("text_score batch_size", lambda: charlm.text_score(IDS, batch_size=40), "batch_size"),
    ("sample temperature", lambda: charlm.sample(IDS[:3], CHAR, 5, 0, temperature=0.0), "temperature"),
    ("sample rng", lambda: charlm.sample(IDS[:3], CHAR, 5, None), "rng"),
    ("sample length", lambda: charlm.sample(IDS[:3], CHAR, 0, 0), "length"),
    ("sample prime", lambda: charlm.sample(np.array([], int), CHAR, 5, 0), "prime"),
    ("sample_text vocab", lambda: charlm.sample_text("ab", CHAR, charlm.ASCII, 5, 0), "vocab"),
    ("sample_text prime", lambda: charlm.sample_text("", CHAR, charlm.Vocabulary("abcdefg"), 5, 0), "prime"),
    ("sample_text prime outside",
     lambda: charlm.sample_text("xyz", CHAR, charlm.Vocabulary("abcdefg"), 5, 0), "text"),
    # saving
    ("save model", lambda: saving.save("/nonexistent/x.npz", "model"), "model"),
    ("save metadata", lambda: saving.save("/nonexistent/x.npz", P["lstm"], {"a/b": 1}), "metadata"),
    ("load missing", lambda: saving.load("/nonexistent/x.npz"), "path"),
]


@pytest.mark.parametrize("label, call, name", TABLE, ids=[row[0] for row in TABLE])
def test_bad_input_is_a_value_error_that_names_the_argument(label, call, name):
    with pytest.raises(ValueError, match=f"^{re.escape(name)}[:. ]") as err:
        call()
    assert any(w in str(err.value) for w in ("expected", "not an option", "exists only"))


# ---- the sequence functions' inputs in detail ----------------------------------------------------
FORWARD = {(k, "readable"): getattr(ll, f"{k}_forward") for k in P}
FORWARD.update({(k, "fused"): getattr(fused, f"{k}_forward") for k in P})
BACKWARD = {(k, "readable"): getattr(ll, f"{k}_backward") for k in P}
BACKWARD.update({(k, "fused"): getattr(fused, f"{k}_backward") for k in P})

SEQUENCE_CASES = [
    ("2-D X", dict(X=X[0]), r"^X: expected a 3-D array of shape \(T, B, D=3\), got shape \(2, 3\)"),
    ("wrong D", dict(X=X[:, :, :2]), r"^X: expected shape \(T, B, D=3\), got shape \(5, 2, 2\)"),
    ("T = 0", dict(X=X[:0]), r"^X: expected shape \(T, B, D\) with T >= 1, got shape \(0, 2, 3\)"),
    ("B = 0", dict(X=X[:, :0]), r"^X: expected shape \(T, B, D\) with B >= 1"),
    ("NaN", dict(X=with_nan), "^X: expected finite values, got 1 NaN or infinite entries"),
    ("strings", dict(X=np.full((5, 2, 3), "a")), "^X: expected a numeric array of dtype float64, got dtype <U1"),
    ("complex", dict(X=X + 0j), "^X: expected a numeric array of dtype float64, got dtype complex128"),
    ("ragged list", dict(X=[[1.0], [1.0, 2.0]]), "^X: expected an array"),
    ("state H", dict(X=X, state=np.zeros((2, 5))),
     r"^state(\.h)?: expected (shape \(B=2, H=4\), got shape \(2, 5\)|the LSTM's pair)"),
    ("state inf", dict(X=X, state=with_inf), r"^state(\.h)?: expected (finite values|the LSTM's pair)"),
    ("state float32", dict(X=X, state=np.zeros((2, 4), np.float32)), None),  # exact: accepted
]


@pytest.mark.parametrize("impl", ["readable", "fused"])
@pytest.mark.parametrize("model", sorted(P))
@pytest.mark.parametrize("label, kwargs, match", SEQUENCE_CASES, ids=[c[0] for c in SEQUENCE_CASES])
def test_forward_rejects(model, impl, label, kwargs, match):
    if model == "lstm" and "state" in kwargs:
        kwargs = dict(kwargs, state=(kwargs["state"], None))
        match = match and match.replace(r"^state(\.h)?", r"^state\.h")
    if match is None:
        FORWARD[model, impl](p=P[model], **kwargs)
        return
    with pytest.raises(ValueError, match=match):
        FORWARD[model, impl](p=P[model], **kwargs)


@pytest.mark.parametrize("impl", ["readable", "fused"])
@pytest.mark.parametrize("model", sorted(P))
def test_batch_major_X_gets_the_time_major_hint_and_only_then(model, impl):
    """Issue 18: a batch-major ``X (B, T, D)`` runs without error when D happens to match; when its
    batch disagrees with the state, the message says that sequences are time-major."""
    m, p = ll.MODELS[model], P[model]
    B, T = 2, 5
    h = np.zeros((B, 4))
    state = ll.LSTMState(h, h) if m.has_cell else h
    batch_major = np.zeros((B, T, 3))
    hint = r"\(B is X's second axis: sequences are time-major, X \(T, B, D\)\)"
    with pytest.raises(ValueError, match=r"^state(\.h)?: expected shape \(B=5, H=4\), got shape \(2, 4\) " + hint):
        FORWARD[model, impl](batch_major, p, state)
    # a state whose H is wrong is a different mistake: no hint about X's axes
    bad_h = np.zeros((T, 6))
    with pytest.raises(ValueError) as err:
        FORWARD[model, impl](np.zeros((B, T, 3)), p, ll.LSTMState(bad_h, None) if m.has_cell else bad_h)
    assert "time-major" not in str(err.value) and "H=4" in str(err.value)
    # the docstrings say so too
    doc = FORWARD[model, impl].__doc__
    assert "(T, B, D)" in doc and ("time-major" in doc or "lstm_forward" in doc or "rnn_forward" in doc
                                   or "gru_forward" in doc)


@pytest.mark.parametrize("impl", ["readable", "fused"])
@pytest.mark.parametrize("model", sorted(P))
def test_nan_in_the_weights_names_the_weight_not_the_state(model, impl):
    """Issue 18: after ``p.W_fh[0, 0] = np.nan`` the forward said "h_prev: expected finite
    values", an argument the learner never passed."""
    p = P[model].copy()
    name = p.names[0]  # W_fh, W_zh, U
    getattr(p, name)[0, 0] = np.nan
    with pytest.raises(ValueError, match=f"^p.{name}: expected finite values, got 1 NaN"):
        FORWARD[model, impl](X, p)
    # a step started from a state that is already NaN (the weights' NaN one step on) names p too
    bad = np.full((2, 4), np.nan)
    with pytest.raises(ValueError, match=f"^p.{name}: expected finite values"):
        ll.MODELS[model].step_forward(X[0], p, ll.LSTMState(bad, bad) if model == "lstm" else bad)
    # ... and a NaN state with finite weights names the state
    with pytest.raises(ValueError, match=r"^state(\.h)?: expected finite values"):
        ll.MODELS[model].step_forward(X[0], P[model], ll.LSTMState(bad, bad) if model == "lstm" else bad)


@pytest.mark.parametrize("impl", ["readable", "fused"])
@pytest.mark.parametrize("model", sorted(P))
def test_float32_into_float64_is_exact_and_float64_into_float32_is_refused(model, impl):
    fwd, bwd = FORWARD[model, impl], BACKWARD[model, impl]
    p = P[model]
    X32 = X.astype(np.float32)
    hs, cache = fwd(X32, p)
    assert hs.dtype == np.float64 and cache.X.dtype == np.float64
    np.testing.assert_array_equal(hs, fwd(X32.astype(np.float64), p)[0])  # exactly: nothing rounded
    g = bwd(DHS.astype(np.float32), cache)
    np.testing.assert_array_equal(g.weights, bwd(DHS, cache).weights)
    p32 = p.astype(np.float32)
    with pytest.raises(ValueError, match=r"^X: expected dtype float32 \(the parameters' dtype\), got float64; "
                                         r"convert with \.astype\(np\.float32\) \(this rounds\)"):
        fwd(X, p32)
    _, cache32 = fwd(X32, p32)
    with pytest.raises(ValueError, match="^dhs: expected dtype float32"):
        bwd(DHS, cache32)


def test_the_tasks_float32_data_runs_a_default_float64_model():
    """Issue 14: the tasks generate float32 and the models default to float64; that pairing used to
    raise a dtype error."""
    X32, _ = tasks.adding_task(10).sample(4, 0)
    assert X32.dtype == np.float32
    hs, _ = ll.lstm_forward(X32, ll.LSTMParams.init(2, 3, 0))
    assert hs.dtype == np.float64


@pytest.mark.parametrize("impl", ["readable", "fused"])
@pytest.mark.parametrize("model", sorted(P))
def test_integer_arrays_and_lists_are_converted_like_floats(model, impl):
    """Whole numbers carry no precision to lose: integer arrays and lists of ints go in."""
    p = P[model]
    fwd, bwd = FORWARD[model, impl], BACKWARD[model, impl]
    Xi = np.ones((5, 1, 3), dtype=int)
    h0 = [[0, 1, 0, -1]]  # a list of ints
    state_i = (h0, None) if model == "lstm" else h0
    state_f = (np.array(h0, dtype=np.float64), None) if model == "lstm" else np.array(h0, dtype=np.float64)
    dhs = np.arange(20).reshape(5, 1, 4).tolist()
    hs_f, cache_f = fwd(Xi.astype(np.float64), p, state_f)
    hs_i, cache_i = fwd(Xi, p, state_i)
    np.testing.assert_array_equal(hs_i, hs_f)
    assert hs_i.dtype == np.float64 and cache_i.X.dtype == np.float64
    g_f = bwd(np.array(dhs, dtype=np.float64), cache_f)
    g_i = bwd(dhs, cache_i)
    for a, b in zip(g_i.arrays() + (g_i.dX, g_i.dh0), g_f.arrays() + (g_f.dX, g_f.dh0)):
        np.testing.assert_array_equal(a, b)
    hs_b, _ = fwd(Xi.astype(bool), p)
    np.testing.assert_array_equal(hs_b, fwd(Xi.astype(np.float64), p)[0])
    p32 = p.astype(np.float32)
    hs32, _ = fwd(Xi.astype(np.int8), p32)
    assert hs32.dtype == np.float32
    np.testing.assert_array_equal(hs32, fwd(Xi.astype(np.float32), p32)[0])


@pytest.mark.parametrize("impl, cache_name, forward_name", [
    ("readable", "{M}Cache", "{m}_forward"), ("fused", "Fused{M}Cache", "fused.{m}_forward")])
@pytest.mark.parametrize("model", sorted(P))
def test_backward_rejects_mismatched_dhs_and_foreign_caches(model, impl, cache_name, forward_name):
    bwd = BACKWARD[model, impl]
    _, cache = FORWARD[model, impl](X, P[model])
    with pytest.raises(ValueError, match=r"^dhs: expected shape \(T=5, B=2, H=4\), got shape \(4, 2, 4\)"):
        bwd(np.zeros((4, 2, 4)), cache)
    with pytest.raises(ValueError, match="^dhs: expected finite values"):
        bwd(np.full((5, 2, 4), np.nan), cache)
    want = f"^cache: expected the {cache_name.format(M=model.upper())} returned by {forward_name.format(m=model)}"
    other = "gru" if model == "lstm" else "lstm"
    _, foreign = FORWARD[other, impl](X, P[other])
    with pytest.raises(ValueError, match=want):
        bwd(np.zeros((5, 2, 4)), foreign)
    other_impl = "fused" if impl == "readable" else "readable"
    _, same_model_other_impl = FORWARD[model, other_impl](X, P[model])
    with pytest.raises(ValueError, match=want):
        bwd(np.zeros((5, 2, 4)), same_model_other_impl)


@pytest.mark.parametrize("impl", ["readable", "fused"])
@pytest.mark.parametrize("model", sorted(P))
def test_wrong_params_type_is_named(model, impl):
    other = P["rnn" if model != "rnn" else "lstm"]
    with pytest.raises(ValueError, match=f"^p: expected {model.upper()}Params, got"):
        FORWARD[model, impl](X, other)


@pytest.mark.parametrize("seed", [-1, -(2**40)])
def test_a_negative_seed_is_refused_in_one_sentence_naming_the_argument(seed):
    # numpy's own message comes from deep inside default_rng and does not name the argument
    with pytest.raises(ValueError, match=rf"^seed: expected a np.random.Generator or an int seed >= 0, got {seed}$"):
        ll._validate.rng(seed, "seed")
    with pytest.raises(ValueError, match=r"^rng: expected .* int seed >= 0, got -1$"):
        ll.LSTMParams.init(3, 4, -1)
