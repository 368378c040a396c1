/**
 * A minimal typed event emitter (the SDK must not depend on Node's `events`).
 * A listener that throws is reported on the console and does not stop the others.
 */
export class TypedEmitter<E extends object> {
  private readonly listeners = new Map<keyof E, Set<(payload: never) => void>>();

  /** Adds `fn` for `event`; returns a function that removes it. */
  on<K extends keyof E>(event: K, fn: (payload: E[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as (payload: never) => void);
    return () => this.off(event, fn);
  }

  /** Removes `fn` from `event` (no-op if it was not added). */
  off<K extends keyof E>(event: K, fn: (payload: E[K]) => void): void {
    this.listeners.get(event)?.delete(fn as (payload: never) => void);
  }

  /** Resolves with the next payload of `event` that satisfies `predicate`. */
  once<K extends keyof E>(event: K, predicate: (payload: E[K]) => boolean = () => true): Promise<E[K]> {
    return new Promise((resolve) => {
      const off = this.on(event, (p) => {
        if (!predicate(p)) return;
        off();
        resolve(p);
      });
    });
  }

  protected emit<K extends keyof E>(event: K, payload: E[K]): void {
    for (const fn of [...(this.listeners.get(event) ?? [])]) {
      try {
        (fn as (p: E[K]) => void)(payload);
      } catch (err) {
        console.error(`narration-client: "${String(event)}" listener threw`, err);
      }
    }
  }
}
