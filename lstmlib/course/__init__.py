"""The course layer: what the chapters compute, draw and ask, on top of the model layer.

Each chapter's notebook imports the module with its number; nothing here re-implements a model's
mathematics, everything calls the model layer (``lstmlib.rnn``, ``lstm``, ``gru``, ``fused``,
``models``, ``train``) and arranges what it returns for a reader::

    from lstmlib.course import ch01, plots, widgets, exercises

==============  ==================================================================  =========
module          what it holds                                                        chapter
==============  ==================================================================  =========
``ch00``        the notation table read off live arrays, the glossary, ``source``    00
``ch01``        the RNN's error terms, the article's bound, per-step contributions  01
``ch02``        the gates held by hand, one step taken apart, a cell's biases        02
``ch03``        BPTT step by step, the article's errata measured                     03
``ch04``        the GRU: gates held, three conventions, update-gate bias, PyTorch    04
``ch05``        gradient flow in RNN, LSTM, GRU; the forget bias; the error's parts  05
``ch06``        training experiments that test the papers' claims                    06
``ch07``        the shipped corpus and models, text features, interpretable cells    07
``plots``       the pictures, one module per chapter, and ``diagrams``               all
``widgets``     the explorers (sliders over a picture), one function each            all
``exercises``   the self-checks of the exercises, one module per chapter             all
``progress``    the progress bar that ``train.fit`` reports to in a notebook         06, 07
``i18n``        ``tr``: the messages above in Chinese, from ``locale/zh.po``         zh
==============  ==================================================================  =========

These modules need matplotlib and ipywidgets; ``import lstmlib`` alone does not load them.
"""
from .i18n import set_language, show  # noqa: E402  (light: no matplotlib, no widgets)
