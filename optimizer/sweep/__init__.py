"""Scenario sweeps: a grid or seeded sample of what-ifs, one plan per point (docs/sweep.md)."""
