"""Result tables written as CSV and Parquet read back equal; the plots are written."""

import pathlib

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from mmm.datasets import SimulationTruth
from mmm.modeling import FittedMMM
from mmm.results import write_results, write_tables


def test_write_results_round_trips_the_tables(
    fitted_sim: tuple[FittedMMM, SimulationTruth], tmp_path: pathlib.Path
) -> None:
    f, _ = fitted_sim
    written = write_results(f, tmp_path)
    names = {p.name for p in written}
    for table in ("contributions", "roi", "roi_attributed", "roi_by_quarter", "response_curves"):
        assert f"{table}.csv" in names
        assert f"{table}.parquet" in names
    for plot in ("fit", "contributions", "waterfall", "roi", "mroas", "response_curves"):
        assert (tmp_path / f"{plot}.png").stat().st_size > 10_000
    roi = pl.read_parquet(tmp_path / "roi.parquet")
    assert roi["channel"].to_list() == list(f.spec.channels)
    csv = pl.read_csv(tmp_path / "roi.csv", try_parse_dates=True)
    assert_frame_equal(csv.drop("start", "end"), roi.drop("start", "end"), check_dtypes=False)
    contributions = pl.read_parquet(tmp_path / "contributions.parquet")
    assert contributions.height == 156 * contributions["component"].n_unique()
    with pytest.raises(ValueError, match="fmt='xlsx'"):
        write_tables({"roi": roi}, tmp_path, "xlsx")  # type: ignore[arg-type]
