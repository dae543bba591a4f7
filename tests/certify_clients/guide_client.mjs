// A partner client that follows the guide's client rules, for `jafarshop-certify` (Node.js 20, no npm packages).
//
// The Node.js port of guide_client.py (its guide-following behaviour only, no --break options). It submits
// JAFARSHOP_CERTIFY_ORDERS carts (one Idempotency-Key per order, kept with the same body on every retry; a new key
// after a 409), retries 500/502/503/504, network errors, dropped connections and timeouts 3 times after 1, 2, 4 s,
// never retries 400/401/403/422 or other 4xx, takes a 204 as "no JafarShop items", then polls each order every
// 5 minutes while pending, 15 after CONFIRMED and daily after SHIPPED, and stops at SHIPPED or a final status.
// Every wait is the guide's divided by JAFARSHOP_TIME_SCALE.
//
// Run it under certification (from the kit's checkout):
//   jafarshop-certify -- node tests/certify_clients/guide_client.mjs
// It reads JAFARSHOP_BASE_URL (ends in /v1), JAFARSHOP_API_KEY, JAFARSHOP_MAPPED_SKUS (the first is used),
// JAFARSHOP_TIME_SCALE (default 1) and JAFARSHOP_CERTIFY_ORDERS (default 10).

import { randomUUID } from "node:crypto";

const BASE = process.env.JAFARSHOP_BASE_URL.replace(/\/+$/, "");
const API_KEY = process.env.JAFARSHOP_API_KEY;
const SKU = process.env.JAFARSHOP_MAPPED_SKUS.split(",")[0].trim();
const SCALE = Number(process.env.JAFARSHOP_TIME_SCALE || "1");
const ORDERS = Number.parseInt(process.env.JAFARSHOP_CERTIFY_ORDERS || "10", 10);

const TIMEOUT_SECONDS = 20; // within the kit's 30 s at most, with room for a busy machine at a high time scale
const MAX_RETRIES = 3; // waits of 1, 2, 4 s before retries 1, 2, 3
const TRANSIENT = new Set([500, 502, 503, 504]);
const POLL_SECONDS = { PENDING_CONFIRMATION: 300, CONFIRMED: 900, SHIPPED: 86400 };
const FINAL = new Set(["SHIPPED", "DELIVERED", "REJECTED", "CANCELLED"]); // the guide's polling stops at SHIPPED

/** Wait `guideSeconds` of the guide's time (never shorter than the scaled value). */
const wait = (guideSeconds) => new Promise((resolve) => setTimeout(resolve, Math.ceil((guideSeconds * 1000) / SCALE)));

class Transient extends Error {} // a 5xx, a network error, a dropped connection or a timeout: retry with the same key

/** One request; resolves to {status, text}, or throws Transient. The body is read inside the timeout. */
async function request(method, path, body, headers = {}) {
  try {
    const answer = await fetch(BASE + path, {
      method,
      body,
      headers: { Authorization: `Bearer ${API_KEY}`, ...headers },
      signal: AbortSignal.timeout(Math.ceil((TIMEOUT_SECONDS * 1000) / SCALE)),
    });
    const text = await answer.text(); // throws if the connection drops mid-answer
    if (TRANSIENT.has(answer.status)) throw new Transient(`HTTP ${answer.status}`);
    return { status: answer.status, text };
  } catch (error) {
    if (error instanceof Transient) throw error;
    const cause = error.cause ? ` (${error.cause.code || error.cause.message})` : "";
    throw new Transient(`${error.name}: ${error.message}${cause}`);
  }
}

/** Submit one cart: the supplier_order_id, or null (204, a client error, or given up). */
async function submit(cart) {
  const name = cart.partner_order_id;
  const body = JSON.stringify(cart); // the same bytes on every retry
  let key = randomUUID();
  let retries = 0;
  let conflicts = 0;
  for (;;) {
    let answer;
    try {
      answer = await request("POST", "/carts/submit", body, { "Content-Type": "application/json", "Idempotency-Key": key });
    } catch (failure) {
      if (!(failure instanceof Transient)) throw failure;
      if (retries >= MAX_RETRIES) {
        console.log(`${name}: giving up after ${retries} retries (${failure.message})`);
        return null;
      }
      retries += 1;
      await wait(2 ** (retries - 1)); // 1 s, 2 s, 4 s
      console.log(`${name}: ${failure.message}; retry ${retries}`);
      continue;
    }
    const { status, text } = answer;
    if (status === 200) {
      const orderId = JSON.parse(text).supplier_order_id;
      console.log(`${name}: order ${orderId} created`);
      return orderId;
    }
    if (status === 204) {
      console.log(`${name}: no JafarShop products in the cart`);
      return null;
    }
    if (status === 409 && conflicts < 1) {
      conflicts += 1;
      key = randomUUID(); // the guide: generate a new key and retry
      console.log(`${name}: 409 conflict; retrying once with a new Idempotency-Key`);
      continue;
    }
    console.log(`${name}: ${status} ${text.slice(0, 200)}; not retried (fix the request)`);
    return null;
  }
}

/** The order's status, or null when it could not be read this time. */
async function readStatus(orderId) {
  try {
    const { status, text } = await request("GET", `/orders/${encodeURIComponent(orderId)}`);
    if (status !== 200) {
      console.log(`GET ${orderId}: ${status}`);
      return null;
    }
    return String(JSON.parse(text).status);
  } catch (failure) {
    if (failure instanceof Transient) return null; // try again at the next due time
    throw failure;
  }
}

/** Poll each order at the guide's cadence for its last seen status, until all are SHIPPED or final. */
async function poll(orders) {
  for (;;) {
    const active = orders.filter((order) => !FINAL.has(order.status));
    if (active.length === 0) return;
    let nextDue = Infinity;
    for (const order of active) {
      const dueAt = order.lastContact + ((POLL_SECONDS[order.status] ?? 300) * 1000) / SCALE;
      if (performance.now() < dueAt) {
        nextDue = Math.min(nextDue, dueAt);
        continue;
      }
      order.lastContact = performance.now();
      const seen = await readStatus(order.id);
      if (seen && seen !== order.status) {
        console.log(`${order.id}: ${order.status} -> ${seen}`);
        order.status = seen;
      }
      nextDue = Math.min(nextDue, order.lastContact + ((POLL_SECONDS[order.status] ?? 300) * 1000) / SCALE);
    }
    if (orders.every((order) => FINAL.has(order.status))) return;
    const delay = Math.max(0, Math.ceil(nextDue - performance.now())) + 1;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

function makeCart(number, run) {
  return {
    partner_order_id: `CERT-${run}-${number}`,
    items: [{ sku: SKU, title: "JafarShop Product", price: 29.99, quantity: 2 }],
    customer: { name: "John Doe", phone: "+1234567890" },
    shipping: { street: "123 Main Street", city: "Amman", postal_code: "11118", country: "JO" },
    totals: { subtotal: 59.98, tax: 4.8, shipping: 5.0, total: 69.78 },
    payment_status: "paid",
    payment_method: "Cash On Delivery (COD)",
  };
}

const run = randomUUID().replace(/-/g, "").slice(0, 8);
const orders = [];
for (let number = 1; number <= ORDERS; number += 1) {
  const orderId = await submit(makeCart(number, run));
  // the first poll counts from the submit's answer
  if (orderId) orders.push({ id: orderId, status: "PENDING_CONFIRMATION", lastContact: performance.now() });
}
await poll(orders);
console.log("all orders shipped or final");
