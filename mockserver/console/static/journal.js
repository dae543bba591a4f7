// The journal view: the latest partner requests, polled; entries are kept by number, so an open one stays open
// (and focused) while new ones arrive above it. Each row names its partner_order_id and Idempotency-Key: a click on
// one shows only the requests with that value (a client's retries side by side), until the filter is cleared.
import { $, api, el, hooks, setHidden } from "./api.js";

// The journal's filters a row sets, with how the row and the filter line name them.
const FOCUS = { partner_order_id: "partner order", idempotency_key: "key" };

const journalItems = new Map();
let journalQuery = null;

export async function loadJournal() {
  const form = $("journal-filter");
  if (!form.elements.live.checked && journalQuery !== null) return;
  await loadPartnerChoices();
  const query = new URLSearchParams({ limit: "200" });
  for (const name of ["partner_id", "operation", "status", ...Object.keys(FOCUS)]) {
    if (form.elements[name].value) query.set(name, form.elements[name].value);
  }
  showFocus(form);
  const entries = await api("GET", `/journal?${query}`);
  if (String(query) !== journalQuery) {
    journalItems.clear();
    $("journal").replaceChildren();
    journalQuery = String(query);
  }
  const list = $("journal");
  const keep = new Set(entries.map((entry) => entry.seq));
  for (const [seq, item] of journalItems) {
    if (!keep.has(seq)) { item.remove(); journalItems.delete(seq); }
  }
  let anchor = list.firstChild;
  for (const entry of entries) {
    if (journalItems.has(entry.seq)) { anchor = journalItems.get(entry.seq).nextSibling; continue; }
    const item = journalEntry(entry);
    journalItems.set(entry.seq, item);
    list.insertBefore(item, anchor);
    anchor = item.nextSibling;
  }
  setHidden($("journal-empty"), entries.length > 0);
}

// The filter a row's value set, shown with a button that clears it.
function showFocus(form) {
  const set = Object.keys(FOCUS).filter((name) => form.elements[name].value);
  setHidden($("journal-focus"), !set.length);
  const text = set.map((name) => `${FOCUS[name]} ${form.elements[name].value}`).join(" and ");
  const shown = $("journal-focus-value");
  if (shown.textContent !== text) shown.textContent = text;
}

export function focusJournal(name, value) {
  const form = $("journal-filter");
  form.elements[name].value = value;
  restartJournal();
  hooks.refresh();
}

export function clearJournalFocus() {
  const form = $("journal-filter");
  for (const name of Object.keys(FOCUS)) form.elements[name].value = "";
  restartJournal();
  hooks.refresh();
}

// "12:34:56.789" (UTC, to the millisecond), the whole timestamp in its title.
function clock(time) {
  const found = /T(\d{2}:\d{2}:\d{2})(?:\.(\d{1,3})\d*)?/.exec(time);
  const shown = found ? `${found[1]}.${(found[2] || "").padEnd(3, "0")}` : time;
  return el("time", shown, { class: "time", datetime: time, title: `${time} (UTC)` });
}

// A row's partner_order_id or key: a button that filters the journal by it (the summary is not toggled).
function focusButton(name, value) {
  const node = el("button", value, {
    type: "button", class: `focus ${name}`, "data-filter": name, title: `Show only the requests with ${FOCUS[name]} ${value}`,
  });
  node.addEventListener("click", (event) => { event.preventDefault(); event.stopPropagation(); focusJournal(name, value); });
  return node;
}

function journalEntry(entry) {
  const item = el("li", null, { "data-seq": entry.seq, "data-status": entry.status });
  const details = el("details");
  const summary = el("summary");
  summary.append(
    clock(entry.time),
    el("span", entry.status, { class: `code s${String(entry.status)[0]}` }),
    el("span", `${entry.method} ${entry.path}`, { class: "path" }),
    el("span", entry.partner_id || "(not authenticated)", { class: "partner" }),
    entry.partner_order_id ? focusButton("partner_order_id", entry.partner_order_id)
      : el("span", "", { class: "focus none" }),
    entry.idempotency_key ? focusButton("idempotency_key", entry.idempotency_key)
      : el("span", entry.operation === "submitCart" ? "no key" : "", { class: "focus none" }),
  );
  if (entry.fault) summary.append(el("span", entry.fault, { class: "fault" }));
  details.append(summary);
  const facts = el("dl");
  const add = (name, value) => { if (value !== null && value !== undefined) facts.append(el("dt", name), el("dd", value)); };
  add("Operation", entry.operation || "(none: no such route)");
  add("Partner", entry.partner_id || "(the request did not authenticate)");
  add("Partner order", entry.partner_order_id);
  add("Idempotency-Key", entry.idempotency_key);
  add("Shaped by", entry.fault);
  details.append(facts);
  if (entry.errors) details.append(el("h4", "Errors the client was told"), errorList(entry.errors));
  details.append(el("h4", "Request body"), bodyBlock(entry.request_body), el("h4", "Answer body"), bodyBlock(entry.response_body));
  item.append(details);
  return item;
}

function errorList(errors) {
  const list = el("ul", null, { class: "errors" });
  for (const error of Array.isArray(errors) ? errors : [errors]) {
    list.append(el("li", typeof error === "string" ? error : JSON.stringify(error)));
  }
  return list;
}

function bodyBlock(text) {
  if (!text) return el("p", "(empty)", { class: "muted" });
  let shown = text;
  try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* not JSON: shown as sent */ }
  return el("pre", shown, { tabindex: "0" });
}

// The partner filters (the journal's, the orders'): "any" and every partner, the choice kept.
let partnerChoicesLoaded = false;
export async function loadPartnerChoices() {
  if (partnerChoicesLoaded) return;
  const partners = await api("GET", "/partners");
  for (const select of document.querySelectorAll("select.partner-choice")) {
    const chosen = select.value;
    select.replaceChildren(el("option", "any", { value: "" }), ...partners.map((p) => el("option", p.id, { value: p.id })));
    select.value = partners.some((p) => p.id === chosen) ? chosen : "";
  }
  partnerChoicesLoaded = true;
}


export function restartJournal() { journalQuery = null; }
export function forgetPartners() { partnerChoicesLoaded = false; }
