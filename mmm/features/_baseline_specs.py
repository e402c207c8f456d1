"""Specs of baseline components: intercept, trends, seasonality, controls and events.

Each builds its feature matrix from a :class:`DesignContext` (``features``), owns the
prior of its coefficients, and maps coefficients to a contribution (``apply``), all in
scaled KPI units.
"""

from __future__ import annotations

import abc
import functools
from collections.abc import Mapping
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from jaxtyping import Array, Float

from mmm.config import is_valid_name
from mmm.features._context import DesignContext
from mmm.features._events import event_window
from mmm.features._fourier import (
    DAYS_PER_YEAR,
    YEAR,
    day_of_year_fraction,
    fourier_features,
    fourier_labels,
    years_since_epoch,
)
from mmm.features._spec import AbstractSpec
from mmm.features._trend import changepoint_grid, piecewise_linear_trend

__all__ = [
    "AbstractBaseline",
    "Intercept",
    "LinearTrend",
    "PiecewiseTrend",
    "Fourier",
    "Controls",
    "Events",
]

Params = Mapping[str, Array]


def _check_name(name: str) -> None:
    if not is_valid_name(name):
        raise ValueError(
            f"name={name!r} is not valid: use [a-z][a-z0-9_]* without '__' (it labels the "
            "component in results)"
        )


class AbstractBaseline(AbstractSpec):
    """A baseline component: features from the context, times coefficients.

    The contribution is ``features(context) @ coef`` (scaled KPI units) unless a subclass
    overrides :meth:`apply`; ``coef`` has one entry per feature column, each with the
    spec's ``coef`` prior.
    """

    name: eqx.AbstractVar[str]
    param_names: ClassVar[tuple[str, ...]] = ("coef",)
    feature_params: ClassVar[tuple[str, ...]] = ("coef",)
    """Parameters with one entry per feature column (labelled by :meth:`labels`)."""
    split_features: ClassVar[bool] = False
    """Whether a decomposition reports each feature column as its own component (each
    control, each event) rather than the spec as one (a trend, a seasonality). Only for
    specs whose :meth:`apply` is ``x @ coef``: column ``j`` contributes ``x[:, j] * coef[j]``."""

    @abc.abstractmethod
    def features(self, context: DesignContext) -> Float[Array, "time feature"]:
        """The feature matrix, shape ``(time, feature)``."""

    @abc.abstractmethod
    def labels(self, context: DesignContext) -> tuple[str, ...]:
        """One label per feature column."""

    def sample_for(self, n_features: int) -> dict[str, Array]:
        """Sample each parameter with shape ``(n_features,)`` as site ``"<name>/<param>"``."""
        with numpyro.handlers.scope(prefix=self.name, divider="/"):
            return {
                name: numpyro.sample(name, prior.expand((n_features,)).to_event(1))
                for name, prior in self.priors().items()
            }

    def coefficients(self, params: Params, media_mean: Array) -> Params:
        """The parameters :meth:`apply` takes, from the sampled ones.

        Args:
            params: this spec's sampled parameters (without the ``"<name>/"`` prefix).
            media_mean: the mean contribution per period of media and organic series over
                the training window (scaled KPI units, scalar).

        The default returns ``params`` unchanged; :class:`Intercept` turns its sampled
        level into the intercept ``level - media_mean``.
        """
        return params

    def apply(self, params: Params, x: Float[Array, "time feature"]) -> Float[Array, " time"]:
        """``x @ coef``: the contribution, shape ``(time,)``."""
        return x @ params["coef"]

    def __check_init__(self) -> None:
        _check_name(self.name)


class Intercept(AbstractBaseline):
    """A constant level, parametrized by the mean KPI that media do not explain.

    The sampled parameter is the *level* ``L`` (site ``"<name>/level"``): the intercept
    plus the mean contribution per period of media and organic series over the training
    window, i.e. the mean of the expected KPI net of the other baseline terms. The
    intercept itself is ``coef = L - mean(media + organic)`` (recorded as the
    deterministic ``"<name>/coef"``).

    Why: the KPI's mean pins down ``intercept + sum of media contributions`` tightly, so
    with the intercept sampled directly the posterior has a ridge between it and every
    large channel's share (saturation parameters bend it: the share is sampled on the log
    scale, the intercept on the linear one), and NUTS diverged in its tail. Sampling
    ``L`` removes the ridge: on ``simulate()`` data with 5 and 10 channels (logistic and
    Hill) it took divergences from 1-8 per fit to 0 and halved the leapfrog steps
    (``docs/benchmarks.md``). The likelihood is unchanged (``(L, media) -> (coef,
    media)`` is a shift), only the prior is placed on ``L``.

    Attributes:
        level: prior of ``L`` in units of the mean KPI; default ``Normal(1, 0.5)`` (the
            scaled KPI has mean 1).
    """

    param_names: ClassVar[tuple[str, ...]] = ("level",)
    feature_params: ClassVar[tuple[str, ...]] = ("level", "coef")
    name: str = eqx.field(static=True, default="intercept")
    level: dist.Distribution = eqx.field(default_factory=lambda: dist.Normal(1.0, 0.5))

    def coefficients(self, params: Params, media_mean: Array) -> Params:
        """``{"coef": level - media_mean}``, shape ``(1,)``."""
        return {"coef": params["level"] - media_mean}

    def features(self, context: DesignContext) -> Float[Array, "time feature"]:
        """A column of ones, ``(time, 1)``."""
        # built on the host: an eager jnp.ones compiles programs of its own
        return jax.device_put(np.ones((len(context.dates), 1), dtype=np.dtype(context.t.dtype)))

    def labels(self, context: DesignContext) -> tuple[str, ...]:
        """``("intercept",)``."""
        return (self.name,)


class LinearTrend(AbstractBaseline):
    """``slope * t`` with ``t`` in ``[0, 1]`` over the training window (extends beyond).

    Default prior ``Normal(0, 0.5)``: the KPI may drift by about half its mean over the window.
    """

    name: str = eqx.field(static=True, default="trend")
    coef: dist.Distribution = eqx.field(default_factory=lambda: dist.Normal(0.0, 0.5))

    def features(self, context: DesignContext) -> Float[Array, "time feature"]:
        """Scaled time as one column, ``(time, 1)``."""
        return context.t[:, None]

    def labels(self, context: DesignContext) -> tuple[str, ...]:
        """``("trend",)``."""
        return (self.name,)


class PiecewiseTrend(AbstractBaseline):
    """Prophet-style piecewise-linear trend with changepoints in scaled time.

    ``g(t) = (k + a(t)·delta) t - a(t)·(s·delta)``, ``a_j(t) = 1[t >= s_j]``, with
    ``n_changepoints`` points ``s`` spread over the first ``range_fraction`` of the window.
    ``coef`` is the prior of the initial slope ``k``, ``delta`` that of the slope changes
    (sparse: ``Laplace(0, 0.1)``).
    """

    param_names: ClassVar[tuple[str, ...]] = ("coef", "delta")
    name: str = eqx.field(static=True, default="trend")
    n_changepoints: int = eqx.field(static=True, default=8)
    range_fraction: float = eqx.field(static=True, default=0.8)
    coef: dist.Distribution = eqx.field(default_factory=lambda: dist.Normal(0.0, 0.5))
    delta: dist.Distribution = eqx.field(default_factory=lambda: dist.Laplace(0.0, 0.1))

    def __check_init__(self) -> None:
        _check_name(self.name)
        if isinstance(self.n_changepoints, bool) or not isinstance(self.n_changepoints, int):
            raise ValueError(f"n_changepoints={self.n_changepoints!r}: pass an int >= 1")
        if self.n_changepoints < 1 or not 0 < self.range_fraction <= 1:
            raise ValueError(
                f"n_changepoints={self.n_changepoints} must be >= 1 and range_fraction="
                f"{self.range_fraction} in (0, 1]"
            )

    def features(self, context: DesignContext) -> Float[Array, "time feature"]:
        """Scaled time as one column, ``(time, 1)``."""
        return context.t[:, None]

    def labels(self, context: DesignContext) -> tuple[str, ...]:
        """``("trend",)``."""
        return (self.name,)

    def sample_for(self, n_features: int) -> dict[str, Array]:
        """Initial slope ``"<name>/coef"`` and changes ``"<name>/delta"`` (changepoint,)."""
        with numpyro.handlers.scope(prefix=self.name, divider="/"):
            slope = numpyro.sample("coef", self.coef.expand((n_features,)).to_event(1))
            shape = (self.n_changepoints,)
            delta = numpyro.sample("delta", self.delta.expand(shape).to_event(1))
        return {"coef": slope, "delta": delta}

    def apply(self, params: Params, x: Float[Array, "time feature"]) -> Float[Array, " time"]:
        """The trend, shape ``(time,)``, zero at ``t = 0``."""
        grid = changepoint_grid(self.n_changepoints, range_fraction=self.range_fraction)
        cps = jnp.asarray(grid, dtype=x.dtype)
        return piecewise_linear_trend(x[:, 0], cps, params["delta"], params["coef"][0], 0.0)


class Fourier(AbstractBaseline):
    """Seasonality as ``order`` sine/cosine pairs of a cycle of ``period`` days.

    ``period=365.25`` (yearly) uses the calendar day of the year; other periods (e.g.
    ``7`` on daily data) use continuous time. Features depend only on the dates, so weekly,
    daily and monthly data agree at the same dates. Default prior ``Normal(0, 0.3)``.

    Attributes:
        period: cycle length in days (static).
        order: number of harmonics (static).
        name: component label, also the label prefix (``yearly_sin_1``, ...).
    """

    name: str = eqx.field(static=True, default="yearly")
    period: float = eqx.field(static=True, default=DAYS_PER_YEAR)
    order: int = eqx.field(static=True, default=2)
    coef: dist.Distribution = eqx.field(default_factory=lambda: dist.Normal(0.0, 0.3))

    def __check_init__(self) -> None:
        _check_name(self.name)
        if isinstance(self.order, bool) or not isinstance(self.order, int) or self.order < 1:
            raise ValueError(f"order={self.order!r} is not valid: pass an int >= 1")
        if not np.isfinite(self.period) or self.period <= 0:
            raise ValueError(f"period={self.period!r} is not valid: pass days > 0")

    def features(self, context: DesignContext) -> Float[Array, "time feature"]:
        """``(time, 2 * order)`` features, columns ``[sin_1, cos_1, ...]``."""
        if self.period == DAYS_PER_YEAR:  # calendar position: same phase every year
            t, period = day_of_year_fraction(context.dates), YEAR
        else:
            period = self.period / DAYS_PER_YEAR
            t = years_since_epoch(context.dates, period=period)
        t = jax.device_put(np.asarray(t, dtype=np.dtype(context.t.dtype)))  # no compile
        return fourier_features(t, period=period, order=self.order)

    def labels(self, context: DesignContext) -> tuple[str, ...]:
        """``("<name>_sin_1", "<name>_cos_1", ...)``."""
        return tuple(fourier_labels(self.order, self.name))


class Controls(AbstractBaseline):
    """Linear effects of the standardized controls. Default prior ``Normal(0, 0.5)``."""

    split_features: ClassVar[bool] = True
    name: str = eqx.field(static=True, default="controls")
    coef: dist.Distribution = eqx.field(default_factory=lambda: dist.Normal(0.0, 0.5))

    def features(self, context: DesignContext) -> Float[Array, "time feature"]:
        """The standardized controls, ``(time, control)``."""
        return context.controls

    def labels(self, context: DesignContext) -> tuple[str, ...]:
        """The control names."""
        return context.control_names


class Events(AbstractBaseline):
    """Linear effects of events, each spread over ``pre`` periods before and ``post`` after.

    Default prior ``Normal(0, 0.5)`` (an event moves the KPI by up to about half its mean).
    """

    split_features: ClassVar[bool] = True
    name: str = eqx.field(static=True, default="events")
    pre: int = eqx.field(static=True, default=0)
    post: int = eqx.field(static=True, default=0)
    coef: dist.Distribution = eqx.field(default_factory=lambda: dist.Normal(0.0, 0.5))

    def __check_init__(self) -> None:
        _check_name(self.name)
        for label, value in (("pre", self.pre), ("post", self.post)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{label}={value!r} is not valid: pass an int >= 0")

    def features(self, context: DesignContext) -> Float[Array, "time feature"]:
        """The events with their windows, ``(time, event)``."""
        if context.events.shape[1] == 0:
            return context.events
        return _event_windows(context.events, self.pre, self.post)

    def labels(self, context: DesignContext) -> tuple[str, ...]:
        """The event names."""
        return context.event_names


@functools.partial(jax.jit, static_argnames=("pre", "post"))
def _event_windows(
    events: Float[Array, "time event"], pre: int, post: int
) -> Float[Array, "time event"]:
    """:func:`event_window` of every column, one compiled program (eagerly: three)."""
    return jax.vmap(lambda e: event_window(e, pre=pre, post=post), in_axes=1, out_axes=1)(events)
