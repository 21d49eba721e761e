"""Order-level routing on scheduled services (``xborder route``).

Pipeline: read (:mod:`.reader` for our YAML format, :mod:`.hzjken` for the
published case) -> frozen records (:mod:`.records`) -> pruned time-expanded
network (:mod:`.expand`) -> MIP on ``MipModel`` (:mod:`.model`) -> solve and
read back (:mod:`.planner`) -> :class:`~.result.RoutePlan` -> writers
(:mod:`.writers`, :mod:`.gantt`). Orders that cannot arrive in time are
explained by :mod:`.explain`.
"""

from optimizer.orders.planner import route
from optimizer.orders.reader import read_orders_scenario
from optimizer.orders.records import Order, OrdersScenario, ScheduledService

__all__ = ["Order", "OrdersScenario", "ScheduledService", "read_orders_scenario", "route"]
