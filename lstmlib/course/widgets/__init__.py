"""The ipywidgets explorers, one module per chapter. Each is a function returning a widget; its
compute lives in a separate, tested function of the chapter's module (``lstmlib.course.chNN``) and
its drawing in ``plots``, so both can be tested and timed. ``explorer.Explorer`` is the mechanism
they share."""
from .explorer import Explorer
from .ch00 import activation_explorer
from .ch01 import rnn_gradient_explorer
from .ch02 import gate_explorer, gate_bias_explorer
from .ch03 import ERRATA_STATES, errata_explorer
from .ch04 import gate_hold_explorer
from .ch05 import gradient_flow_explorer
from .ch07 import (model_titles, passage_titles, CellExplorer, cell_explorer, sample_explorer)
from .ch08 import variant_explorer
