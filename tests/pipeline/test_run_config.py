"""The run configuration file of ``mmm fit --config``: parsing, validation, building."""

import copy
import dataclasses
import inspect
import json
import pathlib
import pickle

import numpy as np
import polars as pl
import pytest

from mmm.config import Role, column_name
from mmm.data import ColumnMapper, MMMDataSet
from mmm.datasets import load_example, simulate
from mmm.diagnostics import DEFAULT_ROI_RANGE
from mmm.features import (
    Controls,
    DelayedAdstock,
    Events,
    Fourier,
    GeometricAdstock,
    HillSaturation,
    Intercept,
    LinearTrend,
    LogisticSaturation,
    PiecewiseTrend,
    ScalingSpec,
    WeibullCDFAdstock,
    spec_to_dict,
)
from mmm.modeling import (
    CoefficientEffect,
    ModelSpec,
    ROIEffect,
    StudentTLikelihood,
    fit,
    spend_share_effect,
)
from mmm.optimization import CVaR, Multiple, optimize_budget
from mmm.pipeline._config import (
    ADSTOCKS,
    MAPPING_OPTIONS,
    SATURATIONS,
    ConfigError,
    DataConfig,
    ModelConfig,
    PriorConfig,
    ReportConfig,
    RunConfig,
    SamplerConfig,
    ScenarioConfig,
    load_config,
)
from mmm.pipeline._config_model import KPI_SCALINGS, MEDIA_SCALINGS

FULL_TOML = """
[data]
separator = ";"

[data.mapping]
columns = { Week = "date", Sales = "kpi__sales", "TV spend" = "spend__tv" }
date_format = "%d/%m/%Y"
thousands_separator = ","
strip_currency = true
unit_scale = { spend__tv = 1000 }
ignore = { Notes = "free text" }

[model]
likelihood = "student_t"
trend = "piecewise"
changepoints = 4
changepoint_range = 0.9
seasonality = { yearly_order = 3 }
controls = ["competitor_sales"]
events = []
scaling = { kpi = "peak" }
value_per_kpi = 35.0

[model.media]
order = "adstock_first"
saturation = { type = "hill" }

[model.media.adstock]
type = "geometric"
l_max = 6
priors = { alpha = { distribution = "Beta", concentration1 = 2, concentration0 = 2 } }

[model.media.channels.channel1]
adstock = { type = "delayed", l_max = 10 }

[model.media.channels.channel2]
adstock = { l_max = 4 }
saturation = { priors = { k = { distribution = "Gamma", concentration = 2, rate = 4 } } }

[model.media.channels.channel4]
adstock = { type = "weibull_cdf" }
saturation = { type = "logistic" }
input = "exposure"

[model.roi_priors]
channel0 = { distribution = "LogNormal", loc = 0.5, scale = 0.3 }
channel3 = { distribution = "LogNormal", loc = 0.1, scale = 0.5 }

[sampler]
method = "nuts"
chains = 2
draws = 500
tune = 400
seed = 7
target_accept = 0.9

[scenario]
budget_change = 0.1
horizon = 13
objective = "cvar"
risk = { alpha = 0.05 }
bounds = { channel0 = [1000, 1000000000.0], channel1 = { multiple = [0.5, 2] } }
period_bounds = { channel2 = [0, 50000] }
locks = { channel4 = 5000.0 }

[report]
level = 0.8
roi_range = [0.2, 8]
expected_signs = { competitor_sales = -1 }
"""

FULL_YAML = """
data:
  separator: ";"
  mapping:
    columns: {Week: date, Sales: kpi__sales, TV spend: spend__tv}
    date_format: "%d/%m/%Y"
    thousands_separator: ","
    strip_currency: true
    unit_scale: {spend__tv: 1000}
    ignore: {Notes: free text}
model:
  likelihood: student_t
  trend: piecewise
  changepoints: 4
  changepoint_range: 0.9
  seasonality: {yearly_order: 3}
  controls: [competitor_sales]
  events: []
  scaling: {kpi: peak}
  value_per_kpi: 35.0
  media:
    order: adstock_first
    adstock:
      type: geometric
      l_max: 6
      priors:
        alpha: {distribution: Beta, concentration1: 2, concentration0: 2}
    saturation: {type: hill}
    channels:
      channel1:
        adstock: {type: delayed, l_max: 10}
      channel2:
        adstock: {l_max: 4}
        saturation:
          priors:
            k: {distribution: Gamma, concentration: 2, rate: 4}
      channel4:
        adstock: {type: weibull_cdf}
        saturation: {type: logistic}
        input: exposure
  roi_priors:
    channel0: {distribution: LogNormal, loc: 0.5, scale: 0.3}
    channel3: {distribution: LogNormal, loc: 0.1, scale: 0.5}
sampler:
  method: nuts
  chains: 2
  draws: 500
  tune: 400
  seed: 7
  target_accept: 0.9
scenario:
  budget_change: 0.1
  horizon: 13
  objective: cvar
  risk: {alpha: 0.05}
  bounds:
    channel0: [1000, 1000000000.0]
    channel1: {multiple: [0.5, 2]}
  period_bounds: {channel2: [0, 50000]}
  locks: {channel4: 5000.0}
report:
  level: 0.8
  roi_range: [0.2, 8]
  expected_signs: {competitor_sales: -1}
"""


@pytest.fixture(scope="module")
def ds():
    return load_example("meridian_national")


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    path = tmp_path_factory.mktemp("config") / "run.toml"
    path.write_text(FULL_TOML)
    return load_config(path)


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


# --- reading --------------------------------------------------------------------------------


def test_toml_and_yaml_give_equal_configs(tmp_path, full):
    yaml_config = load_config(_write(tmp_path, "run.yaml", FULL_YAML))
    yml_config = load_config(_write(tmp_path, "run.yml", FULL_YAML))
    assert yaml_config == full
    assert yml_config == full
    assert yaml_config.to_dict() == full.to_dict()


def test_full_config_values(full):
    assert full.data.separator == ";"
    assert full.sampler.chains == 2
    assert full.sampler.target_accept == 0.9
    assert full.model.effect == "roi"  # implied by roi_priors
    assert full.scenario.horizon == 13
    assert full.scenario.bounds["channel1"].relative
    assert full.report.roi_range == (0.2, 8.0)
    assert full.report.expected_signs == {"competitor_sales": -1}


def test_to_dict_round_trips(full):
    data = full.to_dict()
    assert RunConfig.from_dict(data) == full
    assert RunConfig.from_dict(json.loads(json.dumps(data))) == full
    assert RunConfig.from_dict(copy.deepcopy(data)).to_dict() == data
    default = RunConfig()
    assert RunConfig.from_dict(default.to_dict()) == default
    assert RunConfig.from_dict({}) == default


def test_round_trip_of_special_values():
    data = {
        "model": {"seasonality": False, "effect": "coefficient", "trend": "none"},
        "scenario": {"bounds": {"tv": [0, float("inf")]}, "enabled": False},
        "report": {"roi_range": False},
    }
    config = RunConfig.from_dict(data)
    assert config.report.roi_range is None
    assert not config.model.seasonality.enabled
    assert RunConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config


def test_the_documented_examples_agree(tmp_path):
    doc = (pathlib.Path(__file__).parents[2] / "docs" / "10_CONFIG.md").read_text()
    toml = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    yaml = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    from_toml = load_config(_write(tmp_path, "doc.toml", toml))
    assert load_config(_write(tmp_path, "doc.yaml", yaml)) == from_toml
    assert RunConfig.from_dict(from_toml.to_dict()) == from_toml
    assert from_toml.model.effect == "roi"
    assert from_toml.model.media.overrides["tv"].adstock.type == "weibull_pdf"
    assert dict(from_toml.data.mapper().mapping)["Avg Price"] == "control__price"
    # and it fits data with those columns
    simulated, _ = simulate(n_weeks=156, n_channels=4, n_controls=2, n_events=1, seed=1)
    frame = simulated.frame.rename(
        {"spend__display": "spend__radio", "event__holiday": "event__black_friday"}
    )
    data = MMMDataSet.from_frame(frame, warn=False)
    selected, spec = from_toml.prepare(data)
    assert selected.controls == ["price"]
    assert isinstance(spec.effect, ROIEffect)
    np.testing.assert_allclose(spec.effect.roi.loc, [0.7, 1.1, 0.2, 0.2], rtol=1e-6)
    media = dict(zip(spec.channels, spec.media, strict=True))
    assert media["tv"].adstock.l_max == 12
    assert media["search"].adstock.l_max == 3
    assert isinstance(media["tv"].saturation, HillSaturation)
    assert from_toml.scenario.resolve_budget(selected) > 0


def test_empty_files_are_the_defaults(tmp_path):
    assert load_config(_write(tmp_path, "empty.yaml", "")) == RunConfig()
    assert load_config(_write(tmp_path, "empty.toml", "")) == RunConfig()


def test_defaults_are_the_librarys():
    signature = inspect.signature(fit).parameters
    sampler = SamplerConfig()
    for name, value in sampler.fit_kwargs().items():
        assert signature[name].default == value, name
    plan = inspect.signature(optimize_budget).parameters
    kwargs = ScenarioConfig().optimize_kwargs()
    for name in ("horizon", "max_steps", "tol", "seed", "starts", "pattern", "budget"):
        assert plan[name].default == kwargs[name], name
    assert plan["objective"].default == kwargs["objective"]
    assert ReportConfig().roi_range == DEFAULT_ROI_RANGE
    assert ReportConfig().level == 0.9


def test_kwargs_fit_the_library_signatures(full):
    inspect.signature(fit).bind(None, None, **full.sampler.fit_kwargs())
    kwargs = full.scenario.optimize_kwargs()
    inspect.signature(optimize_budget).bind(None, 1.0, **kwargs)
    assert kwargs["objective"] == CVaR(alpha=0.05)
    assert kwargs["bounds"] == {"channel0": (1000.0, 1e9), "channel1": Multiple(0.5, 2.0)}
    assert kwargs["period_bounds"] == {"channel2": (0.0, 50000.0)}
    assert kwargs["locks"] == {"channel4": 5000.0}
    assert kwargs["horizon"] == 13
    assert "level" not in kwargs


def test_the_config_names_cover_the_library():
    for cls in ADSTOCKS.values():  # AdstockConfig has a key per static field
        statics = {f.name for f in dataclasses.fields(cls)} - set(cls.param_names)
        assert statics == {"l_max", "normalize"}
    for cls in SATURATIONS.values():
        assert {f.name for f in dataclasses.fields(cls)} == set(cls.param_names)
    mapper_fields = {f.name for f in dataclasses.fields(ColumnMapper)}
    assert set(MAPPING_OPTIONS) == mapper_fields - {"mapping"}
    for kpi in KPI_SCALINGS:
        for media in MEDIA_SCALINGS:
            ScalingSpec(kpi=kpi, media=media)


# --- building the model ----------------------------------------------------------------------


def test_empty_model_is_the_default_spec(ds):
    spec = RunConfig().model.build_spec(ds)
    assert spec.to_dict() == ModelSpec.default(ds).to_dict()
    assert ModelConfig().select(ds) is ds


def test_full_model_spec(full, ds):
    selected, spec = full.model.build(ds)
    assert selected.controls == ["competitor_sales"]
    assert selected.events == []
    media = dict(zip(spec.channels, spec.media, strict=True))
    assert isinstance(media["channel0"].adstock, GeometricAdstock)
    assert media["channel0"].adstock.l_max == 6
    alpha = media["channel0"].adstock.alpha
    assert float(alpha.concentration1) == 2.0
    assert float(alpha.concentration0) == 2.0
    assert isinstance(media["channel0"].saturation, HillSaturation)
    # a new family keeps l_max given, its own default priors
    assert isinstance(media["channel1"].adstock, DelayedAdstock)
    assert media["channel1"].adstock.l_max == 10
    assert float(media["channel1"].adstock.alpha.concentration1) == 1.0
    # no type: inherits geometric and its priors, overrides l_max and one saturation prior
    assert isinstance(media["channel2"].adstock, GeometricAdstock)
    assert media["channel2"].adstock.l_max == 4
    assert float(media["channel2"].adstock.alpha.concentration0) == 2.0
    assert float(media["channel2"].saturation.k.rate) == 4.0
    assert float(media["channel2"].saturation.s.rate) == 2.0  # Hill's default
    assert isinstance(media["channel4"].adstock, WeibullCDFAdstock)
    assert media["channel4"].adstock.l_max == 6
    assert isinstance(media["channel4"].saturation, LogisticSaturation)
    assert media["channel4"].input == "exposure"
    assert media["channel3"].input == "spend"
    # ROI priors per channel, the default for the others
    assert isinstance(spec.effect, ROIEffect)
    assert spec.effect.roi.batch_shape == (5,)
    np.testing.assert_allclose(spec.effect.roi.loc, [0.5, 0.2, 0.2, 0.1, 0.2], rtol=1e-6)
    np.testing.assert_allclose(spec.effect.roi.scale, [0.3, 0.9, 0.9, 0.5, 0.9], rtol=1e-6)
    kinds = [type(b) for b in spec.baseline]
    assert kinds == [Intercept, PiecewiseTrend, Fourier, Controls]
    assert spec.baseline[1].n_changepoints == 4
    assert spec.baseline[1].range_fraction == 0.9
    assert spec.baseline[2].order == 3
    assert isinstance(spec.likelihood, StudentTLikelihood)
    assert spec.scaling == ScalingSpec(kpi="peak")
    assert spec.value_per_kpi == 35.0  # ROI priors above are money per money
    assert spec.organic_names == ("channel0",)  # organic untouched: the default
    default = ModelSpec.default(ds)
    assert [spec_to_dict(m) for m in spec.organic] == [spec_to_dict(m) for m in default.organic]


def test_prepare_checks_everything_before_a_fit(full, ds):
    selected, spec = full.prepare(ds)
    assert selected.controls == ["competitor_sales"]
    assert spec.channels == tuple(ds.channels)


def test_trend_none_seasonality_off_no_controls(ds):
    model = ModelConfig.from_dict(
        {"trend": "none", "seasonality": False, "controls": [], "events": []}
    )
    selected, spec = model.build(ds)
    assert [type(b) for b in spec.baseline] == [Intercept]
    assert selected.controls == []
    assert selected.events == []
    assert selected.channels == ds.channels


def test_orders_and_trend(ds):
    spec = ModelConfig.from_dict(
        {"seasonality": {"yearly_order": 0}, "trend": "linear"}
    ).build_spec(ds)
    assert [type(b) for b in spec.baseline] == [Intercept, LinearTrend, Controls, Events]


def test_other_effects(ds):
    coefficient = ModelConfig.from_dict({"effect": "coefficient"}).build_spec(ds)
    assert isinstance(coefficient.effect, CoefficientEffect)
    shares = ModelConfig.from_dict({"media_share": 0.25}).build_spec(ds)
    np.testing.assert_allclose(
        shares.effect.share.rate, spend_share_effect(ds, 0.25).share.rate, rtol=1e-6
    )
    assert float(np.asarray(shares.effect.share.mean).sum()) == pytest.approx(0.25, rel=1e-5)
    contribution = ModelConfig.from_dict({"effect": "contribution"}).build_spec(ds)
    np.testing.assert_allclose(contribution.effect.share.rate, spend_share_effect(ds).share.rate)
    roi = ModelConfig.from_dict(
        {"default_roi_prior": {"distribution": "Gamma", "concentration": 2, "rate": 2}}
    ).build_spec(ds)
    assert type(roi.effect.roi).__name__ == "Gamma"
    assert roi.effect.roi.batch_shape == ()
    mixed = ModelConfig.from_dict(
        {
            "roi_priors": {"channel1": {"distribution": "Gamma", "concentration": 3, "rate": 1}},
            "default_roi_prior": {"distribution": "Gamma", "concentration": 2, "rate": 2},
        }
    ).build_spec(ds)
    np.testing.assert_allclose(mixed.effect.roi.concentration, [2, 3, 2, 2, 2])


def test_organic_series_overrides(ds):
    spec = ModelConfig.from_dict(
        {"organic": {"series": {"channel0": {"adstock": {"type": "delayed", "l_max": 5}}}}}
    ).build_spec(ds)
    assert isinstance(spec.organic[0].adstock, DelayedAdstock)
    assert spec.organic[0].adstock.l_max == 5
    assert isinstance(spec.media[0].adstock, GeometricAdstock)  # paid media untouched


# --- validation -------------------------------------------------------------------------------

PRIOR = {"distribution": "LogNormal", "loc": 0.0, "scale": 1.0}

BAD = [
    ({"modle": {}}, "modle", "did you mean 'model'"),
    ({"chains": 2}, "chains", "did you mean 'sampler.chains'"),
    ({"model": {"adstok": {}}}, "model.adstok", "did you mean 'model.media.adstock'"),
    ({"model": []}, "model", "expected a table"),
    (
        {"model": {"media": {"adstock": {"type": "geometrc"}}}},
        "model.media.adstock.type",
        "unknown adstock 'geometrc'; did you mean 'geometric'? choose one of ['delayed', "
        "'geometric', 'weibull_cdf', 'weibull_pdf']",
    ),
    ({"model": {"media": {"adstock": {"l_max": 0}}}}, "model.media.adstock.l_max", ">= 1"),
    ({"model": {"media": {"adstock": {"l_max": True}}}}, "model.media.adstock.l_max", "a boolean"),
    (
        {"model": {"media": {"adstock": {"l_max": 8.0}}}},
        "model.media.adstock.l_max",
        "expected an integer",
    ),
    (
        {"model": {"media": {"adstock": {"normalize": 1}}}},
        "model.media.adstock.normalize",
        "true or false",
    ),
    (
        {"model": {"media": {"adstock": {"lmax": 3}}}},
        "model.media.adstock.lmax",
        "did you mean 'model.media.adstock.l_max'",
    ),
    (
        {"model": {"media": {"adstock": {"priors": {"beta": PRIOR}}}}},
        "model.media.adstock.priors.beta",
        "the geometric family has no parameter 'beta'; its parameters are ['alpha']",
    ),
    (
        {"model": {"media": {"adstock": {"priors": {"alpha": {"dist": "Beta"}}}}}},
        "model.media.adstock.priors.alpha.dist",
        "distribution",
    ),
    (
        {"model": {"media": {"adstock": {"priors": {"alpha": {"distribution": "Bta"}}}}}},
        "model.media.adstock.priors.alpha.distribution",
        "did you mean 'Beta'",
    ),
    (
        {
            "model": {
                "media": {
                    "adstock": {"priors": {"alpha": {"distribution": "Beta", "concentration1": 1}}}
                }
            }
        },
        "model.media.adstock.priors.alpha",
        "add ['concentration0']",
    ),
    (
        {
            "model": {
                "media": {
                    "adstock": {
                        "priors": {
                            "alpha": {
                                "distribution": "Beta",
                                "concentration1": -1,
                                "concentration0": 1,
                            }
                        }
                    }
                }
            }
        },
        "model.media.adstock.priors.alpha.concentration1",
        "outside the support",
    ),
    (
        {
            "model": {
                "media": {
                    "adstock": {
                        "priors": {
                            "alpha": {
                                "distribution": "Beta",
                                "concentration1": "1",
                                "concentration0": 1,
                            }
                        }
                    }
                }
            }
        },
        "model.media.adstock.priors.alpha.concentration1",
        "without quotes",
    ),
    (
        {"model": {"media": {"saturation": {"type": "hil"}}}},
        "model.media.saturation.type",
        "did you mean 'hill'",
    ),
    (
        {"model": {"media": {"saturation": {"type": "hill", "priors": {"lam": PRIOR}}}}},
        "model.media.saturation.priors.lam",
        "hill family has no parameter 'lam'; its parameters are ['k', 's']",
    ),
    (
        {"model": {"media": {"channels": {"tv": {"adstock": {"type": "geometrc"}}}}}},
        "model.media.channels.tv.adstock.type",
        "unknown adstock 'geometrc'",
    ),
    (
        {"model": {"media": {"channels": {"tv": {"priors": {}}}}}},
        "model.media.channels.tv.priors",
        "unknown key",
    ),
    (
        {"model": {"media": {"channels": {"tv": {"saturation": {"priors": {"k": PRIOR}}}}}}},
        "model.media.channels.tv.saturation.priors.k",
        "the logistic family has no parameter 'k'; its parameters are ['lam']",
    ),
    ({"model": {"media": {"order": "first"}}}, "model.media.order", "adstock_first"),
    ({"model": {"media": {"input": "clicks"}}}, "model.media.input", "exposure"),
    ({"model": {"organic": {"input": "spend"}}}, "model.organic.input", "unknown key"),
    ({"model": {"effect": "rio"}}, "model.effect", "did you mean 'roi'"),
    (
        {"model": {"effect": "contribution", "roi_priors": {"tv": PRIOR}}},
        "model.roi_priors",
        'effect = "roi"',
    ),
    (
        {"model": {"effect": "coefficient", "default_roi_prior": PRIOR}},
        "model.default_roi_prior",
        'effect = "roi"',
    ),
    (
        {
            "model": {
                "roi_priors": {
                    "tv": PRIOR,
                    "radio": {"distribution": "Gamma", "concentration": 1, "rate": 1},
                }
            }
        },
        "model.roi_priors.radio",
        "one family",
    ),
    ({"model": {"roi_priors": {"tv": 1.5}}}, "model.roi_priors.tv", "expected a table"),
    ({"model": {"media_share": 1.5}}, "model.media_share", "(0, 1]"),
    ({"model": {"effect": "roi", "media_share": 0.5}}, "model.media_share", "contribution"),
    ({"model": {"likelihood": "gauss"}}, "model.likelihood", "['normal', 'student_t']"),
    ({"model": {"trend": "quadratic"}}, "model.trend", "['linear', 'none', 'piecewise']"),
    ({"model": {"changepoints": 4}}, "model.changepoints", 'trend = "piecewise"'),
    ({"model": {"trend": "piecewise", "changepoints": 0}}, "model.changepoints", ">= 1"),
    (
        {"model": {"trend": "piecewise", "changepoint_range": 1.5}},
        "model.changepoint_range",
        "(0, 1]",
    ),
    ({"model": {"seasonality": "yes"}}, "model.seasonality", "expected false or a table"),
    (
        {"model": {"seasonality": {"yearly": 2}}},
        "model.seasonality.yearly",
        "did you mean 'model.seasonality.yearly_order'",
    ),
    ({"model": {"seasonality": {"yearly_order": -1}}}, "model.seasonality.yearly_order", ">= 0"),
    ({"model": {"controls": "price"}}, "model.controls", "a list of names"),
    ({"model": {"controls": ["price", 3]}}, "model.controls[1]", "expected a string"),
    ({"model": {"events": ["a", "a"]}}, "model.events", "more than once"),
    ({"model": {"scaling": {"kpi": "median"}}}, "model.scaling.kpi", "['mean', 'peak']"),
    ({"model": {"scaling": {"spend": "max"}}}, "model.scaling.spend", "unknown key"),
    ({"model": {"value_per_kpi": 0}}, "model.value_per_kpi", "> 0"),
    ({"model": {"value_per_kpi": "35"}}, "model.value_per_kpi", "a string"),
    ({"model": {"value_per_kpi": float("inf")}}, "model.value_per_kpi", "not valid"),
    ({"model": {"value_per_kpi": None}}, "model.value_per_kpi", "null"),
    ({"sampler": {"method": "nut"}}, "sampler.method", "did you mean 'nuts'"),
    ({"sampler": {"chains": 0}}, "sampler.chains", ">= 1"),
    ({"sampler": {"chains": True}}, "sampler.chains", "a boolean"),
    ({"sampler": {"draws": 10.5}}, "sampler.draws", "expected an integer"),
    ({"sampler": {"tune": -1}}, "sampler.tune", ">= 0"),
    ({"sampler": {"target_accept": 1}}, "sampler.target_accept", "(0, 1)"),
    ({"sampler": {"target_accept": "high"}}, "sampler.target_accept", "a string"),
    ({"sampler": {"learning_rate": 0}}, "sampler.learning_rate", "> 0"),
    ({"sampler": {"dense_mass": "yes"}}, "sampler.dense_mass", "true or false"),
    ({"sampler": {"chain_method": "threads"}}, "sampler.chain_method", "parallel"),
    ({"sampler": {"guide": "full"}}, "sampler.guide", "low_rank"),
    ({"sampler": {"rank": 0}}, "sampler.rank", ">= 1"),
    ({"sampler": {"progress_bar": True}}, "sampler.progress_bar", "unknown key"),
    ({"sampler": {"chains": None}}, "sampler.chains", "null"),
    ({"scenario": {"budget": 0}}, "scenario.budget", "> 0"),
    ({"scenario": {"budget": float("nan")}}, "scenario.budget", "not valid"),
    (
        {"scenario": {"budget": 100, "budget_change": 0.1}},
        "scenario.budget_change",
        "give one of them",
    ),
    ({"scenario": {"budget_change": -1}}, "scenario.budget_change", "> -1"),
    ({"scenario": {"reference_periods": 0}}, "scenario.reference_periods", ">= 1"),
    ({"scenario": {"horizon": 0}}, "scenario.horizon", ">= 1"),
    ({"scenario": {"objective": "max"}}, "scenario.objective", "['cvar', 'mean', 'mean_sd'"),
    ({"scenario": {"risk": {"alpha": 0.1}}}, "scenario.risk.alpha", "no risk settings"),
    (
        {"scenario": {"objective": "cvar", "risk": {"alpah": 0.1}}},
        "scenario.risk.alpah",
        "did you mean 'scenario.risk.alpha'",
    ),
    ({"scenario": {"objective": "cvar", "risk": {"alpha": 2.0}}}, "scenario.risk", "tail share"),
    (
        {"scenario": {"objective": "mean_sd", "risk": {"risk_aversion": -1}}},
        "scenario.risk",
        "risk_aversion",
    ),
    ({"scenario": {"bounds": {"tv": 5}}}, "scenario.bounds.tv", "[lower, upper]"),
    ({"scenario": {"bounds": {"tv": [5, 1]}}}, "scenario.bounds.tv", "lower <= upper"),
    ({"scenario": {"bounds": {"tv": [-1, 1]}}}, "scenario.bounds.tv[0]", ">= 0"),
    (
        {"scenario": {"bounds": {"tv": {"multiple": [0.5]}}}},
        "scenario.bounds.tv.multiple",
        "[lower, upper]",
    ),
    (
        {"scenario": {"bounds": {"tv": {"times": [0.5, 2]}}}},
        "scenario.bounds.tv.times",
        "unknown key",
    ),
    ({"scenario": {"period_bounds": {"tv": [0, 1]}}}, "scenario.period_bounds", "scenario.horizon"),
    ({"scenario": {"locks": {"tv": -5}}}, "scenario.locks.tv", ">= 0"),
    ({"scenario": {"locks": {"tv": [1, 2]}}}, "scenario.locks.tv", "need a horizon"),
    (
        {"scenario": {"horizon": 3, "locks": {"tv": [1, 2]}}},
        "scenario.locks.tv",
        "2 values for a horizon of 3",
    ),
    ({"scenario": {"budget_rule": "all"}}, "scenario.budget_rule", "at_most"),
    ({"scenario": {"pattern": "seasonal"}}, "scenario.pattern", "historic"),
    ({"scenario": {"enabled": "no"}}, "scenario.enabled", "true or false"),
    ({"scenario": {"tol": 0}}, "scenario.tol", "> 0"),
    ({"report": {"level": 1.0}}, "report.level", "(0, 1)"),
    ({"report": {"level": 0}}, "report.level", "(0, 1)"),
    ({"report": {"roi_range": [1, 1]}}, "report.roi_range", "low < high"),
    ({"report": {"roi_range": True}}, "report.roi_range", "or false"),
    ({"report": {"roi_range": [0.1, "x"]}}, "report.roi_range[1]", "expected a"),
    ({"report": {"expected_signs": {"price": 2}}}, "report.expected_signs.price", "1 or -1"),
    ({"report": {"expected_signs": {"price": True}}}, "report.expected_signs.price", "a boolean"),
    ({"data": {"separator": ";;"}}, "data.separator", "one character"),
    ({"data": {"separator": 1}}, "data.separator", "expected a string"),
    (
        {"data": {"mapping": {"colums": {"A": "date"}}}},
        "data.mapping.colums",
        "did you mean 'data.mapping.columns'",
    ),
    ({"data": {"mapping": {"columns": {"A": "revenue"}}}}, "data.mapping", "convention"),
    ({"data": {"mapping": {"columns": {"A": 1}}}}, "data.mapping.columns.A", "expected a string"),
    (
        {"data": {"mapping": {"strip_currency": "yes"}}},
        "data.mapping.strip_currency",
        "true or false",
    ),
    ({"data": {"mapping": {"decimal_separator": ";"}}}, "data.mapping", "decimal_separator"),
    ({"data": {"mapping": {"unit_scale": {"kpi__sales": 2}}}}, "data.mapping", "never rescaled"),
    ({"data": {"mapping_file": "no/such/file.yaml"}}, "data.mapping_file", "no such mapping file"),
    (
        {"data": {"mapping": {"A": "date"}, "mapping_file": "x.yaml"}},
        "data.mapping_file",
        "not both",
    ),
    ({1: {}}, "1", "not a string"),
]


@pytest.mark.parametrize(("fragment", "key", "text"), BAD)
def test_invalid_configs_name_the_key(fragment, key, text):
    with pytest.raises(ConfigError) as info:
        RunConfig.from_dict(fragment, source="run.toml")
    err = info.value
    assert isinstance(err, ValueError)
    assert err.key == key
    assert str(err).startswith(f"run.toml: {key}: ")
    assert text in str(err)


def test_the_example_message():
    with pytest.raises(ConfigError) as info:
        RunConfig.from_dict(
            {"model": {"media": {"channels": {"tv": {"adstock": {"type": "geometrc"}}}}}},
            source="config.toml",
        )
    assert str(info.value) == (
        "config.toml: model.media.channels.tv.adstock.type: unknown adstock 'geometrc'; did "
        "you mean 'geometric'? choose one of ['delayed', 'geometric', 'weibull_cdf', "
        "'weibull_pdf']"
    )


def _drop(ds, *columns):
    return MMMDataSet.from_frame(ds.frame.drop(list(columns)), warn=False)


BAD_ON_DATA = [
    (
        {"media": {"channels": {"tv": {"adstock": {"l_max": 3}}}}},
        "model.media.channels.tv",
        "the data's channels are ['channel0', 'channel1', 'channel2', 'channel3', 'channel4']",
    ),
    (
        {"media": {"channels": {"channel_1": {}}}},
        "model.media.channels.channel_1",
        "did you mean 'channel1'",
    ),
    (
        {"organic": {"series": {"search": {}}}},
        "model.organic.series.search",
        "the data's organic series are ['channel0']",
    ),
    ({"roi_priors": {"tv": PRIOR}}, "model.roi_priors.tv", "the data's channels are"),
    (
        {"roi_priors": {"channel0": {"distribution": "Gamma", "concentration": 1, "rate": 1}}},
        "model.roi_priors",
        "default_roi_prior",
    ),
    (
        {"controls": ["price"]},
        "model.controls",
        "the data's controls are ['competitor_sales', 'sentiment_score']",
    ),
    ({"events": ["xmas"]}, "model.events", "['promo']"),
    ({"controls": ["competitor_sales"]}, "model.controls", "ModelConfig.select(dataset)"),
    ({"seasonality": {"weekly_order": 2}}, "model.seasonality.weekly_order", "daily data"),
]


@pytest.mark.parametrize(("model", "key", "text"), BAD_ON_DATA)
def test_invalid_on_the_data_name_the_key(ds, model, key, text):
    config = ModelConfig.from_dict(model, source="run.yaml")
    with pytest.raises(ConfigError) as info:
        config.build_spec(ds)
    assert info.value.key == key
    assert str(info.value).startswith(f"run.yaml: {key}: ")
    assert text in str(info.value)


def test_exposure_input_needs_exposures(ds):
    data = _drop(ds, "media__channel2")
    config = ModelConfig.from_dict({"media": {"channels": {"channel2": {"input": "exposure"}}}})
    with pytest.raises(ConfigError, match=r"model\.media\.channels\.channel2\.input: .*media__"):
        config.build_spec(data)
    everywhere = ModelConfig.from_dict({"media": {"input": "exposure"}})
    with pytest.raises(ConfigError) as info:
        everywhere.build_spec(data)
    assert info.value.key == "model.media.input"


def test_scenario_and_report_names_checked(ds, full):
    scenario = ScenarioConfig.from_dict({"locks": {"channel9": 10.0}}, source="run.toml")
    with pytest.raises(ConfigError) as info:
        scenario.check_channels(ds.channels)
    assert info.value.key == "scenario.locks.channel9"
    assert "'channel0'" in str(info.value)
    full.scenario.check_channels(ds.channels)
    report = ReportConfig.from_dict({"expected_signs": {"sentiment_score": 1}})
    report.check_controls(ds.controls)
    config = dataclasses.replace(full, report=report)
    with pytest.raises(ConfigError, match=r"report\.expected_signs\.sentiment_score"):
        config.prepare(ds)  # the model keeps competitor_sales only


def test_direct_construction_reads_like_the_file():
    prior = {"distribution": "LogNormal", "loc": 0.5, "scale": 0.3}
    direct = ModelConfig(roi_priors={"tv": PriorConfig.from_dict(prior)}, controls=["price"])
    assert direct.effect == "roi"
    assert direct.controls == ("price",)
    assert direct == ModelConfig.from_dict({"roi_priors": {"tv": prior}, "controls": ["price"]})
    config = RunConfig(sampler=SamplerConfig(chains=2))
    assert config == RunConfig.from_dict({"sampler": {"chains": 2}})


def test_direct_construction_is_validated():
    with pytest.raises(ConfigError, match=r"sampler\.chains"):
        SamplerConfig(chains=0)
    with pytest.raises(ConfigError, match=r"scenario\.horizon"):
        ScenarioConfig(horizon=-2)
    with pytest.raises(ConfigError, match=r"report\.level"):
        ReportConfig(level=2.0)
    with pytest.raises(ConfigError, match=r"model\.trend"):
        ModelConfig(trend="cubic")
    with pytest.raises(ConfigError, match=r"data\.separator"):
        DataConfig(separator="")


def test_with_sampler_and_with_scenario(full):
    quick = full.with_sampler(chains=1, draws=50, seed=3)
    assert (quick.sampler.chains, quick.sampler.draws, quick.sampler.seed) == (1, 50, 3)
    assert quick.sampler.tune == full.sampler.tune
    assert quick.model == full.model
    assert full.with_sampler() is full
    with pytest.raises(ConfigError, match=r"sampler\.chainz.*did you mean 'sampler\.chains'"):
        full.with_sampler(chainz=2)
    steady = full.with_scenario(horizon=None, period_bounds={}, locks={}, budget=500.0)
    assert steady.scenario.horizon is None
    assert steady.scenario.budget == 500.0
    assert steady.scenario.budget_change == 0.0
    assert steady.scenario.bounds == full.scenario.bounds
    with pytest.raises(ConfigError, match=r"scenario\.horizon"):
        full.with_scenario(horizon=0)


def test_configs_are_values(full):
    assert pickle.loads(pickle.dumps(full)) == full
    assert copy.deepcopy(full) == full
    assert hash(full) == hash(RunConfig.from_dict(full.to_dict()))
    assert len({full, RunConfig.from_dict(full.to_dict()), RunConfig()}) == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        full.sampler.chains = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        full.scenario.bounds["tv"] = None  # read-only


def test_error_is_picklable():
    err = ConfigError("bad", key="model.trend", source="x.toml")
    back = pickle.loads(pickle.dumps(err))
    assert (back.key, back.source, str(back)) == ("model.trend", "x.toml", str(err))


# --- files ------------------------------------------------------------------------------------


def test_file_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"\.json.*rename"):
        load_config(_write(tmp_path, "run.json", "{}"))
    with pytest.raises(FileNotFoundError):
        load_config(tmp_path / "missing.toml")
    toml = _write(tmp_path, "bad.toml", '[model]\ntrend = "linear"\nlikelihood normal\n')
    with pytest.raises(ConfigError) as info:
        load_config(toml)
    assert str(info.value).startswith(f"{toml}: not valid TOML")
    assert "line 3" in str(info.value)
    yaml_path = _write(tmp_path, "bad.yaml", "model:\n  trend: linear\n   likelihood: normal\n")
    with pytest.raises(ConfigError) as info:
        load_config(yaml_path)
    assert str(info.value).startswith(f"{yaml_path}: not valid YAML at line 3")
    latin = tmp_path / "latin.toml"
    latin.write_bytes("[data]\nseparator = '\u00e9'\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config(latin)
    with pytest.raises(ConfigError, match="not tables of keys"):
        load_config(_write(tmp_path, "list.yaml", "- a\n- b\n"))
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path, "typo.toml", "[model]\ntrend = 'flat'\n"))
    assert info.value.key == "model.trend"
    assert info.value.source == str(tmp_path / "typo.toml")


# --- data ---------------------------------------------------------------------------------------


def test_data_mapping_forms():
    assert DataConfig().mapper().mapping == {}
    plain = DataConfig.from_dict({"mapping": {"Week": "date", "Sales": "kpi__sales"}})
    full = DataConfig.from_dict({"mapping": {"columns": {"Week": "date", "Sales": "kpi__sales"}}})
    assert plain == full
    assert dict(plain.mapper().mapping) == {"Week": "date", "Sales": "kpi__sales"}
    options = DataConfig.from_dict({"mapping": {"date_format": "%d/%m/%Y"}})
    mapper = options.mapper()
    assert mapper.date_format == "%d/%m/%Y"
    assert dict(mapper.mapping) == {}


def test_mapping_file_is_read_from_the_config_folder(tmp_path):
    folder = tmp_path / "cfg"
    folder.mkdir()
    (folder / "mapping.yaml").write_text("columns:\n  Week: date\n  Sales: kpi__sales\n")
    config = load_config(_write(folder, "run.toml", '[data]\nmapping_file = "mapping.yaml"\n'))
    assert config.data.mapping_file == str(folder / "mapping.yaml")
    assert dict(config.data.mapper().mapping) == {"Week": "date", "Sales": "kpi__sales"}
    (folder / "mapping.yaml").unlink()  # the saved configuration holds the mapping itself
    assert RunConfig.from_dict(config.to_dict()) == config
    inline = RunConfig.from_dict({"data": {"mapping": {"Week": "date", "Sales": "kpi__sales"}}})
    assert inline == config
    (folder / "broken.yaml").write_text("columns:\n  Week: revenue\nsep: x\n")
    with pytest.raises(ConfigError) as info:
        load_config(_write(folder, "bad.toml", '[data]\nmapping_file = "broken.yaml"\n'))
    assert info.value.key == "data.mapping_file"
    assert "broken.yaml: sep: unknown key 'sep'" in str(info.value)
    (folder / "broken.json").write_text("{")
    with pytest.raises(ConfigError, match="not valid"):
        load_config(_write(folder, "bad2.toml", '[data]\nmapping_file = "broken.json"\n'))


def test_full_mapping_options(full):
    mapper = full.data.mapper()
    assert dict(mapper.mapping) == {"Week": "date", "Sales": "kpi__sales", "TV spend": "spend__tv"}
    assert mapper.date_format == "%d/%m/%Y"
    assert mapper.thousands_separator == ","
    assert mapper.strip_currency
    assert dict(mapper.unit_scale) == {"spend__tv": 1000.0}
    assert dict(mapper.ignore) == {"Notes": "free text"}


# --- the budget --------------------------------------------------------------------------------


def _spend(ds):
    columns = [column_name(Role.SPEND, c) for c in ds.channels]
    return ds.frame.select(columns).to_numpy().astype(np.float64)


def test_resolve_budget(ds):
    spend = _spend(ds)
    assert spend.shape == (156, 5)
    last_year = spend[-52:].sum(axis=1).mean()
    assert ScenarioConfig().resolve_budget(ds) == pytest.approx(last_year, rel=1e-12)
    up = ScenarioConfig.from_dict({"budget_change": 0.1, "reference_periods": 13})
    assert up.resolve_budget(ds) == pytest.approx(spend[-13:].sum(axis=1).mean() * 1.1)
    flight = ScenarioConfig.from_dict({"horizon": 13, "budget_change": -0.2})
    assert flight.resolve_budget(ds) == pytest.approx(last_year * 0.8 * 13)
    fixed = ScenarioConfig.from_dict({"budget": 12345, "horizon": 4})
    assert fixed.resolve_budget(ds) == 12345.0
    everything = ScenarioConfig.from_dict({"reference_periods": 156})
    assert everything.resolve_budget(ds) == pytest.approx(spend.sum(axis=1).mean())
    # the arrays' float32 spend agrees
    arrays = np.asarray(ds.to_arrays().spend, dtype=np.float64)
    np.testing.assert_allclose(arrays, spend, rtol=1e-6)
    too_long = ScenarioConfig.from_dict({"reference_periods": 157}, source="run.toml")
    with pytest.raises(ConfigError, match=r"run\.toml: scenario\.reference_periods: .*156"):
        too_long.resolve_budget(ds)


def test_reference_window_is_the_last_year_or_the_setting(ds):
    assert ScenarioConfig().reference_window(ds) == 52  # weekly data: one year
    assert ScenarioConfig.from_dict({"reference_periods": 13}).reference_window(ds) == 13
    short = MMMDataSet.from_frame(ds.frame.head(30), warn=False)
    assert ScenarioConfig().reference_window(short) == 30
    # an explicit budget does not make the window irrelevant: it still defines "historic"
    fixed = ScenarioConfig.from_dict({"budget": 100.0, "reference_periods": 157})
    with pytest.raises(ConfigError, match=r"scenario\.reference_periods: .*156"):
        fixed.reference_window(ds)


def test_prepare_rejects_a_reference_window_longer_than_the_data(ds):
    config = RunConfig.from_dict({"scenario": {"reference_periods": 200}}, source="run.toml")
    with pytest.raises(ConfigError, match=r"run\.toml: scenario\.reference_periods: 200"):
        config.prepare(ds)
    off = RunConfig.from_dict({"scenario": {"enabled": False, "reference_periods": 200}})
    off.prepare(ds)  # no plan, no window to check


def test_default_budget_on_short_data(ds):
    short = MMMDataSet.from_frame(ds.frame.head(30), warn=False)
    spend = _spend(short)
    assert ScenarioConfig().resolve_budget(short) == pytest.approx(spend.sum(axis=1).mean())


def test_zero_spend_needs_a_budget(ds):
    frame = ds.frame

    tail = frame.tail(4).with_columns(
        [pl.lit(0.0).alias(column_name(Role.SPEND, c)) for c in ds.channels]
    )
    data = MMMDataSet.from_frame(pl.concat([frame.head(len(frame) - 4), tail]), warn=False)
    with pytest.raises(ConfigError, match=r"scenario\.budget: .*set budget"):
        ScenarioConfig.from_dict({"reference_periods": 4}).resolve_budget(data)
