"""How the media-effect prior trades contribution recovery between businesses.

Run: ``python benchmarks/share_prior.py`` (``--priors`` to choose the priors, ``--presets``
the PLR presets, ``--plr-dir DIR`` for the presets that are not bundled, ``--simulated N``
for ``simulate()`` seeds 1..N, ``--null N`` for the null-channel check on seeds 1..N,
``--draws N`` for the chain length).

mmm's default media effect is :func:`mmm.modeling.spend_share_effect`: each channel's mean
contribution as a share of the mean KPI, ``share_c ~ Gamma(1.5, 1.5 / (0.4 w_c))`` with
``w_c`` the channel's share of total spend (a prior mean of 40% of the KPI from media in
total). This script refits ``ModelSpec.default(ds)`` with other priors on the same share
and reports how well each recovers the known true contributions:

- ``gamma:K``: ``spend_share_effect(ds, concentration=K)``, ``Gamma(K, K / (0.4 w_c))``:
  mean ``0.4 w_c`` with no mass at zero for ``K > 1`` and an exponential tail
  (``gamma:1.5`` is the default);
- ``halfnormal:S``: ``HalfNormal(S w_c)``: prior mean ``0.8 S`` of the KPI from media
  (exactly ``sqrt(2 / pi) S = 0.798 S``); ``halfnormal:0.5`` (the default until
  2026-12-08) has the default's mean to 0.3%, with its mode at zero;
- ``lognormal:SD``: ``LogNormal(log(0.4 w_c), SD)``: median ``0.4 w_c`` (as Meridian's ROI
  priors, a log-normal).

Data, each with a published truth: the PyMC Labs parameter-recovery presets (``small``:
104 weeks x 4 channels, bundled as ``plr_small_business``; ``medium``: 156 x 8, national,
bundled as ``plr_medium_business``; ``growing``: 131 x 6 national and ``large``: 208 x 30
national, read from the presets' folder given by ``--plr-dir``, see
``shared/data/plr/README.md``), and with ``--simulated N``, ``simulate(seed=s)`` for
``s = 1..N`` in three settings (Hill saturation with media 30% of the KPI, logistic with
20%, Hill with 50%), 500 + 500 draws. With ``--null N``: ``simulate_frame(seed=s,
n_channels=4)`` plus a fifth paid channel whose spend does nothing, for ``s = 1..N``
(500 + 500 draws): the posterior of its share of the KPI, which a prior with no mass at
zero must still let fall far below the prior mean.

Reported per dataset and prior (as ``benchmarks/vs_pymc_marketing.py``): ``total`` = mean
over channels of ``|estimated total / true total - 1|``, ``weekly`` = ``sum |estimated -
true| / sum true`` over channels and weeks (posterior means), divergences, mean leapfrog
steps per draw and the fit's wall time. 4 chains, seed 1.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import platform
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
import polars as pl
import polars.selectors as cs

from mmm.data import ColumnMapper, MMMDataSet
from mmm.datasets import load_example, load_example_truth, simulate, simulate_frame
from mmm.modeling import FittedMMM, ModelSpec, fit, spend_share_effect
from mmm.modeling._effects import AbstractMediaEffect, ContributionEffect
from mmm.results import contributions

Truth = dict[str, np.ndarray]
"""True weekly contribution per channel (mmm's channel names)."""

BUNDLED = {"small": "plr_small_business", "medium": "plr_medium_business"}
FROM_DIR = {"growing": "plr_growing_business_national", "large": "plr_large_business_national"}
SIMULATED = (("hill", 0.3), ("logistic", 0.2), ("hill", 0.5))


def spend_weights(ds: MMMDataSet) -> np.ndarray:
    """Each channel's share of total spend over the window, ``(channel,)``."""
    totals = np.asarray(ds.to_arrays().spend, np.float64).sum(axis=0)
    return totals / totals.sum()


def effect(name: str, ds: MMMDataSet) -> AbstractMediaEffect:
    """The media effect named ``family:parameter`` (see the module docstring)."""
    family, _, value = name.partition(":")
    parameter = float(value)
    if family == "gamma":
        return spend_share_effect(ds, concentration=parameter)
    if family == "halfnormal":
        return ContributionEffect(share=dist.HalfNormal(jnp.asarray(parameter * spend_weights(ds))))
    mean = jnp.asarray(0.4 * spend_weights(ds), jnp.float32)
    if family == "lognormal":
        return ContributionEffect(share=dist.LogNormal(jnp.log(mean), parameter))
    raise ValueError(f"prior {name!r}: pass halfnormal:S, gamma:K or lognormal:SD")


def _channel(column: str) -> str:
    return column.split("_", 1)[1].lower().replace("-", "_")


def preset_from_dir(folder: pathlib.Path, name: str) -> tuple[MMMDataSet, Truth]:
    """A national PLR preset and its true contributions, from the presets' folder."""
    raw = pl.read_csv(folder / f"{name}.csv")
    mapping = {"date": "date", "y": "kpi__sales"}
    channels = [c for c in raw.columns if c.startswith("x")]
    mapping.update({c: f"spend__{_channel(c)}" for c in channels})
    controls = [c for c in raw.columns if c.startswith("c") and not c.endswith("_effect")]
    mapping.update({c: f"control__{c}" for c in controls})
    ds = ColumnMapper.from_dict(mapping).build(raw.select(list(mapping)))[0]
    preset = name.removesuffix("_national")
    truth = json.loads((folder / f"{preset}_truth.json").read_text())
    national = truth["national"]["contributions"]
    return ds, {_channel(c): np.asarray(national[c], np.float64) for c in channels}


def bundled(example: str) -> tuple[MMMDataSet, Truth]:
    ds = load_example(example)
    truth = load_example_truth(example)
    return ds, {c: truth[c].to_numpy() for c in ds.channels}


def recovery(fitted: FittedMMM, truth: Truth) -> tuple[float, float]:
    frame = contributions(fitted)
    estimated = {c: frame.filter(pl.col("component") == c)["mean"].to_numpy() for c in truth}
    total = np.mean([abs(estimated[c].sum() / truth[c].sum() - 1) for c in truth])
    weekly = sum(np.abs(estimated[c] - truth[c]).sum() for c in truth) / sum(
        truth[c].sum() for c in truth
    )
    return float(total), float(weekly)


def run(
    label: str, load: Callable[[], tuple[MMMDataSet, Truth]], priors: list[str], draws: int
) -> None:
    ds, truth = load()
    share = sum(v.sum() for v in truth.values()) / float(np.asarray(ds.to_arrays().kpi).sum())
    for prior in priors:
        spec = ModelSpec.default(ds, effect=effect(prior, ds))
        start = time.perf_counter()
        fitted = fit(spec, ds, draws=draws, tune=draws, seed=1, progress_bar=False)
        seconds = time.perf_counter() - start
        total, weekly = recovery(fitted, truth)
        stats = fitted.sample_stats
        print(
            f"{label:28s} {share:6.2f} {prior:15s} {100 * total:6.1f}% {100 * weekly:6.1f}% "
            f"{int(stats['diverging'].sum()):4d} {float(stats['n_steps'].mean()):6.1f} "
            f"{seconds:7.1f}",
            flush=True,
        )


def with_null_channel(seed: int) -> MMMDataSet:
    """``simulate_frame(seed=seed, n_channels=4)`` plus a paid channel ``null`` with no effect.

    Its spend is log-normal around the median channel's mean spend, off in about 30% of
    the weeks, and independent of the KPI.
    """
    frame, _ = simulate_frame(n_channels=4, seed=seed)
    spend = frame.select(cs.starts_with("spend__")).to_numpy()
    rng = np.random.default_rng(100 + seed)
    level = float(np.median(spend.mean(axis=0)))
    null = level * rng.lognormal(0.0, 0.6, frame.height) * (rng.random(frame.height) > 0.3)
    return MMMDataSet.from_frame(frame.with_columns(pl.Series("spend__null", null)), warn=False)


def run_null(seed: int, priors: list[str], draws: int) -> None:
    """Where each prior puts a channel that does nothing: its share of the KPI."""
    ds = with_null_channel(seed)
    index = ds.channels.index("null")
    prior_mean = 0.4 * spend_weights(ds)[index]
    for prior in priors:
        spec = ModelSpec.default(ds, effect=effect(prior, ds))
        fitted = fit(spec, ds, draws=draws, tune=draws, seed=1, progress_bar=False)
        share = np.asarray(fitted.samples["media/share"])[..., index].ravel()
        low, high = np.quantile(share, [0.05, 0.95])
        print(
            f"null channel, seed {seed}: {prior:15s} prior mean {prior_mean:.2%}"
            f", posterior mean {share.mean():.2%}, 90% interval [{low:.2%}, {high:.2%}], "
            f"divergences {int(fitted.sample_stats['diverging'].sum())}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--priors", nargs="+", default=["gamma:1.5", "halfnormal:0.5", "gamma:2"])
    parser.add_argument(
        "--presets", nargs="*", default=["small", "medium"], choices=[*BUNDLED, *FROM_DIR]
    )
    parser.add_argument("--plr-dir", type=pathlib.Path, help="folder of the PLR preset files")
    parser.add_argument("--simulated", type=int, default=0, help="simulate() seeds 1..N")
    parser.add_argument("--draws", type=int, default=1000, help="warm-up and draws per chain")
    parser.add_argument("--null", type=int, default=0, help="null-channel seeds 1..N")
    args = parser.parse_args()
    print(f"# {platform.processor() or platform.machine()}, jax {jax.__version__}")
    head = ("dataset", "media", "prior", "total", "weekly", "div", "steps", "fit s")
    print(f"{head[0]:28s} {head[1]:>6s} {head[2]:15s} " + " ".join(f"{h:>7s}" for h in head[3:]))
    for preset in args.presets:
        if preset in BUNDLED:
            run(preset, lambda p=preset: bundled(BUNDLED[p]), args.priors, args.draws)
        elif args.plr_dir is None:
            parser.error(f"preset {preset!r} is not bundled: pass --plr-dir")
        else:
            run(
                preset,
                lambda p=preset, d=args.plr_dir: preset_from_dir(d, FROM_DIR[p]),
                args.priors,
                args.draws,
            )
    for seed in range(1, args.simulated + 1):
        for saturation, share in SIMULATED:

            def load(s: int = seed, sat: str = saturation, m: float = share) -> tuple:
                ds, truth = simulate(seed=s, saturation=sat, media_share=m)
                return ds, {c: truth.contributions[c].to_numpy() for c in truth.channels}

            run(f"simulate {seed} {saturation} {share}", load, args.priors, min(args.draws, 500))
    for seed in range(1, args.null + 1):
        run_null(seed, args.priors, min(args.draws, 500))


if __name__ == "__main__":
    main()
