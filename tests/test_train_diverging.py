"""A run whose gradient overflows ends as diverged, wherever the overflow happens: regression for
large float32 weights whose loss stayed finite while the backward pass overflowed, which made
``fit`` raise "dhs: expected finite values" from inside the backward instead of stopping the run."""
import numpy as np
import pytest

from lstmlib import network, optim, tasks, train


def test_an_overflow_in_the_backward_pass_ends_the_run_as_diverged():
    task = tasks.adding_task(20)
    model = network.make_model("rnn", 2, 8, 1, 0, dtype=np.float32, scale=1.0)
    with np.errstate(over="ignore", invalid="ignore"):
        h = train.fit(train.task_batches(task.sample, 8, 0), model, optim.SGD(0.5), steps=40)
    assert h.diverged_at is not None and h.steps == h.diverged_at and not np.isfinite(h.grad_norm[-1])
    assert all(np.isfinite(a).all() for a in model.arrays())  # the overflowing step changed nothing


def test_loss_and_grads_says_where_it_overflowed():
    task = tasks.adding_task(20)
    model = network.make_model("rnn", 2, 8, 1, 0, dtype=np.float32, scale=1.0)
    model.head.weights[...] = 3e38  # a finite loss is impossible to keep: the output overflows first
    X, y = task.sample(4, 0)
    with pytest.raises(FloatingPointError, match="diverged"), np.errstate(over="ignore", invalid="ignore"):
        network.loss_and_grads(X, y, model)
