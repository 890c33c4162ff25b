"""The parts of ``bm.Model`` (``bayesmodels/model.py``): hyper-parameters, persistence,
the site table."""
