import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { XTTS_SAMPLE_RATE, xttsWireLanguage } from './languages.ts';
import type { XttsBackend, XttsSynthesisRequest } from './backend.ts';
import { HttpBadResponseError, describe, fetchJson, streamResponse, type RequestOptions, type HttpRequest } from '../../server/util/http-stream.ts';
import { xttsServerUrls, type XttsOptions } from './options.ts';
import { PcmStreamDecoder } from './pcm-stream-decoder.ts';
import type { ReferenceUpload } from './reference-wav.ts';
import { parseSpeakerLatents, type SpeakerLatents } from './speaker-latents.ts';
import { XttsVoiceStore } from './voice-store.ts';
import { XttsServerPool } from './server-pool.ts';
import type { XttsServer } from './xtts-server.ts';

/** Voice an OpenAI-style server uses when none is configured (OpenAI's first voice; AllTalk maps it too). */
export const OPENAI_DEFAULT_VOICE = 'alloy';

/** Longest wait of a health probe (the check at `init()`, and a down server's probes), ms; `timeoutMs` when shorter. */
const PROBE_TIMEOUT_MS = 5_000;

/** A health probe's failure; `status` when the server answered (a 4xx at start-up is a config error). */
class XttsProbeError extends Error {
  override readonly name = 'XttsProbeError';
  constructor(message: string, readonly status?: number, options?: ErrorOptions) {
    super(message, options);
  }
}

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
 *
 * One server (`url`) or a pool (`urls`): every request goes through {@link XttsServerPool}, which
 * routes it, retries it and tracks each server's health; a pool of one behaves as a single server.
 */
export class XttsHttpBackend implements XttsBackend {
  /** The servers, their load and health (stats for tests and health output). */
  readonly pool: XttsServerPool;
  private readonly voices: XttsVoiceStore;
  private readonly closing = new AbortController();
  /** Per voice, the latents as JSON members: 33 k numbers are serialized once, not per chunk. */
  private readonly latentsJson = new Map<string, string>();
  private readonly probePath: string;

  /**
   * @param registry where the pool's `vrpg_xtts_server_*` metrics go (the /metrics registry); absent = a private one
   * @throws Error when neither `url` nor `urls` is set
   */
  constructor(private readonly options: XttsOptions, private readonly log: Logger, registry?: Registry) {
    this.probePath = options.protocol === 'openai' ? '/v1/models' : '/languages';
    this.pool = new XttsServerPool({
      urls: xttsServerUrls(options),
      retries: options.retries,
      health: options.health,
      probe: (server, signal) => this.probe(server, signal),
      log,
      registry,
    });
    this.voices = new XttsVoiceStore(options.voicesDir, options.voices, (upload) => this.cloneSpeaker(upload), log);
  }

  /** Where each voice's latents came from (tests, health output). */
  get voiceSources(): XttsVoiceStore['loadedFrom'] {
    return this.voices.loadedFrom;
  }

  /**
   * Checks every server speaks the configured API: `GET /languages` (xtts-streaming-server) or
   * `GET /v1/models` (openai) must answer 2xx — a 404 used to count as "reachable", and every
   * narration then came back silent with no error. In a pool, servers that cannot be reached are
   * marked down and probed again with back-off; start-up goes on while one is up.
   * @throws Error naming the URL and the cause when no server can be reached (one server: when it
   *   cannot), or when any answers the probe with a 4xx (a wrong URL or protocol: a config error);
   *   voice errors of XttsVoiceStore.load
   */
  async init(): Promise<void> {
    try {
      await this.start();
    } catch (err) {
      this.pool.reset(); // no probes left running behind a failed start (init may be called again)
      throw err;
    }
  }

  private async start(): Promise<void> {
    const failures = await this.pool.checkAll();
    const up = this.pool.servers.filter((_, i) => failures[i] === undefined);
    const wrongApi = failures.find((f) => f instanceof XttsProbeError && f.status !== undefined && f.status < 500 && f.status !== 429);
    if (wrongApi) throw wrongApi;
    if (up.length === 0) {
      if (failures.length === 1) throw failures[0];
      throw new Error(`no XTTS server is reachable: ${failures.map((f) => describe(f)).join('; ')}`, { cause: failures[0] });
    }
    this.log.info({ servers: up.map((s) => s.label), down: this.pool.servers.length - up.length, protocol: this.options.protocol }, 'XTTS servers reachable');
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
    yield* this.pool.failover(AbortSignal.any([signal, this.closing.signal]), (server, s, firstByte) => this.streamFrom(server, request, s, firstByte));
  }

  async close(): Promise<void> {
    this.closing.abort(new Error('XTTS engine closed'));
    this.pool.close();
  }

  /** One try of a synthesis request on one server: its bytes decoded to f32 blocks as they arrive. */
  private async *streamFrom(server: XttsServer, request: XttsSynthesisRequest, signal: AbortSignal, firstByte: () => void): AsyncGenerator<Float32Array> {
    const meta: { contentType?: string } = {};
    const decoder = new PcmStreamDecoder({ sampleRate: XTTS_SAMPLE_RATE });
    let first = true;
    for await (const bytes of streamResponse(this.speechRequest(server.base, request), this.requestOptions(signal), meta)) {
      if (first) {
        firstByte();
        if (meta.contentType?.includes('json')) {
          throw new HttpBadResponseError(`server answered JSON instead of audio: ${Buffer.from(bytes).toString('utf8').slice(0, 200)}`);
        }
      }
      first = false;
      const block = decoder.push(bytes);
      if (block.length > 0) yield block;
    }
    const last = decoder.end();
    if (last.length > 0) yield last;
  }

  /** The protocol's cheap request; @throws XttsProbeError naming the URL, with the status when the server answered. */
  private async probe(server: XttsServer, signal: AbortSignal): Promise<void> {
    const url = `${server.base}${this.probePath}`;
    const shown = `${server.label}${this.probePath}`;
    let res: Response;
    try {
      const timeout = AbortSignal.timeout(Math.min(PROBE_TIMEOUT_MS, this.options.timeoutMs));
      res = await fetch(url, { signal: AbortSignal.any([timeout, signal, this.closing.signal]) });
      await res.body?.cancel();
    } catch (err) {
      throw new XttsProbeError(`XTTS server at ${server.label} is not reachable (GET ${shown}): ${describe(err)}`, undefined, { cause: err });
    }
    if (res.status >= 200 && res.status <= 299) return;
    const why = res.status >= 500 || res.status === 429 ? 'the server is failing' : `not a ${this.options.protocol} API there (check plugins.tts-xtts.url(s) and protocol)`;
    throw new XttsProbeError(`XTTS server at ${server.label} answered GET ${shown} with ${res.status} ${res.statusText}: ${why}`, res.status);
  }

  private speechRequest(base: string, r: XttsSynthesisRequest): HttpRequest {
    const o = this.options;
    if (o.protocol === 'openai') {
      return {
        method: 'POST',
        url: `${base}/v1/audio/speech`,
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
    return { method: 'POST', url: `${base}/tts_stream`, jsonText: `${head.slice(0, -1)},${latents}}` };
  }

  /** `POST /clone_speaker` on a server of the pool (any: latents depend on the model, not the server). */
  private async cloneSpeaker(upload: ReferenceUpload): Promise<SpeakerLatents> {
    const form = new FormData();
    form.append('wav_file', new Blob([upload.wav], { type: 'audio/wav' }), upload.fileName);
    const tries = this.pool.failover(this.closing.signal, async function* (this: XttsHttpBackend, server: XttsServer, signal: AbortSignal) {
      const url = `${server.base}/clone_speaker`;
      yield { json: await fetchJson({ method: 'POST', url, form }, this.requestOptions(signal)), where: `POST ${server.label}/clone_speaker` };
    }.bind(this));
    for await (const { json, where } of tries) return parseSpeakerLatents(json, where);
    throw new Error('unreachable: a clone try yields once or throws');
  }

  /** One try on one server: retries and failover are the pool's. */
  private requestOptions(signal: AbortSignal): RequestOptions {
    return { signal, timeoutMs: this.options.timeoutMs };
  }
}
