"""Compiled programs are dropped before a fit only when the process nears the kernel's
memory-map limit (past it XLA's compiler crashes the process)."""

from __future__ import annotations

import logging
import pathlib

import jax
import jax.numpy as jnp
import pytest

from mmm import _memory_maps as memory_maps

linux = pytest.mark.skipif(not pathlib.Path("/proc/self/maps").exists(), reason="needs /proc")


@linux
def test_counts_the_maps_a_new_mapping_adds() -> None:
    import mmap

    before = memory_maps.memory_map_count()
    region = mmap.mmap(-1, 64 * 4096)  # one anonymous mapping
    try:
        after = memory_maps.memory_map_count()
    finally:
        region.close()
    assert before is not None
    assert after is not None
    assert after >= before + 1
    assert memory_maps.memory_map_limit() == int(
        pathlib.Path("/proc/sys/vm/max_map_count").read_text()
    )


def _compiled() -> tuple[object, int]:
    square = jax.jit(lambda v: v * v)
    square(jnp.ones(3))
    return square, square._cache_size()  # type: ignore[attr-defined]


@linux
def test_programs_are_dropped_only_near_the_limit(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    count = memory_maps.memory_map_count()
    assert count is not None
    square, cached = _compiled()
    assert cached == 1

    monkeypatch.setattr(memory_maps, "memory_map_limit", lambda: 10 * count)
    assert not memory_maps.release_compiled_programs_near_map_limit()
    assert square._cache_size() == 1  # type: ignore[attr-defined]

    monkeypatch.setattr(memory_maps, "memory_map_limit", lambda: count)  # at the limit
    with caplog.at_level(logging.WARNING, logger=memory_maps.__name__):
        assert memory_maps.release_compiled_programs_near_map_limit()
    assert square._cache_size() == 0  # type: ignore[attr-defined]
    assert "vm.max_map_count" in caplog.text


def test_nothing_is_measured_without_proc(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setattr(memory_maps, "_MAPS", tmp_path / "missing")
    monkeypatch.setattr(memory_maps, "_LIMIT", tmp_path / "missing-too")
    assert memory_maps.memory_map_count() is None
    assert memory_maps.memory_map_limit() is None
    assert not memory_maps.release_compiled_programs_near_map_limit()


class _Checked(Exception):
    pass


def test_every_fit_checks_first(monkeypatch: pytest.MonkeyPatch, small_ds) -> None:
    import mmm
    from mmm.modeling import _fit

    def checked() -> bool:
        raise _Checked

    monkeypatch.setattr(_fit, "release_compiled_programs_near_map_limit", checked)
    with pytest.raises(_Checked):
        mmm.fit(mmm.ModelSpec.default(small_ds), small_ds, draws=5, tune=5, chains=1)
