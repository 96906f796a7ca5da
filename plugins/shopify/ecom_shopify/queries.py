"""The GraphQL documents the driver sends to the Admin API, and nothing else.

Every document here is validated by the tests against Shopify's published 2026-07 schema, the
same full schema the fake Shopify serves (``admin-2026-07.introspection.json.gz``). The order
fields are shared text so that a paged read and a bulk operation return the same shape and go
through the same translation; they are the fields :mod:`ecom_shopify.translate` reads and no more
(a smaller download, less for Shopify to build), which a test holds.
"""

from __future__ import annotations

import json

from ecom.graphql import PAGE_INFO, documents

MONEY = "shopMoney { amount }"
TAX_LINES = f"taxLines {{ title rate priceSet {{ {MONEY} }} }}"
ALLOCATIONS = (
    f"discountAllocations {{ allocatedAmountSet {{ {MONEY} }} discountApplication {{ __typename "
    "... on DiscountCodeApplication { code } ... on AutomaticDiscountApplication { title } "
    "... on ManualDiscountApplication { title } ... on ScriptDiscountApplication { title } } }"
)
ADDRESS = "firstName lastName company address1 address2 city province provinceCode zip countryCodeV2 phone"

ORDER_FIELDS = f"""
    id name createdAt updatedAt cancelledAt closed closedAt
    currencyCode taxesIncluded taxExempt displayFinancialStatus displayFulfillmentStatus
    sourceName paymentGatewayNames tags note email phone test
    totalPriceSet {{ {MONEY} }} totalTaxSet {{ {MONEY} }} {TAX_LINES}
    customer {{ id firstName lastName taxExempt defaultEmailAddress {{ emailAddress }}
                defaultPhoneNumber {{ phoneNumber }} }}
    billingAddress {{ {ADDRESS} }} shippingAddress {{ {ADDRESS} }}"""
LINE_FIELDS = (
    f"__typename id sku name quantity taxable originalUnitPriceSet {{ {MONEY} }} "
    f"variant {{ id }} product {{ id }} {TAX_LINES} {ALLOCATIONS}"
)
SHIPPING_FIELDS = f"__typename id title code source carrierIdentifier originalPriceSet {{ {MONEY} }} {TAX_LINES} {ALLOCATIONS}"

ORDERS = f"""query Orders($first: Int!, $after: String, $query: String, $lines: Int!) {{
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    {PAGE_INFO}
    nodes {{ {ORDER_FIELDS}
      lineItems(first: $lines) {{ {PAGE_INFO} nodes {{ {LINE_FIELDS} }} }}
      shippingLines(first: 5) {{ {PAGE_INFO} nodes {{ {SHIPPING_FIELDS} }} }}
    }}
  }}
}}"""

ORDER_LINES = f"""query OrderLines($id: ID!, $after: String) {{
  order(id: $id) {{ lineItems(first: 50, after: $after) {{ {PAGE_INFO} nodes {{ {LINE_FIELDS} }} }} }}
}}"""

ORDERS_COUNT = """query OrdersCount($query: String, $limit: Int) {
  ordersCount(query: $query, limit: $limit) { count precision }
}"""

#: The query a bulk operation runs (no page sizes: a bulk query reads every node); ``%s`` takes
#: the ``query:`` argument, e.g. ``query: "updated_at:>='...'", `` or nothing.
BULK_ORDERS = f"""{{
  orders(%ssortKey: UPDATED_AT) {{ edges {{ node {{ {ORDER_FIELDS}
    lineItems {{ edges {{ node {{ {LINE_FIELDS} }} }} }}
    shippingLines {{ edges {{ node {{ {SHIPPING_FIELDS} }} }} }}
  }} }} }}
}}"""



def bulk_orders_query(search: str | None) -> str:
    """The bulk query over orders matching ``search`` (Shopify search syntax; None: every order)."""
    return BULK_ORDERS % (f"query: {json.dumps(search)}, " if search else "")


BULK_RUN = """mutation BulkRun($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: false) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}"""

BULK_STATUS = """query BulkStatus($id: ID!) {
  bulkOperation(id: $id) { id status errorCode objectCount rootObjectCount url partialDataUrl }
}"""

SHOP = """query Shop {
  shop { name myshopifyDomain currencyCode plan { publicDisplayName } }
  currentAppInstallation { accessScopes { handle } }
}"""

ORDERS_FOR_STATUS = """query OrdersForStatus($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on Order { id name closed cancelledAt tags updatedAt
      fulfillmentOrders(first: 10) { nodes { id status assignedLocation { location { id } }
        fulfillmentHolds { reason reasonNotes displayReason heldByApp { title } } } } }
  }
}"""

FULFILL = """mutation Fulfil($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status trackingInfo { number company url } }
    userErrors { field message }
  }
}"""

CLOSE = """mutation Close($input: OrderCloseInput!) {
  orderClose(input: $input) { order { id closed closedAt } userErrors { field message } }
}"""

CANCEL = """mutation Cancel($orderId: ID!, $reason: OrderCancelReason!, $refundMethod: OrderCancelRefundMethodInput,
                    $restock: Boolean!, $notifyCustomer: Boolean, $staffNote: String) {
  orderCancel(orderId: $orderId, reason: $reason, refundMethod: $refundMethod, restock: $restock,
              notifyCustomer: $notifyCustomer, staffNote: $staffNote) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}"""

JOB = """query Job($id: ID!) { job(id: $id) { id done } }"""

TAGS_ADD = """mutation Tag($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) { node { id } userErrors { field message } }
}"""

VARIANTS_BY_SKU = """query VariantsBySku($first: Int!, $query: String!) {
  productVariants(first: $first, query: $query) { nodes { id sku product { id } inventoryItem { id } } }
}"""

LOCATIONS = """query Locations {
  primary: location { id name }
  locations(first: 250) { nodes { id name isActive } }
}"""

SET_QUANTITIES = """mutation SetQuantities($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
}"""

PRODUCTS = f"""query Products($first: Int!, $after: String, $query: String) {{
  products(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    {PAGE_INFO}
    nodes {{ id title descriptionHtml status updatedAt
      variants(first: 25) {{ {PAGE_INFO} nodes {{ id sku title price inventoryQuantity
        inventoryItem {{ id measurement {{ weight {{ value unit }} }} }} }} }} }}
  }}
}}"""

PRODUCT_VARIANTS = """query ProductVariants($id: ID!, $after: String) {
  product(id: $id) { variants(first: 100, after: $after) { pageInfo { hasNextPage endCursor }
    nodes { id sku title price inventoryQuantity inventoryItem { id measurement { weight { value unit } } } } } }
}"""

PRODUCT_SET = """mutation ProductSet($input: ProductSetInput!) {
  productSet(input: $input, synchronous: true) {
    product { id variants(first: 1) { nodes { id sku inventoryItem { id } } } }
    userErrors { field message code }
  }
}"""

PRODUCT_UPDATE = """mutation ProductUpdate($product: ProductUpdateInput!, $productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productUpdate(product: $product) { product { id } userErrors { field message } }
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    productVariants { id sku }
    userErrors { field message code }
  }
}"""

#: Every document the driver sends, by name (the schema tests walk this).
DOCUMENTS = documents(globals())
