"""Turning a cart order into a back-office transaction, by the integration's settings.

Each rule of SPEC §2 lives in one module here: :mod:`~ecom.mapping.filters` (which orders),
:mod:`~ecom.mapping.customers` (proxies, customer and ship-to matching), :mod:`~ecom.mapping.tax`,
:mod:`~ecom.mapping.lines`, :mod:`~ecom.mapping.shipping`, :mod:`~ecom.mapping.discounts`,
:mod:`~ecom.mapping.payments`; :mod:`~ecom.mapping.engine` runs them in order.
"""

from ecom.mapping.draft import MappingOutcome, Note, TransactionDraft
from ecom.mapping.engine import map_order
from ecom.mapping.lookups import DbLookups, Lookups

__all__ = ["DbLookups", "Lookups", "MappingOutcome", "Note", "TransactionDraft", "map_order"]
