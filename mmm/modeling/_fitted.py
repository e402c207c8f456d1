"""``FittedMMM``: the thin result of a fit (spec, data, design, posterior arrays)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpyro

from mmm.data import MMMDataSet
from mmm.features import Design
from mmm.modeling._arviz import arviz
from mmm.modeling._model import latent_sites, media_groups, mmm_model, organic_groups
from mmm.modeling._spec import ModelSpec

if TYPE_CHECKING:
    from arviz import InferenceData

__all__ = ["FitInfo", "FittedMMM", "site_dims", "to_variable", "to_site"]


def to_variable(site: str) -> str:
    """InferenceData variable name of a NumPyro site: ``/`` becomes ``.`` (NetCDF-safe)."""
    return site.replace("/", ".")


def to_site(variable: str) -> str:
    """Inverse of :func:`to_variable`."""
    return variable.replace(".", "/")


@dataclasses.dataclass(frozen=True)
class FitInfo:
    """How a fit was run.

    Attributes:
        method: ``"nuts"``, ``"hmc"``, ``"svi"``, ``"map"`` or ``"laplace"``.
        seed: the PRNG seed.
        seconds: wall time of compilation plus sampling/optimization.
        settings: the sampler settings used (chains, draws, tune, chain_method, ...).
        losses: the optimizer's loss per step (SVI, MAP, Laplace), else ``None``.
    """

    method: str
    seed: int
    seconds: float
    settings: Mapping[str, Any]
    losses: np.ndarray | None = None


def site_dims(spec: ModelSpec, design: Design) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """Dims of every parameter site (beyond chain and draw) and the coordinates they use."""
    dims: dict[str, list[str]] = {}
    coords: dict[str, Any] = {"channel": list(spec.channels)}
    if spec.organic_names:
        coords["organic"] = list(spec.organic_names)
    blocks = (
        ("media", "channel", spec.effect, media_groups(spec)),
        ("organic", "organic", spec.organic_effect, organic_groups(spec)),
    )
    for base, axis, effect, groups in blocks:
        for group in groups:
            dim = axis if group.prefix == base else f"{group.prefix}_channel"
            coords[dim] = list(group.channels)
            for part, sub in (
                ("adstock", group.spec.adstock),
                ("saturation", group.spec.saturation),
            ):
                for name in sub.param_names:
                    dims[f"{group.prefix}/{part}/{name}"] = [dim]
        for name in (*effect.param_names, "coef"):
            dims[f"{base}/{name}"] = [axis]
    for baseline, labels in zip(spec.baseline, design.baseline_labels, strict=True):
        coords[f"{baseline.name}_feature"] = list(labels)
        for name in baseline.feature_params:
            dims[f"{baseline.name}/{name}"] = [f"{baseline.name}_feature"]
    return dims, coords


@dataclasses.dataclass(frozen=True, eq=False)
class FittedMMM:
    """A fitted model: what was fitted, to what, and the posterior draws. Nothing else.

    Diagnostics, results, plots and optimization take a ``FittedMMM`` (or its arrays) as
    input; it holds no sampler and no NumPyro state.

    Attributes:
        spec: the model spec.
        dataset: the training dataset.
        design: the scaled training design, with the scalings to map back to data units.
        samples: draws of every latent and deterministic site, by site name, each shaped
            ``(chain, draw, ...)`` (scaled units, see :mod:`mmm.modeling`).
        sample_stats: per-draw sampler statistics ``(chain, draw)`` (NUTS/HMC:
            ``diverging``, ``n_steps``, ``tree_depth``, ``energy``, ``acceptance_rate``,
            ``step_size``); empty for SVI, MAP and Laplace.
        info: how the fit was run (:class:`FitInfo`).
    """

    spec: ModelSpec
    dataset: MMMDataSet
    design: Design
    samples: Mapping[str, np.ndarray]
    sample_stats: Mapping[str, np.ndarray]
    info: FitInfo

    @property
    def n_chains(self) -> int:
        """Number of chains (1 for SVI, MAP and Laplace)."""
        return int(next(iter(self.samples.values())).shape[0])

    @property
    def n_draws(self) -> int:
        """Draws per chain."""
        return int(next(iter(self.samples.values())).shape[1])

    def flat_samples(self) -> dict[str, np.ndarray]:
        """The draws with chain and draw merged, each ``(chain * draw, ...)``."""
        return {k: v.reshape(-1, *v.shape[2:]) for k, v in self.samples.items()}

    def free_samples(self) -> dict[str, np.ndarray]:
        """The draws of the free parameters only (the latent sample sites), by site name.

        Deterministic sites (``media/coef`` under a share or ROI effect, ``intercept/coef``
        implied by the level, ...) are left out: convergence diagnostics and ESS/s are
        stated over these.
        """
        latent, _ = latent_sites(self.spec, self.design)
        return {k: self.samples[k] for k in latent if k in self.samples}

    def log_likelihood(self) -> np.ndarray:
        """Pointwise log-likelihood of the KPI in its own units, ``(chain, draw, time)``."""
        values = numpyro.infer.log_likelihood(
            mmm_model, self.flat_samples(), self.spec, self.design, self.design.kpi
        )["kpi"]
        # Density of the unscaled KPI: p(y) = p(y / s) / s.
        values = np.asarray(values) - np.log(float(self.design.scalings.kpi.scale))
        return values.reshape(self.n_chains, self.n_draws, -1)

    @functools.cached_property
    def idata(self) -> InferenceData:
        """The fit as arviz InferenceData (named dims and coords; built once, on demand).

        Groups: ``posterior`` (sites with ``/`` written as ``.``, e.g.
        ``media.adstock.alpha`` with dims ``(chain, draw, channel)``), ``sample_stats``
        (MCMC), ``log_likelihood`` (``kpi``, for LOO/WAIC), ``observed_data`` (``kpi`` in
        its units) and ``constant_data`` (``spend``, ``(date, channel)``). Per-period
        quantities are not stored: they are recomputed from the parameters downstream.
        """
        dims, coords = site_dims(self.spec, self.design)
        coords = {**coords, "date": np.asarray(self.design.dates, dtype="datetime64[D]")}
        kpi_units = np.asarray(self.design.scalings.kpi.inverse(self.design.kpi))
        return arviz().from_dict(
            posterior={to_variable(k): v for k, v in self.samples.items()},
            sample_stats=dict(self.sample_stats) or None,
            log_likelihood={"kpi": self.log_likelihood()},
            observed_data={"kpi": kpi_units},
            constant_data={"spend": np.asarray(self.design.spend)},
            coords=coords,
            dims={
                **{to_variable(k): v for k, v in dims.items() if k in self.samples},
                "kpi": ["date"],
                "spend": ["date", "channel"],
            },
            attrs={"mmm_method": self.info.method, "mmm_seed": self.info.seed},
        )

    def save(self, path: str | Path) -> Path:
        """Write the fit to directory ``path`` (see :func:`mmm.modeling.load`); returns it."""
        from mmm.modeling._io import save

        return save(self, path)
