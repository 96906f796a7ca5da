"""ecom: an e-commerce integration engine with pluggable cart drivers.

What a driver author imports lives here: :data:`hookimpl`, the canonical records and the errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# What ``from ecom import X`` gives, and the module X comes from. They are imported on first use
# (PEP 562), so a command line that only prints its help never loads pydantic or pluggy.
_ERRORS = ("AuthError", "ConfigError", "DriverError", "EcomError", "FatalError", "MappingError", "RecordError",
           "RejectedError", "RetryableError")  # fmt: skip
_RECORDS = (
    "CartAddress", "CartCustomer", "CartDiscount", "CartFee", "CartInfo", "CartLine", "CartOrder", "CartPayment",
    "CartProduct", "CartShippingLine", "CartTaxLine", "Connection", "ConnectionFields", "ConnectionReport", "Page",
    "PushResult", "RecordFailure", "StatusUpdate", "StockLevel", "WebOrderStatus", "translate_page",
)  # fmt: skip
_HOME = {**dict.fromkeys(_ERRORS, "ecom.errors"), **dict.fromkeys(_RECORDS, "ecom.records"), "hookimpl": "ecom.hookspecs"}

if TYPE_CHECKING:
    from ecom.errors import (
        AuthError, ConfigError, DriverError, EcomError, FatalError, MappingError, RecordError, RejectedError,
        RetryableError,
    )  # fmt: skip
    from ecom.hookspecs import hookimpl
    from ecom.records import (
        CartAddress, CartCustomer, CartDiscount, CartFee, CartInfo, CartLine, CartOrder, CartPayment, CartProduct,
        CartShippingLine, CartTaxLine, Connection, ConnectionFields, ConnectionReport, Page, PushResult,
        RecordFailure, StatusUpdate, StockLevel, WebOrderStatus, translate_page,
    )  # fmt: skip

    __version__: str


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("ecom")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
            value = "0+unknown"
    elif name in _HOME:
        import importlib

        value = getattr(importlib.import_module(_HOME[name]), name)
    else:
        raise AttributeError(f"module 'ecom' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "AuthError", "CartAddress", "CartCustomer", "CartDiscount", "CartFee", "CartInfo", "CartLine",
    "CartOrder", "CartPayment", "CartProduct", "CartShippingLine", "CartTaxLine", "ConfigError",
    "Connection", "ConnectionFields", "ConnectionReport", "DriverError", "EcomError", "FatalError",
    "MappingError", "Page", "PushResult", "RecordError", "RecordFailure", "RejectedError",
    "RetryableError", "StatusUpdate", "StockLevel", "WebOrderStatus", "hookimpl", "translate_page",
    "__version__",
]
