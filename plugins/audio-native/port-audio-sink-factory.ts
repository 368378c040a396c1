import { inject, injectable } from 'inversify';
import type { Logger } from 'pino';
import { TOKENS, pluginOptionsToken } from '../../server/tokens.ts';
import type { AudioSink, AudioSinkFactory, SinkContext } from '../../server/sinks/audio-sink.ts';
import { loadNaudiodon, type NaudiodonBinding } from './naudiodon-binding.ts';
import type { NativeAudioOptions } from './options.ts';
import { resolveOutputDevice, type OutputDevice } from './output-devices.ts';
import { PortAudioSink } from './port-audio-sink.ts';

/** Bytes per sample of the stream: s16 mono. */
const BYTES_PER_SAMPLE = 2;
/** Frame length every sink receives (server/sinks/audio-sink.ts), ms. */
const FRAME_MS = 20;
/**
 * Chunks naudiodon's native queue holds before its write waits (naudiodon default 2).
 * Each chunk is one 20 ms frame, so 40 ms sit between the JS stream and the callback.
 */
const NATIVE_QUEUE_CHUNKS = 2;
/** Extra time close() grants beyond the queued audio for PortAudio to stop, ms. */
const CLOSE_GRACE_MS = 3000;

/**
 * `native` sink factory: a room's frames to the host's speakers through PortAudio
 * (naudiodon), s16 mono at the room rate.
 *
 * Resolved on the playout thread; naudiodon is loaded there, on the first `create`.
 * When the sink cannot run here — naudiodon fails to load, PortAudio finds no output
 * device, the configured device is not among them, or the stream fails to open — it
 * logs the reason at warn once per distinct reason and returns null, so narration
 * goes on to the other sinks (the product rule: a missing speaker never stops a room).
 * With the `required` option it throws the reason instead (the room does not open).
 */
@injectable()
export class PortAudioSinkFactory implements AudioSinkFactory {
  readonly name = 'native';
  private readonly reported = new Set<string>();

  constructor(
    @inject(pluginOptionsToken('audio-native')) private readonly options: NativeAudioOptions,
    @inject(TOKENS.Logger) private readonly log: Logger,
  ) {}

  /**
   * @returns a started sink, or null (reason logged once at warn)
   * @throws Error "no audio output could be opened: <why>" instead of null when the `required` option is set
   */
  async create(ctx: SinkContext): Promise<AudioSink | null> {
    let portAudio: NaudiodonBinding;
    try {
      portAudio = this.loadBinding();
    } catch (err) {
      return this.unavailable('naudiodon failed to load', { err: String((err as Error)?.message ?? err) });
    }
    let devices: OutputDevice[];
    try {
      devices = portAudio.getDevices().filter((d) => d.maxOutputChannels > 0);
    } catch (err) {
      return this.unavailable('PortAudio failed to initialise', { err: String((err as Error)?.message ?? err) });
    }
    let device: { deviceId: number; name: string };
    try {
      device = resolveOutputDevice(devices, this.options.device);
    } catch (err) {
      return this.unavailable('no matching audio output device', {
        device: this.options.device,
        reason: (err as Error).message,
        available: devices.map((d) => d.name),
      });
    }

    const { sampleRate } = ctx;
    const bytesPerMs = (sampleRate * BYTES_PER_SAMPLE) / 1000;
    const frameBytes = ctx.frameSamples * BYTES_PER_SAMPLE;
    const { framesPerBuffer, writeBufferMs, overflowQueueMs } = this.options;
    let stream;
    try {
      stream = portAudio.AudioIO({
        outOptions: {
          deviceId: device.deviceId,
          channelCount: 1,
          sampleFormat: portAudio.SampleFormat16Bit,
          sampleRate,
          framesPerBuffer,
          maxQueue: NATIVE_QUEUE_CHUNKS,
          highwaterMark: Math.max(frameBytes, Math.round(writeBufferMs * bytesPerMs)),
          closeOnError: false,
        },
      });
      stream.start();
    } catch (err) {
      return this.unavailable('audio output stream failed to open', {
        device: device.name,
        sampleRate,
        err: String((err as Error)?.message ?? err),
      });
    }
    const maxQueuedFrames = Math.max(1, Math.round(overflowQueueMs / FRAME_MS));
    const log = ctx.log.child({ sink: this.name });
    log.info(
      {
        device: device.name,
        sampleRate,
        framesPerBuffer,
        bufferMs: Math.round((framesPerBuffer * 1000) / sampleRate),
        writeBufferMs,
        maxQueuedFrames,
      },
      'native audio output open',
    );
    return new PortAudioSink(stream, {
      sampleRate,
      maxQueuedFrames,
      closeTimeoutMs: CLOSE_GRACE_MS + writeBufferMs + overflowQueueMs + NATIVE_QUEUE_CHUNKS * FRAME_MS,
      log,
    });
  }

  /** Loads naudiodon; a seam so tests can exercise a module that fails to load. */
  protected loadBinding(): NaudiodonBinding {
    return loadNaudiodon();
  }

  private unavailable(reason: string, fields: Record<string, unknown>): null {
    if (this.options.required) {
      // A device lookup's reason is a whole sentence already; the other problems get their error appended.
      throw new Error(`no audio output could be opened: ${fields.reason !== undefined ? String(fields.reason) : `${reason}: ${String(fields.err)}`}`);
    }
    if (!this.reported.has(reason)) {
      this.reported.add(reason);
      this.log.warn({ sink: this.name, problem: reason, ...fields }, 'native audio sink unavailable; narrating to the other sinks');
    }
    return null;
  }
}
