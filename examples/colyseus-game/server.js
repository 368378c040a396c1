// A small game server of its own: a room type `dungeon` with its own state (an ogre's hit
// points), its own messages and a server-side combat rule, narrated by vrpg-narrator through
// Colyseus's native plugin mechanism. Plain JavaScript: `node server.js`.
//
// Environment: PORT (default 2567), RECORDINGS_DIR (default ./recordings), LOG_LEVEL (default info).
import { Server, Room, definePlugins } from '@colyseus/core';
import { WebSocketTransport } from '@colyseus/ws-transport';
import { schema, t } from '@colyseus/schema';
import { readFile } from 'node:fs/promises';
import { createNarrator, NarrationState, NarrationError } from 'vrpg-narrator';

/** The game's own state; the `narration` field is optional (status and captions come as messages either way). */
const DungeonState = schema({
  ogreHp: t.number().default(30),
  gm: t.string().default(''),
  narration: NarrationState,
}, 'DungeonState');

/** Events clients may send (`narration:event`); the game narrates its own rules from the server. */
const rules = {
  potion: { template: '{name} drinks a healing potion. It tastes of cinnamon.', priority: 'queue', players: true },
  ogre_appears: { template: 'The door bursts open. An ogre ducks under the frame, club in hand.', priority: 'interrupt' },
};

const narrator = await createNarrator({
  engine: 'espeak',
  plugins: { 'tts-espeak': {}, 'audio-webrtc': {} },
  sinks: ['wav', 'webrtc', 'bridge'], // `bridge`: game engines (the Godot addon) over game-bridge/PROTOCOL.md
  recordingsDir: process.env.RECORDINGS_DIR ?? 'recordings',
  log: { level: process.env.LOG_LEVEL ?? 'info' },
});

class DungeonRoom extends Room {
  state = new DungeonState();
  names = new Map();
  plugins = definePlugins({
    // The game decides who narrates: whoever opened the room is its game master.
    narration: narrator.roomPlugin({ rules, role: (client) => (client.sessionId === this.state.gm ? 'dm' : 'player') }),
  });

  onCreate() {
    this.onMessage('attack', (client) => {
      if (this.state.ogreHp <= 0) return client.send('game:error', { message: 'the ogre is already down' });
      const damage = 3 + Math.floor(Math.random() * 8); // 1d8+2
      this.state.ogreHp = Math.max(0, this.state.ogreHp - damage);
      const who = this.names.get(client.sessionId);
      const down = this.state.ogreHp === 0;
      const text = down
        ? `${who} strikes for ${damage}. The ogre staggers, and falls.`
        : `${who} hits the ogre for ${damage}. It has ${this.state.ogreHp} hit points left.`;
      try {
        // A killing blow interrupts whatever is being narrated; other hits queue behind it.
        const narration = this.plugins.narration.narrate(text, { priority: down ? 'interrupt' : 'queue', trigger: 'game:attack' });
        this.broadcast('game:attack', { who, damage, ogreHp: this.state.ogreHp, narrationId: narration.id });
        narration.done.then((report) => console.log(JSON.stringify({ event: 'narration-end', room: this.roomId, report })));
      } catch (err) {
        if (!(err instanceof NarrationError)) throw err;
        client.send('game:error', { message: err.message }); // e.g. queue_full: the hit counts, the line is skipped
      }
    });
  }

  onJoin(client, options) {
    this.names.set(client.sessionId, typeof options?.name === 'string' ? options.name.slice(0, 40) : 'Someone');
    if (!this.state.gm) this.state.gm = client.sessionId;
  }

  onLeave(client) {
    this.names.delete(client.sessionId);
    if (this.state.gm === client.sessionId) this.state.gm = [...this.names.keys()][0] ?? '';
  }
}

const page = await readFile(new URL('./public/index.html', import.meta.url));
const server = new Server({
  transport: new WebSocketTransport(),
  express: async (app) => {
    await narrator.mountHttp(app); // /sdk/narration-client.js, /metrics, /health
    app.get('/', (_req, res) => res.type('html').send(page));
  },
});
server.define('dungeon', DungeonRoom);
const port = Number(process.env.PORT ?? 2567);
await server.listen(port);
// Godot (and any engine) clients: ws://host:port/bridge, seated in the same rooms as browsers.
narrator.attachBridge(server.transport.server);
console.log(JSON.stringify({ event: 'listening', port, startupMs: narrator.startupMs }));

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await narrator.closeBridge(); // bridge clients hear 1001 "server shutting down"
    await server.gracefullyShutdown(false); // disposes rooms: each room's narration closes with it
    await narrator.close(); // then the playout thread, the engine and its recordings
    process.exit(0);
  });
}
