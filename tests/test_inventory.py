"""The availability formula, which items are pushed, the delta push and ``ecom inventory preview``."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from ecom import hookspecs, integrations
from ecom import models as m
from ecom.catalog import PRODUCT, carried_items
from ecom.errors import ConfigError, FatalError
from ecom.inventory import (
    Formula,
    InventoryData,
    ItemRow,
    LocationStock,
    cart_quantity,
    compute_availability,
    load_inventory_data,
    plan_bom,
)
from ecom.inventory_push import plan_inventory, push_inventory, targets
from ecom.models import ItemType
from ecom.plugins import get_driver
from ecom.records import Connection
from ecom.settings import CartItem, General, IntegrationSettings
from sqlmodel import Session, select

from .memcart import KIND, MemCart

D = Decimal
MAIN, ANNEX, FAR = 1, 2, 3
NAMES = {MAIN: "Main", ANNEX: "Annex", FAR: "Far"}
ALL = Formula(include_buildable=True, include_on_po=True, include_vendor_qty=True)


# --- the formula, pure -----------------------------------------------------------------------


def build(
    items: dict[str, str],
    stock: dict[tuple[str, int], tuple[str, str]] | None = None,
    bom: dict[str, list[tuple[str, str]]] | None = None,
    on_po: dict[tuple[str, int], str] | None = None,
    vendor: dict[str, str] | None = None,
) -> InventoryData:
    """InventoryData from SKUs: items {sku: type}, stock {(sku, location): (on hand, committed)}."""
    ids = {sku: n for n, sku in enumerate(items, start=1)}
    data = InventoryData(locations=dict(NAMES))
    data.items = {ids[s]: ItemRow(ids[s], s, ItemType(t)) for s, t in items.items()}
    for (sku, loc), (oh, cm) in (stock or {}).items():
        data.stock.setdefault(ids[sku], []).append(LocationStock(loc, NAMES[loc], D(oh), D(cm)))
    for sku, lines in (bom or {}).items():
        data.bom[ids[sku]] = [(ids[c], D(q)) for c, q in lines]
    for (sku, loc), qty in (on_po or {}).items():
        data.on_po.setdefault(ids[sku], []).append((loc, D(qty)))
    data.vendor = {ids[s]: D(q) for s, q in (vendor or {}).items()}
    return data


def by_sku(data: InventoryData, formula: Formula) -> dict:
    return {a.sku: a for a in compute_availability(data, formula).values()}


def test_base_is_on_hand_less_committed_summed_over_every_location() -> None:
    data = build({"A": "inventory"}, stock={("A", MAIN): ("10", "3"), ("A", ANNEX): ("5", "1")})
    a = by_sku(data, Formula())["A"]
    assert (a.on_hand, a.committed, a.available, a.quantity) == (D(15), D(4), D(11), 11)
    assert [(s.location, s.on_hand, s.committed) for s in a.locations] == [("Main", D(10), D(3)), ("Annex", D(5), D(1))]


def test_selected_locations_only_are_counted() -> None:
    data = build({"A": "inventory"}, stock={("A", MAIN): ("10", "3"), ("A", ANNEX): ("5", "1"), ("A", FAR): ("100", "0")})
    a = by_sku(data, Formula(locations=frozenset({MAIN, ANNEX})))["A"]
    assert a.quantity == 11
    assert [s.location for s in a.locations] == ["Main", "Annex"]
    assert by_sku(data, Formula(locations=frozenset({FAR})))["A"].quantity == 100


def test_zero_and_negative_stock_clamp_the_total_at_zero() -> None:
    data = build(
        {"ZERO": "inventory", "NEG": "inventory", "NONE": "inventory", "MIX": "inventory"},
        stock={("ZERO", MAIN): ("0", "0"), ("NEG", MAIN): ("2", "5"), ("MIX", MAIN): ("-3", "0"), ("MIX", ANNEX): ("7", "1")},
    )
    got = by_sku(data, Formula())
    assert got["ZERO"].quantity == 0
    assert (got["NEG"].available, got["NEG"].total, got["NEG"].quantity) == (D(-3), D(-3), 0)
    assert got["NONE"].quantity == 0 and got["NONE"].locations == ()
    assert got["MIX"].quantity == 3  # a negative location offsets a positive one


def test_negative_available_is_offset_by_the_add_ons_before_clamping() -> None:
    data = build({"A": "inventory"}, stock={("A", MAIN): ("1", "4")}, on_po={("A", MAIN): "2"}, vendor={"A": "5"})
    assert by_sku(data, ALL)["A"].quantity == 4  # -3 + 2 + 5


def test_fractions_are_floored_for_the_cart() -> None:
    data = build({"A": "inventory", "B": "inventory"}, stock={("A", MAIN): ("2.75", "0"), ("B", MAIN): ("1", "1.5")})
    got = by_sku(data, Formula())
    assert (got["A"].total, got["A"].quantity) == (D("2.75"), 2)
    assert got["B"].quantity == 0
    assert [cart_quantity(D(x)) for x in ("0.999", "1", "-0.5", "7.000")] == [0, 1, 0, 7]


KIT = {"KIT": "kit", "BOLT": "inventory", "NUT": "inventory"}


def kit_data(**extra: dict) -> InventoryData:
    return build(
        KIT,
        stock={("KIT", MAIN): ("1", "0"), ("BOLT", MAIN): ("9", "1"), ("NUT", MAIN): ("20", "0")},
        bom={"KIT": [("BOLT", "4"), ("NUT", "2")]},
        **extra,
    )


def test_buildable_off_counts_only_the_assembly_s_own_stock() -> None:
    kit = by_sku(kit_data(), Formula())["KIT"]
    assert (kit.buildable, kit.limiting, kit.quantity) == (None, None, 1)


def test_buildable_is_the_minimum_over_components_with_the_limiting_one_named() -> None:
    got = by_sku(kit_data(), Formula(include_buildable=True))
    kit = got["KIT"]
    assert (kit.buildable, kit.limiting, kit.quantity) == (2, "BOLT", 3)  # bolts 8 // 4 = 2, nuts 20 // 2 = 10; + 1 own
    assert got["BOLT"].buildable is None  # not an assembly


def test_buildable_follows_the_location_filter() -> None:
    data = build(
        KIT,
        stock={
            ("BOLT", MAIN): ("8", "0"),
            ("BOLT", ANNEX): ("40", "0"),
            ("NUT", MAIN): ("20", "0"),
            ("NUT", ANNEX): ("2", "0"),
        },
        bom={"KIT": [("BOLT", "4"), ("NUT", "2")]},
    )
    assert by_sku(data, Formula(include_buildable=True))["KIT"].buildable == 11  # 48 // 4 = 12, 22 // 2 = 11
    annex = by_sku(data, Formula(include_buildable=True, locations=frozenset({ANNEX})))["KIT"]
    assert (annex.buildable, annex.limiting) == (1, "NUT")


def test_fractional_quantity_per_assembly_and_fractional_component_stock() -> None:
    data = build(
        {"ROPE-KIT": "assembly", "ROPE": "inventory"}, stock={("ROPE", MAIN): ("3.9", "0")}, bom={"ROPE-KIT": [("ROPE", "0.5")]}
    )
    assert by_sku(data, Formula(include_buildable=True))["ROPE-KIT"].buildable == 7  # floor(3.9 / 0.5)


def test_nested_boms_count_a_sub_assembly_s_stock_plus_what_can_be_built_of_it() -> None:
    data = build(
        {
            "BIKE": "assembly",
            "WHEEL": "assembly",
            "SPOKE": "inventory",
            "RIM": "inventory",
            "FRAME": "inventory",
            "BELL": "kit",
            "DING": "inventory",
        },
        stock={
            ("WHEEL", MAIN): ("1", "0"),
            ("SPOKE", MAIN): ("100", "0"),
            ("RIM", MAIN): ("5", "0"),
            ("FRAME", MAIN): ("10", "0"),
            ("DING", MAIN): ("1", "0"),
        },
        bom={
            "BIKE": [("WHEEL", "2"), ("FRAME", "1"), ("BELL", "1")],
            "WHEEL": [("SPOKE", "32"), ("RIM", "1")],
            "BELL": [("DING", "1")],
        },
    )
    got = by_sku(data, Formula(include_buildable=True))
    assert (got["WHEEL"].buildable, got["WHEEL"].limiting) == (3, "SPOKE")  # 100 // 32
    assert (got["BELL"].buildable, got["BELL"].limiting) == (1, "DING")
    assert (got["BIKE"].buildable, got["BIKE"].limiting) == (1, "BELL")  # wheels: (1 + 3) // 2 = 2; bells: 1
    data.stock[7] = [LocationStock(MAIN, "Main", D(5), D(0))]  # five dings: the wheels limit now
    bike = by_sku(data, Formula(include_buildable=True))["BIKE"]
    assert (bike.buildable, bike.limiting) == (2, "WHEEL")


def test_three_levels_deep() -> None:
    data = build(
        {"L3": "assembly", "L2": "assembly", "L1": "assembly", "RAW": "inventory"},
        stock={("RAW", MAIN): ("17", "0"), ("L1", MAIN): ("1", "0")},
        bom={"L3": [("L2", "2")], "L2": [("L1", "2")], "L1": [("RAW", "2")]},
    )
    got = by_sku(data, Formula(include_buildable=True))
    assert [got[s].buildable for s in ("L1", "L2", "L3")] == [8, 4, 2]  # (1 + 8) // 2 = 4, 4 // 2 = 2


def test_a_component_shared_by_two_assemblies_counts_fully_for_each() -> None:
    data = build(
        {"RED-KIT": "kit", "BLUE-KIT": "kit", "SCREW": "inventory", "RED": "inventory", "BLUE": "inventory"},
        stock={("SCREW", MAIN): ("10", "0"), ("RED", MAIN): ("50", "0"), ("BLUE", MAIN): ("50", "0")},
        bom={"RED-KIT": [("SCREW", "2"), ("RED", "1")], "BLUE-KIT": [("SCREW", "2"), ("BLUE", "1")]},
    )
    got = by_sku(data, Formula(include_buildable=True))
    assert (got["RED-KIT"].buildable, got["BLUE-KIT"].buildable) == (5, 5)  # "could build": 5 of either
    assert got["RED-KIT"].limiting == got["BLUE-KIT"].limiting == "SCREW"


def test_a_short_component_builds_nothing_and_never_subtracts() -> None:
    data = build(
        KIT,
        stock={("KIT", MAIN): ("2", "0"), ("BOLT", MAIN): ("1", "3"), ("NUT", MAIN): ("20", "0")},
        bom={"KIT": [("BOLT", "4"), ("NUT", "2")]},
    )
    kit = by_sku(data, Formula(include_buildable=True))["KIT"]
    assert (kit.buildable, kit.limiting, kit.quantity) == (0, "BOLT", 2)


def test_a_sub_assembly_s_own_shortfall_reduces_what_it_brings() -> None:
    data = build(
        {"TOP": "assembly", "SUB": "assembly", "RAW": "inventory"},
        stock={("SUB", MAIN): ("0", "2"), ("RAW", MAIN): ("5", "0")},
        bom={"TOP": [("SUB", "1")], "SUB": [("RAW", "1")]},
    )
    got = by_sku(data, Formula(include_buildable=True))
    assert got["SUB"].quantity == 3  # -2 + 5
    assert got["TOP"].buildable == 3  # SUB brings what it could ship itself


def test_assemblies_without_bom_and_boms_of_plain_items() -> None:
    data = build(
        {"EMPTY": "assembly", "ZERO-LINE": "kit", "PLAIN": "inventory", "PART": "inventory"},
        stock={("PART", MAIN): ("10", "0"), ("PLAIN", MAIN): ("1", "0")},
        bom={"ZERO-LINE": [("PART", "0")], "PLAIN": [("PART", "1")]},
    )
    got = by_sku(data, Formula(include_buildable=True))
    assert (got["EMPTY"].buildable, got["EMPTY"].limiting) == (0, None)
    assert (got["ZERO-LINE"].buildable, got["ZERO-LINE"].limiting) == (0, None)
    assert (got["PLAIN"].buildable, got["PLAIN"].quantity) == (None, 1)


def test_on_po_on_and_off_and_by_location() -> None:
    data = build({"A": "inventory"}, stock={("A", MAIN): ("1", "0")}, on_po={("A", MAIN): "4", ("A", ANNEX): "10"})
    assert by_sku(data, Formula())["A"].on_po is None
    assert by_sku(data, Formula(include_on_po=True))["A"].quantity == 15
    main = by_sku(data, Formula(include_on_po=True, locations=frozenset({MAIN})))["A"]
    assert (main.on_po, main.quantity) == (D(4), 5)


def test_vendor_quantity_on_and_off() -> None:
    data = build({"A": "inventory", "B": "inventory"}, stock={("A", MAIN): ("1", "0")}, vendor={"A": "12.5"})
    assert by_sku(data, Formula())["A"].vendor is None
    got = by_sku(data, Formula(include_vendor_qty=True))
    assert (got["A"].vendor, got["A"].quantity) == (D("12.5"), 13)
    assert got["B"].vendor == 0


def test_on_po_and_vendor_are_not_counted_for_components() -> None:
    data = kit_data(on_po={("BOLT", MAIN): "400"}, vendor={"BOLT": "400"})
    kit = by_sku(data, ALL)["KIT"]
    assert (kit.buildable, kit.on_po, kit.vendor) == (2, D(0), D(0))


def test_a_bom_cycle_is_an_error_naming_the_items_and_the_rest_is_computed() -> None:
    data = build(
        {
            "A": "assembly",
            "B": "assembly",
            "C": "kit",
            "USES-A": "assembly",
            "FINE": "assembly",
            "PART": "inventory",
            "SELF": "kit",
        },
        stock={("PART", MAIN): ("6", "0"), ("A", MAIN): ("5", "0")},
        bom={
            "A": [("B", "1")],
            "B": [("C", "1"), ("PART", "1")],
            "C": [("A", "1")],
            "USES-A": [("A", "1")],
            "FINE": [("PART", "3")],
            "SELF": [("SELF", "1")],
        },
    )
    got = by_sku(data, Formula(include_buildable=True))
    assert (
        got["A"].error
        == "its bill of materials is a cycle (A → B → C → A), so the quantity that can be built cannot be computed"
    )
    assert got["A"].quantity is None
    assert "cycle (B → C → A → B)" in got["B"].error and "cycle (C → A → B → C)" in got["C"].error
    assert "reaches a cycle (A → B → C → A)" in got["USES-A"].error
    assert "cycle (SELF → SELF)" in got["SELF"].error
    assert (got["FINE"].buildable, got["FINE"].error, got["PART"].quantity) == (2, None, 6)
    assert by_sku(data, Formula())["A"].quantity == 5  # without buildable, the BOM is not read


def test_a_long_cycle_is_found_quickly() -> None:
    n = 3000
    items = {f"A{i}": "assembly" for i in range(n)}
    data = build(items, bom={f"A{i}": [(f"A{(i + 1) % n}", "1")] for i in range(n)})
    plan = plan_bom(data.bom, {i: r.sku for i, r in data.items.items()})
    assert plan.order == () and len(plan.errors) == n
    assert "cycle (A5 → A6 → A7 → A8 → A9 → A10 → A11 → A12 → … 2992 more … → A5)" in plan.errors[6]  # item ids start at 1


def test_plan_bom_puts_components_first() -> None:
    data = build(
        {"TOP": "assembly", "MID": "assembly", "LOW": "assembly", "RAW": "inventory"},
        bom={"TOP": [("MID", "1"), ("LOW", "1")], "MID": [("LOW", "1")], "LOW": [("RAW", "1")]},
    )
    plan = plan_bom(data.bom, {i: r.sku for i, r in data.items.items()})
    assert [data.items[i].sku for i in plan.order] == ["LOW", "MID", "TOP"] and not plan.errors


def test_the_worked_example_of_docs_inventory_md() -> None:
    data = build(
        {"GIFT-SET": "kit", "MUG": "inventory", "TEA": "assembly", "LEAF": "inventory"},
        stock={
            ("GIFT-SET", MAIN): ("1", "0"),
            ("MUG", MAIN): ("9", "2"),
            ("MUG", ANNEX): ("4", "0"),
            ("TEA", MAIN): ("0", "1"),
            ("LEAF", MAIN): ("30", "0"),
            ("LEAF", ANNEX): ("12.5", "0"),
        },
        bom={"GIFT-SET": [("MUG", "1"), ("TEA", "2")], "TEA": [("LEAF", "5")]},
        on_po={("MUG", MAIN): "7"},
    )
    got = by_sku(data, Formula(include_buildable=True, include_on_po=True, locations=frozenset({MAIN, ANNEX})))
    assert {sku: a.quantity for sku, a in got.items()} == {"LEAF": 42, "TEA": 7, "MUG": 18, "GIFT-SET": 4}
    assert (got["TEA"].buildable, got["TEA"].limiting) == (8, "LEAF")
    assert (got["GIFT-SET"].buildable, got["GIFT-SET"].limiting) == (3, "TEA")


# --- cart locations (pure) -------------------------------------------------------------------


def test_without_a_location_map_one_quantity_goes_to_the_default_location() -> None:
    places = targets(General(locations=["Main", "Annex"], include_vendor_qty=True), {"Main": 1, "Annex": 2})
    assert [(t.cart_location, t.formula.locations, t.formula.include_vendor_qty) for t in places] == [
        (None, frozenset({1, 2}), True)
    ]
    assert targets(General(), {})[0].formula.locations is None


def test_a_location_map_gives_a_quantity_per_cart_location_with_vendor_quantity_once() -> None:
    general = General(include_vendor_qty=True, location_map={"Main": "gid-1", "Annex": "gid-1", "Far": "gid-2"})
    places = targets(general, {"Main": 1, "Annex": 2, "Far": 3})
    assert [(t.cart_location, t.formula.locations, t.formula.include_vendor_qty) for t in places] == [
        ("gid-1", frozenset({1, 2}), True),
        ("gid-2", frozenset({3}), False),
    ]
    selected = targets(General(locations=["Main"], location_map={"Main": "gid-1", "Far": "gid-2"}), {"Main": 1, "Far": 3})
    assert [(t.cart_location, t.counted) for t in selected] == [("gid-1", ("Main",))]


def test_an_unknown_location_name_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="No back-office location is named 'Gone'"):
        targets(General(locations=["Gone"]), {"Gone": None})


# --- the back office, in bulk ----------------------------------------------------------------


def seed_back_office(session: Session) -> dict[str, int]:
    """Three locations; a nested kit; stock, PO lines and vendor quantities. Returns SKU -> id."""
    for name in ("Main", "Annex", "Far"):
        session.add(m.Location(name=name))
    session.add(m.ItemGroup(name="Web"))
    session.flush()
    loc = {row.name: row.id for row in session.exec(select(m.Location))}
    items = {
        "TEE": ItemType.INVENTORY,
        "KIT": ItemType.KIT,
        "SUB": ItemType.ASSEMBLY,
        "BOLT": ItemType.INVENTORY,
        "NUT": ItemType.INVENTORY,
        "GIFT-WRAP": ItemType.SERVICE,
        "LOOSE": ItemType.INVENTORY,
    }
    for sku, kind in items.items():
        session.add(m.Item(sku=sku, name=sku.title(), type=kind, price=D("10.00")))
    session.flush()
    ids = {row.sku: row.id for row in session.exec(select(m.Item))}
    stock = [
        ("TEE", "Main", "10", "2"), ("TEE", "Annex", "5", "0"), ("TEE", "Far", "100", "0"),
        ("KIT", "Main", "1", "0"), ("BOLT", "Main", "9", "1"), ("NUT", "Main", "40", "0"),
        ("SUB", "Main", "0", "0"), ("LOOSE", "Main", "3", "0"),
    ]  # fmt: skip
    for sku, where, oh, cm in stock:
        session.add(m.Stock(item_id=ids[sku], location_id=loc[where], on_hand=D(oh), committed=D(cm)))
    session.add(m.BomLine(assembly_id=ids["KIT"], component_id=ids["SUB"], quantity=D("1")))
    session.add(m.BomLine(assembly_id=ids["SUB"], component_id=ids["BOLT"], quantity=D("4")))
    session.add(m.BomLine(assembly_id=ids["SUB"], component_id=ids["NUT"], quantity=D("2")))
    session.add(
        m.PurchaseOrderLine(po_number="PO1", item_id=ids["TEE"], location_id=loc["Main"], ordered=D("6"), received=D("2"))
    )
    session.add(
        m.PurchaseOrderLine(po_number="PO2", item_id=ids["TEE"], location_id=loc["Annex"], ordered=D("1"), received=D("3"))
    )
    session.add(m.ItemVendor(item_id=ids["TEE"], vendor="Acme", quantity=D("7")))
    session.add(m.ItemVendor(item_id=ids["TEE"], vendor="Bolt Co", quantity=D("1")))
    session.flush()
    return ids


def test_loading_reaches_every_component_and_reads_po_lines_never_below_zero(ecom_db, monkeypatch) -> None:
    with ecom_db.session() as session:
        ids = seed_back_office(session)
        data = load_inventory_data(session, [ids["KIT"], ids["TEE"]])
        assert {row.sku for row in data.items.values()} == {"KIT", "SUB", "BOLT", "NUT", "TEE"}
        assert data.on_po[ids["TEE"]] == [(session.exec(select(m.Location.id).where(m.Location.name == "Main")).one(), D(4))]
        assert data.vendor[ids["TEE"]] == D(8)
        got = {a.sku: a for a in compute_availability(data, ALL, [ids["KIT"], ids["TEE"]]).values()}
        assert (got["KIT"].buildable, got["KIT"].limiting, got["KIT"].quantity) == (2, "SUB", 3)
        assert got["TEE"].quantity == 113 + 4 + 8
        monkeypatch.setattr("ecom.inventory.LOAD_ALL_ABOVE", 0)  # the read-everything path gives the same
        again = load_inventory_data(session, [ids["KIT"], ids["TEE"]])
        assert again.items == data.items and again.stock == data.stock and again.on_po == data.on_po
        lean = load_inventory_data(session, [ids["TEE"]], buildable=False, on_po=False, vendor=False)
        assert set(lean.items) == {ids["TEE"]} and not lean.bom and not lean.on_po and not lean.vendor


# --- which items, the plan and the push ------------------------------------------------------


def make_integration(session: Session, general: General, name: str = "shop") -> m.Integration:
    return integrations.create(session, name, KIND, api_url="https://shop.test", settings=IntegrationSettings(general=general))


def bind(session: Session, integration: m.Integration, sku: str, cart_id: str) -> None:
    item = session.exec(select(m.Item).where(m.Item.sku == sku)).one()
    session.add(
        m.ExternalRef(integration_id=integration.id, kind=PRODUCT, external_id=cart_id, local_id=item.id, data={"sku": sku})
    )
    session.flush()


@pytest.fixture
def cart(ecom_plugins) -> MemCart:
    driver = MemCart()
    ecom_plugins.register(driver, name=KIND)
    for sku in ("TEE", "KIT", "BOLT", "GIFT-WRAP"):
        driver.add_product(sku, sku.title())
    return driver


@pytest.fixture
def shop(ecom_db, cart):
    """A seeded back office and an integration whose cart carries TEE, KIT, BOLT and GIFT-WRAP."""
    with ecom_db.session() as session:
        seed_back_office(session)
        integration = make_integration(session, General(update_inventory=True, include_buildable=True))
        for n, sku in enumerate(("TEE", "KIT", "BOLT", "GIFT-WRAP"), start=1):
            bind(session, integration, sku, f"p{n}")
    return ecom_db


def run_push(db, name: str = "shop", **kwargs):
    with Session(db.engine, expire_on_commit=False) as session:
        integration = integrations.get(session, name)
        result = push_inventory(
            session, integration, get_driver(KIND), Connection(website_name="t", api_url="https://shop.test"), **kwargs
        )
        session.commit()
        return result


def set_stock(db, sku: str, location: str, on_hand: str) -> None:
    with db.session() as session:
        row = session.exec(
            select(m.Stock).join(m.Item, m.Item.id == m.Stock.item_id).join(m.Location, m.Location.id == m.Stock.location_id)
            .where(m.Item.sku == sku, m.Location.name == location)
        ).one()  # fmt: skip
        row.on_hand = D(on_hand)
        session.add(row)


def test_bound_items_are_carried_and_a_binding_follows_its_sku_to_a_recreated_item(shop) -> None:
    with shop.session() as session:
        integration = integrations.get(session, "shop")
        carried = carried_items(session, integration)
        assert carried.source == "bindings"
        assert sorted(c.sku for c in carried.items.values()) == ["BOLT", "GIFT-WRAP", "KIT", "TEE"]
        session.delete(session.exec(select(m.Item).where(m.Item.sku == "BOLT")).one())
        session.flush()
        session.add(m.Item(sku="BOLT", name="Bolt again"))
        session.flush()
        assert "BOLT" in {c.sku for c in carried_items(session, integration).items.values()}


def test_an_item_selection_is_carried_exactly_with_the_cart_s_ids(ecom_db, cart) -> None:
    with ecom_db.session() as session:
        seed_back_office(session)
        general = General(
            update_inventory=True, cart_items=[CartItem(sku="TEE", cart_id="tee-1"), CartItem(sku="LOOSE", cart_id="x-9")]
        )
        integration = make_integration(session, general)
        bind(session, integration, "KIT", "p2")  # bindings do not count when there is a selection
        carried = carried_items(session, integration)
        assert carried.source == "selection"
        assert sorted((c.sku, c.cart_id) for c in carried.items.values()) == [("LOOSE", "x-9"), ("TEE", "tee-1")]
        session.delete(session.exec(select(m.Item).where(m.Item.sku == "LOOSE")).one())
        session.flush()
        plan = plan_inventory(session, integration)
        assert [str(e) for e in plan.errors] == [
            "LOOSE: is in the integration's item list but is not an item in the back office"
        ]
        assert [(lv.sku, lv.cart_id) for lv in plan.levels] == [("TEE", "tee-1")]


def test_the_plan_leaves_out_items_that_hold_no_stock(shop) -> None:
    with shop.session() as session:
        plan = plan_inventory(session, integrations.get(session, "shop"))
    assert [(lv.sku, lv.quantity, lv.last_pushed, lv.changed) for lv in plan.levels] == [
        ("BOLT", 8, None, True),
        ("KIT", 3, None, True),  # 1 own + 2 built: SUB from 8 bolts // 4
        ("TEE", 113, None, True),
    ]


def test_first_push_sends_everything_then_nothing_then_only_what_changed(shop, cart) -> None:
    first = run_push(shop)
    assert (first.sent, first.accepted, first.unchanged, first.errors) == (3, 3, 0, [])
    assert cart.stock == {("BOLT", None): 8, ("KIT", None): 3, ("TEE", None): 113}

    second = run_push(shop)
    assert (second.sent, second.unchanged) == (0, 3)
    assert len(cart.pushes()) == 1  # nothing changed: the cart is not even called

    set_stock(shop, "TEE", "Far", "90")
    third = run_push(shop)
    assert cart.pushes()[-1] == [("TEE", 103, None)]
    assert (third.sent, third.accepted, third.unchanged) == (1, 1, 2)


def test_a_change_in_a_component_changes_the_kit_only(shop, cart) -> None:
    run_push(shop)
    set_stock(shop, "NUT", "Main", "2")  # one SUB can be built now
    run_push(shop)
    assert cart.pushes()[-1] == [("KIT", 2, None)]


def test_a_refused_item_is_an_error_for_it_alone_and_is_retried_next_time(shop, cart) -> None:
    cart.refuse.add("KIT")
    result = run_push(shop)
    assert (result.accepted, result.failed) == (2, 1)
    assert [(e.ref, e.message) for e in result.errors] == [("KIT", "Inventory tracking is off for this product.")]
    assert result.counts() == {"fetched": 3, "created": 0, "updated": 2, "skipped": 0, "failed": 1}
    with shop.session() as session:
        remembered = {r.item_id for r in session.exec(select(m.InventoryPush))}
        kit = session.exec(select(m.Item.id).where(m.Item.sku == "KIT")).one()
    assert len(remembered) == 2 and kit not in remembered

    cart.refuse.clear()
    retry = run_push(shop)
    assert cart.pushes()[-1] == [("KIT", 3, None)]
    assert (retry.accepted, retry.failed, retry.unchanged) == (1, 0, 2)


def test_a_refusal_after_an_accepted_push_forgets_the_remembered_quantity(shop, cart) -> None:
    run_push(shop)
    set_stock(shop, "TEE", "Far", "0")
    cart.refuse.add("TEE")
    run_push(shop)
    set_stock(shop, "TEE", "Far", "100")  # back to what the cart was last told, but the refusal is not trusted
    cart.refuse.clear()
    run_push(shop)
    assert cart.pushes()[-1] == [("TEE", 113, None)]


def test_full_push_sends_everything_in_batches(shop, cart) -> None:
    run_push(shop)
    full = run_push(shop, full=True, batch_size=2)
    assert (full.sent, full.unchanged) == (3, 0)
    assert [len(call) for call in cart.pushes()[1:]] == [2, 1]


def test_progress_is_reported_after_each_batch(shop) -> None:
    seen = []
    run_push(shop, batch_size=1, progress=lambda phase, counts: seen.append((phase, counts["updated"])))
    assert seen == [("push_inventory", 0), ("push_inventory", 1), ("push_inventory", 2), ("push_inventory", 3)]


class SilentCart(MemCart):
    @hookspecs.hookimpl
    def push_inventory(self, connection, levels):  # type: ignore[no-untyped-def]
        return []


def test_a_driver_answering_the_wrong_number_of_results_stops_the_push(shop, cart, ecom_plugins) -> None:
    ecom_plugins.manager.pm.unregister(cart)
    ecom_plugins.register(SilentCart(), name=KIND)
    with pytest.raises(FatalError, match="answered 0 results for 3 quantities"):
        run_push(shop)


def test_a_location_map_pushes_a_quantity_per_cart_location(ecom_db, cart) -> None:
    with ecom_db.session() as session:
        seed_back_office(session)
        general = General(
            update_inventory=True,
            include_on_po=True,
            include_vendor_qty=True,
            location_map={"Main": "L1", "Annex": "L1", "Far": "L2"},
        )
        integration = make_integration(session, general)
        bind(session, integration, "TEE", "p1")
    run_push(ecom_db)
    assert cart.pushes() == [[("TEE", 25, "L1"), ("TEE", 100, "L2")]]  # L1: 13 + 4 on PO + 8 vendor; L2: 100
    set_stock(ecom_db, "TEE", "Far", "99")
    run_push(ecom_db)
    assert cart.pushes()[-1] == [("TEE", 99, "L2")]


def test_selected_locations_limit_the_push(ecom_db, cart) -> None:
    with ecom_db.session() as session:
        seed_back_office(session)
        integration = make_integration(session, General(update_inventory=True, locations=["Main", "Annex"]))
        bind(session, integration, "TEE", "p1")
    run_push(ecom_db)
    assert cart.pushes() == [[("TEE", 13, None)]]


def test_a_bom_cycle_is_an_error_on_the_push_and_the_others_go_out(shop, cart) -> None:
    with shop.session() as session:
        ids = {i.sku: i.id for i in session.exec(select(m.Item))}
        session.add(m.BomLine(assembly_id=ids["SUB"], component_id=ids["KIT"], quantity=D(1)))
    result = run_push(shop)
    assert [e.ref for e in result.errors] == ["KIT"]
    assert "cycle (KIT → SUB → KIT)" in result.errors[0].message
    assert sorted(sku for sku, _, _ in cart.pushes()[0]) == ["BOLT", "TEE"]


# --- ecom inventory preview ------------------------------------------------------------------


def test_preview_explains_each_quantity(shop, ecom_cli) -> None:
    result = ecom_cli("inventory", "preview", "shop")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Inventory for shop (buildable on; on PO off; vendor off; locations: all)"
    assert lines[1].split()[:4] == ["SKU", "CART", "LOCATION", "PUSH"]
    kit = next(line for line in lines if line.startswith("KIT"))
    assert kit.split()[:5] == ["KIT", "default", "3", "never", "*"]
    assert "2 (SUB)" in kit and "Main 1−0" in kit
    assert lines[-1].startswith("3 of 3 quantities changed since the last push")


def test_preview_json_for_one_sku_after_a_push(shop, ecom_cli) -> None:
    run_push(shop)
    set_stock(shop, "TEE", "Main", "11")
    result = ecom_cli("inventory", "preview", "shop", "--sku", "TEE", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["changed"] == 1 and data["count"] == 1
    [tee] = data["levels"]
    assert tee == {
        "sku": "TEE",
        "cart_location": None,
        "counted_locations": None,
        "quantity": 114,
        "last_pushed": 113,
        "changed": True,
        "total": "114",
        "on_hand": "116",
        "committed": "2",
        "available": "114",
        "locations": [
            {"location": "Main", "on_hand": "11", "committed": "2"},
            {"location": "Annex", "on_hand": "5", "committed": "0"},
            {"location": "Far", "on_hand": "100", "committed": "0"},
        ],
        "buildable": None,
        "limiting_component": None,
        "on_po": None,
        "vendor": None,
        "error": None,
    }


def test_preview_of_an_item_the_cart_does_not_carry_says_so(shop, ecom_cli) -> None:
    result = ecom_cli("inventory", "preview", "shop", "--sku", "LOOSE")
    assert result.exit_code == 3
    assert "'LOOSE': not an item 'shop' carries" in result.stderr


def test_inventory_push_command(shop, cart, ecom_cli) -> None:
    result = ecom_cli("inventory", "push", "shop", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["accepted"] == 3
    cart.refuse.add("TEE")
    result = ecom_cli("inventory", "push", "shop", "--full")
    assert result.exit_code == 5
    assert "2 quantities accepted, 1 refused, 0 unchanged" in result.output
    assert "TEE: Inventory tracking is off for this product." in result.output


def test_a_push_by_hand_is_a_job_and_holds_the_integrations_lock(shop, cart, ecom_cli) -> None:
    from sqlmodel import select

    from ecom.jobs import lifecycle

    assert ecom_cli("inventory", "push", "shop").exit_code == 0
    with shop.session() as session:
        (job,) = session.exec(select(m.Job)).all()
        assert (job.status, job.options["phases"], job.counts["push_inventory"]["updated"]) == (
            m.JobStatus.SUCCEEDED, ["push_inventory"], 3,
        )
        integration = session.get(m.Integration, job.integration_id)
        busy = lifecycle.create_job(session, integration, trigger=m.JobTrigger.MANUAL, options={})
    refused = ecom_cli("inventory", "push", "shop")
    assert refused.exit_code == 6
    assert f"already has job {busy.id}" in refused.stderr


def test_preview_before_the_first_sync_says_a_sync_or_products_import_binds_the_items(ecom_db, cart, ecom_cli) -> None:
    with ecom_db.session() as session:
        seed_back_office(session)
        make_integration(session, General(update_inventory=True))
    nothing = ecom_cli("inventory", "preview", "shop")
    assert nothing.exit_code == 0, nothing.output
    assert "no cart product is bound to a back-office item yet" in nothing.stdout.lower()
    assert "`ecom sync shop`" in nothing.stdout and "`ecom products import shop --no-create`" in nothing.stdout
    as_json = json.loads(ecom_cli("inventory", "preview", "shop", "--json").stdout)
    assert as_json["count"] == 0 and "ecom sync shop" in as_json["note"]
    one = ecom_cli("inventory", "preview", "shop", "--sku", "TEE")
    assert one.exit_code == 3
    assert one.stderr.startswith("Error: 'TEE': not an item 'shop' carries: no cart product is bound to a back-office item yet")
    assert "`ecom products import shop --no-create`" in one.stderr and len(one.stderr.splitlines()) == 1

    bound = ecom_cli("products", "import", "shop", "--no-create")
    assert bound.exit_code == 0, bound.output
    after = ecom_cli("inventory", "preview", "shop", "--sku", "TEE")
    assert after.exit_code == 0, after.output
    assert "TEE" in after.stdout


def replace_cart(ecom_plugins, cart: MemCart, other: MemCart) -> MemCart:
    """Serve the integration's cart kind with ``other``, carrying the same products as ``cart``."""
    ecom_plugins.manager.pm.unregister(cart)
    for product in cart.products.values():
        other.add_product(product.sku, product.name)
    ecom_plugins.register(other, name=KIND)
    return other


class CancellingCart(MemCart):
    """A cart whose push runs while the admin cancels the job (``ecom jobs cancel``) from elsewhere."""

    def __init__(self, db) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.db = db

    @hookspecs.hookimpl
    def push_inventory(self, connection, levels):  # type: ignore[no-untyped-def]
        from ecom.jobs import lifecycle

        with self.db.session() as session:
            (job,) = session.exec(select(m.Job).where(m.Job.status == m.JobStatus.RUNNING)).all()
            lifecycle.cancel_job(session, job)
        return MemCart.push_inventory(self, connection, levels)


def test_a_push_by_hand_cancelled_meanwhile_stops_before_its_next_cart_call(shop, cart, ecom_plugins, ecom_cli) -> None:
    cancelling = replace_cart(ecom_plugins, cart, CancellingCart(shop))
    result = ecom_cli("inventory", "push", "shop", "--batch-size", "2")
    assert result.exit_code == 4, result.output
    assert "no longer this process's to run" in result.stderr
    assert len(cancelling.calls) == 1  # the second batch was never sent
    with shop.session() as session:
        (job,) = session.exec(select(m.Job)).all()
        assert job.status is m.JobStatus.FAILED
        assert "cancelled by the admin while running" in {e.message for e in session.exec(select(m.JobEvent))}
        # what the cart accepted before the cancel is remembered: it is on the cart now
        assert len(session.exec(select(m.InventoryPush)).all()) == 2


class SlowCart(MemCart):
    """A cart whose push takes longer than a job's whole lease: it answers only once the job's
    heartbeat has moved on since the call began (or gives up after 20 s)."""

    def __init__(self, db) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.db, self.beats_seen = db, 0

    @hookspecs.hookimpl
    def push_inventory(self, connection, levels):  # type: ignore[no-untyped-def]
        import threading

        def heartbeat():  # type: ignore[no-untyped-def]
            with self.db.session() as session:
                return session.exec(select(m.Job.heartbeat_at)).one()

        first, waited = heartbeat(), threading.Event()
        for _ in range(200):
            if waited.wait(0.1) or heartbeat() != first:
                self.beats_seen += 1
                break
        return MemCart.push_inventory(self, connection, levels)


def test_a_push_by_hand_keeps_its_job_alive_through_a_long_cart_call(shop, cart, ecom_plugins, ecom_cli, monkeypatch) -> None:
    monkeypatch.setenv("ECOM_JOB_LEASE_SECONDS", "1")
    slow = replace_cart(ecom_plugins, cart, SlowCart(shop))
    result = ecom_cli("inventory", "push", "shop")
    assert result.exit_code == 0, result.output
    assert slow.beats_seen == 1  # the heartbeat moved while the cart call was running
    with shop.session() as session:
        (job,) = session.exec(select(m.Job)).all()
        assert job.status is m.JobStatus.SUCCEEDED
