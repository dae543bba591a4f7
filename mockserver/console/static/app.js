// The mock's console: every datum comes from the admin API (/__admin), with the admin token kept in sessionStorage.
// No framework, no build step: plain DOM, text set with textContent; the one markup taken as is is the timelines'
// SVG, which the admin API builds with every client string escaped.
import { $, TOKEN_KEY, act, api, enumOf, fill, hooks, loaded, redraw, say } from "./api.js";
import { clearJournalFocus, forgetPartners, loadJournal, restartJournal } from "./journal.js";
import {
  addStep, arm, copy, loadCatalogue, loadCertification, loadFaults, loadOrders, loadPartners, resetSteps, revealKey,
} from "./views.js";

const POLL_MS = 1000;
let current = "journal";
let timer = null;

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
    if (!loaded.spec) {
      loaded.spec = await api("GET", "/openapi.json");
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

function setUpForms() {
  const journalOps = loaded.spec.paths["/journal"].get.parameters.find((p) => p.name === "operation").schema.enum;
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
  resetSteps();
  if (name === "orders") redraw($("orders")); // opened anew: no step's fields left open from before
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
      forgetPartners();
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
  filter.addEventListener("change", () => { restartJournal(); refresh(); });
  filter.addEventListener("submit", (event) => { event.preventDefault(); restartJournal(); refresh(); });
  $("journal-clear").addEventListener("click", () => act("Journal emptied", () => api("DELETE", "/journal")));
  $("journal-focus-clear").addEventListener("click", () => { clearJournalFocus(); $("journal-filter").elements.partner_id.focus(); });
  $("orders-filter").addEventListener("change", () => refresh());
  $("add-step").addEventListener("click", () => addStep(null).focus());
  $("auto-advance").addEventListener("submit", (event) => {
    event.preventDefault();
    const steps = [...$("steps").children].map((item) => ({
      status: item.querySelector("[name=status]").value, after_seconds: Number(item.querySelector("[name=after_seconds]").value),
    }));
    resetSteps();
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
    if (answer) { forgetPartners(); revealKey(answer); }
  });
  $("copy-key").addEventListener("click", () => copy($("new-key-value")));
  $("copy-cert-key").addEventListener("click", () => copy($("cert-key")));
  $("arm").addEventListener("submit", (event) => { event.preventDefault(); arm(event.target); });
  $("disarm").addEventListener("click", () => act("Certification run stopped", () => api("DELETE", "/certification")));
}

hooks.unauthorized = showLogin;
hooks.refresh = refresh;
wire();
if (sessionStorage.getItem(TOKEN_KEY)) open(); else showLogin("");
