"""A whole cycle over real HTTP on a loopback port, through the shipped example mapping only:
orders imported, shipped with tracking, stock pushed, and the next read since the watermark
brings back only what the pushes changed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from ecom.records import StatusUpdate, StockLevel, WebOrderStatus

from ecom_custom_cart.declarative import CartMapping, MappedCart
from ecom_custom_cart.legacy_fake import LegacyShopFake

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "custom-cart-mapping-example.toml"


def test_import_ship_and_stock_cycle_over_loopback():
    fake = LegacyShopFake()
    fake.seed(orders=250, products=5, seed=7)
    fake.now += timedelta(minutes=5)  # the shop's clock has moved on since the last order
    mapping = CartMapping.from_text(EXAMPLE.read_text(), "legacy.toml")
    with fake.serve() as base_url:
        cart = MappedCart(fake.connection(base_url), mapping)

        pages = list(cart.fetch_orders(None))
        imported = [o for p in pages for o in p.records]
        assert [p.failures for p in pages] == [[], [], []]
        assert sorted(int(o.external_id) for o in imported) == sorted(fake.orders)
        assert len(fake.requests) == 3  # 250 orders, 100 a page
        watermark = pages[0].read_at
        assert watermark == fake.now

        to_ship = [o for o in imported if o.status is WebOrderStatus.APPROVED][:20]
        fake.now += timedelta(minutes=1)
        results = cart.push_status([
            StatusUpdate(order_id=o.external_id, number=o.number, kind="shipped", tracking_number=f"TRK-{o.number}")
            for o in to_ship
        ])
        assert all(r.ok for r in results)
        assert all(fake.tracking(o.external_id) == [f"TRK-{o.number}"] for o in to_ship)

        levels = [StockLevel(sku=sku, quantity=n) for n, sku in enumerate(fake.skus())]
        assert all(r.ok for r in cart.push_inventory(levels))
        assert [fake.stock(level.sku) for level in levels] == [level.quantity for level in levels]

        again = [o for p in cart.fetch_orders(watermark) for o in p.records]
        assert sorted(o.external_id for o in again) == sorted(o.external_id for o in to_ship)
        assert {o.cart_status for o in again} == {"dispatched"} and {o.status for o in again} == {WebOrderStatus.CLOSED}
        writes = fake.writes()
        assert len(writes) == len(to_ship) + len(levels)  # one request per record written, nothing else
