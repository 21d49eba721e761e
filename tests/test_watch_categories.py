"""Per-category hold baselines: a doubled rate in one category at one node is flagged, the
other categories at that node are not.

tests/data/tiny plus a second category (toys). At M, apparel is held four times as often as
the node's base rate all year (a customs point that targets apparel), toys at the base rate
until 2026-06-01 and twice it after. Against the node's one all-category rate (about 2.5 x
the base rate) apparel would look drifted all year and the doubled toys rate would stay
below the node's rate, unseen; against per-category baselines only toys is flagged.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from optimizer.history.watch import PRIOR_CLEARANCES, category_rate

pytest.importorskip("duckdb")

DATA = Path(__file__).parent / "data"
DRIFT = dt.date(2026, 6, 1)


def test_category_rate_shrinks_toward_the_node_rate():
    # 200 clearances, 40 held (20 %), node 5 %: (40 + 100 * 0.05) / 300 = 15 %
    assert category_rate(0.05, 1000, (200, 40)) == pytest.approx((0.15, 200 + PRIOR_CLEARANCES))
    # no baseline clearances of the category: the node's rate and sample size
    assert category_rate(0.05, 1000, None) == (0.05, 1000)
    assert category_rate(0.05, None, (0, 0)) == (0.05, None)


@pytest.fixture(scope="module")
def watched(tmp_path_factory):
    from optimizer.history.calibrate import CalibrateOptions, calibrate
    from optimizer.history.generate import GenerateSpec, HoldDrift, generate, write
    from optimizer.history.output import write_folder
    from optimizer.history.watch import WatchOptions, watch
    from optimizer.network.reader import read_network

    root = tmp_path_factory.mktemp("watch_cat")
    net = root / "tiny2"
    shutil.copytree(DATA / "tiny", net)
    with (net / "categories.csv").open("a", encoding="utf-8") as fh:
        fh.write("toys,Toys,95,,hand-made test data\n")
    with (net / "duty_rates.csv").open("a", encoding="utf-8") as fh:
        fh.write("toys,US,*,0,test,hand-made test data\n")
    spec = GenerateSpec(
        shipments=20000,
        seed=3,  # about 180 clearances of each category a week at M
        hold_drifts=(
            HoldDrift("M", "apparel", dt.date(2025, 1, 1), 4.0),
            HoldDrift("M", "toys", DRIFT, 2.0),
        ),
    )
    write(generate(read_network(net), spec), spec, root / "h")
    as_of = dt.datetime(2026, 5, 31, tzinfo=dt.UTC).timestamp()
    events = (str(root / "h" / "events.parquet"),)
    cal = calibrate(events, net, CalibrateOptions(as_of=as_of, plot=False))
    write_folder(cal, net, root / "cal")
    result = watch(events, root / "cal", WatchOptions(), orders=(str(root / "h" / "orders.csv"),))
    return result, read_network(root / "cal")


def test_doubled_rate_in_one_category_is_flagged_and_not_the_others(watched):
    result, baseline = watched
    holds = [a for a in result.alerts if a.metric == "hold_rate"]
    assert [(a.id, a.category) for a in holds] == [("M", "toys")]
    rates = {s.category: s.rate for s in result.series if s.id == "M" and s.metric == "hold_rate"}
    assert set(rates) == {"apparel", "toys"}  # both watched
    assert rates["apparel"] is not None and rates["toys"] is not None
    # the baselines differ as the history does (about 4 : 1), and the node's one rate lies
    # between: the toys rate doubled is still below it, unseen against the node's rate
    assert rates["apparel"] > 2.5 * rates["toys"]
    node_rate = baseline.node_by_id["M"].inspection_rate
    assert rates["toys"] < node_rate < rates["apparel"]
    (toys,) = holds
    assert toys.now["hold_rate"] > 1.5 * toys.baseline["hold_rate"]
    assert toys.now["hold_rate"] < node_rate * 1.2
    assert toys.severity in ("warning", "critical")
