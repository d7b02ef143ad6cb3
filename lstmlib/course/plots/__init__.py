"""The matplotlib pictures of the course, one module per chapter, plus ``diagrams`` (schematics)
and ``_style`` (what they share). Every picture draws numbers computed by the chapter's module
(``lstmlib.course.chNN``); the classes are what the explorers redraw, the ``plot_*`` functions
return a static figure."""
from .diagrams import plot_lstm_cell, plot_lstm_unrolled, plot_bptt_graph
from .ch00 import ActivationPicture, plot_activations
from .ch01 import (
    plot_scalar_chains, plot_unrolled_rnn, RNNFlowPicture, plot_rnn_flow, radius_colours, plot_error_norms_by_radius,
    plot_early_share
)
from .ch02 import (
    GateSwitchPicture, plot_gate_switches, plot_memory_by_forget_gate, signed_limit,
    plot_gate_heatmaps, plot_cell_state_by_forget_bias, plot_step_walkthrough, BiasPicture,
    plot_gate_biases
)
from .ch03 import (GradcheckPicture, plot_gradcheck, plot_eps_sweep, plot_errata_heatmap, plot_bptt_carries)
from .ch04 import (plot_gru_cell, GateHoldPicture, plot_gate_hold, plot_bias_decay, plot_update_bias_decay)
from .ch05 import (
    GradientFlowPicture, plot_gradient_flow, plot_forget_bias_decay, plot_cell_jacobian,
    plot_cell_error_parts
)
from .ch06 import (
    plot_learning_curves, plot_steps_to_target, plot_clipping, plot_explosion,
    plot_gradient_flow_before_after, plot_reach_over_training, plot_gate_traces
)
from .text_grid import MONO, NEWLINE_GLYPH, grid_positions, TextGrid
from .ch07 import (
    CELL_CMAP, PROB_CMAP, CellPicture, SamplePicture, plot_stack_and_chunks, plot_comparison, plot_flagship,
    plot_closers, plot_cell_search, plot_best_cells, plot_thumbnail, plot_saturation
)
from ._style import blank_figure, new_figure
from .ch08 import (VariantPicture, plot_variant_view, plot_cell_drift, plot_reach, plot_sweep_boxes,
                   plot_lr_sweep)
