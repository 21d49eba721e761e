"""Fingerprints of plans, to pin that speed work leaves plans unchanged (issue 18).

``tests/data/plan_golden.json`` holds, for every shipped scenario (``scenarios/*.yaml``)
and a generated 60-demand scenario on ``networks/global``, the plan's status, objective
and every allocation (demand, pattern, legs, orders to 1e-4). It was written by the code
of commit e52a056 (before the vectorised evaluation), with

    python tests/plan_golden.py --write            # rewrite the golden file
    python tests/plan_golden.py --generated 2000   # print one case's fingerprint (JSON)

``test_plan_golden.py`` recomputes and compares (objective to the solver's 1e-6
relative tolerance, allocations exactly). The module imports only the public API,
so the same file run from an older checkout (``PYTHONPATH=<old>``) fingerprints
the old code.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "data" / "plan_golden.json"
#: The generated case pinned in the golden file: (demands, seed).
GENERATED = (60, 3)


def fingerprint(plan: Any) -> dict[str, Any]:
    """Status, objective and allocations of a plan, as JSON-ready data."""
    allocations = sorted(
        [d.id, a.pattern, "/".join(a.lanes), round(a.orders, 4)]
        for d in plan.demands
        for a in d.allocations
    )
    unmet = sorted([d.id, round(d.unmet_orders, 4)] for d in plan.demands if d.unmet_orders)
    return {
        "status": plan.status.value,
        "objective": plan.objective,
        "allocations": allocations,
        "unmet": unmet,
    }


def plan_of(path: Path) -> Any:
    from optimizer.scenario.load import load
    from optimizer.solve.optimize import optimize

    scenario, network, _ = load(path)
    return optimize(scenario, network)


def generated_case(n: int, seed: int) -> dict[str, Any]:
    from optimizer.scenario.generate import generate_scenario

    with tempfile.TemporaryDirectory() as tmp:
        path = generate_scenario(ROOT / "networks" / "global", n, seed, Path(tmp) / "sc")
        return fingerprint(plan_of(path))


def shipped_scenarios() -> list[Path]:
    return sorted((ROOT / "scenarios").glob("*.yaml"))


def all_cases() -> dict[str, dict[str, Any]]:
    out = {p.name: fingerprint(plan_of(p)) for p in shipped_scenarios()}
    n, seed = GENERATED
    out[f"generated-{n}-seed{seed}"] = generated_case(n, seed)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--write", action="store_true", help="rewrite tests/data/plan_golden.json")
    ap.add_argument("--generated", type=int, help="fingerprint one generated case of N demands")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    if args.generated:
        print(json.dumps(generated_case(args.generated, args.seed)))
        return 0
    text = json.dumps(all_cases(), indent=1, sort_keys=True) + "\n"
    if args.write:
        GOLDEN.write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
