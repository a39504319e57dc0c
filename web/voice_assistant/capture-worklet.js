// Microphone -> PCM16 mono at the target rate (16 kHz), posted in ~100 ms chunks.
// Runs on the audio thread; resamples by linear interpolation when the context's rate differs.
class Pcm16Capture extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const { targetRate = 16000, chunkMs = 100 } = options.processorOptions || {};
    this.step = sampleRate / targetRate;
    this.chunk = new Int16Array(Math.round((targetRate * chunkMs) / 1000));
    this.filled = 0;
    this.position = 0; // where the next output sample falls in the current input block
    this.previous = 0; // the last input sample of the previous block
    this.port.onmessage = (event) => {
      if (event.data === "flush") {
        this.post(true);
      }
    };
  }

  post(final) {
    const out = this.chunk.slice(0, this.filled);
    this.port.postMessage({ pcm: out.buffer, final }, [out.buffer]);
    this.filled = 0;
  }

  push(sample) {
    const clamped = Math.max(-1, Math.min(1, sample));
    this.chunk[this.filled++] = clamped < 0 ? clamped * 0x8000 : clamped * 0x7fff;
    if (this.filled === this.chunk.length) this.post(false);
  }

  process(inputs) {
    const input = inputs[0] && inputs[0][0];
    if (!input) return true;
    let position = this.position;
    while (position < input.length) {
      const index = Math.floor(position);
      const fraction = position - index;
      const before = index === 0 ? this.previous : input[index - 1];
      const at = input[index];
      this.push(before + (at - before) * fraction);
      position += this.step;
    }
    this.position = position - input.length;
    this.previous = input[input.length - 1];
    return true;
  }
}

registerProcessor("pcm16-capture", Pcm16Capture);
