"""Test-wide settings: JAX runs strictly, on the CPU."""

import jax

jax.config.update("jax_platforms", "cpu")
jax.config.update("jax_numpy_rank_promotion", "raise")
