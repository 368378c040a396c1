import type { Logger } from 'pino';
import { XTTS_SAMPLE_RATE, xttsWireLanguage } from './languages.ts';
import type { XttsBackend, XttsSynthesisRequest } from './backend.ts';
import { describe, fetchJson, streamResponse, type RequestOptions, type XttsRequest } from './http-request.ts';
import type { XttsOptions } from './options.ts';
import { PcmStreamDecoder } from './pcm-stream-decoder.ts';
import type { ReferenceUpload } from './reference-wav.ts';
import { parseSpeakerLatents, type SpeakerLatents } from './speaker-latents.ts';
import { XttsVoiceStore } from './voice-store.ts';

/** Voice an OpenAI-style server uses when none is configured (OpenAI's first voice; AllTalk maps it too). */
export const OPENAI_DEFAULT_VOICE = 'alloy';

/** Longest wait of the reachability check at `init()`, ms. */
const REACHABILITY_TIMEOUT_MS = 5_000;

/**
 * The `http` backend: an XTTS server over one of two protocols.
 *
 * `xtts-streaming-server` (coqui-ai/xtts-streaming-server, main.py): voices are cloned with
 * `POST /clone_speaker` (multipart `wav_file`), then `POST /tts_stream` with JSON `{text, language,
 * speaker_embedding, gpt_cond_latent, add_wav_header, stream_chunk_size}` answers chunked s16le PCM
 * at 24 kHz, with one 44-byte zero-length WAV header first when `add_wav_header`. The server's
 * pydantic model types `stream_chunk_size` as a string, so it is sent as one ("20").
 *
 * `openai`: `POST /v1/audio/speech` with `{model, input, voice, response_format, speed}`;
 * `pcm` is s16le mono 24 kHz (OpenAI's definition), `wav` the same behind a header.
 */
export class XttsHttpBackend implements XttsBackend {
  private readonly base: string;
  private readonly voices: XttsVoiceStore;
  private readonly closing = new AbortController();
  /** Per voice, the latents as JSON members: 33 k numbers are serialized once, not per chunk. */
  private readonly latentsJson = new Map<string, string>();

  constructor(private readonly options: XttsOptions, private readonly log: Logger) {
    if (!options.url) throw new Error('plugins.tts-xtts.url is required for backend "http"');
    this.base = options.url.replace(/\/+$/, '');
    this.voices = new XttsVoiceStore(options.voicesDir, options.voices, (upload) => this.cloneSpeaker(upload), log);
  }

  /** Where each voice's latents came from (tests, health output). */
  get voiceSources(): XttsVoiceStore['loadedFrom'] {
    return this.voices.loadedFrom;
  }

  /**
   * Checks the server speaks the configured API: `GET /languages` (xtts-streaming-server) or
   * `GET /v1/models` (openai) must answer 2xx — a 404 used to count as "reachable", and every
   * narration then came back silent with no error.
   * @throws Error naming the URL and the cause when the server cannot be reached or answers that
   *   request with an error status; voice errors of XttsVoiceStore.load
   */
  async init(): Promise<void> {
    const probe = this.options.protocol === 'openai' ? `${this.base}/v1/models` : `${this.base}/languages`;
    let status: number;
    let statusText: string;
    try {
      const res = await fetch(probe, { signal: AbortSignal.any([AbortSignal.timeout(REACHABILITY_TIMEOUT_MS), this.closing.signal]) });
      await res.body?.cancel();
      ({ status, statusText } = res);
    } catch (err) {
      throw new Error(`XTTS server at ${this.base} is not reachable (GET ${probe}): ${describe(err)}`, { cause: err });
    }
    if (status < 200 || status > 299) {
      throw new Error(`XTTS server at ${this.base} answered GET ${probe} with ${status} ${statusText}: not a ${this.options.protocol} API there (check plugins.tts-xtts.url and protocol)`);
    }
    this.log.info({ url: this.base, protocol: this.options.protocol, status }, 'XTTS server reachable');
    if (this.options.protocol === 'xtts-streaming-server') await this.voices.load();
  }

  resolveVoice(voice: string | undefined): string {
    if (this.options.protocol === 'openai') return voice ?? this.options.defaultVoice ?? OPENAI_DEFAULT_VOICE;
    const name = voice ?? this.options.defaultVoice ?? this.voices.names[0];
    if (name === undefined) throw new Error('no XTTS voice configured: set plugins.tts-xtts.voices (reference WAVs or latents files)');
    this.voices.get(name);
    return name;
  }

  async *stream(request: XttsSynthesisRequest, signal: AbortSignal): AsyncGenerator<Float32Array> {
    const meta: { contentType?: string } = {};
    const decoder = new PcmStreamDecoder({ sampleRate: XTTS_SAMPLE_RATE });
    let first = true;
    for await (const bytes of streamResponse(this.speechRequest(request), this.requestOptions(signal), meta)) {
      if (first && meta.contentType?.includes('json')) {
        throw new Error(`server answered JSON instead of audio: ${Buffer.from(bytes).toString('utf8').slice(0, 200)}`);
      }
      first = false;
      const block = decoder.push(bytes);
      if (block.length > 0) yield block;
    }
    const last = decoder.end();
    if (last.length > 0) yield last;
  }

  async close(): Promise<void> {
    this.closing.abort(new Error('XTTS engine closed'));
  }

  private speechRequest(r: XttsSynthesisRequest): XttsRequest {
    const o = this.options;
    if (o.protocol === 'openai') {
      return {
        method: 'POST',
        url: `${this.base}/v1/audio/speech`,
        json: { model: o.model, input: r.text, voice: r.voice, response_format: o.responseFormat, speed: o.speed },
      };
    }
    let latents = this.latentsJson.get(r.voice);
    if (latents === undefined) {
      const l = this.voices.get(r.voice);
      latents = `"speaker_embedding":${JSON.stringify(l.speaker_embedding)},"gpt_cond_latent":${JSON.stringify(l.gpt_cond_latent)}`;
      this.latentsJson.set(r.voice, latents);
    }
    const head = JSON.stringify({ text: r.text, language: xttsWireLanguage(r.language), add_wav_header: false, stream_chunk_size: String(o.streamChunkSize) });
    return { method: 'POST', url: `${this.base}/tts_stream`, jsonText: `${head.slice(0, -1)},${latents}}` };
  }

  private async cloneSpeaker(upload: ReferenceUpload): Promise<SpeakerLatents> {
    const form = new FormData();
    form.append('wav_file', new Blob([upload.wav], { type: 'audio/wav' }), upload.fileName);
    const json = await fetchJson({ method: 'POST', url: `${this.base}/clone_speaker`, form }, this.requestOptions(this.closing.signal));
    return parseSpeakerLatents(json, `POST ${this.base}/clone_speaker`);
  }

  private requestOptions(signal: AbortSignal): RequestOptions {
    return {
      signal: signal === this.closing.signal ? signal : AbortSignal.any([signal, this.closing.signal]),
      timeoutMs: this.options.timeoutMs,
      retries: this.options.retries,
      log: this.log,
    };
  }
}
