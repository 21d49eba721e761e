"""Regenerate the field tables of the format docs from the field specs.

Each generated block sits between ``<!-- BEGIN GENERATED: NAME -->`` and
``<!-- END GENERATED -->`` markers; the text around it is hand-written and
kept. The specs (:class:`optimizer.fields.Field` records) are what the readers
parse with, so the docs show exactly the types, ranges and defaults enforced::

    python docs/make_docs.py          # rewrite the docs
    python docs/make_docs.py --check  # exit 1 if a doc is out of date

``tests/test_bad_inputs.py`` runs the check.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

DOCS = Path(__file__).resolve().parent
END = "<!-- END GENERATED -->"


def _scenario() -> str:
    from optimizer.scenario.reader import scenario_markdown

    return scenario_markdown()


def _simulation() -> str:
    from optimizer.simulate.config import config_markdown

    return config_markdown()


def _orders() -> str:
    from optimizer.orders.reader import format_markdown

    return format_markdown()


#: The shipment of docs/tariffs.md, compared on four dates (issue 14).
TARIFF_DATES = ("2025-03-01", "2025-09-15", "2026-03-01", "2026-12-01")
_EXPLAIN = "xborder tariffs explain --to US --from CN --hs 6109.10 --value 45 --currency USD"
_QUOTE = (
    "xborder quote --network networks/global --from CN_SZX_ORIGIN --to M_US_EAST "
    "--weight 0.3 --dims 30x20x5 --value 45 --currency USD --category apparel "
    "--pattern direct-package --mode express"
)


def _tariff_dates() -> str:
    """The same T-shirt on four dates: a summary of what changed and why, then the real
    output of ``tariffs explain`` and ``quote`` on each date (run here, never typed)."""
    import datetime as dt
    import shlex

    from click.testing import CliRunner

    from optimizer.cli.main import main as cli
    from optimizer.costing.layers import Consignment, Item, explain
    from optimizer.network.reader import read_network
    from optimizer.network.tariff_layers import TradeChannel

    net = str(DOCS.parent / "networks" / "global")  # the commands name it from the repository
    network = read_network(net)
    rows = ["| date | duty layers | duty | fees | total | what changed since the date before |"]
    rows.append("|---|---|---:|---:|---:|---|")
    before: dict[str, str] = {}
    outputs: list[str] = []
    for day in TARIFF_DATES:
        day_ = dt.date.fromisoformat(day)
        shirt = (Item("6109.10", 45.0),)
        a = explain(network, Consignment("US", "CN", shirt, TradeChannel.EXPRESS, day_))
        now = {line.layer.id: line.layer.note for line in a.lines if line.applied}
        now.update({f.fee.id: f.fee.name for f in a.fees})
        gone = [f"ends: {k}" for k in before if k not in now]
        new = [f"starts: {k} ({v})" for k, v in now.items() if k not in before]
        changed = "; ".join(gone + new) if before else "first date"
        if a.notes and any("knows nothing" in n for n in a.notes):
            changed += "; past the table's last known change: flagged, not extrapolated"
        layers = " + ".join(k for k in now if k in {x.layer.id for x in a.lines})
        rows.append(
            f"| {day} | {layers} | {a.duty:.2f} | {a.fee:.2f} | {a.total:.2f} | {changed} |"
        )
        before = now
        runner = CliRunner()
        for command in (f"{_EXPLAIN} --date {day}", f"{_QUOTE} --ship-date {day}"):
            args = [net if a == "networks/global" else a for a in shlex.split(command)[1:]]
            if args[0] == "tariffs":
                args += ["--network", net]
            result = runner.invoke(cli, args)
            if result.exit_code != 0:
                raise RuntimeError(f"{command}: exit {result.exit_code}\n{result.output}")
            outputs += ["```sh", command, "```", "", "```text", result.output.rstrip(), "```", ""]
    return "\n".join([*rows, "", *outputs])


#: doc file -> {block name -> generator}
BLOCKS: dict[str, dict[str, Callable[[], str]]] = {
    "scenario.md": {"scenario fields": _scenario},
    "simulate.md": {"simulation fields": _simulation},
    "route.md": {"orders format": _orders},
    "tariffs.md": {"tariff dates": _tariff_dates},
}


def render(name: str, text: str) -> str:
    """``text`` of doc ``name`` with every generated block replaced by its current content."""
    for block, make in BLOCKS[name].items():
        begin = f"<!-- BEGIN GENERATED: {block}; python docs/make_docs.py -->"
        head, sep, rest = text.partition(begin)
        _, sep2, tail = rest.partition(END)
        if not sep or not sep2:
            raise ValueError(f"{name}: markers {begin!r} ... {END!r} not found")
        text = f"{head}{begin}\n\n{make().rstrip()}\n\n{END}{tail}"
    return text


def main(argv: list[str]) -> int:
    stale = []
    for name in BLOCKS:
        path = DOCS / name
        text = path.read_text(encoding="utf-8")
        fresh = render(name, text)
        if fresh == text:
            continue
        stale.append(path)
        if "--check" not in argv:
            from optimizer.io.atomic import write_text

            write_text(path, fresh)
            print(f"rewrote {path}")
    if stale and "--check" in argv:
        print(f"out of date: {', '.join(map(str, stale))}: run python docs/make_docs.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(DOCS.parent))
    sys.exit(main(sys.argv[1:]))
