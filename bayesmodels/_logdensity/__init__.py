"""From a model to something samplers and optimisers can use: a log density over one
flat unconstrained vector, init points, ``Predictive`` and ``log_likelihood``.

Public through ``bayesmodels.infer`` and ``bayesmodels.infer.util``.
"""
