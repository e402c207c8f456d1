"""Prediction: posterior (predictive) KPI in and out of sample, with adstock carry-in.

Out of sample, the future periods are appended to the training history and the model is
evaluated on the whole span with the training scalings, so the first future periods feel
the carry-over of the last historic spend exactly as the model defines it (any adstock,
any order of transforms); only the future periods are returned. Draws are evaluated by
``jax.vmap`` over chunks of ``chunk_size`` draws, so memory is bounded by
``chunk_size x time x channel``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from mmm.data import MMMDataSet, ModelArrays
from mmm.features import Design
from mmm.modeling._compile import jit_in_mode
from mmm.modeling._fit import design_for
from mmm.modeling._fitted import FittedMMM
from mmm.modeling._model import _prefixed, components
from mmm.modeling._spec import ModelSpec

__all__ = ["Prediction", "predict", "expected_kpi", "history_and_future"]


@dataclasses.dataclass(frozen=True)
class Prediction:
    """Posterior draws of the KPI over a window, in the KPI's own units.

    Attributes:
        dates: the predicted periods.
        mean: the expected KPI (no observation noise) per draw, ``(draw, time)``.
        draws: posterior predictive draws (with observation noise), ``(draw, time)``.
    """

    dates: tuple[dt.date, ...]
    mean: Float[np.ndarray, "draw time"]
    draws: Float[np.ndarray, "draw time"]

    def interval(self, level: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
        """Equal-tailed predictive interval per period at ``level``, two ``(time,)`` arrays."""
        if not 0 < level < 1:
            raise ValueError(f"level={level!r} is not valid: pass a float in (0, 1)")
        tail = (1 - level) / 2
        lower, upper = np.quantile(self.draws, [tail, 1 - tail], axis=0)
        return lower, upper


def _check_same_columns(train: ModelArrays, future: ModelArrays) -> None:
    for field in ("channels", "media_channels", "organic_names", "control_names", "event_names"):
        a, b = getattr(train, field), getattr(future, field)
        if a != b:
            raise ValueError(
                f"future data have {field} {list(b)}, the training data {list(a)}: pass the "
                "same columns for the future periods"
            )


def history_and_future(train: ModelArrays, future: ModelArrays) -> ModelArrays:
    """The training arrays followed by the future ones, checked to continue them.

    Raises:
        ValueError: if the columns differ or the future does not start one period after
            the training window (a gap or an overlap would misplace the carry-over).
    """
    _check_same_columns(train, future)
    if len(future.dates) == 0:
        raise ValueError("future data have no periods")
    step = train.dates[-1] - train.dates[-2]
    gap = future.dates[0] - train.dates[-1]
    if abs((gap - step).days) > 3:  # months differ by up to 3 days
        raise ValueError(
            f"future data start on {future.dates[0]}, the training data end on "
            f"{train.dates[-1]}: the future must start one period ({step.days} days) after "
            "the training window, so that the carry-over of past media lands right"
        )

    def join(a: Array, b: Array) -> Array:
        return jnp.concatenate([a, jnp.asarray(b, dtype=a.dtype)], axis=0)

    return dataclasses.replace(
        train,
        kpi=join(train.kpi, future.kpi),
        spend=join(train.spend, future.spend),
        media=join(train.media, future.media),
        organic=join(train.organic, future.organic),
        controls=join(train.controls, future.controls),
        events=join(train.events, future.events),
        dates=train.dates + future.dates,
    )


def expected_kpi(
    spec: ModelSpec,
    samples: Mapping[str, np.ndarray],
    design: Design,
    train_periods: int,
    chunk_size: int = 1000,
) -> Float[np.ndarray, "draw time"]:
    """Expected scaled KPI ``mu`` for each draw, ``(draw, time)``, in chunks of draws.

    Args:
        spec: the model spec.
        samples: flat draws by site name, each ``(draw, ...)``.
        design: the design to evaluate on.
        train_periods: length of the training window at the start of ``design``.
        chunk_size: draws evaluated per vmapped call.
    """
    n = next(iter(samples.values())).shape[0]
    out = [
        np.asarray(
            _expected_chunk(
                spec,
                design,
                train_periods,
                {k: jax.device_put(v[i : i + chunk_size]) for k, v in samples.items()},
            )
        )
        for i in range(0, n, chunk_size)
    ]
    return np.concatenate(out, axis=0)


@jit_in_mode
def _expected_chunk(
    spec: ModelSpec, design: Design, train_periods: int, params: dict[str, Array]
) -> Array:
    """``mu`` of a chunk of draws (module level: one compiled program per structure)."""
    return jax.vmap(lambda p: components(spec, p, design, train_periods).total())(params)


@jit_in_mode
def _noisy(spec: ModelSpec, key: Array, params: dict[str, Array], mean: Array) -> Array:
    """One observation-noise draw around each row of ``mean``, ``(draw, time)``."""
    keys = jax.random.split(key, mean.shape[0])

    def one(k: Array, p: dict[str, Array], m: Array) -> Array:
        return spec.likelihood.distribution(_prefixed(p, "kpi"), m).sample(k)

    return jax.vmap(one)(keys, params, mean)


def predict(
    fitted: FittedMMM,
    future: MMMDataSet | ModelArrays | None = None,
    *,
    seed: int = 0,
    chunk_size: int = 1000,
) -> Prediction:
    """Posterior predictive KPI in sample (``future=None``) or for future periods.

    Args:
        fitted: the fit.
        future: the periods right after the training window, with the same columns (their
            spend, controls and events; a KPI column, if any, is not used): an
            :class:`MMMDataSet` (which must itself meet the dataset contract, e.g. at
            least 26 weekly periods) or, for any horizon, :class:`ModelArrays`; ``None``
            predicts the training window.
        seed: PRNG seed of the observation noise.
        chunk_size: draws per vmapped evaluation (memory bound).

    Returns:
        The :class:`Prediction` over the requested periods.

    Raises:
        ValueError: if ``future`` has other columns or does not continue the training data.
    """
    spec, train = fitted.spec, fitted.design
    n_train = len(train.dates)
    if future is None:
        design, window = train, slice(0, n_train)
    else:
        dtype = train.kpi.dtype
        history = fitted.dataset.to_arrays(dtype=dtype)
        ahead = future.to_arrays(dtype=dtype) if isinstance(future, MMMDataSet) else future
        design = design_for(spec, history_and_future(history, ahead), scalings=train.scalings)
        window = slice(n_train, len(design.dates))
    flat = fitted.flat_samples()
    mu = expected_kpi(spec, flat, design, n_train, chunk_size)[:, window]

    kpi_params = {k: jax.device_put(v) for k, v in flat.items() if k.startswith("kpi/")}
    draws = np.asarray(_noisy(spec, jax.random.PRNGKey(seed), kpi_params, jnp.asarray(mu)))
    scale = float(train.scalings.kpi.scale)
    return Prediction(dates=design.dates[window], mean=mu * scale, draws=draws * scale)
