// Shared helpers for every page: the API client, sign-in, DOM building, formatting, live feeds.
// Pages build DOM with `el()` (text nodes, never innerHTML) so API data cannot inject markup.

export class ApiProblem extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Call one of our JSON APIs; resolves with the body (null for 204), rejects with ApiProblem. */
export async function api(path, { method = "GET", body, token, headers = {}, idempotent } = {}) {
  const sent = { Accept: "application/json", ...headers };
  if (body !== undefined) sent["Content-Type"] = "application/json";
  if (token) sent.Authorization = `Bearer ${token}`;
  if (idempotent) sent["Idempotency-Key"] = newKey();
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiProblem(0, "network", "The server could not be reached. Check your connection.");
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiProblem(response.status, error.code || "http_" + response.status,
      error.message || `The request failed (${response.status}).`, error.details);
  }
  return data;
}

export function newKey() {
  return crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
}

/** el("p", {class: "x", onclick: fn}, "text", child) -> an element. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function svgEl(tag, attrs = {}, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** Put a message in a notice element (role=status/alert in the HTML) so screen readers hear it. */
export function notify(target, message, kind = "") {
  target.className = "notice" + (kind ? " " + kind : "");
  target.textContent = message || "";
}

export function showProblem(target, error) {
  notify(target, error instanceof ApiProblem || error instanceof Error ? error.message : String(error), "error");
}

// Sign-in -------------------------------------------------------------------------------------

const TOKEN_KEY = "convonet.session";

export function session() {
  try {
    return JSON.parse(sessionStorage.getItem(TOKEN_KEY) || "null");
  } catch {
    return null;
  }
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** Email + password -> {token, me}, kept for this tab only; refused without one of `roles`. */
export async function signIn(email, password, roles = []) {
  const tokens = await api("/api/auth/login", { method: "POST", body: { email, password } });
  const me = await api("/api/auth/me", { token: tokens.access_token });
  const allowed = !roles.length || me.roles.includes("admin") || roles.some((r) => me.roles.includes(r));
  if (!allowed) throw new ApiProblem(403, "forbidden", `This page needs the ${roles.join(" or ")} role.`);
  const kept = { token: tokens.access_token, me };
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify(kept));
  return kept;
}

/** Wire a sign-in form (#email, #password, a notice) to `signIn`; calls onSignedIn(session). */
export function bindSignIn(form, notice, roles, onSignedIn) {
  const current = session();
  if (current && (!roles.length || roles.some((r) => current.me.roles.includes(r)) || current.me.roles.includes("admin"))) {
    onSignedIn(current);
    return;
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    notify(notice, "Signing in…");
    try {
      const kept = await signIn(form.elements.email.value.trim(), form.elements.password.value, roles);
      notify(notice, "");
      onSignedIn(kept);
    } catch (error) {
      showProblem(notice, error);
    } finally {
      button.disabled = false;
    }
  });
}

// Formatting ----------------------------------------------------------------------------------

export function fmtTime(iso, options = {}) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(options.locale, {
    dateStyle: options.dateStyle || "medium",
    timeStyle: options.timeStyle || "short",
    timeZone: options.timeZone,
  });
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

export function fmtMs(ms) {
  return ms === null || ms === undefined ? "—" : `${Math.round(ms).toLocaleString()} ms`;
}

export function money(cents, locale = "en-US") {
  return (cents / 100).toLocaleString(locale, { style: "currency", currency: "USD" });
}

// Live feeds ----------------------------------------------------------------------------------

/**
 * Read a server-sent event stream that needs a bearer token (EventSource cannot send one):
 * fetch + a stream reader, reconnecting with Last-Event-ID. Returns a stop() function.
 */
export function liveFeed(url, token, onEvent, onState = () => {}) {
  let lastId = null;
  let stopped = false;
  let controller = null;
  let retryMs = 2000;

  async function connect() {
    while (!stopped) {
      controller = new AbortController();
      try {
        const headers = { Authorization: `Bearer ${token}`, Accept: "text/event-stream" };
        if (lastId) headers["Last-Event-ID"] = lastId;
        const response = await fetch(url, { headers, signal: controller.signal });
        if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
        onState("live");
        await readEvents(response.body, (event) => {
          if (event.id) lastId = event.id;
          if (event.retry) retryMs = event.retry;
          if (event.type && event.data) onEvent(event.type, JSON.parse(event.data));
        });
      } catch (error) {
        if (stopped) return;
      }
      onState("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }

  connect();
  return () => {
    stopped = true;
    if (controller) controller.abort();
  };
}

async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = { type: null, data: "", id: null, retry: null };
      for (const line of block.split("\n")) {
        if (!line || line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") event.type = text;
        else if (field === "data") event.data += (event.data ? "\n" : "") + text;
        else if (field === "id") event.id = text;
        else if (field === "retry") event.retry = Number(text) || null;
      }
      onEvent(event);
    }
  }
}

// Layout --------------------------------------------------------------------------------------

export const PAGES = [
  ["/", "Home"],
  ["/voice_assistant", "Voice assistant"],
  ["/reserve-online", "Reserve a table"],
  ["/reservation/status", "My reservation"],
  ["/call-center", "Call center"],
  ["/agent-monitor", "Agent monitor"],
  ["/tool-execution", "Tool ledger"],
  ["/mortgage_dashboard", "Mortgage"],
  ["/admin/reservations", "Restaurant admin"],
  ["/docs", "API docs"],
];

/** Fill the page's <nav id="site-nav"> with the site's pages, marking the current one. */
export function mountNav(labels = {}) {
  const nav = document.getElementById("site-nav");
  if (!nav) return;
  const here = location.pathname.replace(/\/$/, "") || "/";
  nav.replaceChildren(
    el("ul", {}, PAGES.map(([href, label]) =>
      el("li", {}, el("a", { href, "aria-current": here === href ? "page" : null }, labels[href] || label)))),
  );
}
