"""Save and load fits: a versioned, pickle-free directory.

Layout of a saved fit (``FORMAT_VERSION`` 1)::

    manifest.json    format name and version, mmm version, method, seed, settings, losses
    spec.json        the ModelSpec (ModelSpec.to_json)
    data.parquet     the training dataset's frame (re-validated on load)
    posterior.nc     posterior draws and sample stats (NetCDF via arviz/xarray)

Floats round-trip exactly (NetCDF stores the arrays' own dtypes).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from mmm.data import MMMDataSet
from mmm.modeling._arviz import arviz
from mmm.modeling._fit import design_for
from mmm.modeling._fitted import FitInfo, FittedMMM, to_site, to_variable
from mmm.modeling._spec import ModelSpec

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "IncompatibleFileError", "save", "load"]

FORMAT_NAME = "mmm-fitted"
FORMAT_VERSION = 2


class IncompatibleFileError(ValueError):
    """A saved fit cannot be read by this version of mmm; the message names both versions."""


def _library_version() -> str:
    from mmm import __version__

    return __version__


def save(fitted: FittedMMM, path: str | Path) -> Path:
    """Write ``fitted`` to the directory ``path`` (created; existing files are replaced).

    Returns:
        The directory.
    """
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    info = fitted.info
    manifest: dict[str, Any] = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "mmm_version": _library_version(),
        "method": info.method,
        "seed": info.seed,
        "seconds": info.seconds,
        "settings": dict(info.settings),
        "dtype": str(np.asarray(fitted.design.kpi).dtype),
        "losses": None if info.losses is None else np.asarray(info.losses).tolist(),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    (out / "spec.json").write_text(fitted.spec.to_json(indent=2))
    fitted.dataset.frame.write_parquet(out / "data.parquet")
    groups: dict[str, Any] = {"posterior": {to_variable(k): v for k, v in fitted.samples.items()}}
    if fitted.sample_stats:
        groups["sample_stats"] = dict(fitted.sample_stats)
    arviz().from_dict(**groups).to_netcdf(str(out / "posterior.nc"))
    return out


def load(path: str | Path) -> FittedMMM:
    """Read a fit written by :func:`save` (or ``FittedMMM.save``).

    Raises:
        FileNotFoundError: if ``path`` is not a saved fit.
        IncompatibleFileError: if it was written in another format version, naming both.
    """
    root = Path(path)
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        raise FileNotFoundError(f"{root} is not a saved fit: it has no manifest.json")
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("format") != FORMAT_NAME or manifest.get("format_version") != FORMAT_VERSION:
        raise IncompatibleFileError(
            f"{root} holds format {manifest.get('format')!r} version "
            f"{manifest.get('format_version')!r} (written by mmm "
            f"{manifest.get('mmm_version')!r}); this mmm {_library_version()} reads "
            f"{FORMAT_NAME!r} version {FORMAT_VERSION}: load it with the version that wrote "
            "it and refit, or re-save"
        )
    spec = ModelSpec.from_json((root / "spec.json").read_text())
    dataset = MMMDataSet.from_frame(pl.read_parquet(root / "data.parquet"), warn=False)
    design = design_for(spec, dataset, dtype=manifest["dtype"])
    idata = arviz().from_netcdf(str(root / "posterior.nc"))
    samples = {to_site(k): np.asarray(v.values) for k, v in idata.posterior.data_vars.items()}
    stats = (
        {k: np.asarray(v.values) for k, v in idata.sample_stats.data_vars.items()}
        if "sample_stats" in idata.groups()
        else {}
    )
    losses = manifest.get("losses")
    info = FitInfo(
        method=manifest["method"],
        seed=manifest["seed"],
        seconds=manifest["seconds"],
        settings=manifest["settings"],
        losses=None if losses is None else np.asarray(losses),
    )
    return FittedMMM(
        spec=spec, dataset=dataset, design=design, samples=samples, sample_stats=stats, info=info
    )
