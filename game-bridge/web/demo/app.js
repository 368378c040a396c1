// Demo table page: the narration SDK from the game server, no framework.
import { NarrationClient } from '/sdk/narration-client.js';

const $ = (id) => document.getElementById(id);
/** @type {NarrationClient | null} */
let client = null;
let statsTimer = 0;

function log(text, isError = false) {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  if (isError) li.className = 'error';
  $('log').prepend(li);
}

function syncRoleFields() {
  $('secret-label').hidden = !$('role-dm').checked;
}
$('role-dm').addEventListener('change', syncRoleFields);
$('role-player').addEventListener('change', syncRoleFields);
$('name').value = localStorage.getItem('vrpg.name') ?? '';
$('room-id').value = new URLSearchParams(location.search).get('room') ?? '';

$('join-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  void join($('room-id').value.trim() || undefined);
});
// A stale link (?room= of a table that is gone: the server restarted, everyone left) offers a new table.
$('new-table').addEventListener('click', () => {
  $('room-id').value = '';
  history.replaceState(null, '', location.pathname);
  void join(undefined);
});

async function join(roomId) {
  $('join').disabled = true;
  $('new-table').hidden = true;
  $('join-error').textContent = '';
  const name = $('name').value.trim();
  const role = $('role-dm').checked ? 'dm' : 'player';
  try {
    client = await NarrationClient.connect({
      url: location.origin,
      name,
      role,
      dmSecret: role === 'dm' ? $('secret').value || undefined : undefined,
      tableCode: $('table-code').value.trim() || undefined,
      // Tables are private: no id = a new table of your own.
      ...(roomId ? { roomId } : { create: true }),
    });
  } catch (err) {
    const gone = roomId && /not found|expired|is locked/i.test(err.message);
    $('join-error').textContent = gone ? 'That table is gone (the server restarted, or everyone left).' : `Could not join: ${err.message}`;
    $('new-table').hidden = !gone;
    $('join').disabled = false;
    return;
  }
  localStorage.setItem('vrpg.name', name);
  // The join click is a user gesture: try to start audio now so most players never see the button.
  void client.unlockAudio();
  window.narration = client; // handy in the console
  showTable();
}

function showSeat(seat) {
  $('seat').textContent = seat.role === 'dm' ? 'the DM' : 'a player';
  $('seat-reason').textContent = `(${seat.reason})`;
}

/** DM controls work only while connected; the banner says why they are off. */
function showConnection(state) {
  const banner = $('banner');
  banner.hidden = state === 'connected';
  banner.textContent = state === 'reconnecting' ? 'Connection lost — reconnecting to your seat…' : 'Disconnected from the table. Reload the page to rejoin.';
  for (const b of document.querySelectorAll('#dm-panel button, #events button')) b.disabled = state !== 'connected';
}

function showTable() {
  $('join-form').hidden = true;
  $('table').hidden = false;
  $('room').textContent = client.roomId;
  history.replaceState(null, '', `?room=${encodeURIComponent(client.roomId)}`);

  client.on('state', (s) => {
    $('status').textContent = s.status;
    $('dm-panel').hidden = s.role !== 'dm';
    const ul = $('players');
    ul.replaceChildren(...s.players.map((p) => {
      const li = document.createElement('li');
      li.textContent = `${p.name}${p.role === 'dm' ? ' (DM)' : ''}${p.id === client.sessionId ? ' — you' : ''}${p.connected ? '' : ' (reconnecting…)'}`;
      if (!p.connected) li.className = 'away';
      if (s.role === 'dm' && p.id !== client.sessionId) {
        const give = document.createElement('button');
        give.textContent = 'Make DM';
        give.addEventListener('click', () => client.handover(p.id));
        li.append(give);
      }
      return li;
    }));
    renderEvents(s.role);
  });
  client.on('caption', (c) => {
    $('caption').textContent = c.text;
  });
  client.on('narration-start', (n) => log(`narration ${n.narrationId} started (${n.trigger})`));
  client.on('narration-end', (r) => {
    log(`narration ${r.id} ${r.cancelled ? 'cancelled' : 'ended'}: ${(r.audioMs / 1000).toFixed(1)} s audio, TTFA ${r.ttfaMs ?? '—'} ms`);
    if (client.state.status === 'idle') $('caption').textContent = '…';
  });
  client.on('audio', (a) => {
    $('audio-state').textContent = `${a.state}${a.mode ? ` (${a.mode})` : ''}${a.reason ? ` — ${a.reason}` : ''}`;
    $('unlock').hidden = a.state !== 'locked';
  });
  client.on('error', (e) => log(`${e.type}: ${e.message}`, true));
  client.on('seat', (seat) => {
    showSeat(seat);
    log(`seat: ${seat.role === 'dm' ? 'DM' : 'player'} — ${seat.reason}`);
  });
  client.on('connection', (c) => {
    showConnection(c.state);
    log(c.state === 'connected' ? 'reconnected' : c.state === 'reconnecting' ? `connection lost (code ${c.code ?? '—'}), reconnecting…` : 'connection closed', c.state !== 'connected');
  });
  if (client.seat) showSeat(client.seat);
  client.on('leave', (l) => {
    log(`disconnected (code ${l.code})`, true);
    showConnection('closed');
    clearInterval(statsTimer);
  });
  $('audio-state').textContent = client.audioState;
  $('unlock').hidden = !client.audioLocked;
  const s = client.state;
  $('dm-panel').hidden = s.role !== 'dm';
  renderEvents(s.role);

  statsTimer = setInterval(async () => {
    const st = await client.getStats();
    if (st.packetsReceived === null) return;
    const jitterMs = st.jitter === null ? '—' : (st.jitter * 1000).toFixed(1);
    const concealed = st.totalSamplesReceived ? ((100 * (st.concealedSamples ?? 0)) / st.totalSamplesReceived).toFixed(2) : '—';
    $('stats').textContent = `packets ${st.packetsReceived} · jitter ${jitterMs} ms · concealed ${concealed} %`;
  }, 1000);
}

let renderedFor = undefined;
async function renderEvents(role) {
  if (role === renderedFor || role === null) return;
  renderedFor = role;
  const rules = await fetch('/rules').then((r) => r.json());
  const box = $('events');
  box.replaceChildren();
  for (const rule of rules.filter((r) => role === 'dm' || r.players)) {
    const div = document.createElement('div');
    div.className = 'event';
    div.innerHTML = '<code></code>';
    div.querySelector('code').textContent = rule.template;
    const inputs = rule.fields.map((f) => {
      const label = document.createElement('label');
      label.textContent = `${f.name}${f.optional ? ' (optional)' : ''}`;
      const input = document.createElement('input');
      input.name = f.name;
      if (f.name === 'name') input.value = client.state.players.find((p) => p.id === client.sessionId)?.name ?? '';
      label.append(input);
      div.append(label);
      return input;
    });
    const button = document.createElement('button');
    button.textContent = rule.type.replace(/_/g, ' ');
    button.dataset.event = rule.type;
    button.addEventListener('click', async () => {
      const event = { type: rule.type };
      for (const i of inputs) if (i.value.trim()) event[i.name] = i.value.trim();
      try {
        const id = await client.send(event);
        log(`${rule.type} accepted (${id})`);
      } catch (err) {
        log(`${rule.type}: ${err.message}`, true);
      }
    });
    div.append(button);
    box.append(div);
  }
  if (!box.children.length) box.innerHTML = '<p class="meta">No events for your seat.</p>';
}

$('narrate').addEventListener('click', async () => {
  const text = $('narration-text').value;
  try {
    const id = await client.narrate(text);
    log(`narration ${id} accepted`);
  } catch (err) {
    log(`narrate: ${err.message}`, true);
  }
});
$('cancel').addEventListener('click', () => client.cancel());
$('pause').addEventListener('click', () => client.pause());
$('resume').addEventListener('click', () => client.resume());
$('unlock').addEventListener('click', () => client.unlockAudio());
$('volume').addEventListener('input', (ev) => client?.setVolume(Number(ev.target.value)));
$('leave').addEventListener('click', async () => {
  clearInterval(statsTimer);
  await client.leave();
  location.href = location.pathname;
});
