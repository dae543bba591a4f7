// The views that change the mock: orders and auto-advance, SKUs, faults, partners, and the certification run with
// its live scorecard and timelines.
import { $, act, api, button, el, fill, keyed, row, say, schema, setHidden, setText } from "./api.js";
import { loadPartnerChoices } from "./journal.js";

// Orders: one button per allowed step; a step with a body opens its fields first.
let stepsShown = false; // the auto-advance form is filled when the view opens or is saved, not under the user's edits
// A row is rebuilt only when its order changed, so a step's fields being filled in another row stay as they are.
export async function loadOrders() {
  await loadPartnerChoices();
  const filter = $("orders-filter");
  if (filter.elements.status.options.length === 1) fill(filter.elements.status, schema("OrderStatus").enum);
  const query = new URLSearchParams();
  for (const name of ["partner_id", "status"]) if (filter.elements[name].value) query.set(name, filter.elements[name].value);
  const filtered = String(query) !== "";
  const [orders, auto] = await Promise.all([api("GET", `/orders${filtered ? `?${query}` : ""}`), api("GET", "/auto-advance")]);
  keyed($("orders"), orders, (order) => order.id, (order) => JSON.stringify(order), orderRow);
  setHidden($("orders-empty"), orders.length > 0);
  setText($("orders-empty"), filtered ? "No order with these filters." : "No order yet.");
  if (!stepsShown) renderSteps(auto.steps);
  stepsShown = true;
}

function orderRow(order) {
  const steps = el("div", null, { class: "actions" });
  for (const action of order.actions) steps.append(actionControl(order, action));
  const tr = row([el("code", order.id, { class: "id" }), order.partner_id, order.partner_order_id,
    el("span", order.status, { class: "order-status" }), (order.created_at || "").replace("T", " ").replace(/\.\d+/, ""),
    outcomeOf(order), steps]);
  tr.dataset.order = order.id;
  tr.dataset.status = order.status;
  return tr;
}

// What the partner reads of how the order ended or travels: the rejection reason, or the carrier and tracking.
function outcomeOf(order) {
  if (order.rejection_reason) return el("span", order.rejection_reason, { class: "rejection-reason" });
  const tracking = order.tracking;
  if (!tracking) return "";
  const shown = el("span", null, { class: "tracking" });
  shown.append(`${tracking.carrier} `, el("code", tracking.tracking_number));
  if (/^https?:\/\//.test(tracking.tracking_url || "")) {
    shown.append(" ", el("a", "track", { href: tracking.tracking_url, rel: "noreferrer noopener", target: "_blank" }));
  }
  return shown;
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

export function addStep(step) {
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
export async function loadCatalogue() {
  const skus = await api("GET", "/skus");
  $("skus").replaceChildren(...skus.map((s) => row([s.sku, s.shopify_variant_id,
    button("Unmap", () => act(`Unmapped ${s.sku}`, () => api("DELETE", `/skus/${encodeURIComponent(s.sku)}`)),
      { "aria-label": `Unmap ${s.sku}` })])));
}

export async function loadFaults() {
  const faults = await api("GET", "/faults");
  $("faults").replaceChildren(...faults.map((f) => row([f.id, f.operation || "any", [
    f.status ? `status ${f.status}` : "", f.delay_ms ? `delay ${f.delay_ms} ms` : "", f.drop_connection ? "dropped connection" : "",
  ].filter(Boolean).join(", "), f.remaining])));
}

export async function loadPartners() {
  const partners = await api("GET", "/partners");
  $("partners").replaceChildren(...partners.map((p) => row([p.id, p.name,
    button("Rotate key", () => rotate(p.id), { "aria-label": `Rotate the key of ${p.id}` })])));
}

async function rotate(partnerId) {
  const answer = await act(`Rotated the key of ${partnerId}: the old key no longer works`,
    () => api("POST", `/partners/${encodeURIComponent(partnerId)}/rotate-key`));
  if (answer) revealKey(answer);
}

export function revealKey(answer) {
  $("new-key").hidden = false;
  $("new-key-label").textContent = `New key of ${answer.id}`;
  $("new-key-value").value = answer.api_key;
  $("copy-key").focus();
}

// Certification: the run, the partner's settings and the live scorecard with its timelines. Polled every second; a
// rule's row or an order's figure is replaced only when it changed, and nothing at all when nothing did.
let shownGrade = null;
export async function loadCertification() {
  let card;
  try {
    card = await api("GET", "/certification/scorecard");
  } catch (error) {
    if (error.status !== 404) throw error;
    setHidden($("cert-none"), false);
    setHidden($("scorecard"), true);
    return;
  }
  setHidden($("cert-none"), true);
  setHidden($("scorecard"), false);
  // The clock is read when the grade changes, not every second: the line says when the grade was last new.
  const grade = JSON.stringify([card.summary, card.requests, card.rules]);
  if (shownGrade !== grade) {
    shownGrade = grade;
    setText($("cert-summary"), `${card.summary} (${card.requests} requests, as of ${card.elapsed.toFixed(1)} s real = ` +
      `${(card.elapsed * card.time_scale / 60).toFixed(1)} min guide time)`);
  }
  keyed($("rules"), card.rules, (r) => r.id, (r) => JSON.stringify(r), ruleRow);
  const parser = new DOMParser();
  keyed($("timelines"), card.timelines, (t) => t.partner_order_id, (t) => t.svg, (t) => {
    const figure = el("figure", null, { "data-order": t.partner_order_id });
    const svg = parser.parseFromString(t.svg, "image/svg+xml").documentElement;
    figure.append(document.importNode(svg, true));
    return figure;
  });
  const more = card.orders - card.timelines.length;
  setHidden($("timelines-more"), more <= 0);
  setText($("timelines-more"), more > 0 ? `... and ${more} more partner orders, not drawn.` : "");
}

function ruleRow(r) {
  const why = el("div", r.reason);
  if (r.verdict === "fail" && r.evidence.length) {
    const list = el("ul", null, { class: "evidence" });
    for (const item of r.evidence) list.append(el("li", item));
    why.append(list);
  }
  const tr = row([el("code", r.id), r.level, el("span", r.verdict, { class: `verdict ${r.verdict.replace(" ", "-")}` }), why]);
  tr.dataset.rule = r.id;
  return tr;
}

export async function arm(form) {
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

export async function copy(input) {
  try {
    await navigator.clipboard.writeText(input.value);
    say("Copied to the clipboard.");
  } catch (_) {
    input.type = "text"; // no clipboard (an insecure origin): let the user copy it by hand, selected
    input.select();
    say("The clipboard is not available here: the key is selected, copy it with Ctrl+C.");
  }
}

export function resetSteps() { stepsShown = false; }
