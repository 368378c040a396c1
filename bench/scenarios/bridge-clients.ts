/**
 * Worker entry of the bridge bench (bridge.ts): the bridge clients live on this thread, so a
 * stall of the server's main thread never stalls their clocks. Runs the phases the main thread
 * asks for and posts back what it measured (times in this thread's performance.now(), ms).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { NodeBridgeClient, type ReceivedFrame } from '../../game-bridge/node/bridge-client.ts';
import { seededRandom, sleep } from '../util.ts';

/** RMS above which a frame counts as heard (−34 dBFS, as the browser bench's probe). */
const HEARD_RMS = 0.02;

const { url } = workerData as { url: string };
const port = parentPort!;
let dm: NodeBridgeClient;
let listener: NodeBridgeClient;
const extra: NodeBridgeClient[] = [];

/** Main → worker commands. */
type Command =
  | { cmd: 'seat' }
  | { cmd: 'narrations'; texts: string[] }
  | { cmd: 'record'; seconds: number }
  | { cmd: 'narrate'; text: string }
  | { cmd: 'listeners'; count: number }
  | { cmd: 'close' };

async function run(c: Command): Promise<unknown> {
  switch (c.cmd) {
    case 'seat':
      dm = await NodeBridgeClient.connect(url, { type: 'join', roomName: 'table', name: 'Bench DM' });
      listener = await NodeBridgeClient.connect(url, { type: 'join', room: dm.seated.roomId, name: 'Bench player' });
      return { roomId: dm.seated.roomId, role: dm.seated.role };
    case 'narrations': {
      // Request → first heard frame at the listener; then cancel 300–800 ms in → last frame of the old generation.
      const random = seededRandom(17);
      const ttfa: number[] = [];
      const cancel: number[] = [];
      for (const text of c.texts) {
        const from = listener.frames.length;
        const sentAt = performance.now();
        dm.send('narration:narrate', { text });
        const heard = () => listener.frames.slice(from).find((f) => f.rms > HEARD_RMS);
        if (!(await listener.waitFor(() => heard() !== undefined, 30_000))) throw new Error('bridge bench: narration not heard within 30 s');
        const first = heard()!;
        ttfa.push(first.atMs - sentAt);
        await sleep(300 + 500 * random());
        const generation = first.generation;
        const cancelAt = performance.now();
        dm.send('narration:cancel');
        // Done once 10 frames of a newer generation arrived: nothing older can follow (frames arrive in generation order).
        await listener.waitFor(() => listener.frames.filter((f) => f.generation > generation).length >= 10, 10_000);
        const stale = listener.frames.filter((f) => f.generation === generation && f.atMs >= cancelAt);
        cancel.push(stale.length ? stale[stale.length - 1]!.atMs - cancelAt : 0);
        await sleep(200);
      }
      return { ttfa, cancel };
    }
    case 'record': {
      const from = listener.frames.length;
      await sleep(c.seconds * 1000);
      return listener.frames.slice(from).map((f: ReceivedFrame) => ({ seq: f.seq, timeMs: f.atMs }));
    }
    case 'narrate':
      dm.send('narration:narrate', { text: c.text });
      return null;
    case 'listeners': {
      while (extra.length < c.count) {
        const batch = await Promise.all(Array.from({ length: Math.min(25, c.count - extra.length) }, (_, i) =>
          NodeBridgeClient.connect(url, { type: 'join', room: dm.seated.roomId, name: `L${extra.length + i}` }, 20_000)));
        extra.push(...batch);
      }
      while (extra.length > c.count) extra.pop()!.ws.terminate();
      return null;
    }
    case 'close':
      for (const c2 of [dm, listener, ...extra]) c2?.ws.terminate();
      return null;
  }
}

port.on('message', (c: Command) => {
  run(c).then(
    (result) => port.postMessage({ ok: true, result }),
    (err: unknown) => port.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
