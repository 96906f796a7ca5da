"""The driver conformance suite: one call gives a driver the tests every cart driver must pass.

In a driver's tests::

    from ecom.testing.conformance import driver_conformance

    TestConformance = driver_conformance("shopify")

Each test gets the driver through the plugin manager (the installed entry point), a fresh fake
of its cart from its ``fake_cart`` hook, and connection settings wired to that fake in process.
It checks what the core relies on: the cart is fully described; Test Connection succeeds, and
refuses bad credentials with an :class:`~ecom.errors.AuthError` in the cart's words; orders are
paged to the end, resumed from a watermark and read again by id; status, inventory and product writes reach the
cart with one result per record; 429 and 5xx answers are retried; secrets never show.
An operation the driver does not implement is skipped, with the reason.

To get the driver another way (the core registers its test driver so), pass ``plugin=`` (a
module registered through the ``ecom_plugins`` fixture), or subclass the returned class and
override its ``cart_driver`` fixture. Class attributes tune the seeding: ``seed_orders`` must
exceed one page of the driver's order fetch.

Waits go through :func:`ecom.testing.drivers.ecom_http_sleeps`: retries never really sleep.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ecom.errors import AuthError, RetryableError
from ecom.fake import FakeCart
from ecom.http import normalise_api_url
from ecom.plugins import OPERATIONS, Driver, get_driver
from ecom.records import (
    CartOrder,
    CartProduct,
    Connection,
    ConnectionReport,
    StatusUpdate,
    StockLevel,
    WebOrderStatus,
)
from ecom.testing.drivers import FAKE_BASE_URL, Fetched, drain, fake_connection

TRACKING = "1Z999AA10123456784"
UNKNOWN_SKU = "ECOM-CONFORMANCE-NO-SUCH-SKU"
UNKNOWN_ORDER = "999999999"
NEW_SKU = "ECOM-CONFORMANCE-1"


def driver_conformance(kind: str, *, plugin: Any = None, base_url: str = FAKE_BASE_URL) -> type:
    """A pytest test class checking the driver for cart ``kind`` against its own fake.

    :param kind: the cart kind, as the driver's ``describe_cart`` names it.
    :param plugin: a driver module or object to register for each test instead of relying on the
        installed entry point.
    :param base_url: the URL the fake's connection settings name.
    :return: a class to bind to a ``Test*`` name in a test module.
    """

    class DriverConformance:
        cart_kind = kind
        #: orders seeded for the fetch tests: more than one page of the driver's fetch
        seed_orders = 120
        #: products seeded (with stock) for the inventory and product tests
        seed_products = 12

        # -- fixtures ---------------------------------------------------------------------------

        @pytest.fixture
        def cart_driver(self, request: pytest.FixtureRequest) -> Driver:
            """The driver under test: ``plugin`` registered in a test plugin manager, or the
            installed one."""
            if plugin is None:
                return get_driver(kind)
            plugins = request.getfixturevalue("ecom_plugins")
            plugins.register(plugin)
            return get_driver(kind, plugins.manager)

        @pytest.fixture(autouse=True)
        def http_sleeps(self, ecom_http_sleeps: list[float]) -> list[float]:
            return ecom_http_sleeps

        @pytest.fixture
        def cart_fake(self, cart_driver: Driver) -> FakeCart:
            if not cart_driver.implements("fake_cart"):
                pytest.fail(f"The {kind} driver has no fake_cart hook: every driver ships a fake of its cart.")
            fake = cart_driver.fake()
            assert isinstance(fake, FakeCart), f"fake_cart returned {type(fake).__name__}, not an ecom.fake.FakeCart"
            return fake

        @pytest.fixture
        def connection(self, cart_fake: FakeCart) -> Connection:
            return fake_connection(cart_fake, base_url)

        @pytest.fixture
        def bad_connection(self, cart_fake: FakeCart) -> Connection:
            return fake_connection(cart_fake, base_url, valid=False)

        # -- helpers ----------------------------------------------------------------------------

        @staticmethod
        def require(driver: Driver, *hooks: str) -> None:
            for hook in hooks:
                if not driver.implements(hook):
                    pytest.skip(f"the {kind} driver does not implement {hook}")

        def orders(self, driver: Driver, connection: Connection, since: datetime | None = None) -> Fetched:
            return drain(driver.call("fetch_orders", connection=connection, since=since))

        def seeded_orders(self, driver: Driver, fake: FakeCart, connection: Connection) -> list[CartOrder]:
            self.require(driver, "fetch_orders")
            fake.seed(orders=self.seed_orders, products=self.seed_products, seed=7)
            return self.orders(driver, connection).records

        # -- describing the cart ----------------------------------------------------------------

        def test_describe_cart_is_complete(self, cart_driver: Driver, cart_fake: FakeCart) -> None:
            info = cart_driver.info
            assert info.kind == kind and info.title.strip(), "describe_cart must name the kind and a title"
            for name in ("website_name", "api_url", "username", "password"):
                assert getattr(info.fields, name).strip(), f"describe_cart must say what {name} means for the cart"
            for pattern in info.api_paths:  # the core strips them from API URLs: they must compile, and match a path
                assert re.compile(pattern).pattern.startswith("/"), f"api_paths: {pattern!r} must start with /"
            base = cart_fake.connection(base_url).api_url
            assert normalise_api_url(base, api_paths=info.api_paths)[0] == base.rstrip("/"), "the fake's own address is kept as it is"
            # Every cart status maps to one of the six (validated by CartInfo); not every one of the six
            # needs a cart status (WooCommerce has nothing meaning Approved), but open and cancelled
            # orders exist in every cart.
            reachable = {status for status in info.statuses.values() if isinstance(status, WebOrderStatus)}
            missing = sorted(s.value for s in {WebOrderStatus.PROCESSING, WebOrderStatus.VOIDED} - reachable)
            assert not missing, f"no cart status maps to: {', '.join(missing)}"
            assert cart_fake.kind == kind, f"the fake says it is a {cart_fake.kind!r} cart"

        # -- Test Connection --------------------------------------------------------------------

        def test_connection_succeeds(self, cart_driver: Driver, connection: Connection) -> None:
            self.require(cart_driver, "test_connection")
            report = cart_driver.call("test_connection", connection=connection, operations=frozenset(OPERATIONS))
            assert isinstance(report, ConnectionReport) and report.message.strip()

        def test_connection_refuses_bad_credentials_in_the_carts_words(
            self, cart_driver: Driver, cart_fake: FakeCart, bad_connection: Connection, connection: Connection
        ) -> None:
            self.require(cart_driver, "test_connection")
            with pytest.raises(AuthError) as info:
                cart_driver.call("test_connection", connection=bad_connection, operations=frozenset(OPERATIONS))
            message = str(info.value)
            assert message.strip(), "the AuthError must say what the cart answered"
            assert info.value.status in (401, 403), "the AuthError must carry the cart's HTTP status"
            assert any(r.status in (401, 403) for r in cart_fake.requests), "the fake never refused a request"
            for secret in (*bad_connection.secrets, *connection.secrets):
                assert secret not in message, "the AuthError message shows a secret"

        # -- reading orders ---------------------------------------------------------------------

        def test_fetch_orders_pages_to_the_end(
            self, cart_driver: Driver, cart_fake: FakeCart, connection: Connection
        ) -> None:
            self.require(cart_driver, "fetch_orders")
            cart_fake.seed(orders=self.seed_orders, products=self.seed_products, seed=7)
            fetched = self.orders(cart_driver, connection)
            assert fetched.failures == [], f"orders the driver could not translate: {fetched.failures[:3]}"
            assert fetched.pages > 1, f"seed_orders ({self.seed_orders}) fit in one page: raise it above the page size"
            ids = [order.external_id for order in fetched.records]
            assert all(isinstance(i, str) and i for i in ids), "external ids must be non-empty strings"
            assert len(ids) == len(set(ids)) == self.seed_orders, (
                f"{len(ids)} orders fetched ({len(set(ids))} distinct), {self.seed_orders} seeded"
            )
            for order in fetched.records:
                assert order.created_at.utcoffset() is not None and order.updated_at.utcoffset() is not None
            assert any(order.archived for order in fetched.records), "archived orders must be fetched, flagged archived"
            skus = set(cart_fake.skus())
            strays = {line.sku for order in fetched.records for line in order.lines if line.sku and line.sku not in skus}
            assert not strays, f"order lines name SKUs the cart does not sell: {sorted(strays)[:5]}"
            assert cart_fake.writes() == [], "fetching orders changed the cart"

        def test_fetch_orders_resumes_from_a_watermark(
            self, cart_driver: Driver, cart_fake: FakeCart, connection: Connection
        ) -> None:
            everything = self.seeded_orders(cart_driver, cart_fake, connection)
            mark = sorted(order.updated_at for order in everything)[len(everything) // 2]
            expected = sorted(o.external_id for o in everything if o.updated_at >= mark)
            resumed = self.orders(cart_driver, connection, since=mark)
            got = [order.external_id for order in resumed.records]
            assert len(got) == len(set(got)), "an order came twice in one fetch"
            assert sorted(got) == expected, (
                f"since {mark.isoformat()}: {len(got)} orders fetched, {len(expected)} updated at or after it"
            )

        def test_fetch_orders_by_id_reads_only_those_a_page_of_ids_a_request(
            self, cart_driver: Driver, cart_fake: FakeCart, connection: Connection
        ) -> None:
            self.require(cart_driver, "fetch_orders_by_id")
            everything = self.seeded_orders(cart_driver, cart_fake, connection)
            wanted = [order.external_id for order in everything[:: len(everything) // 5]][:5]
            reads = len(cart_fake.requests)
            fetched = drain(cart_driver.call("fetch_orders_by_id", connection=connection, ids=[*wanted, UNKNOWN_ORDER]))
            assert fetched.failures == [], f"orders the driver could not translate: {fetched.failures[:3]}"
            assert sorted(o.external_id for o in fetched.records) == sorted(wanted), (
                "fetch_orders_by_id must return the orders asked for, and leave out the ones the cart does not have"
            )
            asked = len(cart_fake.requests) - reads
            assert asked <= 3, f"{asked} requests for 6 ids: it must cost a request per page of ids, not a read of all"
            assert cart_fake.writes() == [], "fetching orders changed the cart"

        def test_fetch_orders_says_the_carts_clock_or_nothing(
            self, cart_driver: Driver, cart_fake: FakeCart, connection: Connection
        ) -> None:
            self.require(cart_driver, "fetch_orders")
            cart_fake.seed(orders=3, products=self.seed_products, seed=7)
            first = next(iter(cart_driver.call("fetch_orders", connection=connection, since=None)))
            if first.read_at is not None:  # the fake keeps real time: its clock is ours
                assert first.read_at.utcoffset() is not None, "read_at must be timezone-aware"
                assert abs((first.read_at - datetime.now(UTC)).total_seconds()) < 120, (
                    f"read_at ({first.read_at.isoformat()}) must be the cart's clock when it answered the first page"
                )

        # -- pushing status -----------------------------------------------------------------------

        def open_orders(self, orders: list[CartOrder]) -> list[CartOrder]:
            open_statuses = (WebOrderStatus.PROCESSING, WebOrderStatus.APPROVED, WebOrderStatus.PAYMENT_PENDING)
            found = [o for o in orders if o.status in open_statuses and not o.archived]
            assert len(found) >= 2, "the fake's seed must hold open (processing / approved / pending) orders"
            return found

        def test_push_status_shipped_records_tracking(
            self, cart_driver: Driver, cart_fake: FakeCart, connection: Connection
        ) -> None:
            self.require(cart_driver, "push_status")
            order = self.open_orders(self.seeded_orders(cart_driver, cart_fake, connection))[0]
            update = StatusUpdate(
                order_id=order.external_id, number=order.number, kind="shipped", tracking_number=TRACKING,
                carrier="UPS", shipped_at=datetime.now(UTC),
            )
            [result] = cart_driver.call("push_status", connection=connection, updates=[update])
            assert result.ok, f"shipping {order.number} failed: {result.message}"
            assert result.ref == order.external_id
            assert TRACKING in cart_fake.tracking(order.external_id)

        def test_push_status_voided_with_a_result_per_record(
            self, cart_driver: Driver, cart_fake: FakeCart, connection: Connection
        ) -> None:
            self.require(cart_driver, "push_status")
            order = self.open_orders(self.seeded_orders(cart_driver, cart_fake, connection))[1]
            updates = [
                StatusUpdate(order_id=UNKNOWN_ORDER, kind="voided"),
                StatusUpdate(order_id=order.external_id, number=order.number, kind="voided"),
            ]
            unknown, voided = cart_driver.call("push_status", connection=connection, updates=updates)
            assert [unknown.ref, voided.ref] == [UNKNOWN_ORDER, order.external_id]
            assert not unknown.ok and unknown.message, "an unknown order must fail alone, in the cart's words"
            assert voided.ok, f"voiding {order.number} failed: {voided.message}"
            again = {o.external_id: o for o in self.orders(cart_driver, connection).records}
            assert again[order.external_id].status == WebOrderStatus.VOIDED

        def test_push_status_leaves_an_order_changed_since_import_alone(
            self, cart_driver: Driver, cart_fake: FakeCart, connection: Connection
        ) -> None:
            self.require(cart_driver, "push_status")
            order = self.open_orders(self.seeded_orders(cart_driver, cart_fake, connection))[0]
            wanted = (cart_driver.info.after_import_statuses or ["ecom-imported"])[0]
            update = StatusUpdate(
                order_id=order.external_id, number=order.number, kind="cart_status", cart_status=wanted,
                unchanged_since=order.updated_at - timedelta(hours=1),  # the shop changed it after the import
            )
            writes = len(cart_fake.writes())
            [result] = cart_driver.call("push_status", connection=connection, updates=[update])
            assert result.ok and result.action == "unchanged" and result.message, (
                "a cart status after import must not touch an order changed in the cart since it was imported"
            )
            assert len(cart_fake.writes()) == writes, "nothing may be written to an order the shop moved on"

        # -- pushing inventory --------------------------------------------------------------------

        def test_push_inventory_with_a_result_per_record(
            self, cart_driver: Driver, cart_fake: FakeCart, connection: Connection
        ) -> None:
            self.require(cart_driver, "push_inventory")
            cart_fake.seed(products=self.seed_products, seed=7)
            tracked = [sku for sku in cart_fake.skus() if cart_fake.stock(sku) is not None][:3]
            assert len(tracked) == 3, "the fake's seed must hold at least three products with tracked stock"
            wanted = {tracked[0]: (cart_fake.stock(tracked[0]) or 0) + 7, tracked[1]: 0, tracked[2]: 41}
            levels = [StockLevel(sku=tracked[0], quantity=wanted[tracked[0]]), StockLevel(sku=UNKNOWN_SKU, quantity=3)]
            levels += [StockLevel(sku=sku, quantity=wanted[sku]) for sku in tracked[1:]]
            results = cart_driver.call("push_inventory", connection=connection, levels=levels)
            assert [r.ref for r in results] == [level.sku for level in levels], "one result per level, in order"
            assert not results[1].ok and results[1].message, "an unknown SKU must fail alone, in the cart's words"
            for result in (results[0], *results[2:]):
                assert result.ok, f"{result.ref}: {result.message}"
            assert {sku: cart_fake.stock(sku) for sku in tracked} == wanted

        # -- exporting products -------------------------------------------------------------------

        def test_upsert_products_creates_then_updates(
            self, cart_driver: Driver, cart_fake: FakeCart, connection: Connection
        ) -> None:
            self.require(cart_driver, "upsert_products")
            cart_fake.seed(products=self.seed_products, seed=7)
            product = CartProduct(
                sku=NEW_SKU, name="Conformance Widget", description="Made by the ecom conformance suite.",
                price=Decimal("12.34"), weight=Decimal("0.5"), weight_unit="kg",
            )
            [created] = cart_driver.call("upsert_products", connection=connection, products=[product])
            assert created.ok and created.action == "created", f"create: {created}"
            assert created.ref == NEW_SKU and created.external_id
            seen = cart_fake.product(NEW_SKU)
            assert seen is not None and (seen.name, seen.price) == ("Conformance Widget", Decimal("12.34"))

            by_sku = product.model_copy(update={"name": "Conformance Widget II", "price": Decimal("15.00")})
            [updated] = cart_driver.call("upsert_products", connection=connection, products=[by_sku])
            assert updated.ok and updated.action == "updated", f"update by SKU: {updated}"
            by_id = by_sku.model_copy(update={"name": "Conformance Widget III", "external_id": created.external_id})
            [again] = cart_driver.call("upsert_products", connection=connection, products=[by_id])
            assert again.ok and again.action == "updated", f"update by external id: {again}"
            assert created.external_id == updated.external_id == again.external_id
            seen = cart_fake.product(NEW_SKU)
            assert seen is not None and (seen.name, seen.price) == ("Conformance Widget III", Decimal("15.00"))
            assert cart_fake.skus().count(NEW_SKU) == 1, "an update created a duplicate product"

        # -- retries ------------------------------------------------------------------------------

        def test_rate_limits_and_server_errors_are_retried(
            self, cart_driver: Driver, cart_fake: FakeCart, connection: Connection, http_sleeps: list[float]
        ) -> None:
            self.require(cart_driver, "fetch_orders")
            cart_fake.seed(orders=self.seed_orders, products=self.seed_products, seed=7)
            cart_fake.fail_next(429, retry_after=1)
            cart_fake.fail_next(503)
            fetched = self.orders(cart_driver, connection)
            assert len(fetched.records) == self.seed_orders
            first = cart_fake.requests[:3]
            assert [r.status for r in first[:2]] == [429, 503]
            assert 200 <= first[2].status < 300 and len({r.path for r in first}) == 1, "the failed request was not retried"
            assert 1.0 in http_sleeps, f"Retry-After: 1 was not honoured (waits: {http_sleeps})"

        def test_writes_are_retried_after_server_errors(
            self, cart_driver: Driver, cart_fake: FakeCart, connection: Connection
        ) -> None:
            self.require(cart_driver, "push_inventory")
            cart_fake.seed(products=self.seed_products, seed=7)
            sku = next(s for s in cart_fake.skus() if cart_fake.stock(s) is not None)
            cart_fake.fail_next(500)
            cart_fake.fail_next(429, retry_after=0)
            [result] = cart_driver.call("push_inventory", connection=connection, levels=[StockLevel(sku=sku, quantity=13)])
            assert result.ok, result.message
            assert cart_fake.stock(sku) == 13
            assert [r.status for r in cart_fake.requests[:2]] == [500, 429]

        def test_a_cart_that_keeps_failing_raises_retryable_error(
            self, cart_driver: Driver, cart_fake: FakeCart, connection: Connection
        ) -> None:
            self.require(cart_driver, "fetch_orders")
            cart_fake.seed(orders=3, seed=7)
            cart_fake.fail_next(503, times=100)
            with pytest.raises(RetryableError):
                self.orders(cart_driver, connection)
            assert 1 < len(cart_fake.requests) < 100, "the driver must retry a few times, then give up"

        # -- secrets ------------------------------------------------------------------------------

        def test_secrets_never_appear_in_messages_or_logs(
            self,
            cart_driver: Driver,
            cart_fake: FakeCart,
            connection: Connection,
            bad_connection: Connection,
            caplog: pytest.LogCaptureFixture,
            capsys: pytest.CaptureFixture[str],
        ) -> None:
            operations = ("test_connection", "push_inventory", "fetch_orders")
            if not any(cart_driver.implements(hook) for hook in operations):
                pytest.skip(f"the {kind} driver implements none of {', '.join(operations)}")
            caplog.set_level(logging.DEBUG)
            secrets = {*connection.secrets, *bad_connection.secrets}
            assert secrets, "the fake's connections must carry a secret"
            said: list[str] = []
            cart_fake.seed(orders=self.seed_orders, products=self.seed_products, seed=7)
            if cart_driver.implements("test_connection"):
                everything = frozenset(OPERATIONS)
                said.append(repr(cart_driver.call("test_connection", connection=connection, operations=everything)))
                with pytest.raises(AuthError) as refused:
                    cart_driver.call("test_connection", connection=bad_connection, operations=everything)
                said += [str(refused.value), repr(refused.value)]
            if cart_driver.implements("push_inventory"):
                levels = [StockLevel(sku=UNKNOWN_SKU, quantity=1)]
                results = cart_driver.call("push_inventory", connection=connection, levels=levels)
                said += [result.model_dump_json() for result in results]
            if cart_driver.implements("fetch_orders"):
                said.append(repr(self.orders(cart_driver, connection).failures))
                cart_fake.fail_next(503, times=100)
                with pytest.raises(RetryableError) as gave_up:
                    self.orders(cart_driver, connection)
                said += [str(gave_up.value), repr(gave_up.value)]
            out, err = capsys.readouterr()
            said += [caplog.text, out, err]
            assert caplog.text, "nothing was logged: the HTTP helper logs each request at debug level"
            for secret in secrets:
                leaks = [text[:200] for text in said if secret in text]
                assert not leaks, f"a secret appeared in: {leaks}"

    DriverConformance.__name__ = DriverConformance.__qualname__ = f"{kind.title().replace('_', '')}Conformance"
    return DriverConformance
