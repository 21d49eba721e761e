"""A comparison for people: a terminal summary, a cost waterfall PNG, a one-page HTML report.

The HTML is self-contained (inline CSS, PNGs embedded as base64): it opens offline,
mails as one file and never fetches anything.
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

from optimizer.plan.metrics import COST_LINES

LINE_LABELS = {
    "freight": "freight",
    "handling": "handling",
    "duties_taxes": "duties & taxes",
    "inventory": "inventory",
}


def _fmt(value: Any, unit: str = "money") -> str:
    if value is None:
        return "-"
    if unit == "share":
        return f"{value:.1%}"
    if unit in ("count",):
        return f"{value:,.0f}"
    if unit == "orders":
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _signed(value: Any, unit: str = "money") -> str:
    if value is None:
        return ""
    if abs(value) < 1e-9:
        return "0"
    if unit == "share":
        return f"{value * 100:+.1f} pt"
    if unit in ("count", "orders"):
        return f"{value:+,.0f}"
    return f"{value:+,.2f}"


def text_report(c: dict[str, Any]) -> str:
    """The terminal summary: headline, totals side by side, what changed per demand."""
    a, b = c["a"], c["b"]
    lines = [f"A: {a['scenario']} ({a['source']})", f"B: {b['scenario']} ({b['source']})", ""]
    lines += c["headline"] + [""]
    head = f"{'':<48} {'A':>12} {'B':>12} {'B - A':>12}"
    lines += [head, "-" * len(head)]
    for t in c["totals"]:
        lines.append(
            f"{t['label'][:48]:<48} {_fmt(t['a'], t['unit']):>12} {_fmt(t['b'], t['unit']):>12} "
            f"{_signed(t['delta'], t['unit']):>12}"
        )
    changed = [d for d in c["demands"] if d["route_changed"] or d["why"]]
    if changed:
        lines += ["", "Per demand:"]
        for d in changed:
            lines.append(f"  {d['id']}")
            lines += [f"    - {w}" for w in d["why"]]
    lanes = c["lanes"]
    lines += [
        "",
        f"Lanes opened: {', '.join(u['lane'] for u in lanes['opened']) or 'none'}",
        f"Lanes closed: {', '.join(u['lane'] for u in lanes['closed']) or 'none'}",
    ]
    for u in lanes["containers_changed"]:
        lines.append(f"Containers on {u['lane']}: {u['a']} → {u['b']} per week")
    for side in (a, b):
        w = side["what_ifs"]
        lines.append(
            f"What-ifs of {side['label']}: "
            + ("not recorded" if w is None else ("; ".join(w) if w else "none"))
        )
    lines += [f"Note: {n}" for n in c["notes"]]
    return "\n".join(lines)


def waterfall_png(c: dict[str, Any]) -> bytes:
    """Cost per order of A, each cost line's move, cost per order of B (PNG bytes)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    totals = {t["metric"]: t for t in c["totals"]}
    start = totals["cost_per_order"]["a"] or 0.0
    end = totals["cost_per_order"]["b"] or 0.0
    steps = [
        (LINE_LABELS[line], totals[f"{line}_per_order"]["delta"] or 0.0) for line in COST_LINES
    ]
    fig, ax = plt.subplots(figsize=(7.5, 3.6), constrained_layout=True)
    labels = ["A", *(name for name, _ in steps), "B"]
    ax.bar(0, start, color="#5b7fa6")
    level = start
    for i, (_, d) in enumerate(steps, start=1):
        ax.bar(i, d, bottom=level, color="#c0504d" if d > 0 else "#4f9a5a")
        ax.text(
            i, level + max(d, 0) + 0.01 * max(start, end, 1), f"{d:+.2f}", ha="center", fontsize=9
        )
        level += d
    ax.bar(len(labels) - 1, end, color="#5b7fa6")
    for x, v in ((0, start), (len(labels) - 1, end)):
        ax.text(x, v + 0.01 * max(start, end, 1), f"{v:.2f}", ha="center", fontsize=9)
    levels = [start, end, *(start + sum(d for _, d in steps[:k]) for k in range(1, len(steps)))]
    low, high = min(levels), max(levels)
    if low > 0 and high - low < 0.5 * high:  # zoom in on the moves; the bars say where 0 is not
        ax.set_ylim(bottom=max(0.0, low - 0.6 * (high - low) - 0.05 * high))
        ax.set_title("Cost per order: A → B by cost line (axis does not start at 0)")
    else:
        ax.set_title("Cost per order: A → B by cost line")
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels)
    ax.set_ylabel(f"landed cost per order ({c['currency']})")
    ax.grid(axis="y", alpha=0.3)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def html_report(c: dict[str, Any], pngs: dict[str, bytes]) -> str:
    """One self-contained page: headline, totals, waterfall, demands, lanes, rules, what-ifs."""
    e = html.escape
    a, b = c["a"], c["b"]
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Compare: {e(str(a['scenario']))} vs {e(str(b['scenario']))}</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>What changed from A to B</h1>",
        "<p class='sides'><b>A</b> "
        + e(f"{a['scenario']} — plan date {a['plan_date']} — {a['source']}")
        + "<br><b>B</b> "
        + e(f"{b['scenario']} — plan date {b['plan_date']} — {b['source']}")
        + "</p>",
        "<ul class='headline'>" + "".join(f"<li>{e(x)}</li>" for x in c["headline"]) + "</ul>",
        "<div class='row'><div>",
        _totals_table(c),
        "</div><div>",
    ]
    for name, data in pngs.items():
        parts.append(
            f"<img alt='{e(name)}' src='data:image/png;base64,{base64.b64encode(data).decode()}'>"
        )
    parts.append(_what_if_table(c))
    parts.append("</div></div>")
    parts.append(_demand_table(c))
    parts.append(_lanes_and_rules(c))
    if c["notes"]:
        parts.append("<p class='note'>" + "<br>".join(e(n) for n in c["notes"]) + "</p>")
    parts.append("</body></html>\n")
    return "".join(parts)


def _totals_table(c: dict[str, Any]) -> str:
    rows = []
    for t in c["totals"]:
        d = t["delta"]
        cls = "" if d is None or abs(d) < 1e-9 else ("up" if d > 0 else "down")
        if t["unit"] not in ("money", "days", "kg", "t"):  # more is not worse: no colour
            cls = ""
        rows.append(
            f"<tr><td>{html.escape(t['label'])}</td><td>{_fmt(t['a'], t['unit'])}</td>"
            f"<td>{_fmt(t['b'], t['unit'])}</td><td class='{cls}'>{_signed(d, t['unit'])}</td></tr>"
        )
    return (
        f"<table class='totals'><tr><th>totals ({html.escape(str(c['currency']))}, per week"
        " unless per order)</th><th>A</th><th>B</th><th>B − A</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _routes(routes: list[dict[str, Any]]) -> str:
    return (
        "<br>".join(
            html.escape(f"{r['share']:.0%} {r['pattern']}: {' > '.join(r['line_haul'])}")
            for r in routes
        )
        or "-"
    )


def _demand_table(c: dict[str, Any]) -> str:
    rows = []
    for d in c["demands"]:
        cost = d["cost_per_order"]["total"]
        why = "".join(f"<li>{html.escape(w)}</li>" for w in d["why"])
        mark = "changed" if d["route_changed"] else ""
        rows.append(
            f"<tr class='{mark}'><td><b>{html.escape(d['id'])}</b></td>"
            f"<td>{_routes(d['routes_a'])}</td><td>{_routes(d['routes_b'])}</td>"
            f"<td>{_fmt(cost[0])} → {_fmt(cost[1])}</td><td><ul>{why}</ul></td></tr>"
        )
    return (
        "<h2>Per demand (changed routes highlighted)</h2><table class='demands'><tr><th>demand</th>"
        "<th>A: share, pattern, line haul</th><th>B</th><th>cost / order</th><th>why</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _lanes_and_rules(c: dict[str, Any]) -> str:
    lanes = c["lanes"]

    def lane_list(items: list[dict[str, Any]]) -> str:
        return (
            ", ".join(
                html.escape(
                    f"{u['lane']} ({u['mode']}"
                    + (f", {u['containers']} ctr/wk" if u.get("containers") else "")
                    + ")"
                )
                for u in items
            )
            or "none"
        )

    parts = [
        "<h2>Lanes</h2><p>",
        f"<b>opened in B:</b> {lane_list(lanes['opened'])}<br>",
        f"<b>closed in B:</b> {lane_list(lanes['closed'])}<br>",
        "<b>containers per week changed:</b> "
        + (
            ", ".join(
                html.escape(f"{u['lane']} {u['a']} → {u['b']}") for u in lanes["containers_changed"]
            )
            or "none"
        ),
        "</p>",
    ]
    rules = c["customs_rules"]
    if rules is not None:
        items = [_rule_item("A", r) for r in rules["only_a"]]
        items += [_rule_item("B", r) for r in rules["only_b"]]
        where = ", ".join(rules["territories"])
        parts.append(
            f"<h2>Customs rules in force on one plan date only ({html.escape(where)})</h2>"
            + (f"<ul>{''.join(items)}</ul>" if items else "<p>none: the same rules apply</p>")
        )
    return "".join(parts)


def _rule_item(side: str, rule: dict[str, Any]) -> str:
    period = f"{rule['valid_from']} to {rule['valid_to'] or 'open'}"
    return (
        f"<li>{side} only: <b>{html.escape(rule['id'])}</b> ({period}): "
        f"{html.escape(rule['note'])}</li>"
    )


def _what_if_table(c: dict[str, Any]) -> str:
    cells = []
    for side in (c["a"], c["b"]):
        w = side["what_ifs"]
        text = "not recorded" if w is None else ("<br>".join(html.escape(x) for x in w) or "none")
        cells.append(f"<tr><td><b>{side['label']}</b></td><td>{text}</td></tr>")
    return (
        "<table class='whatif'><tr><th colspan='2'>what-ifs applied</th></tr>"
        + "".join(cells)
        + "</table>"
    )


_CSS = """
body{font:13px/1.35 system-ui,sans-serif;margin:18px 24px;color:#222;max-width:1250px}
h1{font-size:20px;margin:0 0 6px}h2{font-size:15px;margin:14px 0 6px}
.sides{color:#555;margin:4px 0}.headline{background:#f4f6fa;padding:8px 8px 8px 26px;
border-left:4px solid #5b7fa6;margin:8px 0}.headline li{margin:2px 0}
.row{display:flex;gap:18px;align-items:flex-start}.row img{width:100%;max-width:620px}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:3px 6px;
vertical-align:top;text-align:left}.totals td:nth-child(n+2){text-align:right;white-space:nowrap}
.up{color:#b03030}.down{color:#2e7d32}tr.changed{background:#fff6e0}.demands ul{margin:0;
padding-left:16px}.demands{width:100%}.whatif{margin-top:8px;width:100%}.note{color:#666}
"""
