"""The distribution table, one module per family group.

Each module defines ``CASES`` (rows of :class:`tests.cases.case.Case`) and ``INVALID``
(rows of :class:`tests.cases.case.Invalid`); ``tests/test_distributions.py`` runs the
same checks on every row.
"""
