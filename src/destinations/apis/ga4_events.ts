/**
 * Segment's ecommerce event names turned into GA4's recommended events (as Jitsu's ga4 function does),
 * with `items` from `products` or the event's own product fields; other events keep their name (at most
 * 40 characters of letters, digits and `_`) and their properties as parameters.
 */
import type { PipelineEvent } from "../driver.ts";
import { idOf, type Obj, obj } from "./event_fields.ts";

function item(p: Obj): Obj | null {
  if (!p.product_id || !p.name) return null;
  const out: Obj = {
    item_id: p.product_id,
    item_name: p.name,
    affiliation: p.affiliation,
    coupon: p.coupon,
    currency: p.currency,
    discount: p.discount,
    index: p.position,
    item_brand: p.brand,
    item_category: p.category,
    item_list_id: p.list_id,
    item_list_name: p.list_name,
    item_variant: p.variant,
    price: p.price,
    quantity: p.quantity,
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

function items(props: Obj): Obj[] {
  const list = Array.isArray(props.products) ? props.products.map((p) => item(obj(p))) : [item(props)];
  return list.filter((x): x is Obj => x !== null);
}

const value = (p: Obj) => p.value ?? p.total ?? p.revenue;
const money = (p: Obj) => ({ currency: p.currency, value: value(p), items: items(p) });
const order = (p: Obj) => ({
  currency: p.currency,
  transaction_id: p.order_id,
  value: p.total ?? p.value ?? p.revenue,
  coupon: p.coupon,
  shipping: p.shipping,
  affiliation: p.affiliation,
  tax: p.tax,
  items: items(p),
});
const promotion = (p: Obj) => ({
  creative_name: p.creative_name,
  creative_slot: p.creative,
  location_id: p.position,
  promotion_id: p.promotion_id,
  promotion_name: p.promotion_name ?? p.name,
  items: items(p),
});
const list = (p: Obj) => ({ item_list_id: p.list_id, item_list_name: p.category, items: items(p) });

const RECOMMENDED: Record<string, [string, (p: Obj) => Obj]> = {
  "Promotion Clicked": ["select_promotion", promotion],
  "Promotion Viewed": ["view_promotion", promotion],
  "Product List Viewed": ["view_item_list", list],
  "Product Clicked": ["select_item", list],
  "Checkout Started": ["begin_checkout", (p) => ({ ...money(p), coupon: p.coupon })],
  "Order Refunded": ["refund", order],
  "Order Completed": ["purchase", order],
  "Product Added": ["add_to_cart", money],
  "Product Removed": ["remove_from_cart", money],
  "Product Added to Wishlist": ["add_to_wishlist", money],
  "Product Viewed": ["view_item", money],
  "Cart Viewed": ["view_cart", money],
  "Payment Info Entered": [
    "add_payment_info",
    (p) => ({ ...money(p), coupon: p.coupon, payment_type: p.payment_method }),
  ],
  "Signed Up": ["sign_up", (p) => ({ method: p.type ?? p.method })],
  "Signed In": ["login", (p) => ({ method: p.type ?? p.method })],
  "Products Searched": ["search", (p) => ({ search_term: p.query })],
};

const STANDARD = ["title", "url", "path", "hash", "search", "width", "height"];

/** A track (or identify, group, alias) event as one GA4 event. */
export function ga4TrackEvent(e: PipelineEvent): Obj {
  const props = obj(e.properties);
  const name = idOf(e.event) ?? idOf(e.name) ?? String(e.type ?? "event");
  const known = RECOMMENDED[name];
  let params: Obj;
  let gaName: string;
  if (known) {
    gaName = known[0];
    params = known[1](props);
  } else {
    gaName = name.replace(/[^a-zA-Z0-9_]/g, "_").slice(0, 40);
    params = { ...props };
    for (const k of STANDARD) delete params[k];
    params.currency = props.currency;
    params.value = value(props);
  }
  for (const k of Object.keys(params)) if (params[k] === undefined) delete params[k];
  params.engagement_time_msec = 1;
  return { name: gaName, params };
}
