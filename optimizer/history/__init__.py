"""Learning the network from the user's own history (``xborder history``; DESIGN.md §8).

Tracking events and order lines are read in place by DuckDB (:mod:`.sources`,
:mod:`.events`), turned into transit and clearance samples in SQL
(:mod:`.samples`), fitted with right-censoring (:mod:`.fit`), pooled toward
corridor and mode (:mod:`.pool`) and written as a calibrated network folder
(:mod:`.calibrate`, :mod:`.output`, :mod:`.report`, :mod:`.plot`). Also:
weekly demands from orders (:mod:`.demand`), synthetic histories with known
truth (:mod:`.generate`), held-out scoring (:mod:`.holdout`) and the SCMS
delivery-history format (:mod:`.scms`). Needs the optional ``history`` extra
(duckdb, pyarrow, scipy).
"""
