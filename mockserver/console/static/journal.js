// The journal view: the latest partner requests, polled; entries are kept by number, so an open one stays open
// (and focused) while new ones arrive above it.
import { $, api, el, fill } from "./api.js";

const journalItems = new Map();
let journalQuery = null;

export async function loadJournal() {
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


export function restartJournal() { journalQuery = null; }
export function forgetPartners() { partnerChoicesLoaded = false; }
