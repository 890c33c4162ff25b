"""Distribution table rows: wrappers families."""

from tests.cases.case import Case, Invalid  # noqa: F401

CASES: list[Case] = []
INVALID: list[Invalid] = []
