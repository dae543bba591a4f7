// The admin API as the console calls it (the token from sessionStorage), status messages, small DOM helpers, and
// the admin spec's enums (the page holds no copy of the API's lists).

export const API = location.pathname.replace(/console\/.*$/, "").replace(/\/$/, "");
export const TOKEN_KEY = "jafarshop-admin-token";
export const $ = (id) => document.getElementById(id);
// What app.js plugs in: what to do on a 401, and how to redraw the current view after a change.
export const hooks = { unauthorized: () => {}, refresh: async () => {} };
export const loaded = { spec: null };

export class ApiError extends Error {
  constructor(status, body) {
    const details = body && body.details !== undefined ? `: ${JSON.stringify(body.details)}` : "";
    super(`${status} ${body && body.error ? body.error : ""}${details}`);
    this.status = status;
  }
}

export async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const answer = await fetch(API + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store",
  });
  const text = await answer.text();
  const data = text ? JSON.parse(text) : null;
  if (answer.status === 401) {
    hooks.unauthorized("The admin API refused the token (401): give the mock's admin token.");
    throw new ApiError(401, data);
  }
  if (!answer.ok) throw new ApiError(answer.status, data);
  return data;
}

export function say(text, isError) {
  const status = $("status");
  status.textContent = text;
  status.className = isError ? "error" : "";
}

export async function act(what, call, attempt) {
  try {
    const result = await call();
    say(what);
    await hooks.refresh();
    return result;
  } catch (error) {
    if (error.status !== 401) say(`${attempt || what} failed: ${error.message}`, true);
    return undefined;
  }
}

export function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  return node;
}

export function button(label, onClick, attrs) {
  const node = el("button", label, { type: "button", ...(attrs || {}) });
  node.addEventListener("click", onClick);
  return node;
}

export function row(cells) {
  const tr = el("tr");
  for (const cell of cells) {
    const td = el("td");
    if (cell instanceof Node) td.append(cell); else td.textContent = cell === null || cell === undefined ? "" : cell;
    tr.append(td);
  }
  return tr;
}

export function fill(select, values) {
  for (const value of values) select.append(el("option", value, { value }));
}

export function schema(name) { return loaded.spec.components.schemas[name]; }

export function enumOf(name, property) {
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


// Changing the page only where the data changed: a view polled every second that rewrote itself each time replaced
// the very element a user was reading, selecting or hovering (and every one a browser test held).
export function setText(node, text) { if (node.textContent !== text) node.textContent = text; }
export function setHidden(node, hidden) { if (node.hidden !== hidden) node.hidden = hidden; }

const drawn = new WeakMap(); // container -> Map(key -> { sig, node })

// Makes `container`'s children one node per item, in order: an item whose signature is the one drawn keeps its node
// untouched; a new or changed one gets build(item); nodes of items gone are removed.
export function keyed(container, items, key, signature, build) {
  const before = drawn.get(container) || new Map();
  const after = new Map();
  items.forEach((item, index) => {
    const id = String(key(item));
    const sig = signature(item);
    const old = before.get(id);
    const node = old && old.sig === sig ? old.node : build(item);
    if (old && old.node !== node) old.node.remove();
    after.set(id, { sig, node });
    if (container.children[index] !== node) container.insertBefore(node, container.children[index] || null);
  });
  for (const [id, { node }] of before) if (!after.has(id)) node.remove();
  drawn.set(container, after);
}

// Forget what was drawn: the next keyed() builds every node again (a view opened anew starts from the data).
export function redraw(container) { drawn.delete(container); container.replaceChildren(); }
