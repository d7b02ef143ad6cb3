"""Chapter 05, gradient flow: how much of a loss's gradient at the last step reaches every
earlier step in an RNN, an LSTM and a GRU, and why. One module per idea:

==================  =======================================================================
``flow``            ``last_step_gradients``: ``dE/dh_k`` (and ``dE/dc_k``) of any registry model
``lab``             the three models under the same conditions, their guide lines, the explorer's data
``jacobian``        the one-step ``dc_t/dc_{t-1}`` in two parts; why its product is not ``dc_T/dc_k``
``forget_bias``     ``sigmoid(b_f)^(T-1)`` predicted, and measured
``cell_error``      where the cell-state error comes from at every step, and why it can grow
==================  =======================================================================

Every name is also available here, ``from lstmlib.course import ch05; ch05.last_step_gradients``.
"""
from .flow import LastStepGradients, last_step_gradients, model_gradient_flow
from .lab import (
    ExplorerReadings, GradientFlowComparison, GradientFlowLab, article_bound, direct_path_factor, explorer_readings,
    gated_models, guide_label, guide_line, set_forget_bias
)
from .jacobian import (
    CellJacobian, CellStateChain, ProductVsTotal, cell_jacobian_norms, cell_state_chain, cell_state_jacobian,
    product_vs_total
)
from .forget_bias import ForgetBiasRow, ForgetBiasTable, forget_bias_prediction, forget_bias_table
from .cell_error import CellErrorParts, CellErrorTable, cell_error_parts, cell_error_table

__all__ = ["LastStepGradients", "last_step_gradients", "model_gradient_flow", "gated_models", "set_forget_bias",
           "direct_path_factor", "article_bound", "guide_line", "guide_label", "GradientFlowComparison", "GradientFlowLab",
           "ExplorerReadings", "explorer_readings", "CellJacobian", "cell_state_jacobian", "cell_jacobian_norms",
           "CellStateChain", "cell_state_chain", "ProductVsTotal", "product_vs_total", "forget_bias_prediction",
           "ForgetBiasRow", "ForgetBiasTable", "forget_bias_table", "CellErrorParts", "cell_error_parts",
           "CellErrorTable", "cell_error_table"]
