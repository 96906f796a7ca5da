"""The fake shop's state, held as the Admin API's own object shapes, and the changes mutations make.

Every object is a dict keyed by GraphQL field names (``__typename`` included, so interfaces
resolve), linked to each other by reference: a line item's ``variant`` is the variant itself.
Plain lists stand for connections; the resolvers page them. Fields that depend on other objects
(a variant's ``inventoryQuantity``) are callables the resolver calls. User errors use the shapes
and codes of the 2026-07 schema; their message texts follow Shopify's where known.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

PRIMARY, WAREHOUSE = "Main Street Store", "East Warehouse"
SET_REASONS = {
    "correction", "cycle_count_available", "damaged", "movement_created", "movement_updated", "movement_received",
    "movement_canceled", "other", "promotion", "quality_control", "received", "reservation_created",
    "reservation_deleted", "reservation_updated", "restock", "safety_stock", "shrinkage",
}
UserErrors = list[dict[str, Any]]


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def bag(amount: Decimal | str, currency: str = "USD") -> dict[str, Any]:
    money = {"amount": str(Decimal(str(amount)).quantize(Decimal("0.01"))), "currencyCode": currency}
    return {"shopMoney": money, "presentmentMoney": dict(money)}


def user_error(field: list[str] | None, message: str, code: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"field": field, "message": message}
    if code is not None:
        error["code"] = code
    return error


class Store:
    """Everything the fake shop holds."""

    def __init__(self, clock: Callable[[], str] = now_iso) -> None:
        self.now = clock
        self._ids = itertools.count(5_931_274_600_001)
        self.shop = {
            "id": "gid://shopify/Shop/73001", "name": "ecom demo shop", "myshopifyDomain": "ecom-demo.myshopify.com",
            "email": "owner@ecom-demo.example", "contactEmail": "shop@ecom-demo.example", "currencyCode": "USD",
            "ianaTimezone": "America/New_York", "weightUnit": "KILOGRAMS", "taxesIncluded": False,
            "taxShipping": False, "plan": {"publicDisplayName": "Basic", "partnerDevelopment": False, "shopifyPlus": False},
        }
        self.objects: dict[str, dict[str, Any]] = {}
        self.locations = [self.add("Location", name=name, isActive=True, fulfillsOnlineOrders=True,
                                   shipsInventory=True, hasActiveInventory=True) for name in (PRIMARY, WAREHOUSE)]
        self.levels: dict[tuple[str, str], dict[str, int]] = {}
        self.idempotency: dict[str, tuple[Any, dict[str, Any]]] = {}

    # -- objects --------------------------------------------------------------------------------

    def add(self, typename: str, **fields: Any) -> dict[str, Any]:
        number = next(self._ids)
        obj = {"__typename": typename, "id": f"gid://shopify/{typename}/{number}", "legacyResourceId": str(number), **fields}
        self.objects[obj["id"]] = obj
        return obj

    def get(self, gid: str, typename: str | None = None) -> dict[str, Any] | None:
        obj = self.objects.get(gid)
        return obj if obj is not None and typename in (None, obj["__typename"]) else None

    def all(self, typename: str) -> list[dict[str, Any]]:
        return [o for o in self.objects.values() if o["__typename"] == typename]

    def location(self, name_or_id: str | None) -> dict[str, Any] | None:
        if not name_or_id:
            return self.locations[0]
        return next((loc for loc in self.all("Location") if name_or_id in (loc["id"], loc["name"])), None)

    def variant_by_sku(self, sku: str) -> dict[str, Any] | None:
        return next((v for v in self.all("ProductVariant") if v["sku"] == sku), None)

    def touch(self, obj: dict[str, Any]) -> None:
        obj["updatedAt"] = self.now()

    # -- products -------------------------------------------------------------------------------

    def add_product(self, title: str, description: str, status: str, variants: list[dict[str, Any]],
                    product_type: str = "", vendor: str = "ecom demo") -> dict[str, Any]:
        stamp = self.now()
        product = self.add("Product", title=title, handle=title.lower().replace(" ", "-"), descriptionHtml=description,
                           status=status, vendor=vendor, productType=product_type, tags=[], createdAt=stamp,
                           updatedAt=stamp, variants=[])
        product["totalInventory"] = lambda info: sum(v["inventoryQuantity"](info) or 0 for v in product["variants"])
        product["hasOnlyDefaultVariant"] = lambda info: len(product["variants"]) == 1
        for position, spec in enumerate(variants, 1):
            self.add_variant(product, position=position, **spec)
        return product

    def add_variant(self, product: dict[str, Any], *, sku: str | None, title: str = "Default Title", price: str = "0.00",
                    weight: float | None = None, weight_unit: str = "KILOGRAMS", tracked: bool = True,
                    stock: dict[str, int] | None = None, position: int = 1) -> dict[str, Any]:
        stamp = self.now()
        item = self.add("InventoryItem", sku=sku, tracked=tracked, requiresShipping=True, createdAt=stamp, updatedAt=stamp,
                        measurement={"id": f"gid://shopify/InventoryItemMeasurement/{next(self._ids)}",
                                     "weight": None if weight is None else {"value": weight, "unit": weight_unit}})
        variant = self.add("ProductVariant", sku=sku, title=title, price=price, position=position, taxable=True,
                           barcode=None, inventoryPolicy="DENY", availableForSale=True, createdAt=stamp, updatedAt=stamp,
                           displayName=f"{product['title']} - {title}", product=product, inventoryItem=item,
                           selectedOptions=[{"name": "Title", "value": title}])
        variant["inventoryQuantity"] = lambda info: (
            sum(q["available"] for (i, _), q in self.levels.items() if i == item["id"]) if item["tracked"] else None
        )
        item["variant"] = variant
        for location in self.locations:
            available = (stock or {}).get(location["name"], 0)
            self.levels[(item["id"], location["id"])] = {"available": available, "on_hand": available}
        product["variants"].append(variant)
        return variant

    # -- orders ---------------------------------------------------------------------------------

    def fulfill(self, fulfillment: dict[str, Any]) -> tuple[dict[str, Any] | None, UserErrors]:
        pairs = fulfillment.get("lineItemsByFulfillmentOrder") or []
        if not pairs:
            return None, [user_error(["fulfillment", "lineItemsByFulfillmentOrder"], "Line items by fulfillment order must not be empty.")]
        orders, locations, chosen = set(), set(), []
        for i, pair in enumerate(pairs):
            fo = self.get(pair["fulfillmentOrderId"], "FulfillmentOrder")
            where = ["fulfillment", "lineItemsByFulfillmentOrder", str(i), "fulfillmentOrderId"]
            if fo is None:
                return None, [user_error(where, "Fulfillment order does not exist.")]
            if fo["status"] not in ("OPEN", "IN_PROGRESS"):
                return None, [user_error(where, f"Fulfillment order {fo['id']} has an unfulfillable status= {fo['status'].lower()}.")]
            orders.add(fo["order"]["id"])
            locations.add(fo["assignedLocation"]["location"]["id"])
            chosen.append((fo, pair.get("fulfillmentOrderLineItems")))
        if len(orders) > 1 or len(locations) > 1:
            return None, [user_error(["fulfillment"], "All fulfillment orders must belong to the same order and be assigned to the same location.")]
        order = chosen[0][0]["order"]
        lines = []
        for fo, wanted in chosen:
            quantities = {w["id"]: w["quantity"] for w in wanted} if wanted else None
            for row in fo["lineItems"]:
                take = row["remainingQuantity"] if quantities is None else min(quantities.get(row["id"], 0), row["remainingQuantity"])
                row["remainingQuantity"] -= take
                row["lineItem"]["unfulfilledQuantity"] -= take
                if take:
                    lines.append({"id": f"gid://shopify/FulfillmentLineItem/{next(self._ids)}", "quantity": take, "lineItem": row["lineItem"]})
            if all(row["remainingQuantity"] == 0 for row in fo["lineItems"]):
                fo["status"] = "CLOSED"
            self.touch(fo)
        tracking = fulfillment.get("trackingInfo") or {}
        numbers = tracking.get("numbers") or ([tracking["number"]] if tracking.get("number") else [])
        stamp = self.now()
        created = self.add("Fulfillment", name=f"{order['name']}-F{len(order['fulfillments']) + 1}", status="SUCCESS",
                           displayStatus="FULFILLED", createdAt=stamp, updatedAt=stamp, order=order, requiresShipping=True,
                           totalQuantity=sum(line["quantity"] for line in lines), location=chosen[0][0]["assignedLocation"]["location"],
                           trackingInfo=[{"number": n, "company": tracking.get("company"), "url": tracking.get("url")} for n in numbers],
                           fulfillmentLineItems=lines, notifyCustomer=bool(fulfillment.get("notifyCustomer")))
        order["fulfillments"].append(created)
        done = all(fo["status"] in ("CLOSED", "CANCELLED") for fo in order["fulfillmentOrders"])
        order["displayFulfillmentStatus"] = "FULFILLED" if done else "PARTIALLY_FULFILLED"
        self.touch(order)
        return created, []

    def hold(self, order_id: str, reason: str, notes: str | None = None, app: str | None = None) -> list[dict[str, Any]]:
        """Put the order's open fulfillment orders ON_HOLD with one fulfillment hold each
        (mutations/fulfillmentOrderHold: ``reason`` is a FulfillmentHoldReason)."""
        order, held = self.get(order_id, "Order"), []
        for fo in (order or {}).get("fulfillmentOrders", []):
            if fo["status"] in ("OPEN", "IN_PROGRESS"):
                by = self.add("App", title=app, handle=(app or "").lower().replace(" ", "-")) if app else None
                fo["fulfillmentHolds"].append(self.add(
                    "FulfillmentHold", reason=reason, reasonNotes=notes, displayReason=reason.replace("_", " ").capitalize(),
                    heldByApp=by, heldByRequestingApp=False, handle=None))
                fo["status"] = "ON_HOLD"
                self.touch(fo)
                held.append(fo)
        if order is not None and held:
            order["displayFulfillmentStatus"] = "ON_HOLD"
            self.touch(order)
        return held

    def release(self, order_id: str) -> None:
        """Release every hold on the order (mutations/fulfillmentOrderReleaseHold): back to OPEN."""
        order = self.get(order_id, "Order") or {}
        for fo in order.get("fulfillmentOrders", []):
            if fo["status"] == "ON_HOLD":
                fo["status"], fo["fulfillmentHolds"] = "OPEN", []
                self.touch(fo)
        order["displayFulfillmentStatus"] = "UNFULFILLED"

    def close(self, order_id: str) -> tuple[dict[str, Any] | None, UserErrors]:
        order = self.get(order_id, "Order")
        if order is None:
            return None, [user_error(["id"], "Order does not exist")]
        if not order["closed"]:
            order["closed"], order["closedAt"] = True, self.now()
            self.touch(order)
        return order, []

    def start_cancel(self, order_id: str, reason: str, restock: bool, refund: bool, polls: int) -> tuple[dict[str, Any] | None, UserErrors]:
        order = self.get(order_id, "Order")
        if order is None:
            return None, [user_error(["orderId"], "Order not found", "NOT_FOUND")]
        if order["cancelledAt"] or order.get("_cancelling"):
            return None, [user_error(["orderId"], "Cannot cancel an order that has already been cancelled", "INVALID")]
        order["_cancelling"] = True
        job = {"__typename": "Job", "id": f"gid://shopify/Job/{uuid.uuid4()}", "done": False, "_polls": polls,
               "_finish": lambda: self._cancel(order, reason, restock, refund)}
        self.objects[job["id"]] = job
        if polls <= 0:
            self.poll_job(job)
        return job, []

    def poll_job(self, job: dict[str, Any]) -> dict[str, Any]:
        if not job["done"]:
            job["_polls"] -= 1
            if job["_polls"] <= 0:
                job["_finish"]()
                job["done"] = True
        return job

    def _cancel(self, order: dict[str, Any], reason: str, restock: bool, refund: bool) -> None:
        order.pop("_cancelling", None)
        order["cancelledAt"], order["cancelReason"] = self.now(), reason
        paid = order["displayFinancialStatus"] in ("PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED")
        order["displayFinancialStatus"] = ("REFUNDED" if refund else order["displayFinancialStatus"]) if paid else "VOIDED"
        for fo in order["fulfillmentOrders"]:
            if fo["status"] not in ("CLOSED",):
                fo["status"] = "CANCELLED"
                if restock:
                    for row in fo["lineItems"]:
                        item = (row["lineItem"].get("variant") or {}).get("inventoryItem")
                        level = self.levels.get((item["id"], fo["assignedLocation"]["location"]["id"])) if item else None
                        if level is not None:
                            level["available"] += row["remainingQuantity"]
                            level["on_hand"] += row["remainingQuantity"]
        self.touch(order)

    def add_tags(self, gid: str, tags: list[str]) -> tuple[dict[str, Any] | None, UserErrors]:
        node = self.objects.get(gid)
        if node is None or node["__typename"] not in ("Order", "Product", "Customer"):
            return None, [user_error(["id"], "Resource not found")]
        for tag in tags:
            for part in (t.strip() for t in tag.split(",")):
                if part and part not in node["tags"]:
                    node["tags"].append(part)
        self.touch(node)
        return node, []

    # -- inventory ------------------------------------------------------------------------------

    def set_quantities(self, data: dict[str, Any], cap: int) -> tuple[dict[str, Any] | None, UserErrors]:
        """``inventorySetQuantities``: all or nothing."""
        errors: UserErrors = []
        if data["name"] not in ("available", "on_hand"):
            errors.append(user_error(["input", "name"], "The quantity name must be either 'available' or 'on_hand'.", "INVALID_NAME"))
        if data["reason"] not in SET_REASONS:
            errors.append(user_error(["input", "reason"], "The specified reason is invalid.", "INVALID_REASON"))
        if len(data["quantities"]) > cap:
            errors.append(user_error(["input", "quantities"], f"The quantities can't be more than {cap}.", "INVALID_QUANTITY_TOO_HIGH"))
        seen, changes = set(), []
        for i, row in enumerate(data["quantities"]):
            at = ["input", "quantities", str(i)]
            item, location = self.get(row["inventoryItemId"], "InventoryItem"), self.get(row["locationId"], "Location")
            level = self.levels.get((row["inventoryItemId"], row["locationId"]))
            if "changeFromQuantity" not in row:
                errors.append(user_error([*at, "changeFromQuantity"], "The changeFromQuantity argument must be given to each quantity.", "COMPARE_QUANTITY_REQUIRED"))
            elif item is None:
                errors.append(user_error([*at, "inventoryItemId"], "The specified inventory item could not be found.", "INVALID_INVENTORY_ITEM"))
            elif location is None:
                errors.append(user_error([*at, "locationId"], "The specified location could not be found.", "INVALID_LOCATION"))
            elif level is None:
                errors.append(user_error([*at, "locationId"], "The item is not stocked at the location.", "ITEM_NOT_STOCKED_AT_LOCATION"))
            elif (row["inventoryItemId"], row["locationId"]) in seen:
                errors.append(user_error(at, "The combination of inventoryItemId and locationId must be unique.", "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR"))
            elif row["quantity"] > 1_000_000_000:
                errors.append(user_error([*at, "quantity"], "The quantity can't be higher than 1,000,000,000.", "INVALID_QUANTITY_TOO_HIGH"))
            elif row["changeFromQuantity"] is not None and row["changeFromQuantity"] != level[data["name"]]:
                errors.append(user_error([*at, "changeFromQuantity"], "The specified compare quantity does not match persisted value.", "CHANGE_FROM_QUANTITY_STALE"))
            else:
                seen.add((row["inventoryItemId"], row["locationId"]))
                changes.append((level, row, item))
        if errors:
            return None, errors
        group = self.add("InventoryAdjustmentGroup", createdAt=self.now(), reason=data["reason"],
                         referenceDocumentUri=data.get("referenceDocumentUri"), changes=[])
        for level, row, item in changes:
            delta = row["quantity"] - level[data["name"]]
            level[data["name"]] = row["quantity"]
            if data["name"] == "available":
                level["on_hand"] += delta
            group["changes"].append({"name": data["name"], "delta": delta, "quantityAfterChange": row["quantity"]})
            self.touch(item)
        return group, []

    # -- products (writes) ----------------------------------------------------------------------

    def product_set(self, data: dict[str, Any], identifier: dict[str, Any] | None) -> tuple[dict[str, Any] | None, UserErrors]:
        product = None
        if identifier:
            product = self.get(identifier.get("id") or "", "Product") or next(
                (p for p in self.all("Product") if p["handle"] == identifier.get("handle")), None)
            if product is None:
                return None, [user_error(["identifier"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")]
        if product is None and not (data.get("title") or "").strip():
            return None, [user_error(["input", "title"], "Title can't be blank", "INVALID_INPUT")]
        options = {o["name"] for o in data.get("productOptions") or []}
        for i, spec in enumerate(data.get("variants") or []):
            for value in spec.get("optionValues") or []:
                if value.get("optionName") not in options:
                    return None, [user_error(["input", "variants", str(i), "optionValues"], f"Option '{value.get('optionName')}' does not exist", "OPTION_DOES_NOT_EXIST")]
        specs = [self._variant_spec(spec) for spec in data.get("variants") or []] or [{"sku": None}]
        if product is None:
            return self.add_product(data["title"], data.get("descriptionHtml") or "", data.get("status") or "ACTIVE", specs,
                                    data.get("productType") or "", data.get("vendor") or "ecom demo"), []
        self._update_product(product, data)
        for variant in product["variants"]:
            self.objects.pop(variant["id"], None)
        product["variants"] = []
        for position, spec in enumerate(specs, 1):
            self.add_variant(product, position=position, **spec)
        return product, []

    @staticmethod
    def _variant_spec(spec: dict[str, Any]) -> dict[str, Any]:
        item = spec.get("inventoryItem") or {}
        weight = (item.get("measurement") or {}).get("weight")
        title = " / ".join(v["name"] for v in spec.get("optionValues") or []) or "Default Title"
        return {"sku": item.get("sku") or spec.get("sku"), "title": title, "price": str(spec.get("price") or "0.00"),
                "weight": weight and weight["value"], "weight_unit": weight["unit"] if weight else "KILOGRAMS",
                "tracked": item.get("tracked", True)}

    def _update_product(self, product: dict[str, Any], data: dict[str, Any]) -> None:
        for key in ("title", "descriptionHtml", "status", "vendor", "productType", "handle"):
            if data.get(key) is not None:
                product[key] = data[key]
        self.touch(product)

    def product_update(self, data: dict[str, Any]) -> tuple[dict[str, Any] | None, UserErrors]:
        product = self.get(data.get("id") or "", "Product")
        if product is None:
            return None, [user_error(["id"], "Product does not exist")]
        if data.get("title") is not None and not data["title"].strip():
            return None, [user_error(["title"], "Title can't be blank")]
        self._update_product(product, data)
        return product, []

    def variants_bulk_update(self, product_id: str, specs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]] | None, UserErrors]:
        product = self.get(product_id, "Product")
        if product is None:
            return None, [user_error(["productId"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")]
        found = []
        for i, spec in enumerate(specs):
            variant = self.get(spec.get("id") or "", "ProductVariant")
            if variant is None or variant["product"] is not product:
                return None, [user_error(["variants", str(i), "id"], "Product variant does not exist", "PRODUCT_VARIANT_DOES_NOT_EXIST")]
            if spec.get("price") is not None and Decimal(str(spec["price"])) < 0:
                return None, [user_error(["variants", str(i), "price"], "Price must be greater than or equal to 0", "NEGATIVE_PRICE_VALUE")]
            found.append((variant, spec))
        for variant, spec in found:
            item, given = variant["inventoryItem"], spec.get("inventoryItem") or {}
            if spec.get("price") is not None:
                variant["price"] = str(spec["price"])
            if "sku" in given:
                variant["sku"] = item["sku"] = given["sku"]
            if "tracked" in given:
                item["tracked"] = given["tracked"]
            if (given.get("measurement") or {}).get("weight"):
                item["measurement"]["weight"] = dict(given["measurement"]["weight"])
            self.touch(variant)
        self.touch(product)
        return [v for v, _ in found], []
