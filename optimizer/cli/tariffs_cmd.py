"""``xborder tariffs explain``: every duty layer, import tax and fee of a parcel, and why.

Parse → load the network → :func:`optimizer.costing.layers.explain` → render a
table or JSON (``docs/schemas/tariffs-explain.schema.json``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import click

from optimizer.costing.layers import Assessment, Consignment, Item, explain, unknown_country
from optimizer.errors import InputError, Problem
from optimizer.network.fx import unknown_currency
from optimizer.network.tariff_layers import TradeChannel

#: ``tariffs explain --json`` (docs/schemas/tariffs-explain.schema.json).
EXPLAIN_FORMAT_VERSION = 1


@click.group()
def tariffs() -> None:
    """Dated tariff layers by HS code, import taxes and fees (tariff_layers.csv,
    import_taxes.csv, import_fees.csv of the network; see docs/tariffs.md).

    \b
    Examples:
      xborder tariffs explain --to US --from CN --hs 6109.10 --value 45 --date 2026-03-01
    """


@tariffs.command("explain")
@click.option(
    "--network",
    "network_path",
    default="networks/global",
    show_default=True,
    type=click.Path(),
    help="Network folder with tariff_layers.csv.",
)
@click.option(
    "--to",
    "to",
    required=True,
    help="Importing country (ISO code; EU members by country, e.g. FR).",
)
@click.option(
    "--region",
    default="",
    help="Sub-national region of the buyer for regional taxes (import_taxes.csv), e.g. ON.",
)
@click.option("--from", "origin", required=True, help="Origin country of the goods (ISO code).")
@click.option(
    "--hs", default=None, help="HS code of a one-item parcel (with --value), e.g. 6109.10."
)
@click.option(
    "--value", type=float, default=None, help="Customs value of the --hs item, in --currency."
)
@click.option(
    "--item",
    "items",
    multiple=True,
    metavar="HS=VALUE",
    help="One item of a parcel of several (repeat): HS code = value in --currency.",
)
@click.option(
    "--currency",
    default="USD",
    show_default=True,
    help="Currency of the values and of the result (rates of --date, shown with their source).",
)
@click.option(
    "--date",
    "day",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="Date of import (YYYY-MM-DD).",
)
@click.option(
    "--channel",
    type=click.Choice([c.value for c in TradeChannel]),
    default="express",
    show_default=True,
    help="How the goods cross the border.",
)
@click.option(
    "--variant",
    "variants",
    multiple=True,
    help="Select a named variant of the layers (repeat), e.g. us_postal_specific.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
def explain_cmd(
    network_path: str,
    to: str,
    region: str,
    origin: str,
    hs: str | None,
    value: float | None,
    items: tuple[str, ...],
    currency: str,
    day: dt.datetime,
    channel: str,
    variants: tuple[str, ...],
    as_json: bool,
) -> None:
    """Every tariff layer that applies to a parcel: basis, amount, dates, source, total.

    Duty is summed over the layers that apply (an excluded layer is listed with the
    row that switched it off); tax is import VAT/GST on value + duty (import_taxes.csv,
    by country and --region) and who collects it; fees per customs entry
    (import_fees.csv) are their own lines.

    \b
    Examples:
      xborder tariffs explain --to US --from CN --hs 6109.10 --value 45 \\
        --currency USD --date 2026-03-01
      xborder tariffs explain --to US --from CN --hs 6109.10 --value 45 \\
        --date 2025-09-15 --channel postal --variant us_postal_specific
      xborder tariffs explain --to FR --from CN --item 6109.10=20 \\
        --item 9102.11=60 --currency EUR --date 2026-07-01 --json
      xborder tariffs explain --to CA --region ON --from CN --hs 6109.10 \\
        --value 100 --currency CAD --date 2026-03-01
    """
    from optimizer.network.reader import read_network

    problems: list[Problem] = []
    parsed = _items(hs, value, items, problems)
    # amounts in other currencies (EUR 3 per HS code...) convert at the rates of --date
    network = read_network(network_path).fx_on(day.date())
    if to.upper() not in network.country_by_code:
        problems.append(unknown_country(network, "to", to.upper()))
    elif region:
        known = sorted({t.region for t in network.import_taxes if t.country == to.upper()} - {""})
        if region.upper() not in known:
            problems.append(
                Problem(
                    "--region",
                    f"no regional tax of {to.upper()} in import_taxes.csv",
                    None,
                    "region",
                    region,
                    ", ".join(known) if known else f"no --region for {to.upper()}",
                )
            )
    bad = unknown_currency(
        currency.upper(), dict(network.fx_per_usd), file="tariffs explain", field="--currency"
    )
    problems += [bad] if bad is not None else []
    if problems:
        raise InputError(problems)
    consignment = Consignment(
        to=to.upper(),
        origin=origin.upper(),
        items=parsed,
        channel=TradeChannel(channel),
        day=day.date(),
        currency=currency.upper(),
        variants=frozenset(variants),
        region=region.upper(),
    )
    result = explain(network, consignment)
    fx = network.fx_use(consignment.currency)
    if as_json:
        click.echo(json.dumps({**explain_dict(result), "fx": fx.to_dict()}, indent=2))
    else:
        click.echo(render(result) + "\n\n" + fx.footer())


def _items(
    hs: str | None, value: float | None, items: tuple[str, ...], problems: list[Problem]
) -> tuple[Item, ...]:
    """The items of ``--hs/--value`` and ``--item HS=VALUE``; bad ones go to ``problems``."""
    out: list[Item] = []
    if (hs is None) != (value is None):
        problems.append(
            Problem("--hs/--value", "give both or neither", expected="--hs CODE --value AMOUNT")
        )
    if hs is not None and value is not None:
        try:
            out.append(Item(hs, value))
        except InputError as exc:
            problems += [dataclasses.replace(p, file="--hs/--value") for p in exc.problems]
    for text in items:
        code, sep, amount = text.partition("=")
        try:
            out.append(Item(code.strip(), float(amount)))
        except (ValueError, InputError):
            problems.append(
                Problem("--item", "not HS=VALUE", None, "item", text, "e.g. 6109.10=45")
            )
            continue
        if not sep:
            problems.append(
                Problem("--item", "not HS=VALUE", None, "item", text, "e.g. 6109.10=45")
            )
    if not out and not problems:
        problems.append(
            Problem("--hs/--item", "no item given", expected="--hs and --value, or --item HS=VALUE")
        )
    return tuple(out)


def explain_dict(result: Assessment) -> dict[str, Any]:
    """``tariffs explain --json`` (schema docs/schemas/tariffs-explain.schema.json)."""
    c = result.consignment
    return {
        "format_version": EXPLAIN_FORMAT_VERSION,
        "to": c.to,
        "region": c.region,
        "territory": result.territory,
        "from": c.origin,
        "date": c.day.isoformat(),
        "channel": str(c.channel),
        "variants": sorted(c.variants),
        "currency": c.currency,
        "value": _money(c.value),
        "items": [{"hs": i.hs_code, "value": _money(i.value)} for i in c.items],
        "duty": _money(result.duty),
        "tax": _money(result.tax),
        "tax_collection": result.tax_collection,
        "fee": _money(result.fee),
        "total": _money(result.total),
        "layers": [
            {
                "id": line.layer.id,
                "layer": str(line.layer.layer),
                "stacking_group": line.layer.stacking_group,
                "basis": str(line.layer.basis),
                "hs_prefix": line.layer.hs_prefix,
                "origin": line.layer.origin,
                "rate": line.layer.rate,
                "amount": line.layer.amount,
                "amount_currency": line.layer.currency,
                "valid_from": line.layer.valid_from.isoformat(),
                "valid_to": line.layer.valid_to.isoformat() if line.layer.valid_to else None,
                "items": line.items,
                "duty": _money(line.duty),
                "applied": line.applied,
                "excluded_by": line.excluded_by or None,
                "note": line.layer.note,
                "source": line.layer.source,
            }
            for line in result.lines
        ],
        "taxes": [
            {
                "id": t.id,
                "tax": t.tax,
                "rate": round(t.rate, 6),
                "base": _money(t.base),
                "amount": _money(t.amount),
                "collection": t.collection,
                "source": t.source,
            }
            for t in result.taxes
        ],
        "fees": [
            {
                "id": f.fee.id,
                "name": f.fee.name,
                "amount": _money(f.amount),
                "valid_from": f.fee.valid_from.isoformat(),
                "valid_to": f.fee.valid_to.isoformat() if f.fee.valid_to else None,
                "source": f.fee.source,
            }
            for f in result.fees
        ],
        "notes": list(result.notes),
    }


def _money(x: float) -> float:
    return round(x + 0.0, 2) + 0.0


def render(result: Assessment) -> str:
    """A human table: one line per layer, then the totals and the notes."""
    c = result.consignment
    where = f"{c.to}-{c.region}" if c.region else c.to
    head = (
        f"{c.origin} -> {where} ({result.territory}), {c.day.isoformat()}, {c.channel}, "
        f"{len(c.items)} item{'s' if len(c.items) != 1 else ''} worth {c.value:,.2f} {c.currency}"
    )
    lines = [head, ""]
    rows = [("layer", "id", "basis", "hs", "rate/amount", "valid", "duty")]
    for line in result.lines:
        layer = line.layer
        what = (
            f"{layer.rate * 100:g} %"
            if layer.rate is not None
            else f"{layer.amount:g} {layer.currency}"
        )
        end = layer.valid_to.isoformat() if layer.valid_to else ""
        valid = f"{layer.valid_from.isoformat()}..{end}"
        duty = f"{line.duty:,.2f}" if line.applied else f"off ({line.excluded_by})"
        rows.append(
            (str(layer.layer), layer.id, str(layer.basis), layer.hs_prefix, what, valid, duty)
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines += [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    lines.append("")
    for t in result.taxes:
        lines.append(
            f"tax  {t.id}: {t.tax} {t.rate * 100:.4g} % of {t.base:,.2f} = {t.amount:,.2f} "
            f"{c.currency} ({t.collection})"
        )
    for f in result.fees:
        lines.append(f"fee  {f.fee.id}: {f.fee.name} {f.amount:,.2f} {c.currency}")
    fee = f"; fees {result.fee:,.2f} {c.currency}" if result.fees else ""
    lines += [
        f"duty {result.duty:,.2f} {c.currency}; tax {result.tax:,.2f} {c.currency} "
        f"({result.tax_collection}){fee}; total {result.total:,.2f} {c.currency}",
    ]
    for line in result.lines:
        if line.applied and line.layer.note:
            lines.append(f"  {line.layer.id}: {line.layer.note}")
    lines += [f"note: {n}" for n in result.notes]
    return "\n".join(lines)
