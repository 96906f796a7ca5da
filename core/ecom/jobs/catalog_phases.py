"""The job's product and inventory phases: the catalog functions, run as phases of a job.

:mod:`ecom.products` and :mod:`ecom.inventory_push` do the work (also from the CLI); here their
results become the job's counts and events, and the products watermark is kept. Import Products
off but Update Inventory on still reads the cart's products incrementally to *bind* the items the
cart sells (nothing is created): that is how the push knows what the cart carries.
"""

from __future__ import annotations

from typing import Any

from ecom import products
from ecom.inventory_push import push_inventory as push_quantities
from ecom.jobs import state
from ecom.jobs.context import JobRun
from ecom.jobs.orders import OVERLAP


def _record(run: JobRun, phase: str, result: Any) -> None:
    run.log.set_counts(phase, result.counts())
    for error in result.errors:
        where = f" at cart location {error.location}" if getattr(error, "location", None) else ""
        run.log.error(phase, error.ref, f"{error.message}{where}", rule="cart")
    for warning in getattr(result, "warnings", []):
        run.log.warning(phase, warning.ref, warning.message)
    run.session.commit()


def _read_products(run: JobRun, phase: str, *, create: bool) -> None:
    mark = None if run.full else state.get(run.session, run.integration_id, "products")
    started = run.job.started_at
    result = products.import_products(
        run.session, run.integration, run.driver, run.connection, create=create,
        since=mark - OVERLAP if mark else None, settings=run.settings,
    )
    _record(run, phase, result)
    if started is not None:
        state.put(run.session, run.integration_id, "products", started)
        run.session.commit()


def import_products(run: JobRun) -> None:
    _read_products(run, "import_products", create=True)


def push_inventory(run: JobRun) -> None:
    if not run.settings.general.import_products and run.driver.implements("fetch_products") and not run.retry_of:
        _read_products(run, "bind_products", create=False)
    result = push_quantities(
        run.session, run.integration, run.driver, run.connection, full=run.full, batch_size=run.batch_size, settings=run.settings
    )
    _record(run, "push_inventory", result)


def export_products(run: JobRun) -> None:
    result = products.export_products(run.session, run.integration, run.driver, run.connection, full=run.full, settings=run.settings)
    _record(run, "export_products", result)
