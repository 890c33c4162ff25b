"""Reparameterisers for the ``reparam`` handler (``numpyro.infer.reparam``)."""

from .._effects._reparam import LocScaleReparam, Reparam, TransformReparam

__all__ = ["LocScaleReparam", "Reparam", "TransformReparam"]
