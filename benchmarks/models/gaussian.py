r"""(d) A 100-dimensional Gaussian with a dense covariance of condition number 1000.

.. math::

    x \sim N(0, \Sigma),\qquad \Sigma = Q \operatorname{diag}(\lambda) Q^\top,\quad
    \lambda_i = 10^{-1.5 + 3 (i-1)/99},

with :math:`Q` a random orthogonal matrix, so the eigenvalues span :math:`10^3` and
the axes of the ellipsoid are not the coordinate axes (a diagonal metric cannot undo
it). No data: the "data" is the Cholesky factor of :math:`\Sigma`, passed to the model
as ``scale_tril``.
"""

import numpy as np

import bayesmodels as bm
import bayesmodels.distributions as bdist
import numpyro
import numpyro.distributions as ndist

NAME = "100-d Gaussian, condition number 1e3"
LATENTS = ("x",)

DIM = 100


def data(seed: int) -> dict:
    """``scale_tril`` [DIM, DIM]: the Cholesky factor of a covariance as above."""
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.standard_normal((DIM, DIM)))
    q = q * np.sign(np.diag(r))  # a Haar-distributed orthogonal matrix
    eigenvalues = np.logspace(-1.5, 1.5, DIM)
    covariance = (q * eigenvalues) @ q.T
    return {"scale_tril": np.linalg.cholesky(covariance).astype(np.float32)}


def numpyro_model(scale_tril):
    numpyro.sample("x", ndist.MultivariateNormal(np.zeros(DIM, np.float32), scale_tril=scale_tril))


def bayesmodels_model(scale_tril):
    bm.sample("x", bdist.MultivariateNormal(np.zeros(DIM, np.float32), scale_tril=scale_tril))


class Gaussian(bm.Model):
    """The same model as a ``bm.Model`` class."""

    def define(self, scale_tril):
        bayesmodels_model(scale_tril)


MODEL_CLASS = Gaussian
