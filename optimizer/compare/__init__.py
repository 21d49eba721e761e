"""Compare two plans: totals side by side, what changed per demand and why (docs/sweep.md)."""
