// The signed-in user's mortgage applications: progress, financials, debts and documents.
import { $, api, bindSignIn, el, fmtTime, mountNav, showProblem, signOut } from "/assets/common.js";

const API = "/convonet_todo/api/mortgage/applications";
let token = null;

mountNav();
bindSignIn($("#sign-in-form"), $("#sign-in-notice"), [], async (kept) => {
  token = kept.token;
  $("#sign-in").hidden = true;
  $("#content").hidden = false;
  $("#sign-out").hidden = false;
  await load();
});
$("#sign-out").addEventListener("click", () => { signOut(); location.reload(); });

const show = (value) => (value === null || value === undefined ? "—" : typeof value === "number" ? value.toLocaleString() : String(value));

async function load() {
  try {
    const { items } = await api(`${API}?limit=50`, { token });
    if (!items.length) {
      $("#applications").replaceChildren(el("p", { class: "card" }, "No applications yet. Say \"start a mortgage application\" to the assistant."));
      return;
    }
    const detailed = await Promise.all(items.map((item) => api(`${API}/${encodeURIComponent(item.id)}`, { token })));
    $("#applications").replaceChildren(...detailed.map(card));
  } catch (error) {
    showProblem($("#notice"), error);
  }
}

function card(app) {
  const money = (v) => (v === null || v === undefined ? "—" : `$${Number(v).toLocaleString()}`);
  const facts = [
    ["Loan amount", money(app.loan_amount)], ["Property value", money(app.property_value)],
    ["Down payment", money(app.down_payment)], ["Annual income", money(app.annual_income)],
    ["Monthly debt", money(app.monthly_debt)], ["Savings", money(app.savings)],
    ["Credit score", show(app.credit_score)], ["Loan", `${show(app.loan_type)}, ${show(app.loan_term_years)} years`],
  ];
  return el("article", { class: "card stack application" },
    el("div", { class: "row" }, el("h2", { style: "margin:0" }, app.property_address || "Mortgage application"),
      el("span", { class: "badge" }, app.status.replaceAll("_", " "))),
    el("label", { for: `progress-${app.id}` }, `Complete: ${app.completion_percentage}%`),
    el("progress", { id: `progress-${app.id}`, max: 100, value: app.completion_percentage, style: "width:100%" }),
    el("dl", { class: "facts" }, facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])),
    el("h3", {}, `Debts (${app.debts.length})`),
    el("ul", { class: "plain-list" }, app.debts.length ? app.debts.map((d) =>
      el("li", {}, `${d.debt_type.replaceAll("_", " ")}${d.creditor ? ` — ${d.creditor}` : ""}: ${money(d.monthly_payment)}/month`))
      : el("li", { class: "muted" }, "None recorded.")),
    el("h3", {}, `Documents (${app.documents.length})`),
    el("ul", { class: "plain-list" }, app.documents.length ? app.documents.map((d) =>
      el("li", {}, `${d.document_type.replaceAll("_", " ")}: ${d.name} `, el("span", { class: "badge" }, d.status),
        d.uploaded_at ? el("span", { class: "muted" }, ` uploaded ${fmtTime(d.uploaded_at)}`) : null))
      : el("li", { class: "muted" }, "None uploaded.")),
    el("p", { class: "muted" }, `Updated ${fmtTime(app.updated_at)}`));
}
