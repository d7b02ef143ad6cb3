"""The self-checks of the exercises that end each chapter, one module per chapter: each takes the
reader's answer and returns a ``Verdict`` that says right or wrong, and why.

Every check is also a name of this package (``exercises.check_parameter_count``), so each name
belongs to one chapter only: two chapters never export the same name here (a test holds it), and
``exercises.chNN.check_...`` always names the chapter explicitly."""
from ._verdict import Verdict
from .ch00 import check_parameter_count, check_joined_shape
from .ch01 import check_bound_factor, check_error_norms, check_critical_radius
from .ch02 import (check_cell_update, check_memory_steps, check_lstm_step, check_forget_bias_for_half_life)
from .ch03 import check_lstm_step_backward, check_lstm_backward_loop, check_no_carry_failures, check_carry_ratio
from .ch04 import (
    check_gru_parameter_count, check_torch_update_gate, GRU_HAND_EXAMPLE, gru_hand_example,
    gru_hand_example_grad, check_gru_step_gradient, check_update_gate_bias
)
from .ch05 import (
    check_forget_bias_decay, minimal_forget_bias, check_forget_bias_needed, check_longest_reach,
    cut_h_paths_share, check_cut_h_paths
)
from .ch06 import (
    check_adding_baseline, check_clipped_gradient, check_chance_cross_entropy,
    check_softmax_gradient, check_adam_first_step, check_hold
)
from .ch07 import check_bits_per_char, check_perplexity, check_connected_fraction, check_char_parameter_count
from .ch08 import check_variant_parameter_count, check_cifg_saving, check_cell_carry
