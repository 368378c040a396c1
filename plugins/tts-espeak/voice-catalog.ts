import { ESPEAK_LANGUAGES, type EspeakLanguage } from './options.ts';
import type { EspeakVoiceInfo } from './protocol.ts';

/**
 * Narrows `language` to a supported one.
 * @throws Error naming the language and the supported ones
 */
export function assertEspeakLanguage(language: string): EspeakLanguage {
  if (!(ESPEAK_LANGUAGES as readonly string[]).includes(language)) {
    throw new Error(`espeak does not support language "${language}"; supported: ${ESPEAK_LANGUAGES.join(', ')}`);
  }
  return language as EspeakLanguage;
}

/** The voices an espeak instance listed, answering which of them speak a language. */
export class VoiceCatalog {
  constructor(private readonly voices: readonly EspeakVoiceInfo[]) {}

  /** Voice names whose declared languages include `language` or a regional form of it (`en-us`), sorted. */
  voicesFor(language: string): string[] {
    return this.voices
      .filter((v) => v.languages.some((l) => l === language || l.startsWith(`${language}-`)))
      .map((v) => v.name)
      .sort();
  }

  /**
   * Checks that `voice` speaks `language`; the `+variant` part is left to espeak (it ignores unknown ones).
   * @param example a voice named in the error as the variant example
   * @returns the voice name lower-cased (espeak's names are case-insensitive)
   * @throws Error naming the voice, the language and the voices allowed for it
   */
  resolve(language: string, voice: string, example: string): string {
    const name = voice.trim().toLowerCase();
    const allowed = this.voicesFor(language);
    if (!allowed.includes(name.split('+')[0])) {
      throw new Error(
        `espeak voice "${voice}" does not speak language "${language}"; voices for ${language}: ${allowed.join(', ')} (a variant may follow, e.g. "${example}+f3")`,
      );
    }
    return name;
  }
}
