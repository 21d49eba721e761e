"""Quotes: every route option for a shipment, fully landed, with lead-time percentiles.

Typical use::

    from optimizer.quote import Quoter, parse_shipment
    quoter = Quoter(network)
    result = quoter.quote(shipment)           # QuoteResult: options, rejections
    frame = quote_frame(network, shipments)   # one row per shipment × option
"""

from optimizer.quote.engine import Filters, Quoter, QuoteResult, Rejection
from optimizer.quote.options import LegQuote, Option
from optimizer.quote.shipment import Incoterm, Piece, Shipment, parse_shipment

__all__ = [
    "Filters",
    "Incoterm",
    "LegQuote",
    "Option",
    "Piece",
    "QuoteResult",
    "Quoter",
    "Rejection",
    "Shipment",
    "parse_shipment",
]
