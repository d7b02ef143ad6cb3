"""Linear algebra the chapters share: how much a matrix can stretch a vector, and matrices made to
measure (chapters 01 and 05 read the article's ``beta_W`` off these)."""
from __future__ import annotations

import numpy as np

from .. import _validate

__all__ = ["step_norms", "spectral_norm", "spectral_radius", "rescale_matrix", "orthogonal_matrix"]


def _square_matrix(W, name: str = "W") -> np.ndarray:
    W = np.asarray(W)
    if W.ndim != 2 or W.shape[0] != W.shape[1] or W.shape[0] < 1:
        raise ValueError(f"{name}: expected a square 2-D array (H, H), got shape {W.shape}")
    if W.dtype.kind not in "fiu":
        raise ValueError(f"{name}: expected a real numeric array, got dtype {W.dtype}")
    _validate.finite(W, name)
    return W


def step_norms(a: np.ndarray) -> np.ndarray:
    """The norm of each step's slice of ``a (T, ...)``, shape ``(T,)``: the Frobenius norm over
    everything but time (the Euclidean norm of the vector when B = 1)."""
    a = np.asarray(a)
    return np.linalg.norm(a.reshape(len(a), -1), axis=1)


def spectral_norm(W: np.ndarray) -> float:
    """The largest singular value of ``W (H, H)``: the article's ``beta_W``.

    It is the most that one multiplication can stretch a vector, ``||v^T W|| <= beta_W ||v||``
    for every ``v``, which is exactly what the article's bound needs. Also called the operator
    2-norm (Pascanu et al. 2013 state the bound with it).
    """
    return float(np.linalg.norm(_square_matrix(W).astype(np.float64), 2))


def spectral_radius(W: np.ndarray) -> float:
    """The largest ``|eigenvalue|`` of ``W (H, H)``: how fast ``W^n`` grows for large ``n``.

    Never larger than ``spectral_norm(W)``; equal to it when ``W`` is normal (orthogonal,
    symmetric). A matrix can have radius < 1 and still stretch some vectors for a few steps.
    """
    return float(np.max(np.abs(np.linalg.eigvals(_square_matrix(W).astype(np.float64)))))


def rescale_matrix(W: np.ndarray, *, spectral_radius: float | None = None,
                   spectral_norm: float | None = None) -> np.ndarray:
    """``W (H, H)`` times the one number that gives it the requested spectral radius OR spectral
    norm (give exactly one). Returns a new array of ``W``'s dtype; the direction of ``W`` is kept."""
    W = _square_matrix(W)
    if (spectral_radius is None) == (spectral_norm is None):
        raise ValueError("rescale_matrix: expected exactly one of spectral_radius= or spectral_norm=, "
                         f"got spectral_radius={spectral_radius!r}, spectral_norm={spectral_norm!r}")
    name = "spectral_radius" if spectral_norm is None else "spectral_norm"
    target = _validate.real(spectral_radius if spectral_norm is None else spectral_norm, name)
    if target < 0:
        raise ValueError(f"{name}: expected a number >= 0, got {target}")
    current = _radius_of(W) if spectral_norm is None else _norm_of(W)
    if current == 0.0:
        raise ValueError(f"W: expected a matrix with {name} > 0 to rescale, got {name} 0")
    return (W * (target / current)).astype(W.dtype if W.dtype.kind == "f" else np.float64)


_radius_of, _norm_of = spectral_radius, spectral_norm  # for rescale_matrix, whose keywords shadow them


def orthogonal_matrix(size: int, rng) -> np.ndarray:
    """A random orthogonal ``(size, size)`` matrix, uniformly distributed (QR of a Gaussian matrix
    with the signs of R's diagonal folded in). All its singular values and all its eigenvalues'
    moduli are 1, so ``rho * Q`` has spectral radius = spectral norm = ``rho``."""
    n = _validate.positive_int(size, "size")
    A = _validate.rng(rng).standard_normal((n, n))
    Q, R = np.linalg.qr(A)
    return Q * np.where(np.diag(R) < 0, -1.0, 1.0)
