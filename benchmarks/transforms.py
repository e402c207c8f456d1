"""Throughput of the media transforms: adstock + saturation for every draw and channel.

Run: ``python benchmarks/transforms.py`` (add ``--crossover`` for the shift/FFT crossover
table behind ``adstock.convolve_lags``'s ``method="auto"``; ``--repeats N`` to change the
number of timed calls). Runs unchanged on CPU and GPU (whatever ``jax.devices()`` gives).

For each size (draws, time, channels) it times ONE jitted call that computes
``hill(geometric(x_c, alpha_dc, l_max=8, normalize=True), k_dc, s_dc)`` for every draw ``d``
and channel ``c`` (``jax.vmap`` over draws of ``jax.vmap`` over channels; the spend ``x`` is
shared by the draws, the parameters differ per draw and channel), in float32, against:

* a straightforward numpy reference: a loop over the lags, vectorized over draws and
  channels, then the Hill formula on the whole array (float32 too);
* the numpy loop reference: a Python loop over draws and channels, ``np.convolve`` and the
  Hill formula one series at a time (float32), timed in full over every draw and channel
  (the median of ``--loop-repeats`` calls, 3 by default).

It also times the floor that the saturation alone puts under any exact float32 version:
``sigmoid(s * (log y - log k))`` on a flat array of the same number of elements (one row,
so no per-row remainder: XLA:CPU runs the remainder of a row whose length is not a multiple
of the vector width, 156 for example, in slower code), written to a fresh output, and
prints the largest ratio over the vectorized numpy reference that a transform costing only
that could reach.

Figures: median wall time of N calls after a warm-up (``block_until_ready``), elements
(draws x channels x time) per second, the ratio to numpy, and the bytes the call must touch
(spend and parameters read, output written) per second as a fraction of the copy bandwidth
measured here first (a jitted elementwise scale of a 256 MB array in place, bytes read +
written; numpy's ``copyto`` is printed beside it).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from mmm.features import adstock, saturation

SIZES = ((4000, 156, 10), (1000, 520, 30))  # (draws, time, channels)
L_MAX = 8
L_MAX_LONG = 52  # a year of weekly carry-over


def _median_time(fn: Callable[[], Any], repeats: int) -> float:
    jax.block_until_ready(fn())  # warm-up: compiles
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _bandwidth(repeats: int) -> tuple[float, float]:
    """(numpy copyto, jitted jnp scale) bandwidth in bytes/s, read + write, 256 MB arrays.

    The jnp scale donates its input, so the output reuses the buffer: a fresh 256 MB output
    per call would time the operating system's page faults, not the memory.
    """
    n = 64 * 2**20  # float32 elements: 256 MB
    src = np.ones(n, dtype=np.float32)
    dst = np.empty_like(src)
    t_np = _median_time(lambda: np.copyto(dst, src), repeats)
    scale = jax.jit(lambda v, c: v * c, donate_argnums=0)
    c = jnp.float32(1.0)
    buffer = [jnp.ones(n, dtype=jnp.float32)]

    def step() -> jax.Array:
        buffer[0] = scale(buffer[0], c)
        return buffer[0]

    t_jax = _median_time(step, repeats)
    return 2 * 4 * n / t_np, 2 * 4 * n / t_jax


def _params(draws: int, channels: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    shape = (draws, channels)
    return {
        "alpha": rng.uniform(0.1, 0.9, shape).astype(np.float32),
        "k": rng.uniform(0.2, 1.0, shape).astype(np.float32),
        "s": rng.uniform(0.5, 3.0, shape).astype(np.float32),
    }


def _spend(time_: int, channels: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.gamma(2.0, 1.0, (channels, time_)) * (rng.random((channels, time_)) > 0.2)
    return (x / x.max(axis=1, keepdims=True)).astype(np.float32)  # scaled spend in [0, 1]


def _jax_transform(l_max: int, method: adstock.ConvolveMethod = "auto") -> Callable[..., Any]:
    def one(x: jax.Array, alpha: jax.Array, k: jax.Array, s: jax.Array) -> jax.Array:
        w = adstock.geometric_weights(alpha, l_max, normalize=True)
        return saturation.hill(adstock.convolve_lags(x, w, method=method), k, s)

    per_channel = jax.vmap(one)  # x (channel, time), params (channel,)
    per_draw = jax.vmap(per_channel, in_axes=(None, 0, 0, 0))  # params (draw, channel)
    return jax.jit(per_draw)


def _numpy_transform(x: np.ndarray, p: dict[str, np.ndarray], l_max: int) -> np.ndarray:
    """Loop over lags, vectorized over (draw, channel); float32 throughout."""
    lags = np.arange(l_max, dtype=np.float32)
    w = p["alpha"][..., None] ** lags  # (draw, channel, lag)
    w /= w.sum(axis=-1, keepdims=True)
    n = x.shape[-1]
    y = np.zeros((*p["alpha"].shape, n), dtype=np.float32)
    for lag in range(l_max):
        y[..., lag:] += w[..., lag, None] * x[None, :, : n - lag]
    ys = y ** p["s"][..., None]
    return ys / (ys + p["k"][..., None] ** p["s"][..., None])


def _numpy_loop(x: np.ndarray, p: dict[str, np.ndarray], l_max: int) -> np.ndarray:
    """Python loop over draws and channels, one series at a time with np.convolve."""
    channels, n = x.shape
    draws = p["alpha"].shape[0]
    out = np.empty((draws, channels, n), dtype=np.float32)
    lags = np.arange(l_max, dtype=np.float32)
    for d in range(draws):
        for c in range(channels):
            w = p["alpha"][d, c] ** lags
            y = np.convolve(x[c], w / w.sum())[:n]
            s, k = p["s"][d, c], p["k"][d, c]
            ys = y**s
            out[d, c] = ys / (ys + k**s)
    return out


def _hill_floor(elements: int, repeats: int) -> float:
    """Seconds of the Hill's transcendentals alone on ``elements`` floats (flat, aligned)."""
    v = jnp.asarray(np.random.default_rng(2).uniform(0.01, 1.0, elements).astype(np.float32))
    fn = jax.jit(lambda v: jax.nn.sigmoid(1.3 * (jnp.log(v) - jnp.log(0.5))))
    return _median_time(lambda: fn(v), repeats)


def _row(label: str, seconds: float, elements: int, extra: str = "") -> None:
    rate = elements / seconds / 1e6
    print(f"  {label:<44} {seconds * 1e3:10.2f} ms  {rate:10.1f} M el/s {extra}")


def _case(
    draws: int, n_time: int, channels: int, repeats: int, loop_repeats: int, bandwidth: float
) -> None:
    elements = draws * channels * n_time
    x = _spend(n_time, channels)
    p = _params(draws, channels)
    args = (jax.device_put(x), *(jax.device_put(p[name]) for name in ("alpha", "k", "s")))
    touched = 4 * (x.size + 3 * draws * channels + elements)  # read inputs, write output
    print(f"\n(draws={draws}, time={n_time}, channels={channels}): {elements:,} elements")
    for l_max in (L_MAX, L_MAX_LONG):
        method = adstock.choose_method(l_max)
        fn = _jax_transform(l_max)
        t_jax = _median_time(lambda fn=fn: fn(*args), repeats)
        t_np = _median_time(lambda l_max=l_max: _numpy_transform(x, p, l_max), repeats)
        out = np.asarray(fn(*args))
        err = float(np.max(np.abs(out - _numpy_transform(x, p, l_max))))
        print(f" geometric(l_max={l_max}, auto -> {method!r}) + hill:")
        achieved = touched / t_jax
        _row(
            "jax, one jit call",
            t_jax,
            elements,
            f"  {achieved / 1e9:6.2f} GB/s = {achieved / bandwidth:.1%} of copy bw",
        )
        _row("numpy, loop over lags (vectorized)", t_np, elements, f"  jax is {t_np / t_jax:.1f}x")
        print(f"  {'max |jax - numpy|':<44} {err:10.2e}")
        if l_max == L_MAX:
            err_loop = float(np.max(np.abs(out - _numpy_loop(x, p, l_max))))
            t_loop = _median_time(lambda: _numpy_loop(x, p, L_MAX), loop_repeats)
            label = f"numpy loop over {draws * channels:,} series"
            _row(label, t_loop, elements, f"  jax is {t_loop / t_jax:.1f}x")
            print(f"  {'max |jax - numpy loop|':<44} {err_loop:10.2e}")
            t_floor = _hill_floor(elements, repeats)
            _row(
                "floor: hill's log + exp alone, flat array",
                t_floor,
                elements,
                f"  numpy vectorized / floor = {t_np / t_floor:.1f}x at most",
            )
        else:
            other = "shift" if method == "fft" else "fft"
            fn_other = _jax_transform(l_max, other)
            t_other = _median_time(lambda f=fn_other: f(*args), repeats)
            _row(f"jax, method={other!r} forced", t_other, elements)


def throughput(repeats: int, loop_repeats: int, bandwidth: float) -> None:
    for draws, n_time, channels in SIZES:
        _case(draws, n_time, channels, repeats, loop_repeats, bandwidth)


def _interleaved(fns: list[Callable[[], Any]], repeats: int) -> list[float]:
    """Median time of each function, calls interleaved so that load drifts hit all alike."""
    for fn in fns:
        jax.block_until_ready(fn())
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, bucket in zip(fns, times, strict=True):
            start = time.perf_counter()
            jax.block_until_ready(fn())
            bucket.append(time.perf_counter() - start)
    return [statistics.median(bucket) for bucket in times]


def _crossover_row(x: jax.Array, w: jax.Array, repeats: int) -> str:
    fns, compiles = [], []
    for method in ("shift", "fft"):

        def conv(x: jax.Array, w: jax.Array, method: Any = method) -> jax.Array:
            return jax.vmap(lambda a, b: adstock.convolve_lags(a, b, method=method))(x, w)

        def loss(x: jax.Array, w: jax.Array, conv: Any = conv) -> jax.Array:
            return jnp.sum(conv(x, w) ** 2)

        fwd = jax.jit(conv)
        start = time.perf_counter()
        grad = jax.jit(jax.grad(loss, 1)).lower(x, w).compile()
        compiles.append(time.perf_counter() - start)
        fns += [lambda f=fwd: f(x, w), lambda g=grad: g(x, w)]
    t = _interleaved(fns, repeats)
    return "    ".join(
        f"{m} {t[2 * i] * 1e3:8.3f} | {t[2 * i + 1] * 1e3:8.3f} | {compiles[i]:4.2f}"
        for i, m in enumerate(("shift", "fft"))
    )


def crossover(repeats: int) -> None:
    """Forward and gradient time of method="shift" vs "fft" by number of lags."""
    print("\nconvolve_lags crossover, time=156, float32, vmapped over series:")
    print("  (forward ms | gradient w.r.t. the weights ms | compile of the gradient s)")
    rng = np.random.default_rng(0)
    for series in (10, 40, 40_000):
        x = jnp.asarray(rng.random((series, 156), dtype=np.float32))
        print(f" {series} series:")
        for n_lags in (4, 8, 12, 16, 24, 32, 48, 64):
            w = jnp.asarray(rng.random((series, n_lags), dtype=np.float32))
            row = _crossover_row(x, w, repeats if series < 1000 else max(3, repeats // 5))
            print(f"  L={n_lags:3d}: {row}", flush=True)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a number of calls: pass 1 or more")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=_positive, default=15)
    parser.add_argument(
        "--loop-repeats", type=_positive, default=3, help="timed calls of the numpy loop reference"
    )
    parser.add_argument("--crossover", action="store_true", help="also time shift vs fft")
    args = parser.parse_args()
    print(f"jax {jax.__version__}, devices {jax.devices()}, numpy {np.__version__}")
    print(f"host: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus")
    bw_np, bw_jax = _bandwidth(max(5, args.repeats // 3))
    print(
        f"copy bandwidth (read + write, 256 MB): numpy {bw_np / 1e9:.1f} GB/s, "
        f"jax on {jax.devices()[0].platform} {bw_jax / 1e9:.1f} GB/s (the reference below)"
    )
    throughput(args.repeats, args.loop_repeats, bw_jax)
    if args.crossover:
        crossover(max(15, 3 * args.repeats))


if __name__ == "__main__":
    main()
