"""Save/load: exact round trip, versioned format, clear errors."""

import json

import numpy as np
import pytest

from mmm.modeling import FORMAT_VERSION, IncompatibleFileError, ModelSpec, fit, load, predict


@pytest.fixture(scope="module")
def fitted(small_ds):
    return fit(ModelSpec.default(small_ds), small_ds, chains=2, draws=30, tune=30, seed=4)


def test_round_trip_is_exact(fitted, tmp_path) -> None:
    path = fitted.save(tmp_path / "fit")
    assert sorted(p.name for p in path.iterdir()) == [
        "data.parquet",
        "manifest.json",
        "posterior.nc",
        "spec.json",
    ]
    again = load(path)
    assert again.spec.to_dict() == fitted.spec.to_dict()
    assert again.dataset == fitted.dataset
    assert set(again.samples) == set(fitted.samples)
    for k, v in fitted.samples.items():
        assert again.samples[k].dtype == v.dtype
        np.testing.assert_array_equal(again.samples[k], v)
    for k, v in fitted.sample_stats.items():
        np.testing.assert_array_equal(again.sample_stats[k], v)
    assert again.info.method == "nuts"
    assert again.info.seed == 4
    np.testing.assert_array_equal(predict(again).mean, predict(fitted).mean)
    np.testing.assert_array_equal(
        np.asarray(again.design.scalings.kpi.scale), np.asarray(fitted.design.scalings.kpi.scale)
    )


def test_svi_losses_round_trip(small_ds, tmp_path) -> None:
    f = fit(ModelSpec.default(small_ds), small_ds, method="svi", svi_steps=50, draws=10)
    again = load(f.save(tmp_path / "svi"))
    np.testing.assert_allclose(again.info.losses, f.info.losses)
    assert again.sample_stats == {}


def test_incompatible_versions_are_named(fitted, tmp_path) -> None:
    path = fitted.save(tmp_path / "old")
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["format_version"] = FORMAT_VERSION + 1
    manifest["mmm_version"] = "9.9.9"
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IncompatibleFileError, match=rf"version {FORMAT_VERSION + 1}.*9\.9\.9"):
        load(path)
    with pytest.raises(FileNotFoundError, match="no manifest"):
        load(tmp_path / "nowhere")
    assert issubclass(IncompatibleFileError, ValueError)
