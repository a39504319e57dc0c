// Supervisors' live view of every agent turn: stats, filters, tool calls, latency waterfalls.
// New turns arrive over the monitor's server-sent event feed, without a reload.
import { $, api, bindSignIn, el, fmtMs, fmtTime, liveFeed, mountNav, notify, showProblem, signOut } from "/assets/common.js";
import { barChart, columnChart, waterfallChart } from "/assets/charts.js";
import { json, toolCallsTable } from "/assets/toolcalls.js";

const API = "/agent-monitor/api";
let token = null;
let filters = {};
let cursor = null;
let shown = 0;
let requests = 0;
const seen = new Set();

mountNav();
bindSignIn($("#sign-in-form"), $("#sign-in-notice"), ["supervisor"], start);

function start(kept) {
  token = kept.token;
  $("#sign-in").hidden = true;
  $("#board").hidden = false;
  $("#sign-out").hidden = false;
  $("#live").hidden = false;
  loadStats();
  loadInteractions(true);
  liveFeed(`${API}/stream`, token, onLive, (state) => {
    const badge = $("#live");
    badge.textContent = state === "live" ? "live" : "reconnecting…";
    badge.className = `badge ${state === "live" ? "ok" : "warn"}`;
    badge.dataset.state = state;
  });
  setInterval(loadStats, 60000);
}

$("#sign-out").addEventListener("click", () => { signOut(); location.reload(); });

async function loadStats() {
  try {
    const { stats } = await api(`${API}/stats`, { token });
    const cards = [
      [stats.total_interactions, "turns"],
      [fmtMs(stats.avg_duration_ms), "average turn"],
      [fmtMs(stats.p95_duration_ms), "p95 turn"],
      [`${(stats.error_rate * 100).toFixed(1)}%`, "errors"],
      [stats.tool_calls, "tool calls"],
      [stats.token_usage.total_tokens.toLocaleString(), "model tokens"],
    ];
    $("#stat-cards").replaceChildren(...cards.map(([value, label]) =>
      el("div", { class: "card stat" }, el("span", { class: "value" }, value), el("span", { class: "label" }, label))));
    const rows = (counts) => Object.entries(counts).map(([label, value]) => ({ label, value }));
    $("#provider-chart").replaceChildren(barChart(rows(stats.by_provider), { title: "Turns by provider" }));
    $("#domain-chart").replaceChildren(barChart(rows(stats.by_domain), { title: "Turns by domain" }));
  } catch (error) {
    showProblem($("#board-notice"), error);
  }
}

function query(extra = {}) {
  const params = new URLSearchParams({ limit: "50", ...filters, ...extra });
  return `${API}/interactions?${params}`;
}

// A reset clears the list before it asks, so a live turn that arrives while the page is in
// flight is kept (the seen set drops its copy in the page); an answer to a superseded request
// is dropped. data-loaded tells readers (and tests) when the list holds the first page.
async function loadInteractions(reset) {
  const list = $("#interactions");
  if (reset) {
    list.replaceChildren();
    list.dataset.loaded = "false";
    seen.clear();
    shown = 0;
  }
  const request = ++requests;
  try {
    const page = await api(query(reset || !cursor ? {} : { cursor }), { token });
    if (request !== requests) return;
    for (const item of page.interactions) add(item, false);
    list.dataset.loaded = "true";
    cursor = page.next_cursor;
    $("#more").hidden = !cursor;
    notify($("#board-notice"), "");
    drawTrend();
  } catch (error) {
    if (request === requests) showProblem($("#board-notice"), error);
  }
}

function matches(item) {
  const { provider, domain, status, user, since, until } = filters;
  if (provider && item.provider !== provider) return false;
  if (domain && item.domain !== domain) return false;
  if (status && item.status !== status) return false;
  if (user && item.user_id !== user) return false;
  if (since && item.occurred_at < since) return false;
  if (until && item.occurred_at > until) return false;
  return true;
}

function onLive(type, item) {
  if (type !== "interaction" || !matches(item)) return;
  add(item, true);
  drawTrend();
  loadStats();
}

function add(item, atTop) {
  if (seen.has(item.interaction_id)) return;
  seen.add(item.interaction_id);
  const node = card(item);
  if (atTop) $("#interactions").prepend(node);
  else $("#interactions").append(node);
  shown += 1;
  $("#count").textContent = shown;
}

function card(item) {
  const duration = item.waterfall && item.waterfall.total_ms;
  return el("li", { class: "interaction", dataset: { id: item.interaction_id, occurred: item.occurred_at } },
    el("details", {},
      el("summary", {},
        el("strong", {}, fmtTime(item.occurred_at, { timeStyle: "medium" })), " · ",
        item.user_name || item.user_id || "anonymous", " · ",
        el("span", { class: "badge" }, item.domain || "—"), " ",
        el("span", { class: "badge" }, item.provider || "—"), " ",
        el("span", { class: `badge status-${item.status}` }, item.status), " · ",
        fmtMs(duration), " · ", `${item.tool_calls.length} tool call${item.tool_calls.length === 1 ? "" : "s"}`,
        el("div", { class: "muted prompt" }, item.prompt || "")),
      el("div", { class: "stack", style: "padding:.5rem 0 0 1rem" },
        el("dl", { class: "facts" },
          el("dt", {}, "Prompt"), el("dd", {}, item.prompt || "—"),
          el("dt", {}, "Answer"), el("dd", {}, item.response || "—"),
          item.heard_text ? [el("dt", {}, "Heard"), el("dd", {}, item.heard_text)] : null,
          item.error ? [el("dt", {}, "Error"), el("dd", {}, item.error)] : null,
          el("dt", {}, "Model"), el("dd", {}, `${item.provider || "—"} / ${item.model || "—"}`),
          el("dt", {}, "Channel"), el("dd", {}, item.channel || "—"),
          el("dt", {}, "Tokens"), el("dd", {}, `${item.usage.input_tokens} in, ${item.usage.output_tokens} out`)),
        el("h3", {}, "Tool calls"), toolCallsTable(item.tool_calls),
        el("h3", {}, "Latency waterfall"), waterfallChart(item.waterfall || {}),
        el("details", {}, el("summary", {}, "Raw record"), json(item)))));
}

function drawTrend() {
  const now = Date.now();
  const hours = Array.from({ length: 24 }, (_, i) => {
    const start = new Date(now - (23 - i) * 3600000);
    return { label: `${String(start.getHours()).padStart(2, "0")}h`, value: 0, start: start.getTime() - 3600000 };
  });
  for (const node of document.querySelectorAll("#interactions .interaction")) {
    const age = now - Date.parse(node.dataset.occurred);
    const index = 23 - Math.floor(age / 3600000);
    if (index >= 0 && index < 24) hours[index].value += 1;
  }
  $("#trend-chart").replaceChildren(columnChart(hours, { title: "Turns per hour, last 24 hours" }));
}

function localToIso(value) {
  return value ? new Date(value).toISOString() : "";
}

$("#filters").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  filters = {};
  for (const [name, value] of form.entries()) {
    const text = String(value).trim();
    if (text) filters[name] = name === "since" || name === "until" ? localToIso(text) : text;
  }
  cursor = null;
  loadInteractions(true);
});
$("#filters").addEventListener("reset", () => {
  filters = {};
  cursor = null;
  setTimeout(() => loadInteractions(true));
});
$("#more").addEventListener("click", () => loadInteractions(false));
