"""The quote engine's shortcuts (issue 18) give the same numbers as the long way round."""

from __future__ import annotations

import csv
import io
from collections import Counter

import pytest
from costing_fixtures import make_network, make_shipment

from optimizer.costing.customs import assess
from optimizer.quote import Filters, Quoter
from optimizer.quote import pricing as pricing_module
from optimizer.quote.batch import quote_csv, quote_rows
from optimizer.quote.engine import price_corridor
from optimizer.quote.pricing import ShipmentPricer
from optimizer.quote.report import COLUMNS
from optimizer.scenario.records import Pattern

NET = make_network()


def ship(**fields):
    return make_shipment(NET, **fields)


@pytest.mark.parametrize("market", ["US_MKT", "DE_MKT"])
def test_customs_assessed_twice_then_interpolated(monkeypatch, market):
    seen: list[float] = []

    def counted(*args, **kwargs):
        seen.append(kwargs["freight_usd"])
        return assess(*args, **kwargs)

    monkeypatch.setattr(pricing_module, "assess", counted)
    pricer = ShipmentPricer(NET, ship(to=market, value="900"))
    affine = pricer.customs_affine(Pattern.DIRECT)
    assert sorted(seen) == [0.0, 1.0]
    assert affine is not None
    base, slope = affine
    for freight in (0.0, 7.5, 40.0):  # the interpolated charge is the assessed one
        assessed = assess(
            NET,
            dest_country=NET.node_by_id[market].country,
            channel=Pattern.DIRECT.channel,
            origin_country="CN",
            category="apparel",
            value_usd=900.0,
            freight_usd=freight,
            day=ship().ship_date,
        )
        assert pricer.customs(Pattern.DIRECT, freight).total == pytest.approx(assessed.total)
        assert base + slope * freight == pytest.approx(assessed.total)
    assert len(seen) == 2  # every later freight was interpolated, not assessed


@pytest.mark.parametrize(
    ("origin", "market"), [("SZ_WH", "US_MKT"), ("DE_WH", "US_MKT"), ("DE_WH", "CN_MKT")]
)
def test_each_tariff_is_priced_once_per_shipment(monkeypatch, origin, market):
    """Lanes of one tariff cost a shipment the same: one pricing per (tariff, role)."""
    priced: Counter[tuple[str, str]] = Counter()
    for name in ("_price_share", "_price_pieces"):
        original = getattr(ShipmentPricer, name)

        def counted(self, lane, original=original, name=name):
            priced[(name, lane.tariff)] += 1
            return original(self, lane)

        monkeypatch.setattr(ShipmentPricer, name, counted)
    quoter = Quoter(NET)
    pricer = ShipmentPricer(NET, ship(**{"from": origin, "to": market}))
    shared = 0
    for pattern in Pattern:
        corridor = quoter._corridor(origin, market, pattern, Filters())
        if corridor is None:
            continue
        # every lane column maps to a priced entry of the same tariff and role
        for (lane, bulk), k in zip(corridor.columns, corridor.price_of, strict=True):
            entry, entry_bulk = corridor.priced[k]
            assert (entry.tariff, entry_bulk) == (lane.tariff, bulk)
        assert len({(lane.tariff, bulk) for lane, bulk in corridor.priced}) == len(corridor.priced)
        shared += len(corridor.columns) - len(corridor.priced)
        price_corridor(corridor, pricer, Filters(), Counter())
    assert shared > 0  # these corridors have lanes sharing a tariff
    # _price_share delegates per-parcel tariffs to _price_pieces: at most one call each way
    assert priced and max(priced.values()) <= 2
    assert all(n == 1 for (name, _), n in priced.items() if name == "_price_share")


def test_batch_csv_text_is_what_dict_writer_writes():
    shipments = [
        ship(id=str(i), to=market, weight_kg=weight, value=value)
        for i, (market, weight, value) in enumerate(
            [
                ("US_MKT", "1.2", "60"),
                ("DE_MKT", "0.4", "900"),
                ("GB_MKT", "25", "30"),
                ("US_MKT", "400", "60"),  # no option
            ]
        )
    ]
    texts = [text for _, _, text in quote_csv(Quoter(NET), shipments)]
    reference = []
    for rows in quote_rows(Quoter(NET), shipments):
        buffer = io.StringIO()
        csv.DictWriter(buffer, fieldnames=list(COLUMNS)).writerows(rows)
        reference.append(buffer.getvalue())
    assert texts == reference
    assert texts[3].startswith("3,0,")  # a shipment without option is written too


# -- a large CLI batch starts its workers before it reads anything --------------------------------


def _shipments_csv(path, rows):
    lines = ["id,from,to,weight_kg,dims_cm,value,currency,category,ship_date"]
    markets = ("US_MKT", "DE_MKT", "GB_MKT")
    for i in range(rows):
        weight = 0.3 + (i % 40) * 0.7
        lines.append(
            f"s{i},SZ_WH,{markets[i % 3]},{weight:.1f},30x20x10,{20 + i % 300},USD,apparel,"
        )
    path.write_text("\n".join(lines) + "\n")


def test_early_workers_only_for_large_local_parallel_batches(tmp_path):
    from optimizer.cli import quote_cmd
    from optimizer.execute import TaskRunner
    from optimizer.quote import batch

    assert quote_cmd.EARLY_WORKERS_MIN_ROWS == batch.PARALLEL_MIN_SHIPMENTS
    big, small = tmp_path / "big.csv", tmp_path / "small.csv"
    _shipments_csv(big, 520)
    _shipments_csv(small, 20)
    opts = {"executor": None, "scheduler": None, "workers": 2}
    assert isinstance(quote_cmd._early_workers(str(big), opts), TaskRunner)  # not entered
    assert quote_cmd._early_workers(str(small), opts).__enter__() is None
    assert quote_cmd._early_workers(str(big), {**opts, "workers": 1}).__enter__() is None
    assert quote_cmd._early_workers(str(tmp_path / "none.csv"), opts).__enter__() is None


def test_cli_batch_with_early_workers_writes_the_in_process_bytes(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from optimizer.cli.main import main

    monkeypatch.setattr("optimizer.network.reader.read_network", lambda path: NET)
    src = tmp_path / "shipments.csv"
    _shipments_csv(src, 520)
    outputs = []
    for workers in ("2", "1"):
        out = tmp_path / f"quotes-{workers}.csv"
        args = ["quote", "--network", "fixture", "--batch", str(src), "-o", str(out)]
        result = CliRunner().invoke(main, [*args, "--workers", workers, "--json"])
        assert result.exit_code == 0, result.output
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] and outputs[0].count(b"\n") > 520
