// The browser voice assistant over /webrtc/ws (frames: shared/convonet/voice/protocol.py).
// Sign in by voice PIN or account; talk push-to-talk (button or Space) or hands-free; see the
// live transcript and the reply as it streams, hear it as it is synthesised, interrupt it by
// speaking, with the button or Escape; a dropped socket resumes with the last resume token.
import { $, el, mountNav, notify, session as keptSession, showProblem, signIn, signOut } from "/assets/common.js";
import { waterfallChart } from "/assets/charts.js";
import { addStrings, applyLanguage, lang, t } from "/assets/i18n.js";
import { CAPTURE_RATE, Player, captureEncoding, openMicrophone, toBase64 } from "/voice_assistant/audio.js";
import { STRINGS } from "/voice_assistant/strings.js";
import { callAgent } from "/voice_assistant/transfer.js";

const RESUME_KEY = "convonet.voice.resume";
const RESUME_DELAYS_MS = [300, 1000, 2000, 4000, 8000];
const HEARTBEAT_MS = 25000;
const NO_RESUME = new Set([1000, 1008, 4001]); // ended on purpose, refused, or replaced

const state = {
  socket: null,
  sessionId: null,
  resuming: false,
  resumeAttempts: 0,
  ended: false,
  stage: "connecting",
  tool: null,
  connection: "connecting",
  recording: null, // {mode, encoding, seq, started, mic: Promise<{stop} | null>}
  waitingSince: null,
  playingTurn: null,
  mutedTurns: new Set(),
  transferCall: null,
};

const player = new Player((audioState, played) => {
  const node = $("#audio-state");
  node.dataset.audioState = audioState;
  node.dataset.playedChunks = String(played);
  $("#stop-speaking").disabled = audioState !== "playing";
});

addStrings(STRINGS);
mountNav();
applyLanguage(renderDynamic);
setInterval(() => send({ type: "heartbeat", ts_ms: Date.now() }), HEARTBEAT_MS);
setInterval(renderWaiting, 100);
boot();

function boot() {
  const resumeToken = sessionStorage.getItem(RESUME_KEY);
  const kept = keptSession();
  if (resumeToken) connect({ type: "authenticate", resume_token: resumeToken });
  else if (kept) connect({ type: "authenticate", token: kept.token });
}

// Signing in ------------------------------------------------------------------------------------

$("#pin-form").addEventListener("submit", (event) => {
  event.preventDefault();
  player.unlock();
  const pin = $("#pin").value.trim();
  if (!/^\d{4,8}$/.test(pin)) {
    notify($("#sign-in-notice"), t("va.pin.invalid"), "error");
    return;
  }
  $("#pin").value = "";
  connect({ type: "authenticate", pin });
});

$("#sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  player.unlock();
  const form = event.currentTarget;
  try {
    const kept = await signIn(form.elements.email.value.trim(), form.elements.password.value);
    connect({ type: "authenticate", token: kept.token });
  } catch (error) {
    showProblem($("#sign-in-notice"), error);
  }
});

$("#end-session").addEventListener("click", () => endSession());

function endSession(message = "") {
  state.ended = true;
  stopRecording({ deliver: false });
  player.stop();
  sessionStorage.removeItem(RESUME_KEY);
  signOut();
  if (state.socket) state.socket.close(1000, "ended by the user");
  state.socket = null;
  state.sessionId = null;
  showSignIn(message);
}

function showSignIn(message) {
  $("#sign-in").hidden = false;
  $("#talk").hidden = true;
  $("#end-session").hidden = true;
  notify($("#sign-in-notice"), message, message ? "error" : "");
}

// The socket ----------------------------------------------------------------------------------

function connect(auth) {
  state.ended = false;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/webrtc/ws`);
  state.socket = socket;
  showConnection(state.sessionId ? "reconnecting" : "connecting");
  state.resuming = Boolean(auth.resume_token);
  socket.onopen = () => socket.send(JSON.stringify(auth));
  socket.onmessage = (event) => {
    if (socket === state.socket) onFrame(JSON.parse(event.data));
  };
  socket.onclose = (event) => {
    if (socket === state.socket) onClose(event.code);
  };
}

function send(frame) {
  const socket = state.socket;
  if (socket && socket.readyState === WebSocket.OPEN && (state.sessionId || frame.type === "authenticate")) {
    socket.send(JSON.stringify(frame));
  }
}

function onClose(code) {
  state.socket = null;
  stopRecording({ deliver: false });
  stopWaiting();
  const token = sessionStorage.getItem(RESUME_KEY);
  if (state.ended || NO_RESUME.has(code) || !token || state.resumeAttempts >= RESUME_DELAYS_MS.length) {
    showConnection("closed");
    if (state.sessionId) {
      sessionStorage.removeItem(RESUME_KEY);
      state.sessionId = null;
      showSignIn(t("va.ended"));
    }
    return;
  }
  showConnection("reconnecting");
  const delay = RESUME_DELAYS_MS[state.resumeAttempts++];
  setTimeout(() => {
    if (!state.ended) connect({ type: "authenticate", resume_token: sessionStorage.getItem(RESUME_KEY) });
  }, delay);
}

const HANDLERS = {
  auth_ok(frame) {
    state.sessionId = frame.session_id;
    state.resumeAttempts = 0;
    keepResumeToken(frame.resume_token);
    $("#user-name").textContent = frame.user_name;
    $("#sign-in").hidden = true;
    $("#talk").hidden = false;
    $("#end-session").hidden = false;
    notify($("#sign-in-notice"), "");
    showConnection("open");
    showStage("ready");
  },
  auth_failed(frame) {
    const socket = state.socket;
    state.socket = null;
    state.sessionId = null;
    sessionStorage.removeItem(RESUME_KEY);
    if (socket) socket.close(1000, "auth failed");
    showConnection("closed");
    let message = t("va.auth.failed", { reason: frame.reason });
    if (state.resuming) message = t("va.ended");
    else if (frame.retry_after_s) message = t("va.auth.retry", { s: frame.retry_after_s });
    showSignIn(message);
  },
  greeting(frame) {
    addLine("assistant", frame.text);
  },
  status(frame) {
    if (frame.resume_token) keepResumeToken(frame.resume_token);
    if (frame.stage === "interrupted") silence();
    if (frame.stage === "providers") notify($("#notice"), t("va.providers.saved"), "ok");
    if (frame.stage === "ready") stopWaiting();
    if (frame.stage === "goodbye") state.ended = true;
    showStage(frame.stage === "providers" ? "ready" : frame.stage, frame.tool);
  },
  processing_start() {
    startWaiting();
  },
  transcript_partial(frame) {
    $("#partial").textContent = frame.text;
  },
  transcript_final(frame) {
    $("#partial").textContent = "";
    addLine("user", frame.text);
    startWaiting();
  },
  agent_delta(frame) {
    stopWaiting();
    const line = turnLine(frame.turn_id);
    line.querySelector(".text").textContent += frame.text;
  },
  agent_final(frame) {
    stopWaiting();
    const line = turnLine(frame.turn_id);
    line.querySelector(".text").textContent = frame.text;
    line.classList.toggle("interrupted", state.mutedTurns.has(frame.turn_id));
  },
  audio_chunk(frame) {
    if (frame.is_final || state.mutedTurns.has(frame.turn_id)) return;
    stopWaiting();
    state.playingTurn = frame.turn_id;
    player.enqueue(frame.data_b64, frame.sample_rate);
    showStage("speaking");
  },
  timing(frame) {
    const figure = $("#waterfall");
    figure.replaceChildren(waterfallChart(frame.waterfall));
    figure.dataset.turn = frame.turn_id;
  },
  transfer(frame) {
    startTransfer(frame);
  },
  error(frame) {
    stopWaiting();
    notify($("#notice"), frame.message, "error");
  },
};

function onFrame(frame) {
  const handler = HANDLERS[frame.type];
  if (handler) handler(frame);
}

function keepResumeToken(token) {
  if (token) sessionStorage.setItem(RESUME_KEY, token);
}

// Talking -------------------------------------------------------------------------------------

function mode() {
  return document.querySelector("input[name=mode]:checked").value;
}

function startRecording(recordingMode) {
  const encoding = captureEncoding();
  if (!encoding) {
    notify($("#notice"), t("va.mic.none"), "error");
    return;
  }
  notify($("#notice"), "");
  const recording = { mode: recordingMode, encoding, seq: 0, started: false };
  const begin = () => {
    if (recording.started || state.recording !== recording) return;
    recording.started = true;
    send({ type: "start_recording", mode: recordingMode, encoding, sample_rate: CAPTURE_RATE, language: lang() });
  };
  state.recording = recording;
  recording.mic = openMicrophone(encoding, (buffer) => {
    begin();
    if (recording.started) send({ type: "audio_chunk", seq: recording.seq++, data_b64: toBase64(buffer) });
  }).then(
    (mic) => {
      begin();
      return mic;
    },
    (error) => {
      notify($("#notice"), t("va.mic.denied", { reason: error.message || error.name }), "error");
      if (state.recording === recording) state.recording = null;
      renderTalk();
      return null;
    },
  );
  renderTalk();
}

/** Close the microphone; `deliver` ends the utterance so the assistant answers it. */
async function stopRecording({ deliver = true } = {}) {
  const recording = state.recording;
  if (!recording) return;
  state.recording = null;
  renderTalk();
  const mic = await recording.mic;
  if (mic) await mic.stop();
  if (deliver && recording.started) {
    send({ type: "stop_recording" });
    if (recording.mode === "batch") startWaiting();
  }
}

/** Barge-in from this side: silence now, and tell the gateway to drop the rest of the turn. */
function bargeIn() {
  if (!player.playing) return;
  silence();
  send({ type: "cancel" });
}

function silence() {
  if (state.playingTurn) state.mutedTurns.add(state.playingTurn);
  player.stop();
}

function pressTalk() {
  if (!state.sessionId || state.recording) return;
  player.unlock();
  bargeIn();
  startRecording("batch");
}

function releaseTalk() {
  if (state.recording && state.recording.mode === "batch") stopRecording();
}

function toggleHandsFree() {
  player.unlock();
  if (state.recording) stopRecording();
  else if (state.sessionId) startRecording("streaming");
}

const talkButton = $("#talk-button");
talkButton.addEventListener("pointerdown", (event) => {
  if (mode() !== "ptt" || event.button !== 0) return;
  talkButton.setPointerCapture(event.pointerId);
  pressTalk();
});
for (const name of ["pointerup", "pointercancel", "lostpointercapture"]) {
  talkButton.addEventListener(name, () => { if (mode() === "ptt") releaseTalk(); });
}
talkButton.addEventListener("click", () => { if (mode() === "handsfree") toggleHandsFree(); });

const TYPING = new Set(["TEXTAREA", "SELECT"]);
function typingInto(target) {
  if (TYPING.has(target.tagName) || target.isContentEditable) return true;
  return target.tagName === "INPUT" && !["radio", "checkbox"].includes(target.type);
}

document.addEventListener("keydown", (event) => {
  if ($("#talk").hidden) return;
  if (event.key === "Escape") {
    bargeIn();
    return;
  }
  if (event.code !== "Space" || mode() !== "ptt" || typingInto(event.target)) return;
  event.preventDefault();
  if (!event.repeat) pressTalk();
});
document.addEventListener("keyup", (event) => {
  if ($("#talk").hidden || event.code !== "Space" || mode() !== "ptt" || typingInto(event.target)) return;
  event.preventDefault();
  releaseTalk();
});

for (const radio of document.querySelectorAll("input[name=mode]")) {
  radio.addEventListener("change", () => {
    stopRecording();
    renderTalk();
  });
}

$("#stop-speaking").addEventListener("click", bargeIn);

$("#text-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("#text-input");
  const text = input.value.trim();
  if (!text || !state.sessionId) return;
  player.unlock();
  bargeIn();
  send({ type: "text", text: text.slice(0, 2000) });
  input.value = "";
  startWaiting();
});

$("#providers").addEventListener("submit", (event) => {
  event.preventDefault();
  const frame = { type: "voice_providers" };
  for (const kind of ["stt", "llm", "tts"]) {
    const value = event.currentTarget.elements[kind].value;
    if (value) frame[kind] = value;
  }
  send(frame);
});

// The person on the other end -------------------------------------------------------------------

async function startTransfer(frame) {
  await stopRecording({ deliver: false }); // the assistant's "please hold" plays on meanwhile
  showStage("transfer");
  $("#transfer").hidden = false;
  $("#transfer").dataset.transferId = frame.transfer_id;
  $("#transfer-who").textContent = t("va.transfer.who", { department: frame.department, extension: frame.extension });
  state.transferCall = await callAgent(frame, {
    remoteAudio: $("#remote-audio"),
    onState: showTransferState,
    onMedia: (media) => { $("#transfer").dataset.media = media; },
  });
}

function showTransferState(callState, detail = "") {
  const badge = $("#transfer-state");
  badge.dataset.state = callState;
  badge.textContent = t(`va.transfer.${callState}`, { detail });
  $("#transfer-hangup").disabled = ["ended", "failed"].includes(callState);
}

$("#transfer-hangup").addEventListener("click", () => {
  if (state.transferCall) state.transferCall.hangup();
});

// Rendering -----------------------------------------------------------------------------------

function addLine(role, text, turnId = null) {
  const line = el("li", { class: role, dataset: turnId ? { turn: turnId } : {} },
    el("span", { class: "who" }, t(role === "user" ? "va.you" : "va.assistant")),
    el("span", { class: "text" }, text));
  const list = $("#conversation");
  list.append(line);
  list.scrollTop = list.scrollHeight;
  return line;
}

function turnLine(turnId) {
  return $(`#conversation li[data-turn="${CSS.escape(turnId)}"]`) || addLine("assistant", "", turnId);
}

function showStage(stage, tool = null) {
  state.stage = stage;
  state.tool = tool;
  const badge = $("#stage");
  badge.dataset.stage = stage;
  const key = `va.stage.${stage}`;
  const label = t(key, { tool: tool || "" });
  badge.textContent = label === key ? stage : label;
}

function showConnection(connection) {
  state.connection = connection;
  const badge = $("#connection");
  badge.dataset.state = connection;
  badge.textContent = t(`va.conn.${connection}`);
}

function renderTalk() {
  const ptt = mode() === "ptt";
  const active = Boolean(state.recording);
  talkButton.setAttribute("aria-pressed", String(active));
  let label = ptt ? "va.hold" : "va.listen";
  if (active) label = ptt ? "va.release" : "va.listening";
  $("#talk-label").textContent = t(label);
  $("#talk-hint").textContent = t(ptt ? "va.hint" : "va.hint.handsfree");
}

function startWaiting() {
  if (state.waitingSince === null) state.waitingSince = performance.now();
}

function stopWaiting() {
  state.waitingSince = null;
  $("#elapsed").hidden = true;
}

function renderWaiting() {
  if (state.waitingSince === null) return;
  const seconds = ((performance.now() - state.waitingSince) / 1000).toFixed(1);
  const node = $("#elapsed");
  node.hidden = false;
  node.textContent = t("va.waiting", { s: seconds });
}

function renderDynamic() {
  renderTalk();
  showStage(state.stage, state.tool);
  showConnection(state.connection);
}

renderTalk();
