"""fit(): every method runs and returns consistent shapes; seeds; errors before sampling."""

import numpy as np
import pytest

from mmm.datasets import simulate
from mmm.modeling import (
    MIN_ACTIVE_PERIODS,
    FittedMMM,
    ModelDataError,
    ModelSpec,
    count_parameters,
    design_for,
    fit,
)

QUICK = {"chains": 2, "draws": 60, "tune": 60}


@pytest.fixture(scope="module")
def nuts_fit(small_ds) -> FittedMMM:
    return fit(ModelSpec.default(small_ds), small_ds, seed=1, **QUICK)


def test_nuts_shapes_stats_and_idata(nuts_fit, small_ds) -> None:
    f = nuts_fit
    assert (f.n_chains, f.n_draws) == (2, 60)
    assert f.samples["media/adstock/alpha"].shape == (2, 60, 3)
    assert f.samples["yearly/coef"].shape == (2, 60, 4)
    assert f.samples["media/coef"].shape == (2, 60, 3)  # deterministic from the share
    assert f.samples["intercept/coef"].shape == (2, 60, 1)  # deterministic from the level
    free = f.free_samples()
    assert "intercept/level" in free
    assert "media/share" in free
    assert not {"media/coef", "intercept/coef"} & set(free)
    assert set(free) <= set(f.samples)
    for name in ("diverging", "n_steps", "tree_depth", "energy", "step_size", "acceptance_rate"):
        assert f.sample_stats[name].shape == (2, 60)
    assert f.info.settings["chain_method"] in ("parallel", "vectorized")
    idata = f.idata
    alpha = idata.posterior["media.adstock.alpha"]
    assert alpha.dims == ("chain", "draw", "channel")
    assert list(alpha.coords["channel"].values) == small_ds.channels
    assert list(idata.posterior["yearly.coef"].coords["yearly_feature"].values) == [
        "yearly_sin_1",
        "yearly_cos_1",
        "yearly_sin_2",
        "yearly_cos_2",
    ]
    assert idata.log_likelihood["kpi"].shape == (2, 60, small_ds.n_periods)
    np.testing.assert_allclose(
        idata.observed_data["kpi"].values, small_ds.frame[small_ds.kpi_column].to_numpy(), rtol=1e-6
    )
    assert idata.constant_data["spend"].dims == ("date", "channel")
    assert "diverging" in idata.sample_stats
    # Big per-period quantities are not stored.
    assert all(v.ndim <= 3 for v in f.samples.values())


def test_log_likelihood_is_in_kpi_units(nuts_fit) -> None:
    from scipy import stats

    f = nuts_fit
    ll = f.log_likelihood()
    c, d = 1, 7
    from mmm.modeling import components

    params = {k: v[c, d] for k, v in f.samples.items()}
    scale = float(f.design.scalings.kpi.scale)
    mu = np.asarray(components(f.spec, params, f.design).total()) * scale
    sigma = float(params["kpi/sigma"]) * scale
    y = np.asarray(f.design.kpi) * scale
    np.testing.assert_allclose(ll[c, d], stats.norm.logpdf(y, mu, sigma), rtol=1e-4, atol=1e-4)


def test_same_seed_same_draws_other_seed_other_draws(small_ds) -> None:
    spec = ModelSpec.default(small_ds)
    a = fit(spec, small_ds, method="svi", svi_steps=100, draws=5, seed=5)
    b = fit(spec, small_ds, method="svi", svi_steps=100, draws=5, seed=5)
    c = fit(spec, small_ds, method="svi", svi_steps=100, draws=5, seed=6)
    for k in a.samples:
        np.testing.assert_array_equal(a.samples[k], b.samples[k])
    assert any(not np.array_equal(a.samples[k], c.samples[k]) for k in a.samples)


def test_nuts_same_seed_identical(small_ds) -> None:
    spec = ModelSpec.default(small_ds)
    kw = {"chains": 1, "draws": 20, "tune": 20, "chain_method": "sequential"}
    a, b = fit(spec, small_ds, seed=2, **kw), fit(spec, small_ds, seed=2, **kw)
    for k in a.samples:
        np.testing.assert_array_equal(a.samples[k], b.samples[k])


@pytest.mark.parametrize(
    ("method", "extra", "shape"),
    [
        ("map", {"svi_steps": 300}, (1, 1)),
        ("svi", {"svi_steps": 300, "draws": 50}, (1, 50)),
        ("svi", {"svi_steps": 300, "draws": 50, "guide": "low_rank"}, (1, 50)),
        ("laplace", {"svi_steps": 300, "draws": 50}, (1, 50)),
        ("hmc", {"chains": 1, "draws": 30, "tune": 30, "hmc_steps": 8}, (1, 30)),
    ],
)
def test_other_methods(small_ds, method, extra, shape) -> None:
    f = fit(ModelSpec.default(small_ds), small_ds, method=method, seed=0, **extra)
    assert f.samples["media/saturation/lam"].shape == (*shape, 3)
    assert all(np.all(np.isfinite(v)) for v in f.samples.values())
    if method in ("map", "svi", "laplace"):
        assert f.info.losses is not None
        assert f.info.losses.shape == (300,)
        assert f.info.losses[-20:].mean() < f.info.losses[:20].mean()
        assert f.sample_stats == {}
    assert f.idata.posterior["media.share"].dims == ("chain", "draw", "channel")


def test_map_finds_the_signal(small_ds) -> None:
    f = fit(ModelSpec.default(small_ds), small_ds, method="map", svi_steps=2000, seed=0)
    sigma = float(f.samples["kpi/sigma"][0, 0]) * float(f.design.scalings.kpi.scale)
    kpi = small_ds.frame[small_ds.kpi_column].to_numpy()
    assert sigma < 0.5 * kpi.std()  # the model explains most of the KPI's variation


def test_invalid_arguments_name_themselves(small_ds) -> None:
    spec = ModelSpec.default(small_ds)
    for kwargs, match in (
        ({"method": "gibbs"}, "method='gibbs'"),
        ({"chains": 0}, "chains=0"),
        ({"draws": 1.5}, "draws=1.5"),
        ({"target_accept": 1.0}, "target_accept=1.0"),
        ({"chain_method": "threads"}, "chain_method='threads'"),
        ({"guide": "flow"}, "guide='flow'"),
        ({"learning_rate": 0.0}, "learning_rate=0.0"),
    ):
        with pytest.raises(ValueError, match=match):
            fit(spec, small_ds, **kwargs)
    other, _ = simulate(n_weeks=104, n_channels=2, seed=0)
    with pytest.raises(ValueError, match="channels"):
        fit(spec, other)


def test_channel_with_one_active_week_fails_before_sampling(small_ds) -> None:
    import polars as pl

    from mmm.data import MMMDataSet

    spend = small_ds.frame["spend__search"].to_numpy()
    week = int(np.flatnonzero(spend > 0)[0])
    frame = small_ds.frame.with_columns(
        pl.when(pl.int_range(pl.len()) == week)
        .then(pl.col("spend__search"))
        .otherwise(0.0)
        .alias("spend__search")
    )
    ds = MMMDataSet.from_frame(frame, warn=False)
    expected = rf"'search' has activity in 1 period\(s\) \['{small_ds.dates[week]}'\]"
    with pytest.raises(ModelDataError, match=expected):
        fit(ModelSpec.default(ds), ds, draws=10, tune=10)
    assert issubclass(ModelDataError, ValueError)
    assert MIN_ACTIVE_PERIODS >= 2


def test_more_parameters_than_periods_fails_before_sampling() -> None:
    from mmm import DataContractWarning
    from mmm.features import Fourier

    with pytest.warns(DataContractWarning, match="52 weekly periods"):
        ds, _ = simulate(n_weeks=52, n_channels=10, seed=0, n_controls=3, n_events=2)
    spec = ModelSpec.default(ds)
    spec = type(spec)(
        channels=spec.channels,
        media=spec.media,
        baseline=(*spec.baseline[:2], Fourier(order=10), *spec.baseline[3:]),
    )
    n = count_parameters(spec, design_for(spec, ds))
    assert n >= 52
    with pytest.raises(ModelDataError, match=f"{n} free parameters but the data have 52 periods"):
        fit(spec, ds, draws=10, tune=10)


def test_float64_switch_in_a_fresh_process() -> None:
    """x64=True fits in float64 (a subprocess: the switch is process-wide)."""
    import subprocess
    import sys

    code = (
        "import mmm, numpy as np\n"
        "ds, _ = mmm.simulate(n_weeks=104, n_channels=2, seed=1)\n"
        "f = mmm.fit(mmm.ModelSpec.default(ds), ds, method='map', svi_steps=50, x64=True)\n"
        "assert f.design.kpi.dtype == np.float64, f.design.kpi.dtype\n"
        "assert all(v.dtype == np.float64 for v in f.samples.values())\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=False
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("ok")
