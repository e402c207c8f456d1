"""The optimization plots draw the plan's own numbers: spend, operating points, uplift."""

from __future__ import annotations

import warnings

import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import polars as pl
import pytest
from matplotlib.container import BarContainer
from matplotlib.lines import Line2D

from mmm.config import DataContractWarning
from mmm.datasets import simulate
from mmm.modeling import FittedMMM, ModelSpec, prior_fit
from mmm.optimization import (
    BudgetPlan,
    Multiple,
    evaluate_plan,
    optimize_budget,
    plan_response_curves,
)
from mmm.optimization._curves import _steady_grid
from mmm.optimization._plots import (
    plot_allocation,
    plot_flighting,
    plot_plan_response_curves,
    plot_uplift,
)
from mmm.optimization._scenario import response_of

DRAWS = 200
HORIZON = 8


@pytest.fixture(scope="module")
def fitted() -> FittedMMM:
    """Prior draws of the default spec on 104 weeks x 3 channels (no sampler)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataContractWarning)
        ds, _ = simulate(n_weeks=104, n_channels=3, seed=0)
    return prior_fit(ModelSpec.default(ds), ds, draws=DRAWS, seed=0)


@pytest.fixture(scope="module")
def budget(fitted: FittedMMM) -> float:
    """The historic mean spend per period, all channels."""
    return float(np.asarray(fitted.design.spend, np.float64).mean(axis=0).sum())


@pytest.fixture(scope="module")
def steady(fitted: FittedMMM, budget: float) -> BudgetPlan:
    return optimize_budget(fitted, total_budget=budget, starts=2)


@pytest.fixture(scope="module")
def flight(fitted: FittedMMM, budget: float) -> BudgetPlan:
    return optimize_budget(fitted, total_budget=HORIZON * budget, horizon=HORIZON, starts=1)


@pytest.fixture(scope="module")
def constrained(fitted: FittedMMM, budget: float, steady: BudgetPlan) -> BudgetPlan:
    """tv capped at its historic spend (below its optimum), search floored at 1.5x its
    historic spend (above its optimum): both bounds bind."""
    ratio = steady.spend[0] / steady.reference.spend[0]
    tv, search = steady.channels.index("tv"), steady.channels.index("search")
    assert ratio[tv] > 1.0
    assert ratio[search] < 1.5
    return optimize_budget(
        fitted,
        total_budget=budget,
        bounds={"tv": Multiple(0.0, 1.0), "search": Multiple(1.5)},
        starts=2,
    )


@pytest.fixture(params=["steady", "flight"])
def plan(request: pytest.FixtureRequest) -> BudgetPlan:
    return request.getfixturevalue(request.param)


def _widths(container: BarContainer) -> np.ndarray:
    return np.array([p.get_width() for p in container.patches])


def _point(line: Line2D) -> tuple[float, float]:
    x, y = line.get_xdata(), line.get_ydata()
    assert len(x) == len(y) == 1
    return float(np.asarray(x)[0]), float(np.asarray(y)[0])


# --------------------------------------------------------------------------- allocation


def test_allocation_bars_are_reference_and_optimized_spend(plan: BudgetPlan) -> None:
    fig = plot_allocation(plan)
    ax = fig.axes[0]
    reference, optimized = ax.containers
    np.testing.assert_allclose(_widths(reference), plan.reference.spend.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(_widths(optimized), plan.spend.sum(axis=0), rtol=1e-12)
    assert abs(_widths(optimized).sum() - plan.total_budget) <= 1e-6 * plan.total_budget
    assert [t.get_text() for t in ax.get_yticklabels()] == list(plan.channels)
    change = plan.spend.sum(axis=0) / plan.reference.spend.sum(axis=0) - 1.0
    texts = [t.get_text() for t in ax.texts]
    assert texts == [f"{c:+.1%}" for c in change]  # every channel free here
    unit = "per period" if plan.horizon is None else f"over {HORIZON} periods"
    assert ax.get_xlabel() == f"spend {unit} (money units)"
    assert "P(beats reference)" in ax.get_title()
    plt.close(fig)


def test_allocation_marks_binding_constraints(
    fitted: FittedMMM, budget: float, constrained: BudgetPlan
) -> None:
    assert constrained.binding == {"tv": "upper", "search": "lower", "social": "free"}
    # locking social at its optimum changes nothing else, and is marked
    locked = optimize_budget(
        fitted,
        total_budget=budget,
        bounds={"tv": Multiple(0.0, 1.0), "search": Multiple(1.5)},
        locks={"social": float(constrained.spend[0, constrained.channels.index("social")])},
        starts=2,
    )
    assert locked.binding["social"] == "locked"
    for plan, social in ((constrained, None), (locked, "(locked)")):
        fig = plot_allocation(plan)
        ax = fig.axes[0]
        texts = dict(zip(plan.channels, [t.get_text() for t in ax.texts], strict=True))
        assert texts["tv"] == "+0.0%  (at upper bound)"
        assert texts["search"] == "+50.0%  (at lower bound)"
        assert texts["social"].endswith(social) if social else "(" not in texts["social"]
        hatched = [bool(p.get_hatch()) for p in ax.containers[1].patches]
        assert hatched == [True, True, social is not None]
        assert "a constraint binds" in [t.get_text() for t in ax.get_legend().get_texts()]
        plt.close(fig)


def test_allocation_draws_into_the_given_axes(steady: BudgetPlan) -> None:
    fig, axes = plt.subplots(1, 2)
    assert plot_allocation(steady, ax=axes[1]) is fig
    assert not axes[0].containers
    assert len(axes[1].containers) == 2
    plt.close(fig)


# --------------------------------------------------------------------------- response curves


def _check_panels(fitted: FittedMMM, plan: BudgetPlan) -> np.ndarray:
    """The operating points and curve shape of each panel; returns the curves' last x."""
    fig = plot_plan_response_curves(fitted, plan)
    assert len(fig.axes) == len(plan.channels)
    kpi_opt = plan.evaluation.channel_draws.mean(axis=0)
    kpi_ref = plan.reference.channel_draws.mean(axis=0)
    last = np.zeros((2, len(plan.channels)))
    for j, (channel, ax) in enumerate(zip(plan.channels, fig.axes, strict=True)):
        assert ax.get_title().startswith(f"{channel}: ")
        curve, ref, opt = ax.lines
        # the marked operating points are the plan's own spend and posterior mean KPI
        x_opt, y_opt = _point(opt)
        x_ref, y_ref = _point(ref)
        assert x_opt == pytest.approx(plan.spend[:, j].sum(), rel=1e-12)
        assert x_ref == pytest.approx(plan.reference.spend[:, j].sum(), rel=1e-12)
        assert y_opt == pytest.approx(kpi_opt[j], rel=1e-3)
        assert y_ref == pytest.approx(kpi_ref[j], rel=1e-3)
        # the mean curve: 0 at no spend, increasing, through the optimized point
        x, y = np.asarray(curve.get_xdata()), np.asarray(curve.get_ydata())
        assert len(x) == 41 + 1
        assert x[0] == 0.0
        assert abs(y[0]) <= 1e-6 * abs(y).max()
        assert np.all(np.diff(x) >= 0)
        assert np.all(np.diff(y) > 0)
        assert np.any((x == x_opt) & (y == y_opt))
        top = max(x_opt, x_ref)
        assert x[-1] == pytest.approx(1.5 * top, rel=1e-9)
        last[:, j] = x[-1], y[-1]
        # the band surrounds the mean
        band = ax.collections[0].get_paths()[0].vertices
        assert band[:, 1].min() <= y.min() + 1e-9
        assert band[:, 1].max() >= y.max()
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert labels == ["posterior mean", "90% interval", "reference", "optimized"]
    plt.close(fig)
    return last


def test_response_curves_steady(fitted: FittedMMM, steady: BudgetPlan) -> None:
    last = _check_panels(fitted, steady)
    # the curves' far end, checked through the public evaluation (channels are separable)
    at_end = evaluate_plan(fitted, last[0]).channel_draws.mean(axis=0)
    np.testing.assert_allclose(last[1], at_end, rtol=1e-3)


def test_response_curves_flighting(fitted: FittedMMM, flight: BudgetPlan) -> None:
    last = _check_panels(fitted, flight)
    # the curve follows each channel's optimized path, scaled: check its far end
    path = flight.spend * (last[0] / flight.spend.sum(axis=0))[None, :]
    at_end = evaluate_plan(fitted, path).channel_draws.mean(axis=0)
    np.testing.assert_allclose(last[1], at_end, rtol=1e-3)


def test_response_curves_choose_channels_and_layout(fitted: FittedMMM, steady: BudgetPlan) -> None:
    fig = plot_plan_response_curves(fitted, steady, channels=["social", "tv"], points=5, ncols=1)
    assert [ax.get_title().split(":")[0] for ax in fig.axes] == ["social", "tv"]
    assert [len(ax.lines[0].get_xdata()) for ax in fig.axes] == [6, 6]
    assert fig.axes[1].get_xlabel() == "spend per period (money units)"
    assert fig.axes[0].get_ylabel() == f"{fitted.dataset.kpi} per period"
    plt.close(fig)
    with pytest.raises(ValueError, match="radio"):
        plot_plan_response_curves(fitted, steady, channels=["radio"])
    with pytest.raises(ValueError, match="points"):
        plot_plan_response_curves(fitted, steady, points=1)
    with pytest.raises(ValueError, match="ncols"):
        plot_plan_response_curves(fitted, steady, ncols=0)


def test_steady_grid_is_the_plans_evaluation(fitted: FittedMMM, steady: BudgetPlan) -> None:
    """The curves' kernel at the plan's spend gives the plan's KPI per channel."""
    response = response_of(fitted)
    levels = jnp.asarray(np.repeat(steady.spend, 3, axis=0), response.beta.dtype)
    out = np.asarray(_steady_grid(response, levels))
    assert out.shape == (DRAWS, 3, len(steady.channels))
    np.testing.assert_allclose(
        out[:, 0].mean(axis=0), steady.evaluation.channel_draws.mean(axis=0), rtol=1e-3
    )


# --------------------------------------------------------------------------- flighting


def test_flighting_heatmap_is_the_plan(flight: BudgetPlan) -> None:
    fig = plot_flighting(flight)
    ax = fig.axes[0]
    np.testing.assert_array_equal(np.asarray(ax.images[0].get_array()), flight.spend.T)
    assert flight.dates is not None
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == [d.isoformat() for d in flight.dates]
    ticks = [t.get_text().split("\n")[0] for t in ax.get_yticklabels()]
    assert ticks == list(flight.channels)
    assert len(ax.texts) == HORIZON * len(flight.channels)  # cells labelled
    colorbar = fig.axes[1]
    assert colorbar.get_ylabel() == "spend per period (money units)"
    assert ax.get_xlabel() == "period (start date)"
    plt.close(fig)


def test_flighting_rejects_a_steady_plan(steady: BudgetPlan) -> None:
    with pytest.raises(ValueError, match=r"steady plan.*horizon=H"):
        plot_flighting(steady)


# --------------------------------------------------------------------------- uplift


def test_uplift_histogram_and_lines(plan: BudgetPlan) -> None:
    fig = plot_uplift(plan, bins=30)
    ax = fig.axes[0]
    heights = np.array([p.get_height() for p in ax.patches])
    assert len(heights) == 30
    assert heights.sum() == DRAWS == plan.uplift_draws.shape[0]
    zero, mean, lo, hi = (float(np.asarray(line.get_xdata())[0]) for line in ax.lines)
    assert zero == 0.0
    assert mean == pytest.approx(plan.uplift, rel=1e-12)
    assert (lo, hi) == pytest.approx(plan.uplift_interval, rel=1e-12)
    assert lo < mean < hi
    box = ax.texts[0].get_text()
    assert f"P(beats reference) = {plan.prob_beats_reference:.2f}" in box
    assert "90% interval" in box
    assert ax.get_ylabel() == "posterior draws"
    plt.close(fig)


def test_uplift_rejects_bad_bins(steady: BudgetPlan) -> None:
    with pytest.raises(ValueError, match="bins"):
        plot_uplift(steady, bins=0)


@pytest.mark.parametrize("kind", ["steady", "flight"])
def test_response_curve_table_holds_both_operating_points(
    fitted: FittedMMM, steady: BudgetPlan, flight: BudgetPlan, kind: str
) -> None:
    plan = steady if kind == "steady" else flight
    table = plan_response_curves(fitted, plan, points=9)
    assert table.height == len(plan.channels) * 11
    for j, channel in enumerate(plan.channels):
        rows = table.filter(pl.col("channel") == channel)
        grid = rows.filter(pl.col("point") == "grid")
        assert grid["spend"][0] == 0.0
        assert grid["mean"][0] == 0.0
        assert np.all(np.diff(grid["mean"].to_numpy()) > 0)
        assert np.all(grid["lower"].to_numpy() <= grid["upper"].to_numpy())
        for point, ev in (("optimized", plan.evaluation), ("reference", plan.reference)):
            row = rows.filter(pl.col("point") == point).row(0, named=True)
            np.testing.assert_allclose(row["spend"], ev.spend[:, j].sum(), rtol=1e-12)
            np.testing.assert_allclose(row["mean"], ev.channel_draws[:, j].mean(), rtol=1e-4)
    with pytest.raises(ValueError, match="points="):
        plan_response_curves(fitted, plan, points=1)
