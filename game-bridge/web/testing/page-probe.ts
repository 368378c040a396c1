/**
 * Browser-side probe the tests and the bench inject into a page (as a module script):
 * seats a {@link NarrationClient} from the served bundle and watches the audio it receives
 * with an AudioWorklet, so times are taken where the player hears them.
 *
 * Energy rule (per 128-sample render quantum at the context rate): `loud` when the peak
 * |sample| exceeds {@link LOUD_PEAK}; `silent` once the peak stayed below it for
 * {@link SILENCE_HOLD_SEC}; the silence onset is its first quiet quantum. Decoded Opus
 * silence is exact zeros, and the test engines peak at 0.3, so the threshold sits far from both.
 * Times are epoch ms (`performance.timeOrigin + performance.now()`), comparable across pages
 * of one machine. Kept as a string: it runs in Chromium, and the Node-side tsconfig has no DOM types.
 */

/** Peak above which a render quantum counts as sound (≈ −34 dBFS). */
export const LOUD_PEAK = 0.02;
/** Quiet time that confirms silence, seconds (longer than Opus/jitter-buffer hiccups). */
export const SILENCE_HOLD_SEC = 0.15;

const WORKLET = `
class EnergyProbe extends AudioWorkletProcessor {
  constructor() { super(); this.loud = false; this.quietSince = -1; }
  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    let peak = 0;
    if (ch) for (let i = 0; i < ch.length; i++) { const a = ch[i] < 0 ? -ch[i] : ch[i]; if (a > peak) peak = a; }
    if (peak > ${LOUD_PEAK}) {
      this.quietSince = -1;
      if (!this.loud) { this.loud = true; this.port.postMessage({ kind: 'loud', peak }); }
      else this.port.postMessage({ kind: 'block', peak });
    } else if (this.loud) {
      if (this.quietSince < 0) this.quietSince = currentTime;
      else if (currentTime - this.quietSince >= ${SILENCE_HOLD_SEC}) {
        this.loud = false;
        this.port.postMessage({ kind: 'silent', silentForSec: currentTime - this.quietSince });
      }
    }
    return true;
  }
}
registerProcessor('energy-probe', EnergyProbe);
`;

/** The module script: defines `window.__probe`. */
export const PAGE_PROBE = `
const { NarrationClient } = await import('/sdk/narration-client.js');
const now = () => performance.timeOrigin + performance.now();
const workletUrl = URL.createObjectURL(new Blob([${JSON.stringify(WORKLET)}], { type: 'text/javascript' }));
const p = {
  client: null, captions: [], reports: [], audioStates: [], errors: [],
  loudAt: [], silentAt: [], loudBlocks: 0, maxPeak: 0, ctx: null, nodeReady: null, source: null, metered: null, meters: 0,
  async connect(opts) {
    const c = await NarrationClient.connect({ url: location.origin, ...opts });
    p.client = c;
    c.on('caption', (e) => p.captions.push({ ...e, at: now() }));
    c.on('narration-end', (r) => p.reports.push(r));
    c.on('error', (e) => p.errors.push(e));
    c.on('audio', (a) => { p.audioStates.push(a.state); if (a.state === 'playing') p.meter(); });
    if (c.audioState === 'playing') p.meter();
    // A stream can also change with no state change (a renegotiation while playing): look every 100 ms.
    p.poll = setInterval(() => { if (p.client.audioState === 'playing') p.meter(); }, 100);
    return { sessionId: c.sessionId, roomId: c.roomId };
  },
  /** Meters the client's current stream; a new one (the SDK renegotiated or retried) replaces the old source. */
  async meter() {
    const stream = p.client.mediaStream;
    if (!stream || stream === p.metered) return;
    p.metered = stream;
    if (!p.ctx) {
      const ctx = new AudioContext();
      p.ctx = ctx;
      p.nodeReady = ctx.audioWorklet.addModule(workletUrl).then(() => {
        const node = new AudioWorkletNode(ctx, 'energy-probe');
        node.port.onmessage = (ev) => {
          const m = ev.data, t = now();
          if (m.kind === 'loud') { p.loudAt.push(t); p.loudBlocks++; }
          else if (m.kind === 'block') p.loudBlocks++;
          else p.silentAt.push(t - m.silentForSec * 1000);
          if (m.peak > p.maxPeak) p.maxPeak = m.peak;
        };
        node.connect(ctx.destination); // a worklet only runs while pulled; it writes nothing, so this adds no sound
        return node;
      });
    }
    const node = await p.nodeReady;
    if (p.metered !== stream) return; // a newer stream arrived while the worklet loaded
    if (p.source) p.source.disconnect();
    p.source = p.ctx.createMediaStreamSource(stream);
    p.source.connect(node);
    p.meters++;
    if (p.ctx.state !== 'running') await p.ctx.resume();
  },
  async until(pred, timeoutMs, what) {
    const end = now() + timeoutMs;
    for (;;) {
      const v = pred();
      if (v !== undefined && v !== false && v !== null) return v;
      if (now() > end) throw new Error('timed out after ' + timeoutMs + ' ms waiting for ' + what);
      await new Promise((r) => setTimeout(r, 10));
    }
  },
  async narrate(text) { const at = now(); const id = await p.client.narrate(text); return { id, at }; },
  cancel() { const at = now(); p.client.cancel(); return at; },
  firstLoudAfter(t, timeoutMs) { return p.until(() => p.loudAt.find((x) => x >= t), timeoutMs, 'sound'); },
  firstSilentAfter(t, timeoutMs) { return p.until(() => p.silentAt.find((x) => x >= t), timeoutMs, 'silence'); },
  waitEnd(id, timeoutMs) { return p.until(() => p.reports.find((r) => r.id === id), timeoutMs, 'the end of narration ' + id); },
  waitPlaying(timeoutMs) { return p.until(() => p.client.audioState === 'playing' && p.source && p.ctx.state === 'running', timeoutMs, 'audio playing (state ' + (p.client && p.client.audioState) + ')'); },
  stats() { return p.client.getStats(); },
  snapshot() {
    return { captions: p.captions, loudAt: p.loudAt, silentAt: p.silentAt, loudBlocks: p.loudBlocks, maxPeak: p.maxPeak,
      audioStates: p.audioStates, meters: p.meters, errors: p.errors, state: p.client && p.client.state, audioState: p.client && p.client.audioState };
  },
  async leave() { clearInterval(p.poll); await p.client.leave(); if (p.ctx) await p.ctx.close(); },
};
window.__probe = p;
`;
