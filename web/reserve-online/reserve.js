// Hanok booking form: open times from the availability API, a pre-order with the 7% discount
// shown as it is chosen, then the confirmation code.
import { $, api, el, money, mountNav, notify, showProblem } from "/assets/common.js";
import { applyLanguage, lang, t, wallClock } from "/assets/i18n.js";

const API = "/api/reservations";
const DISCOUNT_PERCENT = 7;
let menu = [];
let timezone = "";

mountNav();
applyLanguage(() => { renderMenu(); totals(); if (timezone) $("#times-hint").textContent = t("form.times.hint", { tz: timezone }); });

const today = new Date();
$("#date").min = today.toISOString().slice(0, 10);
$("#date").value = new Date(today.getTime() + 86400000).toISOString().slice(0, 10);

async function loadMenu() {
  try {
    menu = (await api(`${API}/menu`)).items.filter((item) => item.active);
    renderMenu();
  } catch (error) {
    showProblem($("#booking-notice"), error);
  }
}

function renderMenu() {
  const quantities = Object.fromEntries([...document.querySelectorAll("#menu input")].map((i) => [i.dataset.id, i.value]));
  $("#menu").replaceChildren(...menu.map((item) => {
    const id = `qty-${item.id}`;
    const name = lang() === "ko" && item.name_ko ? `${item.name_ko} (${item.name})` : item.name;
    return el("div", { class: "menu-line" },
      el("label", { for: id }, name, item.description ? el("span", { class: "hint", style: "display:block" }, item.description) : null),
      el("span", {}, money(item.price_cents)),
      el("input", { id, type: "number", min: 0, max: 99, value: quantities[item.id] || 0, dataset: { id: item.id }, oninput: totals }));
  }));
}

function preorder() {
  return [...document.querySelectorAll("#menu input")]
    .map((input) => ({ menu_item_id: input.dataset.id, quantity: Math.floor(Number(input.value) || 0) }))
    .filter((line) => line.quantity > 0);
}

function totals() {
  const prices = Object.fromEntries(menu.map((item) => [item.id, item.price_cents]));
  const subtotal = preorder().reduce((sum, line) => sum + prices[line.menu_item_id] * line.quantity, 0);
  const discount = Math.round((subtotal * DISCOUNT_PERCENT) / 100);
  $("#subtotal").textContent = money(subtotal);
  $("#discount").textContent = `−${money(discount)}`;
  $("#total").textContent = money(subtotal - discount);
}

async function findTimes() {
  const notice = $("#times-notice");
  const date = $("#date").value;
  const party = $("#party").value;
  if (!date || !party) return;
  notify(notice, "…");
  try {
    const found = await api(`${API}/availability?${new URLSearchParams({ date, party_size: party })}`);
    timezone = found.timezone;
    $("#times-hint").textContent = t("form.times.hint", { tz: timezone });
    $("#times-box").hidden = found.closed || !found.slots.length;
    $("#slots").replaceChildren(...found.slots.map((slot, i) => {
      const id = `slot-${i}`;
      return el("label", { for: id }, el("input", { id, type: "radio", name: "slot", value: slot.starts_at }), el("span", {}, wallClock(slot.starts_at).time));
    }));
    if (found.closed) notify(notice, t("form.closed", { reason: found.closure_reason ? ` (${found.closure_reason})` : "" }));
    else if (!found.slots.length) notify(notice, t("form.times.none"));
    else notify(notice, "");
  } catch (error) {
    showProblem(notice, error);
  }
}

$("#find").addEventListener("click", findTimes);
$("#date").addEventListener("change", findTimes);
$("#party").addEventListener("change", findTimes);

$("#booking").addEventListener("submit", async (event) => {
  event.preventDefault();
  const notice = $("#booking-notice");
  const slot = document.querySelector("input[name=slot]:checked");
  if (!slot) {
    notify(notice, t("form.pick.time"), "error");
    return;
  }
  const body = {
    guest_name: $("#name").value.trim(),
    guest_phone: $("#phone").value.trim(),
    party_size: Number($("#party").value),
    starts_at: slot.value,
    preorder: preorder(),
    preferred_locale: lang(),
    source_channel: "online",
    waitlist_if_full: $("#waitlist").checked,
  };
  const requests = $("#requests").value.trim();
  if (requests) body.special_requests = requests;
  $("#book").disabled = true;
  notify(notice, t("form.booking"));
  try {
    confirmation(await api(API, { method: "POST", body, idempotent: true }));
  } catch (error) {
    showProblem(notice, error);
    if (error.status === 409) findTimes();
  } finally {
    $("#book").disabled = false;
  }
});

function confirmation(booking) {
  const when = wallClock(booking.starts_at);
  $("#booking").hidden = true;
  $("#code").textContent = booking.confirmation_code;
  $("#done-when").textContent = t("done.when", { date: when.date, time: when.time, party: booking.party_size });
  $("#done-waitlist").hidden = booking.status !== "waitlisted";
  $("#done-total").textContent = booking.preorder.length
    ? `${t("form.total")}: ${money(booking.total_cents)} (${t("form.discount")}: −${money(booking.discount_cents)})`
    : "";
  $("#status-link").href = `/reservation/status?code=${encodeURIComponent(booking.confirmation_code)}`;
  $("#confirmation").hidden = false;
  $("#confirmation").focus();
}

loadMenu();
