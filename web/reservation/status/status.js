// Look a booking up by code (the guest's masked view) or by phone + name (the full booking,
// which can be changed or cancelled; a large pre-order hears the retention offer first).
import { $, api, el, money, mountNav, notify, showProblem } from "/assets/common.js";
import { applyLanguage, t, wallClock } from "/assets/i18n.js";

const API = "/api/reservations";
let shown = { bookings: [], editable: false };

mountNav();
applyLanguage(render);

function render() {
  $("#results").replaceChildren(...shown.bookings.map((booking) => card(booking, shown.editable)));
}

const params = new URLSearchParams(location.search);
if (params.get("code")) {
  $("#code").value = params.get("code");
  findByCode();
}

$("#by-code").addEventListener("submit", (event) => {
  event.preventDefault();
  findByCode();
});
$("#by-phone").addEventListener("submit", (event) => {
  event.preventDefault();
  findByPhone();
});

async function findByCode() {
  const code = $("#code").value.trim().toUpperCase();
  if (!code) return;
  try {
    const booking = await api(`${API}/by-code/${encodeURIComponent(code)}`);
    notify($("#notice"), "");
    shown = { bookings: [booking], editable: false };
    render();
  } catch (error) {
    shown = { bookings: [], editable: false };
    render();
    if (error.status === 404) notify($("#notice"), t("status.none"), "error");
    else showProblem($("#notice"), error);
  }
}

async function findByPhone() {
  const query = new URLSearchParams({ phone: $("#phone").value.trim(), name: $("#name").value.trim() });
  try {
    const { reservations } = await api(`${API}/lookup?${query}`);
    notify($("#notice"), reservations.length ? "" : t("status.none"), reservations.length ? "" : "error");
    shown = { bookings: reservations, editable: true };
    render();
  } catch (error) {
    shown = { bookings: [], editable: false };
    render();
    showProblem($("#notice"), error);
  }
}

function card(booking, editable) {
  const when = wallClock(booking.starts_at);
  const facts = [
    [t("field.status"), el("span", { class: `badge status-${booking.status}` }, booking.status)],
    [t("field.when"), `${when.date} ${when.time}`],
    [t("field.party"), booking.party_size],
    [t("form.name"), booking.guest_name],
    [t("form.phone"), booking.guest_phone],
    [t("field.tables"), booking.tables.map((table) => table.label).join(", ") || "—"],
    [t("field.preorder"), booking.preorder.map((line) => `${line.name} × ${line.quantity}`).join(", ") || "—"],
    [t("field.total"), booking.preorder.length ? `${money(booking.total_cents)} (−${money(booking.discount_cents)})` : "—"],
  ];
  const box = el("article", { class: "card stack reservation", dataset: { code: booking.confirmation_code } },
    el("h2", {}, booking.confirmation_code),
    el("dl", { class: "facts" }, facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])));
  const notice = el("p", { class: "notice", role: "status" });
  if (!editable) {
    box.append(el("p", { class: "muted" }, t("status.change.hint")));
    return box;
  }
  if (!["confirmed", "waitlisted"].includes(booking.status)) return box;
  box.append(amendForm(booking, notice), el("div", { class: "row" },
    el("button", { class: "danger", type: "button", onclick: () => cancel(booking, false, notice) }, t("status.cancel"))), notice);
  return box;
}

function amendForm(booking, notice) {
  const id = booking.id;
  const when = wallClock(booking.starts_at);
  const form = el("form", { class: "stack", novalidate: true },
    el("details", {}, el("summary", {}, t("status.amend")),
      el("div", { class: "row", style: "margin-top:.5rem" },
        field(`party-${id}`, t("field.party"), el("input", { id: `party-${id}`, type: "number", min: 1, max: 20, value: booking.party_size })),
        field(`date-${id}`, t("form.date"), el("input", { id: `date-${id}`, type: "date", value: when.date })),
        field(`time-${id}`, t("field.when"), el("input", { id: `time-${id}`, type: "time", step: 1800, value: when.time }))),
      field(`req-${id}`, t("form.requests"), el("textarea", { id: `req-${id}`, maxlength: 2000 }, booking.special_requests || "")),
      el("button", { type: "submit" }, t("status.save"))));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const offset = booking.starts_at.slice(19);
    const starts = `${form.querySelector(`#date-${id}`).value}T${form.querySelector(`#time-${id}`).value}:00${offset}`;
    const changes = { party_size: Number(form.querySelector(`#party-${id}`).value) };
    if (starts !== booking.starts_at.slice(0, 19) + offset) changes.starts_at = starts;
    changes.special_requests = form.querySelector(`#req-${id}`).value.trim() || null;
    try {
      const updated = await api(`${API}/${encodeURIComponent(id)}`, { method: "PATCH", body: changes, idempotent: true });
      replaceCard(booking, updated);
      notify($("#notice"), t("status.saved"), "ok");
    } catch (error) {
      showProblem(notice, error);
    }
  });
  return form;
}

/** Show the booking as the API returned it after a change. */
function replaceCard(before, after) {
  shown.bookings = shown.bookings.map((booking) => (booking.id === before.id ? after : booking));
  render();
}

function field(id, label, input) {
  return el("div", { class: "field" }, el("label", { for: id }, label), input);
}

async function cancel(booking, acknowledged, notice) {
  try {
    const updated = await api(`${API}/${encodeURIComponent(booking.id)}/cancel`, {
      method: "POST", body: { retention_offer_acknowledged: acknowledged }, idempotent: true,
    });
    replaceCard(booking, updated);
    notify($("#notice"), t("status.cancelled"), "ok");
  } catch (error) {
    if (error.code !== "premium_cancel_requires_retention_step") {
      showProblem(notice, error);
      return;
    }
    notice.replaceChildren(
      el("p", {}, t("status.retention", { offer: error.details.retention_offer })),
      el("div", { class: "row" },
        el("button", { class: "danger", type: "button", onclick: () => cancel(booking, true, notice) }, t("status.cancel.anyway")),
        el("button", { class: "secondary", type: "button", onclick: () => notify(notice, "") }, t("status.keep"))));
    notice.className = "notice";
  }
}
