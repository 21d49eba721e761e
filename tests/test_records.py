"""Records that check themselves and hold true values."""

import dataclasses
from pathlib import Path

import pytest

from optimizer.errors import InputError
from optimizer.scenario.load import load

ROOT = Path(__file__).resolve().parents[1]


def test_a_network_built_by_replace_is_checked_like_one_read_from_files(tiny):
    network = tiny
    lane = network.lanes[0]
    dangling = dataclasses.replace(lane, tariff="NO_SUCH_TARIFF", dest="NOWHERE")
    with pytest.raises(InputError) as caught:
        dataclasses.replace(network, lanes=(dangling, *network.lanes[1:]))
    text = str(caught.value)
    assert f"lane {lane.id}: to 'NOWHERE' does not resolve" in text
    assert f"lane {lane.id}: tariff 'NO_SUCH_TARIFF' does not resolve" in text
    with pytest.raises(InputError, match="node ids repeated: " + network.nodes[0].id):
        dataclasses.replace(network, nodes=(network.nodes[0], *network.nodes))


def test_scenario_money_is_in_usd_as_soon_as_the_records_exist():
    scenario, network, _ = load(ROOT / "scenarios" / "eu_3eur_duty_2026h2.yaml")
    eur_per_usd = dict(network.fx_per_usd)["EUR"]
    assert scenario.currency == "EUR"
    first = scenario.demands[0]
    assert first.id == "YIW-DE-toys"  # eu_demands.csv: value 16 (EUR)
    assert first.value_usd == 16 / eur_per_usd
    assert scenario.options.unmet_penalty_per_order == 400 / eur_per_usd
    assert scenario.objective.co2e_price_per_tonne == 80 / eur_per_usd
