"""Test-session settings, loaded by pytest before any test module or doctest imports
bayesmodels."""

import os

# The suite does not use the persistent compilation cache in the user's cache directory:
# what a test compiles, and how long it takes, should not depend on what earlier runs
# left on disk (tests/test_compilation_cache.py checks the cache itself, in processes
# of its own). Subprocesses started by tests inherit this.
os.environ["BAYESMODELS_COMPILATION_CACHE"] = "off"

# One CPU device, as before `import bayesmodels` exposed one per core: the suite's
# compile times and chain layouts stay those of a plain JAX process (tests that need
# several devices set them in subprocesses; tests/test_mcmc.py checks the default).
os.environ["BAYESMODELS_HOST_DEVICES"] = "off"
