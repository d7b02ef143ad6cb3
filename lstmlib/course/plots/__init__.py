"""The matplotlib pictures of the course, one module per chapter, plus ``diagrams`` (schematics)
and ``_style`` (what they share). Every picture draws numbers computed by the chapter's module
(``lstmlib.course.chNN``); the classes are what the explorers redraw, the ``plot_*`` functions
return a static figure."""
from .diagrams import plot_lstm_cell
from .ch00 import ActivationPicture, plot_activations
from .ch01 import RNNFlowPicture, plot_rnn_flow, plot_error_norms_by_radius
from .ch02 import GateSwitchPicture, plot_gate_switches, plot_memory_by_forget_gate, plot_gate_heatmaps, BiasPicture, plot_gate_biases
from .ch03 import GradcheckPicture, plot_gradcheck, plot_errata_heatmap, plot_bptt_carries
from .ch05 import GradientFlowPicture, plot_gradient_flow, plot_gradient_flow_before_after, plot_forget_bias_decay, plot_cell_jacobian
from .ch04 import GateHoldPicture, plot_gate_hold
from .ch06 import plot_learning_curves, plot_forget_bias_runs, plot_clipping
from ._style import new_figure
