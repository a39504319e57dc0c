// The live tool ledger: every tool call from the monitor's interactions, newest first.
import { $, api, bindSignIn, el, fmtMs, fmtTime, liveFeed, mountNav, showProblem, signOut } from "/assets/common.js";
import { json } from "/assets/toolcalls.js";

const API = "/agent-monitor/api";
let token = null;
const rows = [];
const seen = new Set();

mountNav();
bindSignIn($("#sign-in-form"), $("#sign-in-notice"), ["supervisor"], async (kept) => {
  token = kept.token;
  $("#sign-in").hidden = true;
  $("#content").hidden = false;
  $("#sign-out").hidden = false;
  try {
    const { interactions } = await api(`${API}/interactions?limit=100`, { token });
    interactions.reverse().forEach(add);
    render();
  } catch (error) {
    showProblem($("#notice"), error);
  }
  liveFeed(`${API}/stream`, token, (type, item) => {
    if (type === "interaction") {
      add(item);
      render();
    }
  });
});
$("#sign-out").addEventListener("click", () => { signOut(); location.reload(); });
$("#tool-filter").addEventListener("input", render);
$("#failed-only").addEventListener("change", render);
$("#filter").addEventListener("submit", (event) => event.preventDefault());

function add(item) {
  if (seen.has(item.interaction_id)) return;
  seen.add(item.interaction_id);
  item.tool_calls.forEach((call) => rows.unshift({ ...call, item }));
}

function render() {
  const name = $("#tool-filter").value.trim().toLowerCase();
  const failedOnly = $("#failed-only").checked;
  const shown = rows.filter((r) => (!name || r.name.toLowerCase().includes(name)) && (!failedOnly || r.status !== "success"));
  $("#calls").replaceChildren(...(shown.length ? shown.slice(0, 300).map((r) => el("tr", { class: "tool-call" },
    el("td", {}, fmtTime(r.item.occurred_at, { timeStyle: "medium" })),
    el("th", { scope: "row" }, el("code", {}, r.name)),
    el("td", {}, r.item.domain || "—"),
    el("td", {}, r.item.user_name || r.item.user_id || "—"),
    el("td", {}, json(r.arguments || {})),
    el("td", {}, r.error ? el("span", { class: "badge bad" }, r.error) : json(r.result)),
    el("td", {}, el("span", { class: `badge status-${r.status}` }, r.status)),
    el("td", {}, fmtMs(r.duration_ms))))
    : [el("tr", {}, el("td", { colspan: 8, class: "muted" }, "No tool calls yet."))]));
}
