import sinon from 'sinon';
import { ModelManager, type ModelManagerOptions } from '../../../server/models/model-manager.ts';
import type { ModelProgress, ModelSpec } from '../../../server/models/model-spec.ts';

/** Test helpers shared by the model manager tests. */
export interface Deferred { promise: Promise<void>; resolve(): void; reject(e: Error): void }
export function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

/** Lets every pending promise continuation run (setImmediate is not faked). */
export const flush = () => new Promise<void>((r) => setImmediate(r));

export interface Model { id: string; n: number }

/** A model whose load can be held open (`gate`) or made to fail, recording what happened in `events`. */
export class FakeSpec implements ModelSpec<Model> {
  loads = 0;
  gate: Deferred | undefined;
  failWith: Error | undefined;
  progressSteps: number[] = [];
  lastSignal: AbortSignal | undefined;
  constructor(readonly id: string, private readonly events: string[], readonly sizeBytes?: number) {}
  async load(signal: AbortSignal, progress: ModelProgress): Promise<Model> {
    this.lastSignal = signal;
    const n = ++this.loads;
    this.events.push(`load:${this.id}`);
    for (const f of this.progressSteps) progress(f, `step ${f}`);
    if (this.gate) await this.gate.promise;
    if (this.failWith) throw this.failWith;
    this.events.push(`loaded:${this.id}`);
    return { id: this.id, n };
  }
  async warmUp(model: Model): Promise<void> {
    await Promise.resolve();
    this.events.push(`warm:${model.id}`);
  }
  unload(model: Model): void {
    this.events.push(`unload:${model.id}`);
  }
}

/** Fake clock (setInterval, Date) plus managers closed after each test. */
export function useManagerFixture() {
  const fx = {
    clock: undefined as unknown as sinon.SinonFakeTimers,
    events: [] as string[],
    managers: [] as ModelManager[],
    manager(opts: Partial<ModelManagerOptions> = {}): ModelManager {
      const m = new ModelManager(opts);
      fx.managers.push(m);
      return m;
    },
    stateOf: (m: ModelManager, id: string) => m.status().find((s) => s.id === id)?.state,
  };
  beforeEach(() => {
    fx.clock = sinon.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'], now: 1_000_000 });
    fx.events = [];
    fx.managers = [];
  });
  afterEach(async () => {
    for (const m of fx.managers) await m.close();
    fx.clock.restore();
  });
  return fx;
}
