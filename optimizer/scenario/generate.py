"""Seeded generators of large planning scenarios and networks (benchmarks, stress tests).

:func:`generate_scenario` writes a scenario YAML plus a demands CSV that the
normal reader (:mod:`optimizer.scenario.reader`) reads; :func:`generate_network`
writes a larger network folder derived from a real one. Same arguments and seed,
same files, byte for byte (numpy ``Generator`` from the seed, sorted output).

Demand distributions (order-of-magnitude assumptions for a marketplace seller
population, not measured data):

* **origin** — the network's origin warehouses; Chinese origins weight 6 each
  (China ships most cross-border e-commerce parcels), others weight 1;
* **market** — weights by market size: US 5 (east and west), EU markets 3
  (DE, FR, NL, PL scaled 4/3/2/2), GB 3, JP/KR/AU/CA 2, CN 2; a demand never has
  its origin in its market's territory (that is domestic trade);
* **category** — uniform over the network's categories;
* **parcel weight** — lognormal around the category median (:data:`CATEGORY`),
  σ = 0.45, clipped to [0.05, 25] kg; **density** (kg/m³) lognormal around the
  category median, σ = 0.3, gives the volume;
* **declared value** — lognormal around the category median (USD), σ = 0.7,
  at least USD 2;
* **orders per week** — lognormal, median 120, σ = 1.1 (a few sellers carry a
  large share), rounded to whole orders in [5, 20,000];
* **SLA (P90 days)** — regional pairs (same continent) 5–12 d, intercontinental
  8–30 d, uniform on whole days, plus one "fast" SLA class (25 %) that asks for
  the lower third of the range;
* **items per order** — 1 (60 %), 2 (25 %), 3 (15 %).
"""

from __future__ import annotations

import csv
import io
import math
import shutil
from pathlib import Path

import numpy as np

from optimizer.io.atomic import write_text
from optimizer.network.reader import load_network
from optimizer.network.records import NodeKind

# category -> (median kg, median density kg/m³, median value USD)
CATEGORY = {
    "apparel": (0.45, 110.0, 25.0),
    "cosmetics": (0.35, 250.0, 40.0),
    "electronics": (0.9, 180.0, 70.0),
    "footwear": (1.1, 120.0, 45.0),
    "home_goods": (2.2, 90.0, 40.0),
    "toys": (0.8, 80.0, 20.0),
}
_MARKET_WEIGHT = {
    "US": 5.0,
    "DE": 4.0,
    "FR": 3.0,
    "NL": 2.0,
    "PL": 2.0,
    "GB": 3.0,
    "JP": 2.0,
    "KR": 2.0,
    "AU": 2.0,
    "CA": 2.0,
    "CN": 2.0,
}
_CONTINENT = {
    "CN": "asia",
    "JP": "asia",
    "KR": "asia",
    "HK": "asia",
    "AU": "oceania",
    "US": "america",
    "CA": "america",
    "DE": "europe",
    "FR": "europe",
    "NL": "europe",
    "PL": "europe",
    "GB": "europe",
    "BE": "europe",
    "HU": "europe",
}
DEMAND_COLUMNS = (
    "id",
    "origin",
    "market",
    "category",
    "orders_per_week",
    "weight_kg",
    "volume_m3",
    "value",
    "sla_days",
    "items_per_order",
)


def generate_scenario(
    network_path: str | Path,
    n_demands: int,
    seed: int,
    out_dir: str | Path,
    *,
    name: str | None = None,
    plan_date: str = "2026-07-15",
    time_limit_s: float = 60.0,
    relative_gap: float = 0.01,
    candidates_per_pattern: int = 15,
    unmet_penalty: float = 500.0,
) -> Path:
    """Write ``scenario.yaml`` + ``demands.csv`` with ``n_demands`` demands; return the YAML path.

    Demands are drawn from the module's documented distributions over the
    origins, markets and categories of the network at ``network_path``.
    """
    network_path = Path(network_path).resolve()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    network, _ = load_network(network_path)
    rng = np.random.default_rng(seed)
    origins = sorted(n.id for n in network.nodes if n.kind is NodeKind.ORIGIN_WAREHOUSE)
    markets = sorted(n.id for n in network.nodes if n.kind is NodeKind.MARKET)
    cats = sorted(c for c in network.category_by_id)
    country = {n.id: n.country for n in network.nodes}
    o_w = np.array([6.0 if country[o] == "CN" else 1.0 for o in origins])
    m_w = np.array([_MARKET_WEIGHT.get(country[m], 1.0) for m in markets])
    # allowed (origin, market) pairs: not domestic
    pairs = [
        (i, j)
        for i in range(len(origins))
        for j in range(len(markets))
        if network.territory_of(origins[i]) != network.territory_of(markets[j])
    ]
    p = np.array([o_w[i] * m_w[j] for i, j in pairs])
    p /= p.sum()
    pick = rng.choice(len(pairs), size=n_demands, p=p)
    cat_idx = rng.integers(0, len(cats), size=n_demands)
    z = rng.standard_normal((n_demands, 4))
    orders = np.clip(np.rint(120.0 * np.exp(1.1 * z[:, 3])), 5, 20000)
    items = rng.choice([1, 2, 3], size=n_demands, p=[0.6, 0.25, 0.15])
    fast = rng.random(n_demands) < 0.25
    u_sla = rng.random(n_demands)
    rows = []
    width = len(str(n_demands))
    for k in range(n_demands):
        o, m = origins[pairs[pick[k]][0]], markets[pairs[pick[k]][1]]
        cat = cats[cat_idx[k]]
        kg0, dens0, val0 = CATEGORY.get(cat, (1.0, 150.0, 40.0))
        kg = float(np.clip(kg0 * math.exp(0.45 * z[k, 0]), 0.05, 25.0))
        volume = kg / (dens0 * math.exp(0.3 * z[k, 1]))
        value = max(2.0, val0 * math.exp(0.7 * z[k, 2]))
        regional = _CONTINENT.get(country[o]) == _CONTINENT.get(country[m])
        lo, hi = (5, 12) if regional else (8, 30)
        if fast[k]:
            hi = lo + (hi - lo) // 3
        sla = lo + math.floor(u_sla[k] * (hi - lo + 1))
        rows.append(
            {
                "id": f"G{k:0{width}d}-{o.split('_')[1]}-{m[2:]}-{cat}",
                "origin": o,
                "market": m,
                "category": cat,
                "orders_per_week": f"{orders[k]:g}",
                "weight_kg": f"{kg:.3f}",
                "volume_m3": f"{volume:.6f}",
                "value": f"{value:.2f}",
                "sla_days": f"{sla:g}",
                "items_per_order": str(int(items[k])),
            }
        )
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=DEMAND_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text(out / "demands.csv", buf.getvalue())
    net_rel = Path(_relpath(network_path, out.resolve()))
    title = name or f"Generated {n_demands} demands (seed {seed}) on {network_path.name}"
    yaml_text = (
        f"# Generated by optimizer.scenario.generate (seed {seed}); do not edit by hand.\n"
        "version: 1\n"
        f'name: "{title}"\n'
        f"network: {net_rel.as_posix()}\n"
        f"plan_date: {plan_date}\n"
        "currency: USD\n"
        "demands_csv: demands.csv\n"
        "inventory: {holding_rate_per_year: 0.25, service_level: 0.95, "
        "replenishment_days: 14, demand_cv: 0.3}\n"
        "objective: {value_of_day_per_order: 0.15, co2e_price_per_tonne: 85}\n"
        f"options: {{unmet_penalty_per_order: {unmet_penalty:g}, "
        f"candidates_per_pattern: {candidates_per_pattern}}}\n"
        f"solver: {{time_limit_s: {time_limit_s:g}, relative_gap: {relative_gap:g}, seed: 0}}\n"
    )
    path = out / "scenario.yaml"
    write_text(path, yaml_text)
    return path


def _relpath(target: Path, start: Path) -> str:
    import os

    return os.path.relpath(target, start)


def generate_network(
    network_path: str | Path,
    out_dir: str | Path,
    *,
    copies: int,
    seed: int,
) -> Path:
    """A larger network: ``copies`` regions, each with its own origin warehouses and markets.

    Every origin warehouse and market node of the source network gets
    ``copies - 1`` regional replicas (``<node>.r<k>``, a few km away). Every lane
    touching an origin or a market is copied for each region ``k`` (both its
    replicated ends in region ``k``; its other end, a port, airport, hub or stock
    node, shared), with its own tariff copy whose prices are scaled by a lognormal
    factor (σ = 0.15) and transit times by a factor in [0.9, 1.15]: regional
    warehouses and carriers competing on the shared trunk network. Routes per
    (origin, market) stay as many as in the source; origin and market nodes and
    the lanes touching them grow ``copies``-fold, trunk lanes do not, and
    (origin, market) pairs grow ``copies²``-fold. From ``networks/global`` (86
    nodes, 483 lanes): copies=10 gives 311 nodes and 3,066 lanes, copies=17 (what
    ``benchmarks/bench_scale.py --network synthetic`` uses) 486 nodes and 5,075
    lanes. Customs rules, duty rates, FX and categories are copied unchanged.
    """
    src = Path(network_path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for f in ("categories.csv", "countries.csv", "customs_rules.csv", "duty_rates.csv", "fx.csv"):
        shutil.copyfile(src / f, out / f)
    if (src / "assumptions.csv").exists():  # customs_rules.fee_assumption refers to it
        shutil.copyfile(src / "assumptions.csv", out / "assumptions.csv")
    for f in ("import_taxes.csv", "import_fees.csv", "node_regions.csv"):  # VAT/GST and fees
        if (src / f).exists():
            shutil.copyfile(src / f, out / f)
    nodes_h, nodes = _read(src / "nodes.csv")
    lanes_h, lanes = _read(src / "lanes.csv")
    tar_h, tariffs = _read(src / "tariffs.csv")
    brk_h, breaks = _read(src / "tariff_breaks.csv")
    regional = {n["id"] for n in nodes if n["kind"] in ("origin_warehouse", "market")}
    new_nodes = list(nodes)
    for k in range(1, copies):
        for n in nodes:
            if n["id"] not in regional:
                continue
            c = dict(n)
            c["id"] = f"{n['id']}.r{k}"
            c["lat"] = f"{float(n['lat']) + 0.03 * k:.5f}"
            c["lon"] = f"{float(n['lon']) + 0.03 * k:.5f}"
            c["name"] = f"{n['name']} (region {k})"
            new_nodes.append(c)
    tariff_by_id = {t["id"]: t for t in tariffs}
    breaks_by: dict[str, list[dict]] = {}
    for b in breaks:
        breaks_by.setdefault(b["tariff"], []).append(b)
    new_lanes, new_tariffs, new_breaks = list(lanes), list(tariffs), list(breaks)
    money = (
        "first_weight_price",
        "additional_step_price",
        "price_per_kg",
        "minimum_charge",
        "container_price",
    )
    for k in range(1, copies):
        for lane in lanes:
            if lane["from"] not in regional and lane["to"] not in regional:
                continue
            factor = math.exp(0.15 * rng.standard_normal())
            t = dict(tariff_by_id[lane["tariff"]])
            t["id"] = f"{lane['tariff']}.r{k}.{lane['id']}"
            for fld in money:
                if t.get(fld):
                    t[fld] = f"{float(t[fld]) * factor:.4f}"
            new_tariffs.append(t)
            for b in breaks_by.get(lane["tariff"], []):
                new_breaks.append(
                    {
                        **b,
                        "tariff": t["id"],
                        "price_per_kg": f"{float(b['price_per_kg']) * factor:.4f}",
                    }
                )
            c = dict(lane)
            c["id"] = f"{lane['id']}.r{k}"
            for end in ("from", "to"):
                if lane[end] in regional:
                    c[end] = f"{lane[end]}.r{k}"
            c["tariff"] = t["id"]
            tf = rng.uniform(0.9, 1.15)
            c["transit_mean_days"] = f"{float(lane['transit_mean_days']) * tf:.3f}"
            c["transit_p90_days"] = f"{float(lane['transit_p90_days']) * tf:.3f}"
            new_lanes.append(c)
    _write(out / "nodes.csv", nodes_h, new_nodes)
    _write(out / "lanes.csv", lanes_h, new_lanes)
    _write(out / "tariffs.csv", tar_h, new_tariffs)
    _write(out / "tariff_breaks.csv", brk_h, new_breaks)
    write_text(
        out / "SOURCES.md",
        f"Synthetic network generated from {src.name} by "
        f"optimizer.scenario.generate.generate_network(copies={copies}, seed={seed}).\n"
        "Rates and times are perturbed copies of the source network's; not real data.\n",
    )
    return out


def _read(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, header: list[str], rows: list[dict]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    write_text(path, buf.getvalue())
