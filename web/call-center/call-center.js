// The agent's desk: shift state, the JsSIP softphone and the customer pop-up.
// SIP settings and short-lived SIP/TURN credentials come from /call-center/api/sip; every
// softphone event is reported to the API, which validates the agent's state machine.
import {
  $, api, bindSignIn, el, fmtDuration, fmtTime, mountNav, notify, showProblem, signOut,
} from "/assets/common.js";

const API = "/call-center/api";
const STATE_LABELS = {
  logged_out: "Logged out", ready: "Ready", not_ready: "Not ready", on_call: "On call", wrap_up: "Wrap-up",
};

let token = null;
let agent = null;
let stateFetchedAt = 0;
let ua = null;
let sip = null;
let current = null; // {session, callId, transfer, callSid, caller, answeredAt}
let consult = null;

mountNav();
bindSignIn($("#sign-in-form"), $("#sign-in-notice"), ["agent", "supervisor"], start);

async function start(kept) {
  token = kept.token;
  $("#sign-in").hidden = true;
  $("#desk").hidden = false;
  $("#sign-out").hidden = false;
  $("#agent-name").textContent = kept.me.display_name;
  await refreshState();
  refreshMetrics();
  setInterval(tick, 1000);
  setInterval(refreshMetrics, 30000);
  const params = new URLSearchParams(location.search);
  if (params.get("transfer")) openPopup({ transfer_id: params.get("transfer") });
  if (agent.state !== "logged_out") connectPhone();
}

async function call(path, body) {
  try {
    return await api(API + path, { method: "POST", body: body === undefined ? {} : body, token, idempotent: true });
  } catch (error) {
    showProblem($("#agent-notice"), error);
    throw error;
  }
}

// Agent state ---------------------------------------------------------------------------------

function showState(view) {
  agent = view;
  stateFetchedAt = performance.now();
  const badge = $("#agent-state");
  badge.textContent = STATE_LABELS[view.state];
  badge.className = `badge state-${view.state}`;
  badge.dataset.state = view.state;
  $("#agent-ext").textContent = view.extension || "—";
  $("#agent-dept").textContent = view.department || "—";
  const s = view.state;
  $("#btn-login").hidden = s !== "logged_out";
  $("#btn-ready").disabled = !["not_ready", "wrap_up"].includes(s);
  $("#btn-not-ready").disabled = !["ready", "wrap_up"].includes(s);
  $("#not-ready-reason").disabled = $("#btn-not-ready").disabled;
  $("#btn-wrap-up").disabled = s !== "on_call";
  $("#btn-logout").disabled = !["ready", "not_ready", "wrap_up"].includes(s);
  tick();
}

function tick() {
  if (!agent || agent.time_in_state_s === null) {
    $("#agent-time").textContent = "—";
    return;
  }
  const elapsed = agent.time_in_state_s + (performance.now() - stateFetchedAt) / 1000;
  $("#agent-time").textContent = fmtDuration(elapsed);
  if (current && current.answeredAt) $("#call-time").textContent = fmtDuration((Date.now() - current.answeredAt) / 1000);
}

async function refreshState() {
  try {
    showState(await api(API + "/agent/status", { token }));
  } catch (error) {
    showProblem($("#agent-notice"), error);
  }
}

async function refreshMetrics() {
  try {
    const m = await api(API + "/agent/metrics", { token });
    $("#m-handled").textContent = m.calls_handled;
    $("#m-aht").textContent = m.calls_handled ? fmtDuration(m.average_handle_time_s) : "—";
    $("#m-availability").textContent = m.logged_in_s ? `${m.availability_pct}%` : "—";
  } catch {
    // the figures stay as they were; the state panel reports problems
  }
}

$("#btn-login").addEventListener("click", async () => {
  showState(await call("/agent/login", {}));
  notify($("#agent-notice"), "Shift started. Choose Ready to take calls.", "ok");
  connectPhone();
});
$("#btn-ready").addEventListener("click", async () => showState(await call("/agent/ready")));
$("#btn-not-ready").addEventListener("click", async () => {
  const reason = $("#not-ready-reason").value;
  showState(await call("/agent/not-ready", reason ? { reason } : {}));
});
$("#btn-wrap-up").addEventListener("click", async () => {
  if (current) current.session.terminate();
  else showState(await call("/agent/wrap-up"));
});
$("#btn-logout").addEventListener("click", async () => {
  showState(await call("/agent/logout"));
  if (ua) ua.stop();
  refreshMetrics();
});
$("#sign-out").addEventListener("click", () => {
  if (ua) ua.stop();
  signOut();
  location.reload();
});

// Softphone -----------------------------------------------------------------------------------

function phoneState(text, kind = "") {
  const badge = $("#sip-state");
  badge.textContent = text;
  badge.className = `badge ${kind}`;
  badge.dataset.state = text;
}

async function connectPhone() {
  if (ua) return;
  try {
    sip = await api(API + "/sip", { token });
  } catch (error) {
    phoneState("not available", "bad");
    showProblem($("#phone-notice"), error);
    return;
  }
  const { default: JsSIP } = await import("/vendor/jssip.js");
  ua = new JsSIP.UA({
    sockets: [new JsSIP.WebSocketInterface(sip.sip.ws_url)],
    uri: sip.sip.uri,
    authorization_user: sip.sip.authorization_user,
    password: sip.sip.password,
    display_name: sip.sip.display_name,
    register: true,
    session_timers: false,
    user_agent: "Convonet call center",
  });
  ua.on("connecting", () => phoneState("connecting…"));
  ua.on("registered", () => phoneState("registered", "ok"));
  ua.on("unregistered", () => phoneState("not registered", "warn"));
  ua.on("disconnected", () => phoneState("disconnected", "bad"));
  ua.on("registrationFailed", (e) => {
    phoneState("registration failed", "bad");
    notify($("#phone-notice"), `The PBX refused the registration (${e.cause}).`, "error");
  });
  ua.on("newRTCSession", ({ session, originator, request }) => {
    if (consult && session === consult.session) return;
    if (originator === "remote") incoming(session, request);
  });
  ua.start();
}

const callId = (raw) => String(raw || "").replace(/[^\w.:@+-]/g, "-").slice(0, 128) || "call";

function pcConfig() {
  return { iceServers: sip ? sip.ice_servers : [] };
}

async function incoming(session, request) {
  if (current) {
    session.terminate({ status_code: 486 });
    return;
  }
  const caller = session.remote_identity.uri.user;
  current = {
    session,
    callId: callId(request.getHeader("X-Twilio-CallSid") || session.id),
    callSid: request.getHeader("X-Twilio-CallSid") || null,
    transfer: request.getHeader("X-Convonet-Transfer-Id") || null,
    caller,
    answeredAt: null,
  };
  const record = current;
  wireSession(session, record);
  $("#incoming-from").textContent = session.remote_identity.display_name || caller;
  $("#incoming").hidden = false;
  try {
    showState(await call("/call/ringing", eventBody(record)));
  } catch {
    // the API refused (e.g. not logged in): the call still rings; the agent decides
  }
  openPopup(lookupFor(record));
}

function eventBody(record, extra = {}) {
  const body = { call_id: record.callId, ...extra };
  if (record.callSid) body.call_sid = callId(record.callSid);
  if (record.transfer) body.transfer_id = callId(record.transfer);
  if (record.caller) body.caller = String(record.caller).slice(0, 64);
  return body;
}

function lookupFor(record) {
  if (record.transfer) return { transfer_id: record.transfer };
  if (record.callSid) return { call_sid: record.callSid };
  return { phone: record.caller };
}

function wireSession(session, record) {
  session.on("peerconnection", ({ peerconnection }) => {
    peerconnection.addEventListener("track", (e) => { $("#remote-audio").srcObject = e.streams[0]; });
  });
  session.on("confirmed", () => {
    record.answeredAt = Date.now();
    $("#incoming").hidden = true;
    $("#in-call").hidden = false;
    $("#call-with").textContent = session.remote_identity.display_name || record.caller;
  });
  session.on("hold", () => held(true));
  session.on("unhold", () => held(false));
  session.on("ended", () => finished(record));
  session.on("failed", () => finished(record));
}

function held(on) {
  $("#call-held").hidden = !on;
  $("#btn-hold").setAttribute("aria-pressed", String(on));
  $("#btn-hold").textContent = on ? "Resume" : "Hold";
}

async function finished(record) {
  if (current !== record) return;
  current = null;
  $("#incoming").hidden = true;
  $("#in-call").hidden = true;
  held(false);
  if (record.reported) return;
  try {
    showState(await call("/call/drop", eventBody(record)));
  } catch {
    await refreshState();
  }
  refreshMetrics();
}

$("#btn-answer").addEventListener("click", async () => {
  if (!current) return;
  current.session.answer({ mediaConstraints: { audio: true, video: false }, pcConfig: pcConfig() });
  showState(await call("/call/answer", eventBody(current)));
});
$("#btn-reject").addEventListener("click", () => current && current.session.terminate({ status_code: 486 }));
$("#btn-hangup").addEventListener("click", () => current && current.session.terminate());
$("#btn-hold").addEventListener("click", async () => {
  if (!current) return;
  const holding = !current.session.isOnHold().local;
  if (holding) current.session.hold();
  else current.session.unhold();
  showState(await call(holding ? "/call/hold" : "/call/unhold", eventBody(current)));
});
$("#btn-mute").addEventListener("click", () => {
  if (!current) return;
  const muted = current.session.isMuted().audio;
  if (muted) current.session.unmute({ audio: true });
  else current.session.mute({ audio: true });
  $("#btn-mute").setAttribute("aria-pressed", String(!muted));
  $("#btn-mute").textContent = muted ? "Mute" : "Unmute";
});
$("#btn-popup").addEventListener("click", () => current && openPopup(lookupFor(current)));

function targetUri(value) {
  const target = value.trim();
  return target.startsWith("sip:") ? target : `sip:${target}@${sip.sip.uri.split("@")[1]}`;
}

async function reportTransfer(mode) {
  const record = current;
  record.reported = true;
  showState(await call("/call/transfer", eventBody(record, { target: $("#transfer-target").value.trim().slice(0, 64), mode })));
}

$("#btn-blind").addEventListener("click", async () => {
  if (!current || !$("#transfer-target").value.trim()) return;
  current.session.refer(targetUri($("#transfer-target").value));
  await reportTransfer("blind");
  current.session.terminate();
});
$("#btn-consult").addEventListener("click", () => {
  if (!current || !$("#transfer-target").value.trim()) return;
  if (!current.session.isOnHold().local) current.session.hold();
  const session = ua.call(targetUri($("#transfer-target").value), {
    mediaConstraints: { audio: true, video: false }, pcConfig: pcConfig(),
  });
  consult = { session };
  session.on("confirmed", () => { $("#btn-complete").hidden = false; });
  session.on("ended", () => { consult = null; $("#btn-complete").hidden = true; });
  session.on("failed", () => { consult = null; $("#btn-complete").hidden = true; });
});
$("#btn-complete").addEventListener("click", async () => {
  if (!current || !consult) return;
  current.session.refer(consult.session.remote_identity.uri, { replaces: consult.session });
  await reportTransfer("attended");
  current.session.terminate();
});

// Dial pad: digits go to the call as DTMF, or into the number to dial.
const pad = $(".dialpad");
for (const key of "123456789*0#") {
  pad.append(el("button", {
    type: "button",
    "aria-label": `Dial ${key}`,
    onclick: () => {
      if (current && current.answeredAt) current.session.sendDTMF(key);
      else $("#dial-number").value += key;
    },
  }, key));
}
$("#btn-dial").addEventListener("click", async () => {
  const number = $("#dial-number").value.trim();
  if (!ua || !number || current) return;
  const session = ua.call(targetUri(number), { mediaConstraints: { audio: true, video: false }, pcConfig: pcConfig() });
  current = { session, callId: callId(session.id), caller: number, answeredAt: null };
  const record = current;
  wireSession(session, record);
  try {
    await call("/call/ringing", eventBody(record));
    session.on("confirmed", async () => showState(await call("/call/answer", eventBody(record))));
  } catch {
    // reported in the state panel
  }
});

// Customer pop-up -----------------------------------------------------------------------------

async function openPopup(query) {
  const notice = $("#lookup-notice");
  let data;
  try {
    data = await api(`${API}/customer?${new URLSearchParams(query)}`, { token });
  } catch (error) {
    showProblem(notice, error);
    return;
  }
  notify(notice, "");
  renderPopup(data);
  const dialog = $("#popup");
  if (!dialog.open) dialog.showModal();
}

function renderPopup(data) {
  const who = data.customer;
  const facts = [
    ["Name", who.name || "Unknown caller"],
    ["Phone", who.phone || "—"],
    ["Email", who.email || "—"],
    ["Account", who.known ? "Known customer" : "No account"],
    ["Department", data.department || "—"],
  ];
  $("#popup-title").textContent = who.name || "Customer";
  $("#popup-who").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  $("#popup-reason").textContent = data.reason || "No reason recorded.";
  $("#popup-summary").textContent = data.summary || "";
  $("#popup-conversation").replaceChildren(...(data.conversation.length
    ? data.conversation.map((t) => el("li", { class: t.role }, el("span", { class: "who" }, t.role), t.text))
    : [el("li", {}, "No conversation recorded.")]));
  $("#popup-crm").replaceChildren(...(data.crm_links.length
    ? data.crm_links.map((l) => el("li", {}, l.url ? el("a", { href: l.url, target: "_blank", rel: "noopener" }, l.title) : l.title,
      " ", el("span", { class: "badge" }, l.kind), " ", el("span", { class: "muted" }, l.sync)))
    : [el("li", { class: "muted" }, "No CRM records.")]));
  $("#popup-calls").replaceChildren(...(data.recent_calls.length
    ? data.recent_calls.map((c) => el("li", {}, fmtTime(c.started_at), " · ", c.channel, " · ", c.status,
      c.summary ? el("div", { class: "muted" }, c.summary) : null))
    : [el("li", { class: "muted" }, "No earlier calls.")]));
}

$("#popup-close").addEventListener("click", () => $("#popup").close());
$("#lookup-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const value = $("#lookup-value").value.trim();
  if (value) openPopup({ [$("#lookup-kind").value]: value });
});
