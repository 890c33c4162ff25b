"""Effects: the primitives a model is written in and the handlers that interpret them.

Public through ``bayesmodels.primitives`` (also ``bm.sample``, ``bm.plate``, ...) and
``bayesmodels.handlers``.
"""
