"""``xborder compare``: what changed between two plans, and why."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command()
@click.argument("a", type=click.Path(exists=True, path_type=Path))
@click.argument("b", type=click.Path(exists=True, path_type=Path))
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write compare.json, waterfall.png and report.html (self-contained) here.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON on stdout.")
def compare(a: Path, b: Path, out_dir: Path | None, as_json: bool) -> None:
    """Compare plan A (before) with plan B (after): totals, routes, lanes, rules, what-ifs.

    A and B are plan folders (`xborder run -o DIR`, or a sweep point's folder), plan.json
    files, or scenario .yaml files (solved first). With scenarios (or a sweep point's
    scenario.yaml beside its plan), A's routes are also re-costed under B's inputs, and
    the customs rules in force on one plan date only are listed: the "why".

    \b
    Examples:
      xborder compare scenarios/eu_3eur_duty_2026h1.yaml scenarios/eu_3eur_duty_2026h2.yaml \\
          -o out/eu_july
      xborder compare out/base out/suez_closed --json
    """
    from optimizer.compare.diff import compare as build
    from optimizer.compare.inputs import read_side
    from optimizer.compare.render import html_report, text_report, waterfall_png

    if not as_json:
        click.echo(f"reading {a} and {b} ...", err=True)
    comparison = build(read_side("A", a), read_side("B", b))
    if out_dir is not None:
        from optimizer.io.atomic import write_bytes, write_text

        png = waterfall_png(comparison)
        write_text(out_dir / "compare.json", json.dumps(comparison, indent=2) + "\n")
        write_bytes(out_dir / "waterfall.png", png)
        write_text(out_dir / "report.html", html_report(comparison, {"cost waterfall": png}))
        if not as_json:
            click.echo(
                f"wrote {out_dir / 'compare.json'}, {out_dir / 'waterfall.png'}, "
                f"{out_dir / 'report.html'}",
                err=True,
            )
    if as_json:
        click.echo(json.dumps(comparison, indent=2))
    else:
        click.echo(text_report(comparison))
