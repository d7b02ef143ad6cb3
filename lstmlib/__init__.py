"""lstmlib: RNN, LSTM and GRU in numpy, exactly tested, for the "LSTM from scratch" course.

``import lstmlib`` loads the model layer only (numpy, no plotting), in modules meant to be read:

=================  ==============================================================================
``rnn``, ``lstm``,  one model each, top to bottom: parameters, one step forward and backward, and a
``gru``             whole sequence forward and backward unrolled over the steps (the reference)
``unroll``          unrolling in time for any model: the step at every step; BPTT step by step
``fused``           the same sequences fast (one matrix product per step); what training calls
``models``          the registry: ``model_of(p)``, ``MODELS["lstm"]``; the only place that dispatches
``stack``           stacked layers; final states out, their gradients in
``params``          fused storage, with the article's names (``W_fh`` ...) as views
``activations``     sigmoid, tanh, relu and their derivatives through the outputs
``gradcheck``       finite-difference checks of every parameter, input and state
``losses``, ``optim``  MSE and cross-entropy; SGD, Adam and gradient-norm clipping
``train``, ``tasks``  a layer with a linear head and ``fit``; the adding and temporal-order tasks
``charlm``          a character-level language model over a stack of layers (chapter 07)
``torch_interop``   to and from ``torch.nn.LSTM`` / ``nn.GRU`` (needs torch)
``article``         an LSTM shaped like the source article's code, with its errata as switches
=================  ==============================================================================

The course (chapters' computations, pictures, explorers, self-checks) lives in ``lstmlib.course``,
which needs matplotlib and ipywidgets. Shapes are time-major: inputs ``X (T, B, D)``, states
``(B, H)``, state sequences ``(T, B, H)``. Arguments come in one order everywhere: data, then
parameters, then states (``lstm_step_forward(x, p, h_prev, c_prev)``, ``lstm_forward(X, p, h0,
c0)``, ``check_gradients(X, p)``).
"""
from . import (activations, charlm, fused, gradcheck, losses, models, optim, params, stack, tasks, train,
               unroll)
from .gradcheck import check_gradients
from .gru import (GRUCache, GRUGrads, GRUParams, GRUStepCache, gru_backward, gru_forward,
                  gru_step_backward, gru_step_forward)
from .lstm import (LSTMCache, LSTMGrads, LSTMParams, LSTMStepCache, lstm_backward, lstm_forward,
                   lstm_step_backward, lstm_step_forward)
from .models import MODELS, get_model, model_of
from .rnn import (RNNCache, RNNGrads, RNNParams, RNNStepCache, rnn_backward, rnn_forward,
                  rnn_step_backward, rnn_step_forward)
from .stack import stack_backward, stack_forward

__version__ = "0.2.0"
