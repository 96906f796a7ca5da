"""The database tables: the back office ecom keeps, and what the sync engine records about it.

These are SQLModel *table* models and nothing else: the canonical cart records drivers speak are
plain data models in :mod:`ecom.records`, and nothing inherits from a table here. The back office
holds the lists a merchant imports by CSV (items, stock, bills of materials, customers, ship
methods, terms, ...) and the sales orders and ship docs that web orders become; the engine tables
hold each connected cart (:class:`Integration`, its mapping grids), the bindings between cart ids
and local rows (:class:`ExternalRef`) and the sync jobs with their events. Money, rates and
quantities are :class:`~decimal.Decimal` (kept exact on SQLite as text); datetimes are
timezone-aware UTC. Uniqueness the rules depend on is declared here, so the database enforces it:
one binding per (integration, kind, external id) and at most one unfinished job per integration.
The schema changes only through a migration in ``ecom/migrations/versions``.

The tables live in :mod:`ecom.models.back_office` and :mod:`ecom.models.engine`, their column
helpers in :mod:`ecom.models.columns`; everything is read from here (``from ecom import models as
m; m.Item``).
"""

from ecom.models.back_office import (
    BomLine, Customer, CustomerType, CustomField, CustomFieldTarget, CustomFieldValue, Discount, Item, ItemGroup,
    ItemSalesTax, ItemType, ItemVendor, LineKind, Location, Payment, PaymentMethod, PurchaseOrderLine, SalesRep,
    SalesTaxCode, ShipMethod, ShipTo, Stock, Term, TermType, Transaction, TransactionClass, TransactionLine,
    TransactionType,
)
from ecom.models.columns import (
    JSONDict, MAX_DIGITS, MAX_PLACES, ZERO, ExactDecimal, UTCDateTime, enum_column, link, money, number_problem, timestamp, utcnow,
)
from ecom.models.engine import (
    EventLevel, ExternalRef, FailedOrder, Integration, IntegrationDiscount, IntegrationLocation,
    IntegrationPaymentMethod, IntegrationShipMethod, IntegrationTaxState, InventoryPush, Job, JobEvent, JobStatus,
    JobTrigger, MailSettings, SyncState, UNFINISHED_JOB, User,
)

BACK_OFFICE_TABLES = (
    ItemGroup, Location, TransactionClass, SalesRep, CustomerType, SalesTaxCode, ItemSalesTax,
    PaymentMethod, Term, CustomField, Item, Stock, BomLine, PurchaseOrderLine, ItemVendor,
    Customer, ShipTo, ShipMethod, Discount, Transaction, TransactionLine, Payment, CustomFieldValue,
)  # fmt: skip
ENGINE_TABLES = (
    Integration, IntegrationTaxState, IntegrationShipMethod, IntegrationPaymentMethod,
    IntegrationDiscount, IntegrationLocation, ExternalRef, InventoryPush, Job, JobEvent, SyncState, FailedOrder,
    MailSettings, User,
)  # fmt: skip

__all__ = [
    "BomLine", "CustomField", "CustomFieldTarget", "CustomFieldValue", "Customer", "CustomerType",
    "Discount", "EventLevel", "ExactDecimal", "ExternalRef", "FailedOrder", "Integration", "IntegrationDiscount",
    "IntegrationLocation", "IntegrationPaymentMethod", "InventoryPush", "IntegrationShipMethod", "IntegrationTaxState",
    "Item", "ItemGroup", "ItemSalesTax", "ItemType", "ItemVendor", "Job", "JobEvent", "JobStatus", "MailSettings",
    "JobTrigger", "LineKind", "Location", "Payment", "PaymentMethod", "PurchaseOrderLine", "SalesRep",
    "SalesTaxCode", "ShipMethod", "ShipTo", "Stock", "SyncState", "Term", "TermType", "Transaction",
    "TransactionClass", "TransactionLine", "TransactionType", "UTCDateTime", "User", "utcnow",
]
