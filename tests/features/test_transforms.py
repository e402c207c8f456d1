"""One registry of media transforms run through shared property tests.

Every transform is checked against an independent numpy/scipy reference written here (loops
and closed forms, no library code), in float32 and float64, and for the properties the
model relies on: shape kept, jit == eager (op by op, for the shifted sum and hill), vmap ==
loop (channels, and draws x channels),
finite gradients on the parameter grid including its edges, and the identities of each
family. Tolerances: float64 agrees with the reference to ``1e-10`` (relative, plus
``1e-10 * max|reference|`` absolute for the FFT path); float32 to ``2e-5`` relative plus
``2e-6 * max|reference|``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterator
from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from mmm.features import adstock, saturation

L = 6  # short lag window: shifted sums
L_LONG = 40  # long lag window: FFT
N = 64  # periods


# --- numpy references: plain loops and closed forms, no library code -----------------------


def ref_lag_sum(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    y = np.zeros(len(x))
    for t in range(len(x)):
        for lag in range(len(w)):
            if t - lag >= 0:
                y[t] += w[lag] * x[t - lag]
    return y


def ref_normalized(w: np.ndarray, normalize: bool) -> np.ndarray:
    return w / w.sum() if normalize and w.sum() > 0 else w


def ref_geometric_w(l_max: int, normalize: bool, alpha: float) -> np.ndarray:
    return ref_normalized(np.array([alpha**lag for lag in range(l_max)]), normalize)


def ref_delayed_w(l_max: int, normalize: bool, alpha: float, theta: float) -> np.ndarray:
    w = np.array([alpha ** ((lag - theta) ** 2) for lag in range(l_max)])
    return ref_normalized(w, normalize)


def robyn_lambda(scale: float, l_max: int) -> float:
    # R: quantile(1:windlen, scale) (type 7) is 1 + scale * (windlen - 1), before round().
    return float(np.quantile(np.arange(1, l_max + 1), scale))


def ref_weibull_cdf_w(l_max: int, normalize: bool, shape: float, scale: float) -> np.ndarray:
    lam = robyn_lambda(scale, l_max)
    survival = [1.0] + [1.0 - stats.weibull_min.cdf(j, shape, scale=lam) for j in range(1, l_max)]
    return ref_normalized(np.cumprod(survival), normalize)


def ref_weibull_pdf_w(l_max: int, normalize: bool, shape: float, scale: float) -> np.ndarray:
    lam = robyn_lambda(scale, l_max)
    d = stats.weibull_min.pdf(np.arange(1, l_max + 1), shape, scale=lam)
    w = np.r_[1.0, np.zeros(l_max - 1)] if np.ptp(d) == 0 else (d - d.min()) / np.ptp(d)
    return ref_normalized(w, normalize)


def ref_hill(x: np.ndarray, k: float, s: float) -> np.ndarray:
    # x^s / (x^s + k^s), divided through by x^s so that huge x does not overflow.
    return np.array([0.0 if v == 0 else 1.0 / (1.0 + (k / v) ** s) for v in x])


def ref_logistic(x: np.ndarray, lam: float) -> np.ndarray:
    with np.errstate(over="ignore"):  # -lam * x = -inf at the largest floats: exp gives 0
        return np.array([(1 - np.exp(-lam * v)) / (1 + np.exp(-lam * v)) for v in x])


def ref_tanh(x: np.ndarray, c: float) -> np.ndarray:
    with np.errstate(over="ignore"):  # x / c = inf at the largest floats: tanh gives 1
        return np.tanh(x / c)


# --- the registry ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Transform:
    name: str
    fn: Callable[..., jax.Array]  # (x, *params) -> y, params scalar
    ref: Callable[..., np.ndarray]  # (x: float64 ndarray, *params) -> y
    grid: tuple[tuple[float, ...], ...]  # valid parameter sets, edges included
    kind: Literal["adstock", "saturation"]
    bounded: bool = True  # saturation: values in [0, 1]
    weights: Callable[..., jax.Array] | None = None  # adstock: (*params) -> (l_max,)
    ref_weights: Callable[..., np.ndarray] | None = None
    fft: bool = False  # adstock computed by FFT (rounding relative to max |y|)
    # Op-by-op evaluation compiles every primitive (this file must stay under 20 s), so it is
    # checked for the shifted sum and for hill's derivative-at-zero construction.
    eager: bool = True


def _adstock(
    name: str,
    family: Callable[..., jax.Array],
    weights: Callable[..., jax.Array],
    ref_w: Callable[..., np.ndarray],
    grid: tuple[tuple[float, ...], ...],
    l_max: int = L,
    normalize: bool = False,
    eager: bool = True,
) -> Transform:
    def ref(x: np.ndarray, *p: float) -> np.ndarray:
        return ref_lag_sum(x, ref_w(l_max, normalize, *p))

    return Transform(
        name=name,
        fn=lambda x, *p: family(x, *p, l_max=l_max, normalize=normalize),
        ref=ref,
        grid=grid,
        kind="adstock",
        weights=lambda *p: weights(*p, l_max=l_max, normalize=normalize),
        ref_weights=lambda *p: ref_w(l_max, normalize, *p),
        fft=adstock.choose_method(l_max) == "fft",
        eager=eager,
    )


GEOMETRIC_GRID = ((0.0,), (0.3,), (0.7,), (0.99,))
DELAYED_GRID = ((0.0, 2.0), (0.3, 0.0), (0.5, 1.7), (0.9, 3.0), (0.99, 2.2))
WEIBULL_CDF_GRID = ((1e-4, 0.05), (0.5, 0.1), (1.0, 0.0), (2.0, 0.3), (10.0, 1.0))
WEIBULL_PDF_GRID = ((1e-4, 0.2), (0.5, 0.1), (1.0, 0.5), (2.0, 0.3), (5.0, 0.5), (10.0, 0.05))

REGISTRY = [
    # Short windows use shifted sums, the long one the FFT (the same code for every family);
    # normalization is covered for every family and both lengths by the weight tests below.
    _adstock(
        "geometric", adstock.geometric, adstock.geometric_weights, ref_geometric_w, GEOMETRIC_GRID
    ),
    _adstock(
        "geometric_long_norm",
        adstock.geometric,
        adstock.geometric_weights,
        ref_geometric_w,
        GEOMETRIC_GRID,
        L_LONG,
        normalize=True,
        eager=False,  # op by op the FFT path compiles ~30 primitives (1.5 s); time budget
    ),
    _adstock(
        "delayed",
        adstock.delayed,
        adstock.delayed_weights,
        ref_delayed_w,
        DELAYED_GRID,
        eager=False,  # the shifted sum as in geometric, elementwise weights
    ),
    _adstock(
        "weibull_cdf_norm",
        adstock.weibull_cdf,
        adstock.weibull_cdf_weights,
        ref_weibull_cdf_w,
        WEIBULL_CDF_GRID,
        normalize=True,
        eager=False,  # the shifted sum as in geometric, a cumulative sum in the weights
    ),
    _adstock(
        "weibull_pdf",
        adstock.weibull_pdf,
        adstock.weibull_pdf_weights,
        ref_weibull_pdf_w,
        WEIBULL_PDF_GRID,
        eager=False,  # the shifted sum as in geometric, a max/min scaling in the weights
    ),
    Transform(
        "hill",
        saturation.hill,
        ref_hill,
        ((0.5, 0.5), (0.5, 1.0), (0.3, 2.5), (2.0, 1.3), (1e-3, 0.1), (50.0, 8.0)),
        "saturation",
    ),
    Transform(
        "logistic",
        saturation.logistic,
        ref_logistic,
        ((0.01,), (0.5,), (2.0,), (4.0,), (100.0,)),
        "saturation",
        eager=False,  # one tanh
    ),
    Transform(
        "michaelis_menten",
        saturation.michaelis_menten,
        lambda x, k: x / (k + x),
        ((1e-3,), (0.5,), (2.0,), (1e3,)),
        "saturation",
        eager=False,  # two divisions and a where
    ),
    Transform(
        "tanh",
        saturation.tanh,
        ref_tanh,
        ((1e-3,), (0.5,), (2.0,), (1e3,)),
        "saturation",
        eager=False,  # one tanh and a minimum
    ),
    Transform(
        "power",
        saturation.power,
        lambda x, p: np.array([v**p for v in x]),
        ((0.01,), (0.1,), (0.5,), (0.9,), (1.0,)),
        "saturation",
        bounded=False,
        eager=False,  # the where and slope-at-zero construction of hill
    ),
]
ADSTOCKS = [t for t in REGISTRY if t.kind == "adstock"]
SATURATIONS = [t for t in REGISTRY if t.kind == "saturation"]


def registered(name: str) -> Transform:
    return next(t for t in REGISTRY if t.name == name)


def by_name(items: list[Transform]) -> Any:
    return pytest.mark.parametrize("tr", items, ids=[t.name for t in items])


DTYPES = pytest.mark.parametrize("x64", [False, True], ids=["float32", "float64"])


@pytest.fixture
def precision(x64: bool) -> Iterator[Any]:
    with jax.enable_x64(x64):
        yield jnp.float64 if x64 else jnp.float32


def series(seed: int = 0, n: int = N) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.gamma(2.0, 0.5, n)
    x[[i for i in (0, 3, 4, 11) if i < n]] = 0.0  # zero-spend weeks, including the first
    x[20:28] = 0.0  # a dark run longer than the short window
    if n > 40:
        x[5], x[40] = 1e-6, 50.0  # tiny and large spend
    return x


def tolerances(tr: Transform, x64: bool, ref: np.ndarray) -> dict[str, float]:
    scale = float(np.max(np.abs(ref))) or 1.0
    if x64:
        return {"rtol": 1e-10, "atol": (1e-10 if tr.fft else 1e-13) * scale}
    return {"rtol": 2e-5, "atol": 2e-6 * scale}


@functools.cache
def value_and_grads(tr: Transform) -> Callable[..., Any]:
    """One jitted program per transform: the output and d sum(output) / d (x, *params).

    Compilation dominates this file's run time, so the tests share this program (and pass
    parameters as Python floats, x of shape (N,)) wherever they need a value.
    """
    argnums = tuple(range(len(tr.grid[0]) + 1))
    grads = jax.grad(lambda x, *p: jnp.sum(tr.fn(x, *p)), argnums=argnums)
    return jax.jit(lambda x, *p: (tr.fn(x, *p), grads(x, *p)))


def value(tr: Transform, x: Any, *p: float) -> np.ndarray:
    """``tr.fn(x, *p)`` through the shared program."""
    return np.asarray(value_and_grads(tr)(jnp.asarray(x), *p)[0])


# --- shared properties ----------------------------------------------------------------------


@DTYPES
@by_name(REGISTRY)
def test_matches_reference(tr: Transform, x64: bool, precision: Any) -> None:
    x = series()
    if not x64:
        x = x.astype(np.float32).astype(np.float64)  # the reference sees the same inputs
    # float32 shares its program with the other tests; float64 compiles the value alone.
    fn = (lambda *a: tr.fn(*a)) if x64 else (lambda *a: value_and_grads(tr)(*a)[0])
    for p in tr.grid:
        got = fn(jnp.asarray(x, dtype=precision), *p)
        assert got.shape == x.shape
        assert got.dtype == precision
        ref = tr.ref(x, *p)
        np.testing.assert_allclose(got, ref, **tolerances(tr, x64, ref), err_msg=str(p))


@by_name(REGISTRY)
def test_finite_gradients_on_the_grid_and_jit_matches_eager(tr: Transform) -> None:
    """Float32 (where overflow bites first); x has zeros (also first), 1e-6 and 50."""
    x = jnp.asarray(series(), dtype=jnp.float32)
    for p in tr.grid:
        _, grads = value_and_grads(tr)(x, *p)
        for g in grads:
            assert np.all(np.isfinite(np.asarray(g))), (tr.name, p, grads)
    if not tr.eager:
        return
    # Op by op (no compilation of the whole) gives the jitted values; at the grid's edge.
    with jax.disable_jit():
        eager = tr.fn(x, *tr.grid[0])
    np.testing.assert_allclose(value(tr, x, *tr.grid[0]), eager, rtol=1e-5, atol=1e-6)


@by_name(REGISTRY)
def test_vmap_equals_loop(tr: Transform) -> None:
    """vmap over draws of vmap over channels: the inner map batches spend and parameters per
    channel, the outer one parameters per draw with the spend shared."""
    n, n_params, draws = len(tr.grid), len(tr.grid[0]), 3
    xs = np.stack([series(s) for s in range(n)]).astype(np.float32)
    table = [[tr.grid[(c + d) % n] for c in range(n)] for d in range(draws)]  # valid sets
    params = np.moveaxis(np.asarray(table, dtype=np.float32), -1, 0)  # (param, draw, channel)
    vmapped = jax.jit(jax.vmap(jax.vmap(tr.fn), in_axes=(None, *[0] * n_params)))
    mapped = np.asarray(vmapped(jnp.asarray(xs), *params))
    assert mapped.shape == (draws, n, N)
    # (numpy indexing: indexing a jax array by a Python int compiles a program per index)
    looped = [[value(tr, xs[c], *table[d][c]) for c in range(n)] for d in range(draws)]
    np.testing.assert_allclose(mapped, np.asarray(looped), rtol=1e-5, atol=1e-6)


# --- adstock identities ---------------------------------------------------------------------


@by_name(ADSTOCKS)
def test_weights_match_reference_and_impulse_response(tr: Transform) -> None:
    assert tr.weights is not None
    assert tr.ref_weights is not None
    impulse = np.zeros(N, dtype=np.float32)
    impulse[0] = 1.0
    for p in tr.grid:
        w = np.asarray(tr.weights(*p))
        ref = tr.ref_weights(*p)
        assert w.shape == ref.shape
        np.testing.assert_allclose(w, ref, rtol=2e-5, atol=1e-6, err_msg=str(p))
        response = value(tr, impulse, *p)
        np.testing.assert_allclose(response[: len(ref)], w, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(response[len(ref) :], 0.0)


WEIGHT_FAMILIES = {
    "geometric": (adstock.geometric_weights, GEOMETRIC_GRID),
    "delayed": (adstock.delayed_weights, DELAYED_GRID),
    "weibull_cdf": (adstock.weibull_cdf_weights, WEIBULL_CDF_GRID),
    "weibull_pdf": (adstock.weibull_pdf_weights, WEIBULL_PDF_GRID),
}


@pytest.mark.parametrize("family", list(WEIGHT_FAMILIES))
@pytest.mark.parametrize("l_max", [1, L_LONG])
def test_normalized_weights_sum_to_one(family: str, l_max: int) -> None:
    weights, grid = WEIGHT_FAMILIES[family]
    for p in grid:
        w = np.asarray(weights(*p, l_max=l_max, normalize=True))
        assert w.shape == (l_max,)
        assert np.all(w >= 0)
        # delayed at alpha = 0 with theta off the lag grid: all-zero weights stay zero.
        expected = 0.0 if family == "delayed" and p[0] == 0.0 and p[1] > l_max - 1 else 1.0
        np.testing.assert_allclose(w.sum(), expected, rtol=1e-6, err_msg=str(p))


@by_name(ADSTOCKS)
def test_adstock_is_linear_and_causal(tr: Transform) -> None:
    # numpy in, numpy out: arithmetic on jax arrays would compile a program per operation.
    x, z = series(2).astype(np.float32), series(3).astype(np.float32)
    later = x.copy()
    later[30:] = 0.0

    def fn(v: np.ndarray, *p: float) -> np.ndarray:
        return value(tr, v, *p)

    for p in tr.grid:
        y = fn(x, *p)
        # The FFT path's rounding spreads over the whole series: relative to max |y|.
        atol = 2e-6 * float(np.max(np.abs(y))) if tr.fft else 0.0
        np.testing.assert_allclose(fn(2 * x + z, *p), 2 * y + fn(z, *p), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(fn(later, *p)[:30], y[:30], rtol=1e-6, atol=atol)


@pytest.mark.parametrize("name", ["geometric", "geometric_long_norm", "delayed"])
def test_alpha_zero_is_the_identity(name: str) -> None:
    """Geometric (shifted sum exactly; FFT to its rounding), and delayed with theta = 0."""
    x = series(4).astype(np.float32)
    tr = registered(name)
    y = value(tr, x, *((0.0,) if name.startswith("geometric") else (0.0, 0.0)))
    if tr.fft:
        np.testing.assert_allclose(y, x, rtol=1e-6, atol=2e-6 * float(np.max(x)))
    else:
        np.testing.assert_array_equal(y, x)


def test_positional_static_arguments() -> None:
    x = jnp.asarray(series(5), dtype=jnp.float32)
    np.testing.assert_array_equal(
        adstock.geometric(x, 0.5, L, False), adstock.geometric(x, 0.5, l_max=L, normalize=False)
    )
    np.testing.assert_array_equal(
        adstock.weibull_pdf(x, 2.0, 0.3, L), adstock.weibull_pdf(x, 2.0, 0.3, l_max=L)
    )


def test_delayed_and_weibull_pdf_peak_after_the_spend() -> None:
    impulse = np.zeros(N, dtype=np.float32)
    impulse[0] = 1.0
    assert int(np.argmax(value(registered("delayed"), impulse, 0.6, 3.0))) == 3
    # l_max = 6: lambda = 1 + 0.5 * 5 = 3.5, shape 3: the density peaks at
    # 3.5 * (2/3)**(1/3) = 3.06 and f(3) > f(4): at t = 3, lag 2.
    assert int(np.argmax(value(registered("weibull_pdf"), impulse, 3.0, 0.5))) == 2
    assert int(np.argmax(value(registered("weibull_cdf_norm"), impulse, 3.0, 0.5))) == 0


def robyn_adstock_weibull(x: np.ndarray, shape: float, scale: float, kind: str) -> np.ndarray:
    """Robyn's adstock_weibull (R/R/transformation.R) step by step, windlen = len(x)."""
    windlen = len(x)
    x_bin = np.arange(1, windlen + 1)
    scale_trans = np.round(np.quantile(x_bin, scale))
    if kind == "cdf":
        theta_vec = np.r_[1.0, 1 - stats.weibull_min.cdf(x_bin[:-1], shape, scale=scale_trans)]
        theta_vec_cum = np.cumprod(theta_vec)
    else:
        d = stats.weibull_min.pdf(x_bin, shape, scale=scale_trans)
        theta_vec_cum = (d - d.min()) / (d.max() - d.min())
    decayed = np.zeros((windlen, windlen))
    for pos in range(windlen):  # mapply over x_pos: x_val spread from x_pos on, shifted curve
        lagged = np.r_[np.zeros(pos), theta_vec_cum[: windlen - pos]]
        decayed[:, pos] = np.r_[np.zeros(pos), np.full(windlen - pos, x[pos])] * lagged
    return decayed.sum(axis=1)


@pytest.mark.parametrize("kind", ["cdf", "pdf"])
@pytest.mark.parametrize(("shape", "scale"), [(0.5, 0.3), (2.0, 0.3), (4.0, 0.6), (1.0, 0.1)])
def test_weibull_matches_robyn_where_its_scale_is_an_integer(
    kind: str, shape: float, scale: float
) -> None:
    """With windlen = l_max = 11, 1 + scale * 10 is an integer for these scales."""
    x = series(6, n=11)
    fn = adstock.weibull_cdf if kind == "cdf" else adstock.weibull_pdf
    with jax.enable_x64(True):
        got = fn(jnp.asarray(x), shape, scale, l_max=len(x))
    np.testing.assert_allclose(got, robyn_adstock_weibull(x, shape, scale, kind), rtol=1e-10)


# --- the lag-sum strategies -----------------------------------------------------------------


@DTYPES
@pytest.mark.parametrize(("n", "n_lags"), [(1, 1), (5, 9), (30, 45)])
def test_convolution_strategies_agree(n: int, n_lags: int, x64: bool, precision: Any) -> None:
    rng = np.random.default_rng(n * 1000 + n_lags)
    x = rng.normal(size=n) * (rng.random(n) > 0.3)
    w = rng.normal(size=n_lags)
    if not x64:
        x, w = x.astype(np.float32).astype(np.float64), w.astype(np.float32).astype(np.float64)
    ref = ref_lag_sum(x, w)
    scale = float(np.max(np.abs(ref))) or 1.0
    tol = {"rtol": 1e-10, "atol": 1e-10 * scale} if x64 else {"rtol": 2e-5, "atol": 2e-6 * scale}
    for method in ("shift", "fft"):  # "auto" is one of them: test_auto_strategy_threshold
        got = adstock.convolve_lags(jnp.asarray(x, precision), jnp.asarray(w, precision), method)
        assert got.shape == (n,)
        assert got.dtype == precision
        np.testing.assert_allclose(got, ref, **tol, err_msg=method)


@pytest.mark.parametrize(("n", "n_lags"), [(12, 5)])
def test_convolution_strategies_have_the_same_gradient(n: int, n_lags: int) -> None:
    rng = np.random.default_rng(n)
    with jax.enable_x64(True):
        x, w = jnp.asarray(rng.normal(size=n)), jnp.asarray(rng.normal(size=n_lags))
        shift_grad, fft_grad = (
            jax.jit(
                jax.grad(lambda x, w, m=m: jnp.sum(jnp.sin(adstock.convolve_lags(x, w, m))), (0, 1))
            )(x, w)
            for m in ("shift", "fft")
        )
        for a, b in zip(shift_grad, fft_grad, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


def ref_lag_sum_jacobians(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``dy_t / dx_s = w[t - s]`` and ``dy_t / dw_l = x[t - l]`` (0 outside), by loops."""
    n, n_lags = len(x), len(w)
    dx, dw = np.zeros((n, n)), np.zeros((n, n_lags))
    for t in range(n):
        for lag in range(n_lags):
            if t - lag >= 0:
                dx[t, t - lag] = w[lag]
                dw[t, lag] = x[t - lag]
    return dx, dw


@pytest.mark.parametrize(("n", "n_lags"), [(1, 1), (7, 3), (6, 9)])
def test_shifted_sum_derivatives_match_the_loop_jacobians(n: int, n_lags: int) -> None:
    """The shifted sum's own JVP rule (its weights' part a lag-matrix product) is exact.

    Forward and reverse mode, a Hessian (forward over reverse, as the Laplace fit takes
    it) and a vmap over series, against Jacobians written as loops. ``L > T`` included.
    """
    rng = np.random.default_rng(n * 100 + n_lags)
    with jax.enable_x64(True):
        xs = rng.normal(size=(3, n)) * (rng.random((3, n)) > 0.3)
        ws = rng.normal(size=(3, n_lags))
        for x, w in zip(xs, ws, strict=True):
            ref_dx, ref_dw = ref_lag_sum_jacobians(x, w)

            def f(x: Any, w: Any) -> Any:
                return adstock.convolve_lags(x, w, "shift")

            for jac in (jax.jacfwd, jax.jacrev):
                dx, dw = jax.jit(jac(f, (0, 1)))(jnp.asarray(x), jnp.asarray(w))
                np.testing.assert_allclose(dx, ref_dx, rtol=1e-12, atol=1e-12)
                np.testing.assert_allclose(dw, ref_dw, rtol=1e-12, atol=1e-12)
            # 0.5 |y|^2 with y = A x = B w is quadratic: its Hessian blocks are J_a^T J_b.
            hessian = jax.hessian(lambda x, w: 0.5 * jnp.sum(f(x, w) ** 2), (0, 1))(
                jnp.asarray(x), jnp.asarray(w)
            )
            y = ref_lag_sum(x, w)
            cross_xw = ref_dx.T @ ref_dw + np.array(  # d/dw (A(w)^T y): y enters A's entries
                [[y[s + lag] if s + lag < n else 0.0 for lag in range(n_lags)] for s in range(n)]
            )
            np.testing.assert_allclose(hessian[0][0], ref_dx.T @ ref_dx, atol=1e-12)
            np.testing.assert_allclose(hessian[1][1], ref_dw.T @ ref_dw, atol=1e-12)
            np.testing.assert_allclose(hessian[0][1], cross_xw, atol=1e-12)
        grads = jax.vmap(jax.grad(lambda x, w: jnp.sum(jnp.sin(f(x, w))), (0, 1)))(
            jnp.asarray(xs), jnp.asarray(ws)
        )
        for i, (x, w) in enumerate(zip(xs, ws, strict=True)):
            ref_dx, ref_dw = ref_lag_sum_jacobians(x, w)
            g = np.cos(ref_lag_sum(x, w))
            np.testing.assert_allclose(grads[0][i], ref_dx.T @ g, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(grads[1][i], ref_dw.T @ g, rtol=1e-12, atol=1e-12)


def test_auto_strategy_threshold() -> None:
    assert adstock.choose_method(1, "cpu") == "shift"
    assert adstock.choose_method(16, "cpu") == "shift"
    assert adstock.choose_method(17, "cpu") == "fft"
    # Accelerators: shifted sums were faster at every measured lag count up to 64.
    assert adstock.choose_method(64, "gpu") == "shift"
    assert adstock.choose_method(65, "gpu") == "fft"
    assert adstock.choose_method(17) == adstock.choose_method(17, jax.default_backend())


def test_fft_keeps_exact_zeros_where_nothing_was_spent() -> None:
    tr = registered("geometric_long_norm")
    assert tr.fft
    assert tr.weights is not None
    x = jnp.zeros(N).at[10].set(3.0)
    y, (gx, _) = value_and_grads(tr)(x, 0.9)
    np.testing.assert_array_equal(y[:10], 0.0)  # before the spend
    np.testing.assert_array_equal(y[10 + L_LONG :], 0.0)  # the window (t - 40, t] is empty
    assert np.all(np.asarray(y[10 : 10 + L_LONG]) > 0)
    # The gradient is the lag sum's also where the value is pinned:
    # d sum(y) / dx_s = sum of the weights that land inside the series, w_0 + ... + w_(N-1-s).
    w = np.asarray(tr.weights(0.9))
    expected = [w[: N - s].sum() for s in range(N)]
    np.testing.assert_allclose(gx, expected, rtol=1e-5)


# --- saturation identities ------------------------------------------------------------------


@DTYPES
@by_name(SATURATIONS)
def test_saturation_zero_monotone_bounded(tr: Transform, x64: bool, precision: Any) -> None:
    big = float(jnp.finfo(precision).max) / 2
    # N points, the shape of the other tests: the compiled programs are shared.
    x = np.r_[0.0, np.geomspace(1e-6, 1e6, N - 3), 1e30, big].astype(precision)
    for p in tr.grid:
        y = np.asarray(tr.fn(jnp.asarray(x), *p)) if x64 else value(tr, x, *p)
        assert y[0] == 0.0
        assert np.all(np.isfinite(y)), p
        assert np.all(np.diff(y) >= 0.0), p
        assert np.all(y >= 0.0)
        if tr.bounded:
            assert np.all(y <= 1.0)
        # At the largest floats: no overflow, the reference's value (close to 1 if bounded).
        np.testing.assert_allclose(y[-2:], tr.ref(x[-2:].astype(np.float64), *p), rtol=2e-5)


def test_hill_and_michaelis_menten_half_saturation_point() -> None:
    for k, s in ((0.3, 0.5), (1.0, 1.0), (5.0, 3.0)):
        np.testing.assert_allclose(value(registered("hill"), np.full(N, k), k, s), 0.5, rtol=1e-6)
    np.testing.assert_allclose(value(registered("michaelis_menten"), np.full(N, 0.7), 0.7), 0.5)
    x = series().astype(np.float32)
    np.testing.assert_allclose(
        value(registered("hill"), x, 0.7, 1.0),
        value(registered("michaelis_menten"), x, 0.7),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        value(registered("tanh"), x, 0.5), value(registered("logistic"), x, 4.0), rtol=1e-6
    )


def test_derivatives_at_zero_are_the_documented_ones() -> None:
    zero = jnp.zeros(N, dtype=jnp.float32)

    def d(name: str, *p: float) -> tuple[float, ...]:
        """(d f / dx, d f / d params) at x = 0, from the registry's compiled programs."""
        tr = registered(name)
        _, grads = value_and_grads(tr)(zero, *p)
        return (float(grads[0][0]), *(float(g) / N for g in grads[1:]))

    # hill: d/dx = h'(tiny): 1/k for s = 1, ~0 for s > 1, finite for s < 1; 0 in k and s.
    np.testing.assert_allclose(d("hill", 0.5, 1.0), (2.0, 0.0, 0.0), rtol=1e-4)
    np.testing.assert_allclose(d("hill", 0.5, 2.0), (0.0, 0.0, 0.0), atol=1e-12)
    assert all(np.isfinite(d("hill", 0.5, 0.3)))
    # power: p * eps ** (p - 1) in x (exactly 1 for p = 1), 0 in p.
    eps = float(jnp.finfo(jnp.float32).eps)
    np.testing.assert_allclose(d("power", 1.0), (1.0, 0.0), rtol=1e-6)
    np.testing.assert_allclose(d("power", 0.5), (0.5 * eps**-0.5, 0.0), rtol=1e-4)
    np.testing.assert_allclose(d("michaelis_menten", 0.5), (2.0, 0.0), rtol=1e-6)
    np.testing.assert_allclose(d("tanh", 0.5), (2.0, 0.0), rtol=1e-6)
    np.testing.assert_allclose(d("logistic", 3.0), (1.5, 0.0), rtol=1e-6)


# --- compilation and argument checks --------------------------------------------------------


def test_hot_transform_compiles_once_across_parameter_values() -> None:
    traces = 0

    def counted(x: jax.Array, a: jax.Array, k: jax.Array, s: jax.Array) -> jax.Array:
        nonlocal traces
        traces += 1
        return saturation.hill(adstock.geometric(x, a, l_max=8, normalize=True), k, s)

    f = jax.jit(jax.vmap(counted, in_axes=(0, 0, 0, 0)))
    x = jnp.asarray(np.stack([series(s) for s in range(3)]), dtype=jnp.float32)
    rng = np.random.default_rng(0)
    for _ in range(4):
        a, k, s = (jnp.asarray(rng.uniform(0.1, 0.9, 3), dtype=jnp.float32) for _ in range(3))
        f(x, a, k, s).block_until_ready()
    assert traces == 1
    assert f._cache_size() == 1
    # The library functions themselves cache by shape and static arguments, not by value.
    geometric: Any = adstock.geometric
    adstock.geometric(x[0], 0.5, l_max=L, normalize=False)
    before = geometric._cache_size()
    for alpha in (0.1, 0.2, 0.3):
        adstock.geometric(x[0], alpha, l_max=L, normalize=False)
    assert geometric._cache_size() == before


def test_invalid_static_arguments_and_shapes_raise() -> None:
    x = jnp.ones(5)
    with pytest.raises(ValueError, match="l_max"):
        adstock.geometric(x, 0.5, l_max=0)
    bad_l_max: Any = 2.5
    with pytest.raises(ValueError, match="l_max"):
        adstock.delayed(x, 0.5, 1.0, l_max=bad_l_max)
    with pytest.raises(ValueError, match="l_max"):
        adstock.weibull_cdf_weights(1.0, 0.5, 0)
    with pytest.raises(ValueError, match=r"vmap"):
        adstock.geometric(jnp.ones((2, 5)), 0.5)
    with pytest.raises(ValueError, match="alpha"):
        adstock.geometric(x, jnp.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="scale"):
        adstock.weibull_pdf(x, 1.0, jnp.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="k"):
        saturation.hill(x, jnp.array([0.1, 0.2]), 1.0)
    with pytest.raises(ValueError, match="p"):
        saturation.power(x, jnp.array([0.1, 0.2]))
    bad_method: Any = "conv"
    with pytest.raises(ValueError, match="method"):
        adstock.convolve_lags(x, jnp.ones(2), bad_method)
    with pytest.raises(ValueError, match="non-empty"):
        adstock.convolve_lags(x, jnp.ones(0))
