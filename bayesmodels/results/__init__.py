"""Results of inference: ``InferenceResult`` (draws, sampler statistics and data in
ArviZ's layout; summaries, ArviZ export, save/load) and the post-sampling checks."""

from ._checks import SamplingWarning, diagnostic_messages, warn_diagnostics
from ._result import InferenceResult

__all__ = ["InferenceResult", "SamplingWarning", "diagnostic_messages", "warn_diagnostics"]
