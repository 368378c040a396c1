/**
 * Plays the narration's MediaStream in an `<audio>` element and tracks whether the
 * browser let it play. Browsers block autoplay of audible media until the page had a
 * user gesture (Chrome's autoplay policy, https://developer.chrome.com/blog/autoplay);
 * `play()` then rejects with `NotAllowedError` and we report `locked` until
 * {@link AudioOutput.unlock} runs inside a gesture. The element stays in the document:
 * Chrome only feeds remote WebRTC audio to WebAudio (analysers) while a media element
 * plays it (crbug.com/933677).
 */
export class AudioOutput {
  readonly element: HTMLAudioElement;
  private readonly owned: boolean;
  private stream: MediaStream | null = null;
  private lockedFlag = false;

  /**
   * @param onLockChange called with true when autoplay was blocked, false once playing
   * @param element an element of the caller's; default a hidden one appended to `document.body`
   */
  constructor(private readonly onLockChange: (locked: boolean) => void, element?: HTMLAudioElement) {
    this.owned = !element;
    this.element = element ?? document.createElement('audio');
    this.element.autoplay = true;
    (this.element as HTMLAudioElement & { playsInline?: boolean }).playsInline = true; // iOS: no fullscreen takeover
    if (this.owned) {
      this.element.style.display = 'none';
      this.element.dataset.narration = 'audio';
      document.body.appendChild(this.element);
    }
  }

  /** True while the browser refuses to play until a user gesture. */
  get locked(): boolean {
    return this.lockedFlag;
  }

  /** The stream being played, or null. */
  get mediaStream(): MediaStream | null {
    return this.stream;
  }

  /** Plays `stream` (replacing any earlier one). Resolves true when playing, false when autoplay is blocked. */
  async attach(stream: MediaStream): Promise<boolean> {
    this.stream = stream;
    if (this.element.srcObject !== stream) this.element.srcObject = stream;
    return this.play();
  }

  /** Retries playback; call from a click/tap handler. Resolves true when playing. */
  unlock(): Promise<boolean> {
    return this.play();
  }

  /** Volume in [0, 1]. @throws RangeError outside it */
  setVolume(volume: number): void {
    if (!(volume >= 0 && volume <= 1)) throw new RangeError(`volume must be in [0, 1], got ${volume}`);
    this.element.volume = volume;
  }

  /** Stops playback and removes an element this class created. */
  close(): void {
    this.element.srcObject = null;
    this.stream = null;
    if (this.owned) this.element.remove();
  }

  private async play(): Promise<boolean> {
    if (!this.element.srcObject) return !this.lockedFlag;
    try {
      await this.element.play();
      this.setLocked(false);
      return true;
    } catch (err) {
      // AbortError: a newer srcObject/load() interrupted this play(); the next attach() decides.
      if ((err as DOMException)?.name === 'AbortError') return false;
      this.setLocked(true);
      return false;
    }
  }

  private setLocked(locked: boolean): void {
    if (locked === this.lockedFlag) return;
    this.lockedFlag = locked;
    this.onLockChange(locked);
  }
}
