r"""What a worker measures about itself: wall time, JAX compilation, peak memory, and
the cost of one bare gradient.

Compilation is observed through ``jax.monitoring``. JAX 0.10 reports, for every
compiled function, three timed spans (``record_event_time_span``):

- ``/jax/core/compile/jaxpr_trace_duration``: tracing Python to a jaxpr (the model's
  Python code runs here);
- ``/jax/core/compile/jaxpr_to_mlir_module_duration``: lowering to StableHLO;
- ``/jax/core/compile/backend_compile_duration``: XLA compiling it (or fetching it
  from the persistent cache, which also records ``/jax/compilation_cache/cache_hits``).

*Compile time* is the length of the union of these spans (traces nest, so summing them
would count nested functions twice); *compilations* is the number of backend-compile
spans less the persistent-cache hits. Eager operations outside ``jit`` are compiled
too (one small program per primitive and shape) and are counted: they are time the
user waits for.
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass, field

import jax
from jax import lax, monitoring

COMPILE_EVENTS = (
    "/jax/core/compile/jaxpr_trace_duration",
    "/jax/core/compile/jaxpr_to_mlir_module_duration",
    "/jax/core/compile/backend_compile_duration",
)
BACKEND_COMPILE = COMPILE_EVENTS[2]
CACHE_HIT = "/jax/compilation_cache/cache_hits"

_spans: list[tuple[str, float, float]] = []  # (event, start, end), time.time() clock
_hits: list[float] = []  # time.time() of each persistent-cache hit


def _on_span(event: str, start: float, end: float, **_):
    if event in COMPILE_EVENTS:
        _spans.append((event, start, end))


def _on_event(event: str, **_):
    if event == CACHE_HIT:
        _hits.append(time.time())


monitoring.register_event_time_span_listener(_on_span)
monitoring.register_event_listener(_on_event)


def _union_length(intervals) -> float:
    total, reach = 0.0, float("-inf")
    for start, end in sorted(intervals):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


@dataclass
class Window:
    """Wall time and compilation inside a ``with`` block.

    Example::

        with Window() as w:
            mcmc.run(key)
        w.seconds, w.compile_seconds, w.compilations
    """

    seconds: float = 0.0
    compile_seconds: float = 0.0
    compilations: int = 0
    cache_hits: int = 0
    compile_breakdown: dict = field(default_factory=dict)  # event -> seconds (union of its spans)
    _start: float = field(default=0.0, repr=False)
    _first_span: int = field(default=0, repr=False)
    _first_hit: int = field(default=0, repr=False)

    def __enter__(self) -> Window:
        self._first_span, self._first_hit = len(_spans), len(_hits)
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._start
        spans = _spans[self._first_span :]
        self.compile_seconds = _union_length((start, end) for _, start, end in spans)
        self.compile_breakdown = {
            event.rsplit("/", 1)[-1]: _union_length((a, b) for e, a, b in spans if e == event) for event in COMPILE_EVENTS
        }
        self.cache_hits = len(_hits) - self._first_hit
        self.compilations = sum(event == BACKEND_COMPILE for event, _, _ in spans) - self.cache_hits
        return False

    @property
    def execution_seconds(self) -> float:
        """Wall time outside compilation: running the programs, plus Python overhead."""
        return max(self.seconds - self.compile_seconds, 0.0)

    def as_dict(self) -> dict:
        return {
            "seconds": self.seconds,
            "compile_seconds": self.compile_seconds,
            "compilations": self.compilations,
            "cache_hits": self.cache_hits,
            "compile_breakdown": self.compile_breakdown,
        }


def peak_memory_mb() -> float:
    """The process's peak resident memory so far (``ru_maxrss``, KiB on Linux), in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seconds_per_gradient(log_density, positions, repeats: int = 200, trials: int = 3) -> float:
    r"""Wall time of one gradient of ``log_density``, evaluated as a sampler does: jitted,
    ``vmap``-ed over the chains (the leading axis of every leaf of ``positions``) and
    repeated inside one compiled loop, so dispatch costs nothing.

    Returns the best of ``trials`` timings divided by ``repeats * chains``.
    """
    grad = jax.vmap(jax.grad(log_density))
    chains = jax.tree.leaves(positions)[0].shape[0]

    @jax.jit
    def repeated(positions):
        def body(_, z):  # z moves by a negligible step, so no iteration can be hoisted
            return jax.tree.map(lambda x, g: x + 1e-30 * g, z, grad(z))

        return lax.fori_loop(0, repeats, body, positions)

    jax.block_until_ready(repeated(positions))  # compile
    best = float("inf")
    for _ in range(trials):
        start = time.perf_counter()
        jax.block_until_ready(repeated(positions))
        best = min(best, time.perf_counter() - start)
    return best / (repeats * chains)
