"""lstmlib: RNN, LSTM and GRU in numpy, exactly tested, for the "LSTM from scratch" course.

``import lstmlib`` loads the model layer only (numpy, no plotting), in modules meant to be read:

=================  ==============================================================================
``rnn``, ``lstm``,  one model each, top to bottom: one step forward and backward, then a whole
``gru``             sequence forward and backward as loops over the steps (the reference)
``params``          their parameters and gradients: fused storage with the article's names as views
``state``           what a model carries from step to step, in one form: ``h``, or ``(h, c)``
``fused``           the same sequences fast (one matrix product per step); what training calls
``models``          the registry: ``MODELS["lstm"]``, ``model_of(p)``; the only place that dispatches
``stack``           stacked layers; final states out, their gradients in
``network``         a stack with inputs (or an embedding) and a linear head: forward, loss, backward
``train``           the training loop: batch sources, ``train_step``, ``fit``, ``History``
``losses``, ``optim``  MSE and cross-entropy; SGD, Adam, learning-rate schedules, clipping
``tasks``           the adding and temporal-order problems (Hochreiter and Schmidhuber 1997)
``charlm``          text: a vocabulary, truncated BPTT over streams, bits per character, sampling
``gradcheck``       finite-difference checks of every parameter, input and state
``saving``          models to and from one ``.npz`` each
``activations``     sigmoid, tanh, relu and their derivatives through the outputs
``torch_interop``   to and from ``torch.nn.LSTM`` / ``nn.GRU`` (needs torch)
``article``         an LSTM shaped like the source article's code, with its errata as switches
=================  ==============================================================================

The conventions (README, "API conventions"): shapes are time-major, ``X (T, B, D)``, states ``(B,
H)``; arguments come data first, then parameters (or the model), then the state
(``lstm_step_forward(x, p, state)``, ``lstm_forward(X, p, state)``, ``check_gradients(X, p)``,
``loss_and_grads(X, y, model, state)``); a state is ``h`` for the RNN and the GRU and ``(h, c)``
for the LSTM, in and out alike. The course (chapters' computations, pictures, explorers,
self-checks) lives in ``lstmlib.course``, which needs matplotlib and ipywidgets.
"""
from . import (activations, charlm, fused, gradcheck, losses, models, network, optim, params, saving, stack,
               state, tasks, train)
from .gradcheck import check_gradients
from .gru import GRUCache, GRUStepCache, gru_backward, gru_forward, gru_step_backward, gru_step_forward
from .lstm import LSTMCache, LSTMStepCache, lstm_backward, lstm_forward, lstm_step_backward, lstm_step_forward
from .models import MODELS, get_model, model_of
from .network import SequenceModel, make_model
from .params import GRUGrads, GRUParams, LSTMGrads, LSTMParams, RNNGrads, RNNParams
from .rnn import RNNCache, RNNStepCache, rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward
from .stack import stack_backward, stack_forward
from .state import LSTMState

__version__ = "0.3.0"
