// The hand-off to a person: on the gateway's `transfer` frame the page becomes a softphone for
// one call. JsSIP connects to the PBX's WebSocket with the frame's short-lived credentials
// (username "<expiry>:<user>", the registrar checks the HMAC) and calls the extension with
// X-Convonet-Transfer-Id, so the agent's pop-up opens this caller's context.

const HEADER = "X-Convonet-Transfer-Id";

/** "sip:2001@pbx.example?X-Convonet-Transfer-Id=..." -> {target: "sip:2001@pbx.example", domain}. */
function parseTarget(uri) {
  const target = uri.split("?")[0];
  return { target, domain: target.split("@")[1] };
}

/**
 * Call the transfer's extension. onState(state, detail) with state one of connecting, calling,
 * ringing, connected, ended, failed; onMedia(RTCPeerConnection.connectionState) for the audio
 * path. Resolves with {hangup()}.
 */
export async function callAgent(frame, { onState, onMedia, remoteAudio }) {
  const { sip } = frame;
  if (!sip || !sip.ws_url) {
    onState("failed", "no PBX");
    return { hangup() {} };
  }
  const { default: JsSIP } = await import("/vendor/jssip.js");
  const { target, domain } = parseTarget(sip.uri);
  const user = sip.username.split(":").slice(1).join(":") || "voice";
  const ua = new JsSIP.UA({
    sockets: [new JsSIP.WebSocketInterface(sip.ws_url)],
    uri: `sip:${user}@${domain}`,
    authorization_user: sip.username,
    password: sip.password,
    display_name: "Convonet voice",
    register: false,
    session_timers: false,
    user_agent: "Convonet voice assistant",
  });
  let session = null;
  let finished = false;
  const finish = (state, detail) => {
    if (finished) return;
    finished = true;
    onState(state, detail);
    ua.stop();
  };
  ua.on("disconnected", () => { if (!session) finish("failed", "PBX unreachable"); });
  ua.once("connected", () => {
    onState("calling");
    // eventHandlers, not session.on: JsSIP emits `peerconnection` before call() returns.
    session = ua.call(target, {
      extraHeaders: [`${HEADER}: ${frame.transfer_id}`],
      mediaConstraints: { audio: true, video: false },
      pcConfig: { iceServers: [], rtcpMuxPolicy: "require" },
      eventHandlers: {
        peerconnection: ({ peerconnection }) => {
          peerconnection.addEventListener("track", (event) => { remoteAudio.srcObject = event.streams[0]; });
          peerconnection.addEventListener("connectionstatechange", () => onMedia(peerconnection.connectionState));
        },
        progress: () => onState("ringing"),
        confirmed: () => onState("connected"),
        ended: ({ cause }) => finish("ended", cause),
        failed: ({ cause }) => finish("failed", cause),
      },
    });
  });
  onState("connecting");
  ua.start();
  return {
    hangup() {
      if (session && !session.isEnded()) session.terminate();
      else finish("ended", "hung up");
    },
  };
}
