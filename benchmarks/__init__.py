"""Benchmarks of bayesmodels against NumPyro and BlackJAX (not part of the package).

Run ``python benchmarks/run.py --help``; see ``benchmarks/README.md``.
"""
