// Audio in and out for the voice assistant.
// Player: the gateway's PCM16 chunks, queued back to back on one Web Audio clock so sentences
// play without gaps, and stopped at once on barge-in. Microphone: PCM16 16 kHz from an
// AudioWorklet, or MediaRecorder WebM/Opus where AudioWorklet is missing.

export const CAPTURE_RATE = 16000;
const CHUNK_MS = 100;
const LEAD_S = 0.03; // scheduling margin, so the first chunk never starts in the past

function pcm16ToFloat(b64) {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const samples = new Int16Array(bytes.buffer, 0, bytes.length >> 1);
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = samples[i] / 0x8000;
  return out;
}

export function toBase64(buffer) {
  const bytes = new Uint8Array(buffer);
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

export class Player {
  /** onState("playing" | "idle", chunksPlayed) after every change. */
  constructor(onState) {
    this.onState = onState;
    this.context = null;
    this.sources = new Set();
    this.nextAt = 0;
    this.played = 0;
  }

  /** Create or resume the AudioContext; call from a user gesture (autoplay policy). */
  unlock() {
    if (!this.context) this.context = new AudioContext();
    if (this.context.state === "suspended") this.context.resume();
  }

  get playing() {
    return this.sources.size > 0;
  }

  enqueue(b64, sampleRate) {
    if (!b64 || !sampleRate) return;
    this.unlock();
    const samples = pcm16ToFloat(b64);
    if (!samples.length) return;
    const buffer = this.context.createBuffer(1, samples.length, sampleRate);
    buffer.copyToChannel(samples, 0);
    const source = this.context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.context.destination);
    const startAt = Math.max(this.context.currentTime + LEAD_S, this.nextAt);
    source.start(startAt);
    this.nextAt = startAt + buffer.duration;
    this.sources.add(source);
    source.onended = () => {
      this.sources.delete(source);
      if (!this.sources.size) this.onState("idle", this.played);
    };
    this.played += 1;
    this.onState("playing", this.played);
  }

  /** Barge-in: silence now and forget everything queued. */
  stop() {
    for (const source of this.sources) {
      source.onended = null;
      try {
        source.stop();
      } catch {
        // a source that has not started yet throws on some engines; it is dropped either way
      }
    }
    this.sources.clear();
    this.nextAt = 0;
    this.onState("idle", this.played);
  }
}

/** The encoding this browser can send: "pcm16" (AudioWorklet) or "webm" (MediaRecorder). */
export function captureEncoding() {
  if (window.AudioWorkletNode) return "pcm16";
  if (window.MediaRecorder && MediaRecorder.isTypeSupported("audio/webm;codecs=opus")) return "webm";
  return null;
}

/**
 * Open the microphone and deliver its audio to onChunk(ArrayBuffer) in `encoding`.
 * Resolves with {stop}: stop() resolves after the last chunk was delivered.
 */
export async function openMicrophone(encoding, onChunk) {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
  });
  try {
    return encoding === "pcm16" ? await workletCapture(stream, onChunk) : recorderCapture(stream, onChunk);
  } catch (error) {
    stream.getTracks().forEach((track) => track.stop());
    throw error;
  }
}

async function workletCapture(stream, onChunk) {
  let context;
  try {
    context = new AudioContext({ sampleRate: CAPTURE_RATE });
  } catch {
    context = new AudioContext(); // the worklet resamples to 16 kHz
  }
  await context.audioWorklet.addModule("/voice_assistant/capture-worklet.js");
  const node = new AudioWorkletNode(context, "pcm16-capture", {
    processorOptions: { targetRate: CAPTURE_RATE, chunkMs: CHUNK_MS },
  });
  let flushed = null;
  node.port.onmessage = ({ data }) => {
    if (data.pcm.byteLength) onChunk(data.pcm);
    if (data.final && flushed) flushed();
  };
  const source = context.createMediaStreamSource(stream);
  const mute = context.createGain();
  mute.gain.value = 0; // keeps the graph pulled without echoing the microphone
  source.connect(node).connect(mute).connect(context.destination);
  if (context.state === "suspended") await context.resume();
  return {
    async stop() {
      await new Promise((resolve) => {
        flushed = resolve;
        node.port.postMessage("flush");
        setTimeout(resolve, 500);
      });
      stream.getTracks().forEach((track) => track.stop());
      source.disconnect();
      await context.close();
    },
  };
}

function recorderCapture(stream, onChunk) {
  const recorder = new MediaRecorder(stream, { mimeType: "audio/webm;codecs=opus" });
  let delivered = Promise.resolve(); // chunks in order: each waits for the one before
  recorder.ondataavailable = ({ data }) => {
    if (data.size) delivered = delivered.then(() => data.arrayBuffer()).then(onChunk);
  };
  recorder.start(250);
  return {
    async stop() {
      const stopped = new Promise((resolve) => { recorder.onstop = resolve; });
      recorder.stop();
      await stopped;
      await delivered;
      stream.getTracks().forEach((track) => track.stop());
    },
  };
}
