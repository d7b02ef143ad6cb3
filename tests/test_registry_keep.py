"""The registry's ``keep``: what a gated model's memory keeps of itself per step. Checked against
its definition, the derivative of the memory with respect to its previous value along the direct
path: with the recurrent weights set to zero the gates no longer depend on the state, the memory
is ``keep * memory_{t-1} + (a term without it)``, and a difference quotient recovers ``keep``."""
import numpy as np
import pytest

import lstmlib as ll


@pytest.mark.parametrize("name", [n for n, m in ll.MODELS.items() if m.keep is not None])
@pytest.mark.parametrize("reference", [False, True])
def test_keep_is_the_direct_path_derivative_of_the_memory(name, reference):
    m = ll.MODELS[name]
    D, H, B = 3, 4, 5
    rng = np.random.default_rng(7)
    p = m.init(D, H, rng, scale=1.0)
    p.weights[:, :H] = 0.0  # no recurrent weights: the gates read x alone
    x = rng.standard_normal((1, B, D))
    state = [rng.standard_normal((B, H)) for _ in range(2 if m.has_cell else 1)]
    delta = 1e-3 * rng.standard_normal((B, H))
    moved = state[:-1] + [state[-1] + delta]  # the memory (c, or the GRU's h) moved, h held
    as_state = (lambda s: ll.LSTMState(*s)) if m.has_cell else (lambda s: s[0])
    _, cache = m.forward(x, p, as_state(state), reference=reference)
    _, cache_moved = m.forward(x, p, as_state(moved), reference=reference)
    memory = m.state_arrays(cache.final_state)[-1]
    memory_moved = m.state_arrays(cache_moved.final_state)[-1]
    keep = m.keep(cache)
    assert keep.shape == (1, B, H) and m.keep_name
    np.testing.assert_allclose((memory_moved - memory) / delta, keep[0], rtol=1e-6)


def test_models_without_a_direct_path_have_no_keep():
    assert [n for n, m in ll.MODELS.items() if m.keep is None] == ["rnn"]
    assert (ll.MODELS["lstm"].keep_name, ll.MODELS["gru"].keep_name) == ("f", "1 - z")
