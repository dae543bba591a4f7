// The mock's console: every datum comes from the admin API (/__admin), with the admin token kept in sessionStorage.
// No framework, no build step: plain DOM, text set with textContent; the one markup taken as is is the timelines'
// SVG, which the admin API builds with every client string escaped.
"use strict";

const API = location.pathname.replace(/console\/.*$/, "").replace(/\/$/, "");
const TOKEN_KEY = "jafarshop-admin-token";
const POLL_MS = 1000;
const $ = (id) => document.getElementById(id);
let spec = null;
let current = "journal";
let timer = null;

class ApiError extends Error {
  constructor(status, body) {
    const details = body && body.details !== undefined ? `: ${JSON.stringify(body.details)}` : "";
    super(`${status} ${body && body.error ? body.error : ""}${details}`);
    this.status = status;
  }
}

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const answer = await fetch(API + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store",
  });
  const text = await answer.text();
  const data = text ? JSON.parse(text) : null;
  if (answer.status === 401) {
    showLogin("The admin API refused the token (401): give the mock's admin token.");
    throw new ApiError(401, data);
  }
  if (!answer.ok) throw new ApiError(answer.status, data);
  return data;
}

function say(text, isError) {
  const status = $("status");
  status.textContent = text;
  status.className = isError ? "error" : "";
}

async function act(what, call, attempt) {
  try {
    const result = await call();
    say(what);
    await refresh();
    return result;
  } catch (error) {
    if (error.status !== 401) say(`${attempt || what} failed: ${error.message}`, true);
    return undefined;
  }
}

function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  return node;
}

function button(label, onClick, attrs) {
  const node = el("button", label, { type: "button", ...(attrs || {}) });
  node.addEventListener("click", onClick);
  return node;
}

function row(cells) {
  const tr = el("tr");
  for (const cell of cells) {
    const td = el("td");
    if (cell instanceof Node) td.append(cell); else td.textContent = cell === null || cell === undefined ? "" : cell;
    tr.append(td);
  }
  return tr;
}

function fill(select, values) {
  for (const value of values) select.append(el("option", value, { value }));
}

// --- log in -----------------------------------------------------------------------------------------------------

function showLogin(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  clearInterval(timer);
  $("console").hidden = true;
  $("reset").hidden = $("forget").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  $("token").focus();
}

async function open() {
  $("login").hidden = true;
  try {
    if (!spec) {
      spec = await api("GET", "/openapi.json");
      setUpForms();
    }
    const health = await api("GET", "/health");
    $("health").textContent = `mock version ${health.version}`;
  } catch (error) {
    if (error.status !== 401) say(`Cannot reach the admin API: ${error.message}`, true);
    return;
  }
  $("console").hidden = false;
  $("reset").hidden = $("forget").hidden = false;
  await show(current, false);
  clearInterval(timer);
  timer = setInterval(tick, POLL_MS);
}

// The live views follow the mock by themselves; the orders too, unless a step's fields are open or focused there.
function tick() {
  if (current === "journal" || current === "certification") refresh();
  const orders = $("orders");
  if (current === "orders" && !orders.contains(document.activeElement) && !orders.querySelector("fieldset:not([hidden])")) {
    refresh();
  }
}

// --- the spec's enums: the page holds no copy of the API's lists ------------------------------------------------

function schema(name) { return spec.components.schemas[name]; }

function enumOf(name, property) {
  const found = schema(name);
  const parts = found.allOf ? found.allOf : [found];
  for (const part of parts) {
    if (part.properties && part.properties[property]) {
      const prop = part.properties[property];
      return prop.enum || (prop.items && prop.items.enum) || [];
    }
  }
  return [];
}

function setUpForms() {
  const journalOps = spec.paths["/journal"].get.parameters.find((p) => p.name === "operation").schema.enum;
  fill(document.querySelector("#journal-filter [name=operation]"), journalOps);
  fill(document.querySelector("#add-fault [name=operation]"), enumOf("FaultRequest", "operation"));
  fill(document.querySelector("#add-fault [name=status]"), enumOf("FaultRequest", "status").map(String));
  $("arm").elements.scenario.title = `conditions, separated by commas: ${enumOf("CertificationRequest", "scenario").join(", ")}`;
}

// --- views ------------------------------------------------------------------------------------------------------

const VIEWS = {
  journal: loadJournal, orders: loadOrders, catalogue: loadCatalogue, faults: loadFaults,
  partners: loadPartners, certification: loadCertification,
};

async function show(name, focus) {
  current = name;
  stepsShown = false;
  for (const tab of document.querySelectorAll("[role=tab]")) {
    const selected = tab.id === `tab-${name}`;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    $(tab.getAttribute("aria-controls")).hidden = !selected;
    if (selected && focus) tab.focus();
  }
  await refresh();
}

async function refresh() {
  try {
    await VIEWS[current]();
  } catch (error) {
    if (error.status !== 401) say(`Could not load the ${current} view: ${error.message}`, true);
  }
}

// Journal: entries are kept by number, so an open one stays open (and focused) while new ones arrive above it.
const journalItems = new Map();
let journalQuery = null;

async function loadJournal() {
  const form = $("journal-filter");
  if (!form.elements.live.checked && journalQuery !== null) return;
  await loadPartnerChoices();
  const query = new URLSearchParams({ limit: "200" });
  for (const name of ["partner_id", "operation", "status"]) {
    if (form.elements[name].value) query.set(name, form.elements[name].value);
  }
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
  $("journal-empty").hidden = entries.length > 0;
}

function journalEntry(entry) {
  const item = el("li", null, { "data-seq": entry.seq, "data-status": entry.status });
  const details = el("details");
  const summary = el("summary");
  const time = entry.time.replace("T", " ").replace(/\.\d+/, "").replace("Z", "");
  summary.append(
    el("span", time, { class: "time" }),
    el("span", entry.status, { class: `code s${String(entry.status)[0]}` }),
    el("span", `${entry.method} ${entry.path}`, { class: "path" }),
    el("span", entry.partner_id || "(not authenticated)", { class: "partner" }),
  );
  if (entry.fault) summary.append(el("span", entry.fault, { class: "fault" }));
  details.append(summary);
  const facts = el("dl");
  const add = (name, value) => { if (value !== null && value !== undefined) facts.append(el("dt", name), el("dd", value)); };
  add("Operation", entry.operation || "(none: no such route)");
  add("Partner", entry.partner_id || "(the request did not authenticate)");
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

let partnerChoicesLoaded = false;
async function loadPartnerChoices() {
  if (partnerChoicesLoaded) return;
  const partners = await api("GET", "/partners");
  fill(document.querySelector("#journal-filter [name=partner_id]"), partners.map((p) => p.id));
  partnerChoicesLoaded = true;
}

// Orders: one button per allowed step; a step with a body opens its fields first.
let stepsShown = false; // the auto-advance form is filled when the view opens or is saved, not under the user's edits
async function loadOrders() {
  const [orders, auto] = await Promise.all([api("GET", "/orders"), api("GET", "/auto-advance")]);
  const body = $("orders");
  body.replaceChildren(...orders.map((order) => {
    const steps = el("div", null, { class: "actions" });
    for (const action of order.actions) steps.append(actionControl(order, action));
    const tr = row([el("code", order.id), order.partner_id, order.partner_order_id, el("span", order.status, { class: "order-status" }),
      (order.created_at || "").replace("T", " ").replace(/\.\d+/, ""), steps]);
    tr.dataset.order = order.id;
    return tr;
  }));
  $("orders-empty").hidden = orders.length > 0;
  if (!stepsShown) renderSteps(auto.steps);
  stepsShown = true;
}

function verb(action) { return action.path.split("/").pop(); }

function actionControl(order, action) {
  const label = `${verb(action)[0].toUpperCase()}${verb(action).slice(1)}`;
  const run = (body) => act(`Order ${order.id.slice(0, 8)}: ${action.status}`, () => api("POST", action.path, body));
  if (!action.fields.length) return button(label, () => run(undefined), { "aria-label": `${label} order ${order.id}` });
  const form = el("form", null, { class: "step-form", "aria-label": `${label} order ${order.id}` });
  const fields = el("fieldset");
  fields.hidden = true;
  for (const field of action.fields) {
    const input = el("input", null, { name: field.name });
    if (field.required) input.required = true;
    const lab = el("label", `${field.name.replace(/_/g, " ")}${field.required ? "" : " (optional)"} `);
    lab.append(input);
    fields.append(lab);
  }
  // The first press shows the fields; the second sends them (the browser checks the required ones first).
  const go = button(label, () => {
    if (fields.hidden) { fields.hidden = false; fields.querySelector("input").focus(); } else form.requestSubmit();
  });
  form.append(fields, go);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = {};
    for (const input of fields.querySelectorAll("input")) if (input.value) body[input.name] = input.value;
    run(body);
  });
  return form;
}

function renderSteps(steps) {
  const list = $("steps");
  list.replaceChildren();
  for (const step of steps) addStep(step);
}

function addStep(step) {
  const item = el("li");
  const status = el("select", null, { name: "status" });
  fill(status, schema("AutoAdvance").properties.steps.items.properties.status.enum);
  const after = el("input", null, { name: "after_seconds", type: "number", min: "0", step: "any", required: "" });
  if (step) { status.value = step.status; after.value = step.after_seconds; }
  const statusLabel = el("label", "status ");
  statusLabel.append(status);
  const afterLabel = el("label", "after (s) ");
  afterLabel.append(after);
  item.append(statusLabel, afterLabel, button("Remove", () => item.remove()));
  $("steps").append(item);
  return status;
}

// Catalogue, faults, partners.
async function loadCatalogue() {
  const skus = await api("GET", "/skus");
  $("skus").replaceChildren(...skus.map((s) => row([s.sku, s.shopify_variant_id,
    button("Unmap", () => act(`Unmapped ${s.sku}`, () => api("DELETE", `/skus/${encodeURIComponent(s.sku)}`)),
      { "aria-label": `Unmap ${s.sku}` })])));
}

async function loadFaults() {
  const faults = await api("GET", "/faults");
  $("faults").replaceChildren(...faults.map((f) => row([f.id, f.operation || "any", [
    f.status ? `status ${f.status}` : "", f.delay_ms ? `delay ${f.delay_ms} ms` : "", f.drop_connection ? "dropped connection" : "",
  ].filter(Boolean).join(", "), f.remaining])));
}

async function loadPartners() {
  const partners = await api("GET", "/partners");
  $("partners").replaceChildren(...partners.map((p) => row([p.id, p.name,
    button("Rotate key", () => rotate(p.id), { "aria-label": `Rotate the key of ${p.id}` })])));
}

async function rotate(partnerId) {
  const answer = await act(`Rotated the key of ${partnerId}: the old key no longer works`,
    () => api("POST", `/partners/${encodeURIComponent(partnerId)}/rotate-key`));
  if (answer) revealKey(answer);
}

function revealKey(answer) {
  $("new-key").hidden = false;
  $("new-key-label").textContent = `New key of ${answer.id}`;
  $("new-key-value").value = answer.api_key;
  $("copy-key").focus();
}

// Certification: the run, the partner's settings and the live scorecard with its timelines.
async function loadCertification() {
  let card;
  try {
    card = await api("GET", "/certification/scorecard");
  } catch (error) {
    if (error.status !== 404) throw error;
    $("cert-none").hidden = false;
    $("scorecard").hidden = true;
    return;
  }
  $("cert-none").hidden = true;
  $("scorecard").hidden = false;
  $("cert-summary").textContent = `${card.summary} (${card.requests} requests, ${card.elapsed.toFixed(1)} s real = ` +
    `${(card.elapsed * card.time_scale / 60).toFixed(1)} min guide time)`;
  $("rules").replaceChildren(...card.rules.map((r) => {
    const why = el("div", r.reason);
    if (r.verdict === "fail" && r.evidence.length) {
      const list = el("ul", null, { class: "evidence" });
      for (const item of r.evidence) list.append(el("li", item));
      why.append(list);
    }
    const tr = row([el("code", r.id), r.level, el("span", r.verdict, { class: `verdict ${r.verdict.replace(" ", "-")}` }), why]);
    tr.dataset.rule = r.id;
    return tr;
  }));
  const box = $("timelines");
  const parser = new DOMParser();
  box.replaceChildren(...card.timelines.map((t) => {
    const figure = el("figure", null, { "data-order": t.partner_order_id });
    const svg = parser.parseFromString(t.svg, "image/svg+xml").documentElement;
    figure.append(document.importNode(svg, true));
    return figure;
  }));
  if (card.orders > card.timelines.length) {
    box.append(el("p", `... and ${card.orders - card.timelines.length} more partner orders, not drawn.`, { class: "muted" }));
  }
}

async function arm(form) {
  const body = { partner_id: form.elements.partner_id.value };
  if (form.elements.time_scale.value) body.time_scale = Number(form.elements.time_scale.value);
  const scenario = form.elements.scenario.value.split(",").map((s) => s.trim()).filter(Boolean);
  if (scenario.length) body.scenario = scenario;
  const armed = await act("Armed a certification run: start your client with the settings shown", () => api("POST", "/certification", body));
  if (!armed) return;
  $("armed").hidden = false;
  const settings = {
    JAFARSHOP_BASE_URL: `${location.origin}/v1`, JAFARSHOP_TIME_SCALE: armed.time_scale,
    JAFARSHOP_MAPPED_SKUS: armed.mapped_skus.join(","), JAFARSHOP_UNMAPPED_SKU: armed.unmapped_sku,
    "partner": armed.partner_id, "scenario": armed.scenario.join(", "),
  };
  $("armed-settings").replaceChildren(...Object.entries(settings).flatMap(([k, v]) => [el("dt", k), el("dd", v)]));
  $("cert-key").value = armed.api_key;
}

async function copy(input) {
  try {
    await navigator.clipboard.writeText(input.value);
    say("Copied to the clipboard.");
  } catch (_) {
    input.type = "text"; // no clipboard (an insecure origin): let the user copy it by hand, selected
    input.select();
    say("The clipboard is not available here: the key is selected, copy it with Ctrl+C.");
  }
}

// --- wiring ----------------------------------------------------------------------------------------------------

function formJson(form, names) {
  const body = {};
  for (const name of names) {
    const field = form.elements[name];
    if (field.type === "checkbox") { if (field.checked) body[name] = true; } else if (field.value !== "") {
      body[name] = field.type === "number" || field.tagName === "SELECT" && /^\d+$/.test(field.value) ? Number(field.value) : field.value;
    }
  }
  return body;
}

function wire() {
  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value);
    $("token").value = "";
    open();
  });
  $("forget").addEventListener("click", () => showLogin("Token forgotten."));
  $("reset").addEventListener("click", () => {
    if (confirm("Back to the fixtures: every order, fault, journal entry and added partner is dropped.")) {
      partnerChoicesLoaded = false;
      act("Reset to the fixtures", () => api("POST", "/reset"));
    }
  });
  const tabs = [...document.querySelectorAll("[role=tab]")];
  for (const tab of tabs) {
    tab.addEventListener("click", () => show(tab.id.slice(4), false));
    tab.addEventListener("keydown", (event) => {
      const moves = { ArrowRight: 1, ArrowLeft: -1, Home: -tabs.indexOf(tab), End: tabs.length - 1 - tabs.indexOf(tab) };
      if (!(event.key in moves)) return;
      event.preventDefault();
      const next = tabs[(tabs.indexOf(tab) + moves[event.key] + tabs.length) % tabs.length];
      show(next.id.slice(4), true);
    });
  }
  const filter = $("journal-filter");
  filter.addEventListener("change", () => { journalQuery = null; refresh(); });
  filter.addEventListener("submit", (event) => { event.preventDefault(); journalQuery = null; refresh(); });
  $("journal-clear").addEventListener("click", () => act("Journal emptied", () => api("DELETE", "/journal")));
  $("add-step").addEventListener("click", () => addStep(null).focus());
  $("auto-advance").addEventListener("submit", (event) => {
    event.preventDefault();
    const steps = [...$("steps").children].map((item) => ({
      status: item.querySelector("[name=status]").value, after_seconds: Number(item.querySelector("[name=after_seconds]").value),
    }));
    stepsShown = false;
    act("Auto-advance saved", () => api("PUT", "/auto-advance", { steps }), "Saving auto-advance");
  });
  $("map-sku").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.target;
    act(`Mapped ${form.elements.sku.value}`, () => api("PUT", `/skus/${encodeURIComponent(form.elements.sku.value)}`,
      { shopify_variant_id: Number(form.elements.variant.value) }));
  });
  $("add-fault").addEventListener("submit", (event) => {
    event.preventDefault();
    act("Fault added", () => api("POST", "/faults", formJson(event.target, ["count", "operation", "status", "delay_ms", "drop_connection"])));
  });
  $("clear-faults").addEventListener("click", () => act("Every fault cleared", () => api("DELETE", "/faults")));
  $("add-partner").addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await act(`Partner added`, () => api("POST", "/partners", formJson(event.target, ["id", "name", "api_key"])));
    if (answer) { partnerChoicesLoaded = false; revealKey(answer); }
  });
  $("copy-key").addEventListener("click", () => copy($("new-key-value")));
  $("copy-cert-key").addEventListener("click", () => copy($("cert-key")));
  $("arm").addEventListener("submit", (event) => { event.preventDefault(); arm(event.target); });
  $("disarm").addEventListener("click", () => act("Certification run stopped", () => api("DELETE", "/certification")));
}

wire();
if (sessionStorage.getItem(TOKEN_KEY)) open(); else showLogin("");
