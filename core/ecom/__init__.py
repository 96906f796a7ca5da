"""ecom: an e-commerce integration engine with pluggable cart drivers.

What a driver author imports lives here: :data:`hookimpl`, the canonical records and the errors.
"""

from importlib.metadata import PackageNotFoundError, version

from ecom.errors import (
    AuthError,
    ConfigError,
    DriverError,
    EcomError,
    FatalError,
    MappingError,
    RecordError,
    RejectedError,
    RetryableError,
)
from ecom.hookspecs import hookimpl
from ecom.records import (
    CartAddress,
    CartCustomer,
    CartDiscount,
    CartFee,
    CartInfo,
    CartLine,
    CartOrder,
    CartPayment,
    CartProduct,
    CartShippingLine,
    CartTaxLine,
    Connection,
    ConnectionFields,
    ConnectionReport,
    Page,
    PushResult,
    RecordFailure,
    StatusUpdate,
    StockLevel,
    WebOrderStatus,
    translate_page,
)

try:
    __version__ = version("ecom")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = [
    "AuthError", "CartAddress", "CartCustomer", "CartDiscount", "CartFee", "CartInfo", "CartLine",
    "CartOrder", "CartPayment", "CartProduct", "CartShippingLine", "CartTaxLine", "ConfigError",
    "Connection", "ConnectionFields", "ConnectionReport", "DriverError", "EcomError", "FatalError",
    "MappingError", "Page", "PushResult", "RecordError", "RecordFailure", "RejectedError",
    "RetryableError", "StatusUpdate", "StockLevel", "WebOrderStatus", "hookimpl", "translate_page",
    "__version__",
]
