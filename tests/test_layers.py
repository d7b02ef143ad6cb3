"""Final states out of the sequence forward, gradients on them into the sequence backward, for the
RNN, the LSTM and the GRU: truncated BPTT with the state carried from chunk to chunk, and an
encoder handing its state to a decoder, checked exactly and against finite differences."""
import numpy as np
import pytest
from helpers import (NAMES, SIZES, assert_states_close, examples, make_case, make_params, random_state,
                     relu_margin)
from hypothesis import given
from hypothesis import strategies as st

import lstmlib as ll
from lstmlib.gradcheck import compare_gradients, numerical_gradient


@pytest.mark.parametrize("variant", NAMES)
@pytest.mark.parametrize("reference", [False, True])
def test_final_state_is_the_last_step_and_continues_the_sequence(variant, reference):
    case = make_case(variant, 7, 3, 2, 4, seed=5)
    m = case.model
    hs, cache = case.forward(reference=reference)
    h_final = m.state_arrays(cache.final_state)[0]
    np.testing.assert_array_equal(h_final, hs[-1])
    np.testing.assert_array_equal(cache.hT, hs[-1])
    if m.has_cell:
        np.testing.assert_array_equal(cache.final_state.c, cache.c[-1])
        np.testing.assert_array_equal(cache.cT, cache.c[-1])
    # running the first 3 steps, then the other 4 from the final state, is the whole sequence
    hs1, c1 = m.forward(case.X[:3], case.p, case.state, reference=reference)
    hs2, c2 = m.forward(case.X[3:], case.p, c1.final_state, reference=reference)
    np.testing.assert_allclose(np.concatenate([hs1, hs2]), hs, rtol=0, atol=1e-14)
    assert_states_close(c2.final_state, cache.final_state, m, atol=1e-14)


@pytest.mark.parametrize("variant", NAMES)
@examples(8)
@given(SIZES.filter(lambda s: s[0] >= 2), st.data(), st.booleans())
def test_truncated_bptt_with_carried_state_equals_full_sequence_gradients(variant, sizes, data, reference):
    """Chunk 2 starts from chunk 1's final state; chunk 2's backward hands its ``dstate0`` to
    chunk 1's backward as the gradient on chunk 1's final state. Summed, the two chunks' gradients
    are the full sequence's to 1e-12."""
    T, B, D, H, seed = sizes
    split = data.draw(st.integers(1, T - 1), label="split")
    case = make_case(variant, T, B, D, H, seed)
    m, p = case.model, case.p
    _, full_cache = case.forward(reference=reference)
    full = m.backward(case.G, full_cache, case.dstate)

    _, cache1 = m.forward(case.X[:split], p, case.state, reference=reference)
    _, cache2 = m.forward(case.X[split:], p, cache1.final_state, reference=reference)
    g2 = m.backward(case.G[split:], cache2, case.dstate)
    g1 = m.backward(case.G[:split], cache1, g2.dstate0)

    for name, a in full.named().items():
        np.testing.assert_allclose(getattr(g1, name) + getattr(g2, name), a, rtol=1e-12, atol=1e-12,
                                   err_msg=name)
    np.testing.assert_allclose(np.concatenate([g1.dX, g2.dX]), full.dX, rtol=1e-12, atol=1e-12)
    for a, b in zip(m.state_arrays(g1.dstate0), m.state_arrays(full.dstate0), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("variant", NAMES)
def test_truncated_bptt_without_the_carried_gradient_is_different(variant):
    """The check above has teeth: dropping chunk 2's dstate0 changes chunk 1's gradients."""
    case = make_case(variant, 8, 2, 3, 4, seed=9)
    m, p = case.model, case.p
    full = m.backward(case.G, case.forward()[1])
    _, c1 = m.forward(case.X[:4], p, case.state)
    _, c2 = m.forward(case.X[4:], p, c1.final_state)
    g2 = m.backward(case.G[4:], c2)
    g1 = m.backward(case.G[:4], c1)  # truncated: no gradient from chunk 2
    assert np.abs(g1.weights + g2.weights - full.weights).max() > 1e-4


# ---- encoder -> decoder ---------------------------------------------------------------------------
ENCODER_DECODER = [("rnn_tanh", "rnn_sigmoid"), ("lstm", "lstm"), ("gru_reset_before", "gru_reset_after"),
                   ("gru_reset_after", "rnn_tanh"), ("rnn_relu", "gru_reset_before")]


@pytest.mark.parametrize("enc_variant, dec_variant, reference",  # all fused, two pairs readable too
                         [(e, d, False) for e, d in ENCODER_DECODER]
                         + [(e, d, True) for e, d in ENCODER_DECODER[1:3]])
def test_encoder_decoder_gradients_match_finite_differences(enc_variant, dec_variant, reference):
    """The encoder reads X; its final state is the decoder's initial state (the decoder has its
    own parameters and its own inputs); the loss reads the decoder's outputs only. Backward, the
    decoder's ``dstate0`` is the gradient on the encoder's final state."""
    rng = np.random.default_rng(17)
    T_enc, T_dec, B, D_enc, D_dec, H = 5, 4, 2, 3, 2, 3
    enc = make_params(enc_variant, D_enc, H, rng)
    dec = make_params(dec_variant, D_dec, H, rng)
    me, md = ll.model_of(enc), ll.model_of(dec)
    X = rng.standard_normal((T_enc, B, D_enc))
    Y = rng.standard_normal((T_dec, B, D_dec))
    state0 = random_state(me, B, H, rng)
    G = rng.standard_normal((T_dec, B, H))
    if "relu" in enc_variant:
        enc.b[...] = 2.0  # keeps the relu's pre-activations away from its kink, where finite
        assert relu_margin(X, enc, state0) > 0.1  # differences would straddle it

    def run():
        _, ce = me.forward(X, enc, state0, reference=reference)
        hs, cd = md.forward(Y, dec, ce.final_state, reference=reference)
        return hs, ce, cd

    def loss():
        return float(np.sum(G * run()[0]))

    _, ce, cd = run()
    gd = md.backward(G, cd)
    ge = me.backward(np.zeros((T_enc, B, H)), ce, gd.dstate0)
    analytic = {f"enc.{k}": v for k, v in ge.named().items()}
    analytic.update({f"dec.{k}": v for k, v in gd.named().items()})
    arrays = {f"enc.{k}": v for k, v in enc.named().items()}
    arrays.update({f"dec.{k}": v for k, v in dec.named().items()})
    analytic.update(X=ge.dX, Y=gd.dX)
    arrays.update(X=X, Y=Y)
    for k, (a, d) in enumerate(zip(me.state_arrays(state0), me.state_arrays(ge.dstate0), strict=True)):
        arrays[f"state0[{k}]"], analytic[f"state0[{k}]"] = a, d
    numeric = {k: numerical_gradient(loss, a, stencil="five-point") for k, a in arrays.items()}
    report = compare_gradients(analytic, numeric, tol=1e-7, atol=0.0)
    assert report.passed, str(report)
    # every encoder weight receives gradient only through the handed-over state: not zero
    assert all(np.any(v != 0) for k, v in analytic.items() if k.startswith("enc.W") or k == "X")


@pytest.mark.parametrize("variant", NAMES)
def test_a_zero_gradient_on_the_final_state_is_the_same_as_none(variant):
    case = make_case(variant, 3, 2, 2, 3, seed=0)
    m = case.model
    zero = ll.LSTMState(np.zeros((2, 3)), np.zeros((2, 3))) if m.has_cell else np.zeros((2, 3))
    for reference in (False, True):
        _, cache = case.forward(reference=reference)
        none = m.backward(case.G, cache).weights
        np.testing.assert_array_equal(m.backward(case.G, cache, zero).weights, none)
        # ... and a non-zero one changes the result (so the argument is read at all)
        assert not np.array_equal(m.backward(case.G, cache, case.dstate).weights, none)
