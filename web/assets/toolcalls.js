// A turn's tool calls as a table: name, arguments, result or error, status, time.
import { el, fmtMs } from "/assets/common.js";

export function json(value) {
  return el("pre", {}, JSON.stringify(value, null, 2));
}

export function toolCallsTable(calls) {
  if (!calls.length) return el("p", { class: "muted" }, "No tool calls in this turn.");
  return el("div", { class: "table-wrap" }, el("table", {},
    el("thead", {}, el("tr", {}, ["Tool", "Arguments", "Result", "Status", "Time"].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, calls.map((call) => el("tr", {},
      el("th", { scope: "row" }, el("code", {}, call.name)),
      el("td", {}, json(call.arguments || {})),
      el("td", {}, call.error ? el("span", { class: "badge bad" }, call.error) : json(call.result)),
      el("td", {}, el("span", { class: `badge status-${call.status}` }, call.status)),
      el("td", {}, fmtMs(call.duration_ms)),
    )))));
}
