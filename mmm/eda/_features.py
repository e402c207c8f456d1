"""Which features EDA uses: a model spec's, or the defaults a model would use.

EDA comes before the modeling layer, so it does not import ``ModelSpec``; any object with
the attributes of :class:`FeatureSpec` will do (``ModelSpec`` has them).
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

from mmm.data import MMMDataSet
from mmm.features import (
    AbstractBaseline,
    MediaSpec,
    ScalingSpec,
    default_baseline_specs,
    default_media_spec,
)

__all__ = ["FeatureSpec", "EDAFeatures", "resolve_features"]


class FeatureSpec(Protocol):
    """The parts of a model spec EDA reads (``mmm.modeling.ModelSpec`` satisfies it)."""

    @property
    def channels(self) -> tuple[str, ...]: ...
    @property
    def media(self) -> tuple[MediaSpec, ...]: ...
    @property
    def baseline(self) -> tuple[AbstractBaseline, ...]: ...
    @property
    def organic_names(self) -> tuple[str, ...]: ...
    @property
    def organic(self) -> tuple[MediaSpec, ...]: ...
    @property
    def scaling(self) -> ScalingSpec: ...


@dataclasses.dataclass(frozen=True)
class EDAFeatures:
    """The media, organic and baseline specs EDA builds its design from.

    Attributes:
        media: channel -> its :class:`MediaSpec`, in the dataset's channel order.
        organic: organic series -> its :class:`MediaSpec`.
        baseline: the baseline components.
        scaling: how the KPI and media are scaled.
        from_spec: whether they came from a user's spec (else the defaults).
    """

    media: dict[str, MediaSpec]
    organic: dict[str, MediaSpec]
    baseline: tuple[AbstractBaseline, ...]
    scaling: ScalingSpec
    from_spec: bool


def resolve_features(dataset: MMMDataSet, spec: FeatureSpec | None) -> EDAFeatures:
    """The spec's features, or ``ModelSpec.default``'s choices when ``spec`` is ``None``.

    Raises:
        ValueError: if the spec's channels or organic series are not the dataset's.
    """
    if spec is None:
        media = default_media_spec(dataset.frequency)
        return EDAFeatures(
            media=dict.fromkeys(dataset.channels, media),
            organic=dict.fromkeys(dataset.organic, media),
            baseline=default_baseline_specs(dataset),
            scaling=ScalingSpec(),
            from_spec=False,
        )
    for what, ours, theirs in (
        ("channels", list(spec.channels), dataset.channels),
        ("organic_names", list(spec.organic_names), dataset.organic),
    ):
        if ours != list(theirs):
            raise ValueError(
                f"the spec's {what} {ours} are not the dataset's {list(theirs)}: build the "
                "spec from this dataset (e.g. ModelSpec.default(ds))"
            )
    return EDAFeatures(
        media=dict(zip(spec.channels, spec.media, strict=True)),
        organic=dict(zip(spec.organic_names, spec.organic, strict=True)),
        baseline=tuple(spec.baseline),
        scaling=spec.scaling,
        from_spec=True,
    )
