"""lstmlib.saving: every model kind, single parameters and whole SequenceModels, round-trip bit for
bit with what makes them compute what they compute (the RNN's activation, the GRU's convention, the
embedding, the head, every_step, dropout) and with metadata; files that are not this layout, or of
a newer one, are refused with a message that says what is wrong."""
import json

import numpy as np
import pytest
from helpers import NAMES, make_params

import lstmlib as ll
from lstmlib import charlm, network, saving


def _same_model(a, b):
    assert type(a) is type(b)
    if isinstance(a, network.SequenceModel):
        assert (a.every_step, a.dropout, a.vocab_size) == (b.every_step, b.dropout, b.vocab_size)
        for p, q in zip(a.layers, b.layers, strict=True):
            _same_model(p, q)
    else:
        assert ll.model_of(a) is ll.model_of(b)
        assert getattr(a, "activation", None) == getattr(b, "activation", None)
        assert getattr(a, "reset_after", None) == getattr(b, "reset_after", None)
    for x, y in zip(a.arrays(), b.arrays(), strict=True):
        assert x.dtype == y.dtype and x.shape == y.shape
        assert x.tobytes() == y.tobytes()  # bit for bit
        assert y.flags.writeable  # a loaded model trains on


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("variant", NAMES)
def test_single_parameters_round_trip_bit_for_bit(variant, dtype, tmp_path):
    p = make_params(variant, 3, 4, np.random.default_rng(1), dtype)
    saving.save(tmp_path / "p.npz", p)
    q, meta = saving.load(tmp_path / "p.npz")
    _same_model(p, q)
    assert meta == {}
    X = np.random.default_rng(2).standard_normal((5, 2, 3)).astype(dtype)
    np.testing.assert_array_equal(ll.model_of(q).forward(X, q)[0], ll.model_of(p).forward(X, p)[0])


def test_a_relu_rnn_comes_back_a_relu_rnn(tmp_path):
    """Regression (issue 14): saving and loading a character model (then in the course layer)
    dropped ``RNNParams.activation``: a relu model came back as tanh, with other logits."""
    model = charlm.init_model("rnn", 11, 6, 0, layers=2, embedding_size=4, activation="relu")
    model.head.bias[...] = 0.5
    saving.save(tmp_path / "relu.npz", model, {"vocabulary": "abcdefghijk"})
    back, meta = saving.load(tmp_path / "relu.npz")
    assert [p.activation for p in back.layers] == ["relu", "relu"]
    ids = (np.arange(24).reshape(12, 2) * 5) % 11
    np.testing.assert_array_equal(network.forward(ids, back)[0], network.forward(ids, model)[0])
    assert meta == {"vocabulary": "abcdefghijk"}


MODELS = {
    "lstm-last": lambda: network.make_model("lstm", 3, 4, 2, 0, forget_bias=1.0),
    "gru-after-every": lambda: network.make_model("gru", 3, 4, 2, 0, every_step=True, reset_after=True),
    "gru-before-2-layers-float32": lambda: network.make_model("gru", 3, 4, 2, 0, layers=2, dtype=np.float32),
    "rnn-sigmoid-dropout": lambda: network.make_model("rnn", 3, 4, 2, 0, dropout=0.3, activation="sigmoid"),
    "char-lstm-embedding-dropout": lambda: charlm.init_model("lstm", 9, 5, 0, layers=2, embedding_size=3,
                                                             dropout=0.2),
    "mixed-rnn-lstm-gru": lambda: network.SequenceModel(
        (ll.RNNParams.init(3, 4, 0, activation="relu"), ll.LSTMParams.init(4, 5, 1), ll.GRUParams.init(5, 2, 2)),
        network.Linear.init(2, 3, 3), None, True, 0.1),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_sequence_models_round_trip_bit_for_bit_with_metadata(name, tmp_path):
    model = MODELS[name]()
    model.head.bias[...] = np.linspace(-1, 1, model.output_size)
    meta = {"recipe": {"steps": 500, "lr": 2e-3, "kind": name}, "seeds": [1, 2, 3], "note": None, "ok": True,
            "curve": np.linspace(0.0, 1.0, 7).astype(np.float32), "steps": np.arange(5)}
    saving.save(tmp_path / "m.npz", model, meta)
    back, got = saving.load(tmp_path / "m.npz")
    _same_model(model, back)
    assert got.keys() == meta.keys()
    for k, v in meta.items():
        if isinstance(v, np.ndarray):
            assert got[k].dtype == v.dtype and np.array_equal(got[k], v)
        else:
            assert got[k] == v
    X = (np.arange(8).reshape(4, 2) % (model.vocab_size or 1) if model.embedding is not None
         else np.random.default_rng(0).standard_normal((4, 2, 3)).astype(model.dtype))
    np.testing.assert_array_equal(network.predict(X, back), network.predict(X, model))


def test_a_path_without_the_npz_suffix_loads_from_the_same_path(tmp_path):
    """``save(path)`` then ``load(path)`` with the same path, whatever its suffix (numpy's savez
    appended ``.npz`` to a path without it, so load could not find the file)."""
    p = ll.GRUParams.init(2, 3, 0)
    saving.save(tmp_path / "model", p)
    assert (tmp_path / "model").exists() and not (tmp_path / "model.npz").exists()
    _same_model(p, saving.load(tmp_path / "model")[0])
    saving.save(str(tmp_path / "weights.bin"), p)
    _same_model(p, saving.load(str(tmp_path / "weights.bin"))[0])


def _old_chapter07_layout(path):
    """A file laid out as lstmlib 0.2's chapter 07 wrote its models (``course/ch07/models.py``,
    ``save_models``): several models under name prefixes and a JSON index, no format entry."""
    m = charlm.init_model("lstm", 96, 8, 0, embedding_size=4).astype(np.float32)
    arrays = {"lstm/embedding": m.embedding, "lstm/layer0/weights": m.layers[0].weights,
              "lstm/layer0/bias": m.layers[0].bias, "lstm/head/weights": m.head.weights,
              "lstm/head/bias": m.head.bias, "lstm/history/eval_bpc": np.ones(3),
              "index": np.array(json.dumps({"lstm": {"spec": {"kind": "lstm", "layers": 1}, "meta": {}}}))}
    np.savez_compressed(path, **arrays)


def test_files_of_another_layout_are_refused_saying_what_is_wrong(tmp_path):
    _old_chapter07_layout(tmp_path / "charlm_models.npz")
    with pytest.raises(ValueError, match=r"^path: charlm_models\.npz is not an lstmlib model file \(it has no "
                                         r"'lstmlib_format' entry; its entries begin \['index', 'lstm/embedding'"):
        saving.load(tmp_path / "charlm_models.npz")
    np.savez(tmp_path / "other.npz", a=np.zeros(3), b=np.ones(2))
    with pytest.raises(ValueError, match=r"^path: other\.npz is not an lstmlib model file .*begin \['a', 'b'\]"):
        saving.load(tmp_path / "other.npz")
    (tmp_path / "text.npz").write_text("not a zip file")
    with pytest.raises(ValueError, match=r"^path: text\.npz is not an lstmlib model file \(numpy cannot read it"):
        saving.load(tmp_path / "text.npz")
    np.save(tmp_path / "one.npy", np.zeros(3))
    with pytest.raises(ValueError, match=r"^path: one\.npy is not an lstmlib model file \(it holds one array"):
        saving.load(tmp_path / "one.npy")
    with pytest.raises(ValueError, match="^path: expected an .npz file .* got a missing file"):
        saving.load(tmp_path / "nothing.npz")


def _rewrite(path, **changes):
    with np.load(path) as z:
        data = {k: z[k] for k in z.files}
    data.update(changes)
    np.savez_compressed(path, **data)


def test_a_newer_layout_is_refused(tmp_path):
    saving.save(tmp_path / "m.npz", ll.LSTMParams.init(2, 3, 0))
    _rewrite(tmp_path / "m.npz", lstmlib_format=np.array(saving.FORMAT + 1))
    with pytest.raises(ValueError, match=f"^path: m.npz has layout {saving.FORMAT + 1}, written by a newer "
                                         f"lstmlib; this one reads layouts up to {saving.FORMAT}"):
        saving.load(tmp_path / "m.npz")


def test_a_file_whose_options_disagree_with_its_arrays_is_refused(tmp_path):
    saving.save(tmp_path / "m.npz", ll.GRUParams.init(2, 3, 0))
    with np.load(tmp_path / "m.npz") as z:
        config = json.loads(str(z["config"]))
    config["layers"][0]["options"]["reset_after"] = True
    _rewrite(tmp_path / "m.npz", config=np.array(json.dumps(config)))
    with pytest.raises(ValueError, match="^path: layer 0 says reset_after=True but its arrays give False"):
        saving.load(tmp_path / "m.npz")


def test_save_refuses_what_it_cannot_write(tmp_path):
    p = ll.RNNParams.init(2, 3, 0)
    with pytest.raises(ValueError, match="^model: expected a SequenceModel or a model's parameters, got LSTMGrads"):
        saving.save(tmp_path / "g.npz", ll.LSTMGrads(np.zeros((4, 3)), np.zeros(4)))
    with pytest.raises(ValueError, match="^metadata: expected string keys without '/', got 'a/b'"):
        saving.save(tmp_path / "m.npz", p, {"a/b": 1})
    with pytest.raises(ValueError, match="^metadata: expected JSON-able values or numpy arrays"):
        saving.save(tmp_path / "m.npz", p, {"when": object()})
