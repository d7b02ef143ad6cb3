"""lstmlib: RNN, LSTM and GRU in numpy, exactly tested, for the "LSTM from scratch" course.

Shapes are time-major: inputs ``X (T, B, D)``, states ``(B, H)``, state sequences ``(T, B, H)``.
"""
from . import (activations, article, exercises, experiments, gates, gradcheck, gradflow, notation, tasks,
               train)
from .gradcheck import check_gradients
from .gru import (GRUCache, GRUGrads, GRUParams, GRUStepCache, gru_backward, gru_forward,
                  gru_step_backward, gru_step_forward)
from .lstm import (LSTMCache, LSTMGrads, LSTMParams, LSTMStepCache, lstm_backward, lstm_forward,
                   lstm_step_backward, lstm_step_forward)
from .rnn import (RNNCache, RNNGrads, RNNParams, RNNStepCache, rnn_backward, rnn_forward,
                  rnn_step_backward, rnn_step_forward)

__version__ = "0.1.0"
