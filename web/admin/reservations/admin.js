// Staff view of Hanok's bookings: list by date and status; seat, complete or cancel.
import { $, api, bindSignIn, el, money, mountNav, notify, showProblem, signOut } from "/assets/common.js";

const API = "/api/reservations";
let token = null;

mountNav();
$("#day").value = new Date().toISOString().slice(0, 10);
bindSignIn($("#sign-in-form"), $("#sign-in-notice"), ["staff"], async (kept) => {
  token = kept.token;
  $("#sign-in").hidden = true;
  $("#content").hidden = false;
  $("#sign-out").hidden = false;
  await load();
});
$("#sign-out").addEventListener("click", () => { signOut(); location.reload(); });
$("#filter").addEventListener("submit", (event) => {
  event.preventDefault();
  load();
});

async function load() {
  const query = new URLSearchParams();
  if ($("#day").value) query.set("date", $("#day").value);
  if ($("#status").value) query.set("status", $("#status").value);
  try {
    const { reservations } = await api(`${API}?${query}`, { token });
    $("#rows").replaceChildren(...(reservations.length ? reservations.map(row)
      : [el("tr", {}, el("td", { colspan: 8, class: "muted" }, "No bookings."))]));
  } catch (error) {
    showProblem($("#notice"), error);
  }
}

const NEXT = { confirmed: ["seated", "cancelled"], waitlisted: ["cancelled"], seated: ["completed"] };
const LABEL = { seated: "Seat", completed: "Complete", cancelled: "Cancel" };

function row(r) {
  return el("tr", { dataset: { code: r.confirmation_code } },
    el("td", {}, r.starts_at.slice(0, 16).replace("T", " ")),
    el("th", { scope: "row" }, r.confirmation_code),
    el("td", {}, r.guest_name, el("div", { class: "muted" }, r.guest_phone), r.special_requests ? el("div", { class: "hint" }, r.special_requests) : null),
    el("td", {}, r.party_size),
    el("td", {}, r.tables.map((t) => t.label).join(", ") || "—"),
    el("td", {}, r.preorder.length ? `${r.preorder.map((l) => `${l.name} × ${l.quantity}`).join(", ")} (${money(r.total_cents)})` : "—"),
    el("td", {}, el("span", { class: `badge status-${r.status}` }, r.status), r.guest_priority === "vip" ? el("span", { class: "badge ok" }, "VIP") : null),
    el("td", {}, el("div", { class: "row" }, (NEXT[r.status] || []).map((status) =>
      el("button", { class: status === "cancelled" ? "danger" : "secondary", type: "button", onclick: () => setStatus(r, status) },
        `${LABEL[status]}`, el("span", { class: "visually-hidden" }, ` ${r.confirmation_code}`))))));
}

async function setStatus(reservation, status, acknowledged = false) {
  try {
    await api(`${API}/${encodeURIComponent(reservation.id)}/status`, {
      method: "POST", token, idempotent: true, body: { status, retention_offer_acknowledged: acknowledged },
    });
    notify($("#notice"), `${reservation.confirmation_code}: ${status}.`, "ok");
    await load();
  } catch (error) {
    if (error.code === "premium_cancel_requires_retention_step" && confirm(`${error.message}\n\nCancel anyway?`)) {
      await setStatus(reservation, status, true);
      return;
    }
    showProblem($("#notice"), error);
  }
}
