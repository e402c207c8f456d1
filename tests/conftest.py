"""Test-wide settings: JAX runs strictly, on the CPU, with 4 host devices for chains.

Compiled programs are cached on disk for the session, so that fits of the same model
structure (many tests fit the same small spec) compile once.
"""

import tempfile

import numpyro

numpyro.set_host_device_count(4)  # before JAX starts: parallel chains as in a user's fit

import jax  # noqa: E402

jax.config.update("jax_platforms", "cpu")
jax.config.update("jax_numpy_rank_promotion", "raise")
jax.config.update("jax_compilation_cache_dir", tempfile.mkdtemp(prefix="mmm-jax-cache-"))
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)
