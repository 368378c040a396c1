/**
 * Worker-thread entry for tests: one {@link WebRtcListener} with its own Colyseus SDK client, off the
 * test's main thread, so it keeps receiving (and timestamping) RTP while the main thread is stalled.
 * workerData `{ endpoint, roomId, name }`; posts `{ type: 'listening' }` once connected (or
 * `{ type: 'error', message }`); answers a `'report'` message with `{ type: 'report', packets, rms }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { TableClient } from '../../../server/cli/table-client.ts';
import { WebRtcListener } from './webrtc-listener.ts';

const { endpoint, roomId, name } = workerData as { endpoint: string; roomId: string; name: string };
const port = parentPort!;
try {
  const client = await TableClient.join(endpoint, roomId, { name });
  const listener = new WebRtcListener(client.room);
  port.on('message', (m: string) => {
    if (m === 'report') {
      port.postMessage({ type: 'report', packets: listener.packets.map(({ payload: _p, ...rest }) => rest), rms: listener.rmsPerPacket() });
    } else if (m === 'close') {
      void listener.close().then(() => client.leave()).finally(() => port.close());
    }
  });
  await listener.listen();
  port.postMessage({ type: 'listening' });
} catch (err) {
  port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
}
