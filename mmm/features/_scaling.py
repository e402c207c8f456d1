r"""Scaling with the factors kept, so every result maps back to the data's own units.

Three frozen :class:`equinox.Module` scalers, each fitted on the training window and then
applied unchanged to any period (train, test, future):

* :class:`Standardization` -- controls: :math:`z = (x - \mu) / \sigma` per column.
* :class:`MaxScaling` -- media and spend: :math:`z = x / \max_t |x_t|` per channel.
* :class:`MeanScaling` -- the KPI: :math:`z = y / \overline{|y|}` (one scalar).

They are pytrees whose fields are arrays, so a fitted model can hold them, ``jit`` and
``vmap`` can take them as arguments, and :meth:`to_dict`/:meth:`from_dict` store them as
plain lists (JSON). ``fit`` runs eagerly at the edge of the model and checks the data;
``transform`` and ``inverse`` are exact inverses of each other (up to rounding) and work
under ``jit``. Arrays with the feature axis last and any leading axes (``(time, feature)``,
``(draw, time, feature)``, ...) are scaled column by column.

Examples:
    >>> import jax.numpy as jnp
    >>> spend = jnp.array([[0.0, 10.0], [2.0, 5.0], [4.0, 0.0]])  # (time, channel)
    >>> scaler = MaxScaling.fit(spend)
    >>> scaler.scale
    Array([ 4., 10.], dtype=float32)
    >>> scaler.transform(spend)
    Array([[0. , 1. ],
           [0.5, 0.5],
           [1. , 0. ]], dtype=float32)
    >>> MaxScaling.from_dict(scaler.to_dict()).inverse(scaler.transform(spend))[:, 1]
    Array([10.,  5.,  0.], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

__all__ = [
    "ScalingError",
    "Standardization",
    "MaxScaling",
    "MeanScaling",
    "MeanColumnScaling",
    "PeakScaling",
]


class ScalingError(ValueError):
    """A scaler cannot be fitted (or loaded): a column would be divided by zero or NaN.

    Attributes:
        column: index of the offending column of the fitted matrix, where one is to
            blame (``None`` otherwise).
    """

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.column = column


def _as_float(x: Float[ArrayLike, "..."]) -> Float[Array, "..."]:
    x = jnp.asarray(x)
    return x.astype(jnp.result_type(x.dtype, float))


def _fitted(values: Any, like: Float[ArrayLike, "..."]) -> Float[Array, "..."]:
    """Fitted factors ``values`` as a device array of ``like``'s float dtype.

    Cast on the host and ``device_put``: ``jnp.asarray`` of a host array compiles a small
    program per shape, which a cold start pays for every scaler it fits.
    """
    dtype = np.dtype(like.dtype if hasattr(like, "dtype") else np.asarray(like).dtype)
    float_dtype = dtype if np.issubdtype(dtype, np.floating) else np.dtype(float)
    target = jax.dtypes.canonicalize_dtype(float_dtype)  # float32 unless 64-bit mode
    return jax.device_put(np.asarray(values, dtype=target))


def _training_matrix(x: Float[ArrayLike, "time feature"], scaler: str) -> np.ndarray:
    """The training data as a float64 numpy matrix, checked for shape and finiteness."""
    values = np.asarray(x, dtype=np.float64)
    if values.ndim != 2 or values.shape[0] == 0 or values.shape[1] == 0:
        raise ScalingError(
            f"{scaler}.fit got shape {values.shape}: pass the training window as a "
            "(time, feature) array with at least one row and one column"
        )
    bad = ~np.isfinite(values).all(axis=0)
    if bad.any():
        column = int(np.flatnonzero(bad)[0])
        raise ScalingError(
            f"{scaler}.fit: column {column} has NaN or infinite values: fill or drop them "
            "in the data layer before scaling",
            column,
        )
    return values


def _positive_scale(scale: np.ndarray, scaler: str, problem: str, fix: str) -> np.ndarray:
    zero = ~(scale > 0)
    if zero.any():
        column = int(np.flatnonzero(zero)[0])
        raise ScalingError(f"{scaler}.fit: column {column} {problem}: {fix}", column)
    return scale


def _columns(x: Float[ArrayLike, "*batch feature"], n: int, scaler: str) -> Float[Array, "..."]:
    z = _as_float(x)
    if z.ndim == 0 or z.shape[-1] != n:
        raise ValueError(
            f"{scaler} was fitted on {n} columns but got shape {z.shape}: pass an array "
            f"whose last axis has {n} columns, in the order used at fit time"
        )
    return z


def _per_column(v: Float[Array, " feature"], ndim: int) -> Float[Array, "..."]:
    """``v`` reshaped to broadcast over the leading axes explicitly (no rank promotion)."""
    return jnp.reshape(v, (1,) * (ndim - 1) + v.shape)


def _vector(values: Any, field: str, scaler: str) -> Float[Array, " feature"]:
    array = _as_float(values)
    if array.ndim != 1:
        raise ScalingError(
            f"{scaler}.{field} has shape {array.shape}: pass one value per feature, shape "
            "(feature,)"
        )
    return array


def _check_kind(data: Mapping[str, Any], kind: str, keys: tuple[str, ...]) -> None:
    if not isinstance(data, Mapping) or data.get("kind") != kind:
        found = data.get("kind") if isinstance(data, Mapping) else type(data).__name__
        raise ScalingError(
            f"expected a dict with kind={kind!r}, got kind={found!r}: load it with the "
            "scaler class that wrote it"
        )
    missing = [key for key in keys if key not in data]
    if missing:
        raise ScalingError(f"the {kind!r} dict is missing {missing}: it needs the keys {keys}")


class Standardization(eqx.Module):
    r"""Per-column standardization, :math:`z = (x - \mu) / \sigma`, for controls.

    .. math:: \mu_j = \frac{1}{T} \sum_t x_{tj}, \qquad
              \sigma_j = \sqrt{\frac{1}{T} \sum_t (x_{tj} - \mu_j)^2} \quad (\text{ddof} = 0),

    with inverse :math:`x = \mu + \sigma z`.

    Attributes:
        mean: :math:`\mu`, shape ``(feature,)``.
        scale: :math:`\sigma > 0`, shape ``(feature,)``.

    Examples:
        >>> s = Standardization.fit(jnp.array([[1.0], [3.0]]))
        >>> s.mean, s.scale
        (Array([2.], dtype=float32), Array([1.], dtype=float32))
        >>> s.transform(jnp.array([[5.0]]))
        Array([[3.]], dtype=float32)
    """

    mean: Float[Array, " feature"]
    scale: Float[Array, " feature"]
    kind: ClassVar[str] = "standardization"

    def __init__(self, mean: Float[ArrayLike, " feature"], scale: Float[ArrayLike, " feature"]):
        self.mean = _vector(mean, "mean", "Standardization")
        self.scale = _vector(scale, "scale", "Standardization")
        if self.mean.shape != self.scale.shape:
            raise ScalingError(
                f"Standardization has mean shape {self.mean.shape} and scale shape "
                f"{self.scale.shape}: pass one mean and one scale per feature"
            )

    @classmethod
    def fit(cls, x: Float[ArrayLike, "time feature"]) -> Standardization:
        """Fit the mean and the (ddof = 0) standard deviation of each column.

        Runs eagerly (it checks the data), computing in float64 and storing in the float
        dtype of ``x``.

        Args:
            x: training window, shape ``(time, feature)``, finite.

        Returns:
            The fitted scaler.

        Raises:
            ScalingError: (a ``ValueError``) if ``x`` is not a non-empty 2-D array, has a
                non-finite value, or has a constant column (zero standard deviation),
                naming the first offending column index.
        """
        values = _training_matrix(x, "Standardization")
        mean = values.mean(axis=0)
        std = _positive_scale(
            values.std(axis=0, ddof=0),
            "Standardization",
            "is constant (standard deviation 0)",
            "drop the column, or widen the training window so that it varies",
        )
        return cls(_fitted(mean, x), _fitted(std, x))

    def transform(self, x: Float[ArrayLike, "*batch feature"]) -> Float[Array, "*batch feature"]:
        r"""Standardize: :math:`z = (x - \mu) / \sigma`, column by column.

        Args:
            x: data with the feature axis last, e.g. ``(time, feature)``.

        Returns:
            ``z``, same shape as ``x``.

        Raises:
            ValueError: if the last axis of ``x`` does not have ``feature`` columns.
        """
        z = _columns(x, self.mean.shape[0], "Standardization")
        return (z - _per_column(self.mean, z.ndim)) / _per_column(self.scale, z.ndim)

    def inverse(self, z: Float[ArrayLike, "*batch feature"]) -> Float[Array, "*batch feature"]:
        r"""Back to the data's units: :math:`x = \mu + \sigma z`.

        Args:
            z: standardized values with the feature axis last.

        Returns:
            ``x``, same shape as ``z``.

        Raises:
            ValueError: if the last axis of ``z`` does not have ``feature`` columns.
        """
        x = _columns(z, self.mean.shape[0], "Standardization")
        return x * _per_column(self.scale, x.ndim) + _per_column(self.mean, x.ndim)

    def to_dict(self) -> dict[str, Any]:
        """Plain-list form for JSON.

        Returns:
            ``{"kind": "standardization", "mean": [...], "scale": [...]}``.
        """
        return {
            "kind": self.kind,
            "mean": np.asarray(self.mean).tolist(),
            "scale": np.asarray(self.scale).tolist(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Standardization:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            ScalingError: if ``kind`` or a key is wrong, or a scale is not positive.
        """
        _check_kind(data, cls.kind, ("mean", "scale"))
        out = cls(data["mean"], data["scale"])
        _positive_scale(
            np.asarray(out.scale), "Standardization", "has a scale <= 0", "refit the scaler"
        )
        return out


class MaxScaling(eqx.Module):
    r"""Per-channel max scaling, :math:`z = x / m`, for media and spend.

    .. math:: m_j = \max_t |x_{tj}| \quad \text{over the training window},

    with inverse :math:`x = m z`. Zero stays zero and non-negative spend lands in
    ``[0, 1]`` on the training window (later periods may exceed 1).

    Attributes:
        scale: :math:`m > 0`, shape ``(feature,)`` (one per channel).

    Examples:
        >>> MaxScaling.fit(jnp.array([[1.0, 0.0], [4.0, 2.0]])).scale
        Array([4., 2.], dtype=float32)
    """

    scale: Float[Array, " feature"]
    kind: ClassVar[str] = "max"

    def __init__(self, scale: Float[ArrayLike, " feature"]):
        self.scale = _vector(scale, "scale", "MaxScaling")

    @classmethod
    def fit(cls, x: Float[ArrayLike, "time feature"]) -> MaxScaling:
        """Fit each column's largest absolute value over the training window.

        Runs eagerly (it checks the data).

        Args:
            x: training window, shape ``(time, channel)``, finite.

        Returns:
            The fitted scaler.

        Raises:
            ScalingError: (a ``ValueError``) if ``x`` is not a non-empty 2-D array, has a
                non-finite value, or has an all-zero column, naming the first offending
                column index.
        """
        values = _training_matrix(x, "MaxScaling")
        scale = _positive_scale(
            np.abs(values).max(axis=0),
            "MaxScaling",
            "is all zero in the training window",
            "drop the channel, or choose a training window in which it has spend",
        )
        return cls(_fitted(scale, x))

    def transform(self, x: Float[ArrayLike, "*batch feature"]) -> Float[Array, "*batch feature"]:
        """Scale: ``z = x / scale``, column by column.

        Args:
            x: data with the channel axis last, e.g. ``(time, channel)``.

        Returns:
            ``z``, same shape as ``x``.

        Raises:
            ValueError: if the last axis of ``x`` does not have ``feature`` columns.
        """
        z = _columns(x, self.scale.shape[0], "MaxScaling")
        return z / _per_column(self.scale, z.ndim)

    def inverse(self, z: Float[ArrayLike, "*batch feature"]) -> Float[Array, "*batch feature"]:
        """Back to the data's units: ``x = z * scale``.

        Args:
            z: scaled values with the channel axis last.

        Returns:
            ``x``, same shape as ``z``.

        Raises:
            ValueError: if the last axis of ``z`` does not have ``feature`` columns.
        """
        x = _columns(z, self.scale.shape[0], "MaxScaling")
        return x * _per_column(self.scale, x.ndim)

    def to_dict(self) -> dict[str, Any]:
        """Plain-list form for JSON: ``{"kind": "max", "scale": [...]}``."""
        return {"kind": self.kind, "scale": np.asarray(self.scale).tolist()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MaxScaling:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            ScalingError: if ``kind`` or a key is wrong, or a scale is not positive.
        """
        _check_kind(data, cls.kind, ("scale",))
        out = cls(data["scale"])
        _positive_scale(np.asarray(out.scale), "MaxScaling", "has a scale <= 0", "refit it")
        return out


class MeanScaling(eqx.Module):
    r"""Scalar mean scaling of the KPI, :math:`z = y / c`.

    .. math:: c = \frac{1}{T} \sum_t |y_t| \quad \text{over the training window},

    with inverse :math:`y = c z`. Applies to any shape (the KPI, or contributions in KPI
    units with draw and channel axes).

    Attributes:
        scale: :math:`c > 0`, a scalar array.

    Examples:
        >>> s = MeanScaling.fit(jnp.array([100.0, 300.0]))
        >>> s.scale, s.transform(jnp.array([100.0, 300.0]))
        (Array(200., dtype=float32), Array([0.5, 1.5], dtype=float32))
    """

    scale: Float[Array, ""]
    kind: ClassVar[str] = "mean"

    def __init__(self, scale: Float[ArrayLike, ""]):
        self.scale = _as_float(scale)
        if self.scale.ndim != 0:
            raise ScalingError(f"MeanScaling.scale has shape {self.scale.shape}: pass one scalar")

    @classmethod
    def fit(cls, y: Float[ArrayLike, " time"]) -> MeanScaling:
        """Fit the mean absolute value of the KPI over the training window.

        Runs eagerly (it checks the data).

        Args:
            y: training KPI, shape ``(time,)``, finite.

        Returns:
            The fitted scaler.

        Raises:
            ScalingError: (a ``ValueError``) if ``y`` is not a non-empty 1-D array, has a
                non-finite value or is all zero.
        """
        values = np.asarray(y, dtype=np.float64)
        if values.ndim != 1:
            raise ScalingError(
                f"MeanScaling.fit got shape {values.shape}: pass the training KPI as a "
                "(time,) array"
            )
        values = _training_matrix(values[:, None], "MeanScaling")[:, 0]
        scale = _positive_scale(
            np.abs(values).mean(keepdims=True),
            "MeanScaling",
            "(the KPI) is all zero in the training window",
            "check the KPI column, or choose a window with a non-zero KPI",
        )
        return cls(_fitted(scale[0], y))

    def transform(self, y: Float[ArrayLike, "..."]) -> Float[Array, "..."]:
        """Scale: ``z = y / scale`` (any shape).

        Args:
            y: KPI or values in KPI units.

        Returns:
            ``z``, same shape as ``y``.
        """
        return _as_float(y) / self.scale

    def inverse(self, z: Float[ArrayLike, "..."]) -> Float[Array, "..."]:
        """Back to KPI units: ``y = z * scale`` (any shape).

        Args:
            z: scaled values.

        Returns:
            ``y``, same shape as ``z``.
        """
        return _as_float(z) * self.scale

    def to_dict(self) -> dict[str, Any]:
        """Plain form for JSON: ``{"kind": "mean", "scale": float}``."""
        return {"kind": self.kind, "scale": float(self.scale)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MeanScaling:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            ScalingError: if ``kind`` or a key is wrong, or the scale is not positive.
        """
        _check_kind(data, cls.kind, ("scale",))
        out = cls(data["scale"])
        _positive_scale(np.asarray(out.scale)[None], "MeanScaling", "has a scale <= 0", "refit it")
        return out


class MeanColumnScaling(MaxScaling):
    r"""Per-channel mean scaling, :math:`z = x / m`, an alternative for media.

    .. math:: m_j = \frac{1}{T} \sum_t |x_{tj}| \quad \text{over the training window},

    so each channel's scaled input has mean 1 over the training window (a typical week is
    1 whatever the channel's peaks): saturation parameters then read "relative to average
    spend". Same interface as :class:`MaxScaling`.

    Examples:
        >>> MeanColumnScaling.fit(jnp.array([[1.0, 0.0], [3.0, 2.0]])).scale
        Array([2., 1.], dtype=float32)
    """

    kind: ClassVar[str] = "mean_column"

    @classmethod
    def fit(cls, x: Float[ArrayLike, "time feature"]) -> MeanColumnScaling:
        """Fit each column's mean absolute value over the training window.

        Raises:
            ScalingError: (a ``ValueError``) as :meth:`MaxScaling.fit`.
        """
        values = _training_matrix(x, cls.__name__)
        scale = _positive_scale(
            np.abs(values).mean(axis=0),
            cls.__name__,
            "is all zero in the training window",
            "drop the channel, or choose a training window in which it has spend",
        )
        return cls(_fitted(scale, x))


class PeakScaling(MeanScaling):
    r"""Scalar max scaling of the KPI, :math:`z = y / \max_t |y_t|`, an alternative.

    The scaled KPI peaks at 1 over the training window (PyMC-Marketing's convention);
    priors stated in units of the mean KPI (the default :class:`MeanScaling`) then read in
    units of its peak. Same interface as :class:`MeanScaling`.

    Examples:
        >>> PeakScaling.fit(jnp.array([100.0, -300.0])).scale
        Array(300., dtype=float32)
    """

    kind: ClassVar[str] = "peak"

    @classmethod
    def fit(cls, y: Float[ArrayLike, " time"]) -> PeakScaling:
        """Fit the largest absolute KPI value over the training window.

        Raises:
            ScalingError: (a ``ValueError``) as :meth:`MeanScaling.fit`.
        """
        values = np.asarray(y, dtype=np.float64)
        if values.ndim != 1:
            raise ScalingError(
                f"{cls.__name__}.fit got shape {values.shape}: pass the training KPI as a "
                "(time,) array"
            )
        values = _training_matrix(values[:, None], cls.__name__)[:, 0]
        scale = _positive_scale(
            np.abs(values).max(keepdims=True),
            cls.__name__,
            "(the KPI) is all zero in the training window",
            "check the KPI column, or choose a window with a non-zero KPI",
        )
        return cls(_fitted(scale[0], y))
