/**
 * The part of @echogarden/espeak-ng-emscripten (GPL-3, untyped) this plugin uses, as read from
 * its espeak-ng.js (the WebIDL bindings and the `synthesize` / `list_voices` helpers it appends).
 */
declare module '@echogarden/espeak-ng-emscripten' {
  /** One espeak event as the helper decodes it; positions are 1-based characters / ms. */
  export interface EspeakEvent {
    type: 'list_terminated' | 'word' | 'sentence' | 'mark' | 'play' | 'end' | 'msg_terminated' | 'phoneme' | 'samplerate';
    text_position: number;
    word_length: number;
    /** ms of audio since the start of the call. */
    audio_position: number;
    id?: string | number;
  }

  /** The synthesizer: one espeak-ng global state per module instance. */
  export interface ESpeakNGWorker {
    /** Output rate in Hz. */
    readonly samplerate: number;
    /** Sets the voice by file name (`en-us`, `pt-br+f2`); returns espeak_ERROR, 0 = EE_OK, 2 = EE_NOT_FOUND. */
    set_voice(name: string): number;
    /** Words per minute. */
    set_rate(wpm: number): void;
    set_pitch(pitch: number): void;
    /**
     * Synthesizes synchronously in SSML mode, calling `callback` with each int16 block (a copy) and its events.
     * A truthy return stops synthesis.
     */
    synthesize(text: string, callback: (samples: Int16Array, events: EspeakEvent[]) => boolean | number | void): void;
    list_voices(): Array<{ name: string; identifier: string; languages: Array<{ priority: number; name: string }> }>;
    /**
     * Synthesizes (plain text mode, not SSML) with espeak's phoneme trace on; returns the trace: one line of
     * IPA per clause, phonemes inside a word separated by `_`. `callback` gets the audio and events as in
     * `synthesize` (an `end` event per clause). Used by plugins/tts-piper to phonemize as Piper does.
     */
    synthesize_and_get_phonemes(text: string, callback: (samples: Int16Array, events: EspeakEvent[]) => boolean | number | void): string;
  }

  export interface EspeakModule {
    eSpeakNGWorker: new () => ESpeakNGWorker;
  }

  /** Loads espeak-ng.data (~24 MB) and instantiates the module. */
  export default function init(moduleArg?: Record<string, unknown>): Promise<EspeakModule>;
}
