@icon("res://addons/vrpg_narrator/icon.svg")
class_name NarrationClient
extends Node
## Narration for a Godot 4 game: one WebSocket to a VRPG Narrator game server
## (the game bridge, game-bridge/PROTOCOL.md).
##
## Seats this game at a narrated table exactly as a Colyseus SDK client would be seated (same
## room, roles and rules), carries room messages both ways, and plays the narration: 20 ms PCM
## frames go through a jitter buffer into a child [AudioStreamPlayer] fed by an
## [AudioStreamGenerator] at the stream's rate (the audio output, narration_audio.gd).
## [codeblock]
## var narration := NarrationClient.new()
## add_child(narration)
## narration.caption.connect(func(text, _index, _id): $Caption.text = text)
## narration.connect_to_table("ws://localhost:2567/bridge", "table", "Ana")
## [/codeblock]
## [method _process] only polls the socket, reads every packet, and tops up the audio output.
## The node processes while the tree is paused ([constant Node.PROCESS_MODE_ALWAYS] by default)
## so that the socket keeps answering the server's pings.

## The server seated this client: [code]{v, roomId, roomName, sessionId, role, audio}[/code];
## [code]role[/code] is "dm", "player" or null, [code]audio[/code] is
## [code]{format, channels, rate, frameMs}[/code] or null.
signal seated(info: Dictionary)
## An [method attach_audio] socket was accepted: [code]{v, roomId, sessionId, audio}[/code].
signal attached(info: Dictionary)
## The room's state as JSON ([code]Schema.toJSON()[/code]), after every patch.
signal state_changed(state: Dictionary)
## The table's players changed: an Array of [code]{id, name, role}[/code] from
## [code]state.players[/code] (browsers and bridges together).
signal players_changed(players: Array)
## The narration status changed: "idle", "buffering", "speaking" or "paused".
signal status_changed(status: String)
## A caption: the text of the chunk whose audio starts now.
signal caption(text: String, index: int, narration_id: String)
## A narration started: [code]{narrationId, trigger}[/code].
signal narration_started(info: Dictionary)
## A narration ended: its report ([code]id, cancelled, ttfaMs[/code], ...).
signal narration_ended(report: Dictionary)
## A refused request ([code]narration:error[/code]: [param type] is the request's type) or an
## audio error ([code]audio:error[/code]: [param type] is "audio"). The connection stays open.
signal error(type: String, message: String)
## The socket closed. [param code] is the server's close code (see PROTOCOL.md, "Close codes"),
## -1 when the connection failed or dropped without a close frame.
signal disconnected(code: int, reason: String)
## A reconnection is scheduled in [param delay_s] seconds (attempt 1, 2, ...).
signal reconnecting(attempt: int, delay_s: float)
## Every message the room sends this client, verbatim (narration:*, audio:*, the game's own).
signal message(type: String, data)

# The frame parser and the jitter buffer serve the audio output (narration_audio.gd); they stay
# reachable as NarrationClient.BridgeFrame and NarrationClient.JitterBuffer.
const BridgeFrame := preload("bridge_frame.gd")
const JitterBuffer := preload("jitter_buffer.gd")
const NarrationAudio := preload("narration_audio.gd")

const PROTOCOL_VERSION := 1
## Close codes after which reconnecting cannot help (a refusal, or this client left).
const NO_RECONNECT_CODES := [1000, 4400, 4401, 4403, 4404, 4410]
const CONNECT_TIMEOUT_MS := 10000
const CLOSE_TIMEOUT_MS := 5000
## Room messages sent before the seat is taken wait here (at most this many).
const OUTBOX_MAX := 64
## Biggest server text frame accepted (the default 64 KiB is too small for a large room state).
const INBOUND_BUFFER_BYTES := 1 << 20
## Biggest client text frame (the server's limit is 256 KiB).
const OUTBOUND_BUFFER_BYTES := 256 * 1024
## Generator capacity beyond the jitter target, ms.
const OUTPUT_MARGIN_MS := NarrationAudio.OUTPUT_MARGIN_MS

## Audio to buffer before playback starts, and again after an underrun, ms
## (100 is the protocol's recommendation; more absorbs worse networks, adds latency).
@export_range(20, 1000, 10) var jitter_ms: int = 100:
	set(value):
		jitter_ms = value
		if _audio != null:
			_audio.jitter_ms = value
## Narration volume, dB.
@export_range(-80.0, 24.0, 0.1) var volume_db: float = 0.0:
	set(value):
		volume_db = value
		if _audio != null:
			_audio.volume_db = value
## Audio bus the narration plays on.
@export var bus: StringName = &"Master":
	set(value):
		bus = value
		if _audio != null:
			_audio.bus = value
## Sample rate to ask the server for: 0 = the room's rate; 16000 halves the bandwidth of a
## 24/22.05 kHz room (resampled server-side).
@export var audio_rate: int = 0
## Reconnect after a dropped connection (not after a refusal: 4400, 4401, 4403, 4404, 4410).
@export var auto_reconnect: bool = true
## First reconnection delay, s; it doubles per failed attempt and resets once seated.
@export var reconnect_min_s: float = 0.5
## Longest reconnection delay, s.
@export var reconnect_max_s: float = 10.0
## JSON ping period while seated, s (0: none); the round trip lands in [code]rtt_ms[/code].
@export var ping_interval_s: float = 5.0

## [code]seated[/code] (or [code]attached[/code]) message of the current connection.
var seated_info: Dictionary = {}
var session_id: String = ""
var room_id: String = ""
## "dm", "player", or null (a room without the narration plugin).
var role: Variant = null
## Narration status: "idle", "buffering", "speaking" or "paused".
var status: String = "idle"
## The table's players: Array of [code]{id, name, role}[/code].
var players: Array = []
var last_caption: String = ""
## Round trip of the last JSON ping, ms (-1: none yet).
var rtt_ms: int = -1

var _ws: WebSocketPeer = null
var _url: String = ""
var _hello: Dictionary = {}  # the join or attach message, sent again on every reconnection
var _attach_mode: bool = false
var _hello_sent: bool = false
var _seated: bool = false
var _user_closed: bool = false
var _state_since_msec: int = 0  # when the socket entered its current state
var _closing: bool = false
var _reconnect_at_msec: int = -1
var _reconnect_delay_s: float = 0.5
var _reconnect_attempt: int = 0
var _next_ping_msec: int = 0
var _outbox: Array[String] = []

var _audio: NarrationAudio = NarrationAudio.new(self)  # player, generator and jitter buffer


func _init() -> void:
	process_mode = Node.PROCESS_MODE_ALWAYS


func _ready() -> void:
	_audio.ensure_player()


func _process(_delta: float) -> void:
	if _ws != null:
		_poll_socket()
	elif _reconnect_at_msec >= 0 and Time.get_ticks_msec() >= _reconnect_at_msec:
		_reconnect_at_msec = -1
		_open_socket(true)
	_audio.fill()


## Takes a seat at a table. [param room] is a room type to join or create (e.g. "table"), unless
## [code]options.room_id[/code] names a room. [param player_name] is the display name.
## Options: [code]room_id[/code] (String), [code]dm_secret[/code] (sent as join option
## dmSecret), [code]role[/code] ("dm": require the DM seat, refused with 4403 otherwise),
## [code]rate[/code] (audio Hz; default [member audio_rate]), [code]audio[/code] (false: captions
## and control only), [code]join_options[/code] (Dictionary of extra join options for the room),
## [code]jitter_ms[/code]. Returns the error of opening the socket; the outcome arrives as
## [signal seated] or [signal disconnected].
func connect_to_table(
	url: String, room: String, player_name: String, options: Dictionary = {}
) -> Error:
	var join_options: Dictionary = {}
	if options.get("join_options") is Dictionary:
		join_options = (options["join_options"] as Dictionary).duplicate(true)
	join_options["name"] = player_name
	if options.has("dm_secret"):
		join_options["dmSecret"] = str(options["dm_secret"])
	var hello: Dictionary = {
		"type": "join",
		"v": PROTOCOL_VERSION,
		"name": player_name,
		"options": join_options,
	}
	var by_id: String = str(options.get("room_id", ""))
	if by_id.is_empty():
		hello["roomName"] = room
	else:
		hello["room"] = by_id
	if options.has("role"):
		hello["role"] = str(options["role"])
	_add_audio_option(hello, options)
	if options.has("jitter_ms"):
		jitter_ms = int(options["jitter_ms"])
	return _start(url, hello, false)


## Audio only, for a game already seated through a Colyseus SDK: send the room message
## [code]audio:join {transport: "bridge"}[/code], then call this with the [code]token[/code] of
## the [code]audio:bridge[/code] reply and [code]ws://host:port[/code] + its [code]path[/code].
## Options: [code]rate[/code], [code]jitter_ms[/code]. A token is single-use, so this socket is
## never reconnected: ask for a new token after [signal disconnected].
func attach_audio(url: String, token: String, options: Dictionary = {}) -> Error:
	var hello: Dictionary = {"type": "attach", "v": PROTOCOL_VERSION, "token": token}
	_add_audio_option(hello, options)
	if options.has("jitter_ms"):
		jitter_ms = int(options["jitter_ms"])
	return _start(url, hello, true)


## Leaves the table (the server closes with 1000, then [signal disconnected]); no reconnection.
func disconnect_from_table() -> void:
	_user_closed = true
	_reconnect_at_msec = -1
	_seated = false
	_outbox.clear()
	_audio.stop()
	if _ws == null:
		return
	if _ws.get_ready_state() == WebSocketPeer.STATE_OPEN:
		if _hello_sent and not _attach_mode:
			_ws.send_text(JSON.stringify({"type": "leave"}))
		_ws.close(1000, "client left")
		_closing = true
		_state_since_msec = Time.get_ticks_msec()
	elif _ws.get_ready_state() == WebSocketPeer.STATE_CONNECTING:
		_on_closed(1000, "client left before the connection opened")


## A game event of the server's rules table ([code]narration:event {type, ...fields}[/code]).
## Players may send only the events whose rule says [code]players: true[/code].
func send_event(type: String, fields: Dictionary = {}) -> void:
	var data: Dictionary = fields.duplicate(true)
	data["type"] = type
	send_message("narration:event", data)


## DM: narrate free text, optionally with a named voice.
func narrate(text: String, voice: String = "") -> void:
	var data: Dictionary = {"text": text}
	if not voice.is_empty():
		data["voice"] = voice
	send_message("narration:narrate", data)


## DM: cancel one narration, or everything when [param narration_id] is empty.
func cancel(narration_id: String = "") -> void:
	var data: Dictionary = {}
	if not narration_id.is_empty():
		data["narrationId"] = narration_id
	send_message("narration:cancel", data)


## DM: pause the narration.
func pause() -> void:
	send_message("narration:pause")


## DM: resume a paused narration.
func resume() -> void:
	send_message("narration:resume")


## Any room message, as the Colyseus SDK's [code]room.send(type, data)[/code]. Messages sent
## while joining wait for the seat; while disconnected they are dropped with a warning.
func send_message(type: String, data: Variant = null) -> void:
	var msg: Dictionary = {"type": "send", "message": type}
	if data != null:
		msg["data"] = data
	var text: String = JSON.stringify(msg)
	if _attach_mode:
		push_warning("NarrationClient: an attached (audio-only) socket cannot send room messages")
	elif _seated:
		_send_text(text)
	elif not _user_closed and (_ws != null or _reconnect_at_msec >= 0):
		if _outbox.size() >= OUTBOX_MAX:
			_outbox.pop_front()
		_outbox.push_back(text)
	else:
		push_warning("NarrationClient: not connected; dropped room message " + type)


## Sends a JSON ping now; [code]rtt_ms[/code] is updated when the pong arrives.
func ping() -> void:
	if _ws != null and _hello_sent and _ws.get_ready_state() == WebSocketPeer.STATE_OPEN:
		_send_text(JSON.stringify({"type": "ping", "t": Time.get_ticks_msec()}))


## True while seated (or attached) on an open socket.
func is_seated() -> bool:
	return _seated


## "disconnected", "connecting", "joining", "seated", "closing" or "reconnecting".
func connection_state() -> String:
	if _ws == null:
		return "reconnecting" if _reconnect_at_msec >= 0 else "disconnected"
	if _closing:
		return "closing"
	if _seated:
		return "seated"
	return "joining" if _hello_sent else "connecting"


## Audio and connection counters: frames_received, frames_late (seq gaps, duplicates),
## frames_dropped_stale (a cancelled generation), frames_flushed, frames_overflow,
## frames_skipped (silence skipped to catch up), frames_played, frames_invalid, underruns,
## buffer_depth_ms (jitter queue), output_queued_ms (in the generator), output_skips (mixes
## that found the generator short), output_restarts, output_flushed_ms (cancelled audio dropped
## from the generator), generation, playing, rate, rtt_ms.
func get_stats() -> Dictionary:
	var stats: Dictionary = _audio.get_stats()
	stats["rtt_ms"] = rtt_ms
	return stats


# --- connection -------------------------------------------------------------------------------


func _add_audio_option(hello: Dictionary, options: Dictionary) -> void:
	if options.get("audio", true) == false:
		hello["audio"] = false
		return
	var rate: int = int(options.get("rate", audio_rate))
	if rate > 0:
		hello["audio"] = {"rate": rate}


func _start(url: String, hello: Dictionary, attach: bool) -> Error:
	_drop_socket()
	_url = url
	_hello = hello
	_attach_mode = attach
	_user_closed = false
	_reconnect_at_msec = -1
	_reconnect_delay_s = reconnect_min_s
	_reconnect_attempt = 0
	_outbox.clear()
	seated_info = {}
	session_id = ""
	room_id = ""
	role = null
	players = []
	return _open_socket(false)  # a URL refused at once does not get better by retrying


func _open_socket(retry_on_failure: bool) -> Error:
	var ws := WebSocketPeer.new()
	ws.inbound_buffer_size = INBOUND_BUFFER_BYTES
	ws.outbound_buffer_size = OUTBOUND_BUFFER_BYTES
	var err: Error = ws.connect_to_url(_url)
	if err != OK:
		_on_closed(-1, "cannot connect to %s: %s" % [_url, error_string(err)], retry_on_failure)
		return err
	_ws = ws
	_hello_sent = false
	_seated = false
	_closing = false
	_state_since_msec = Time.get_ticks_msec()
	_audio.reset_stream()
	return OK


func _poll_socket() -> void:
	var ws: WebSocketPeer = _ws
	ws.poll()
	var state: WebSocketPeer.State = ws.get_ready_state()
	var now: int = Time.get_ticks_msec()
	if state == WebSocketPeer.STATE_OPEN and not _closing:
		if not _hello_sent:
			_hello_sent = true
			_send_text(JSON.stringify(_hello))
		while ws.get_available_packet_count() > 0:
			var packet: PackedByteArray = ws.get_packet()
			if ws.was_string_packet():
				_on_text(packet.get_string_from_utf8())
			else:
				_audio.push_packet(packet)
			if ws != _ws or _closing:
				return  # a signal handler left, or replaced the socket
		if _seated and ping_interval_s > 0.0 and now >= _next_ping_msec:
			_next_ping_msec = now + int(ping_interval_s * 1000.0)
			ping()
	elif state == WebSocketPeer.STATE_CONNECTING:
		if now - _state_since_msec > CONNECT_TIMEOUT_MS:
			_on_closed(-1, "no connection within %d ms" % CONNECT_TIMEOUT_MS)
	elif state == WebSocketPeer.STATE_CLOSED:
		_on_closed(ws.get_close_code(), ws.get_close_reason())
	elif _closing or state == WebSocketPeer.STATE_CLOSING:
		if not _closing:
			_closing = true
			_state_since_msec = now
		elif now - _state_since_msec > CLOSE_TIMEOUT_MS:
			_on_closed(-1, "the close handshake timed out")


## The socket is gone: report it, and schedule a reconnection when that can help.
func _on_closed(code: int, reason: String, may_retry: bool = true) -> void:
	_ws = null
	_hello_sent = false
	_seated = false
	_closing = false
	_audio.stop()
	_audio.reset_stream()
	var retry: bool = (
		may_retry
		and auto_reconnect
		and not _user_closed
		and not _attach_mode
		and not _url.is_empty()
		and not NO_RECONNECT_CODES.has(code)
	)
	var delay: float = 0.0
	if retry:
		delay = _reconnect_delay_s
		_reconnect_delay_s = minf(_reconnect_delay_s * 2.0, reconnect_max_s)
		_reconnect_attempt += 1
		_reconnect_at_msec = Time.get_ticks_msec() + int(delay * 1000.0)
	else:
		_outbox.clear()
	# Scheduled before the signals, so that a handler may call connect_to_table() or
	# disconnect_from_table() and have the last word.
	var attempt: int = _reconnect_attempt
	disconnected.emit(code, reason)
	if retry and _reconnect_at_msec >= 0 and attempt == _reconnect_attempt:
		reconnecting.emit(attempt, delay)


## Closes the current socket without a word and without [signal disconnected].
func _drop_socket() -> void:
	if _ws != null:
		var ws: WebSocketPeer = _ws
		_ws = null
		if ws.get_ready_state() == WebSocketPeer.STATE_OPEN:
			ws.close(1000, "client reconnected")
	_hello_sent = false
	_seated = false
	_closing = false
	_audio.stop()


func _send_text(text: String) -> void:
	var err: Error = _ws.send_text(text)
	if err != OK:
		push_warning("NarrationClient: send failed: %s" % error_string(err))


func _flush_outbox() -> void:
	var pending: Array[String] = _outbox
	_outbox = []
	for text in pending:
		_send_text(text)


# --- server messages --------------------------------------------------------------------------


func _on_text(text: String) -> void:
	var parsed: Variant = JSON.parse_string(text)
	if typeof(parsed) != TYPE_DICTIONARY:
		push_warning("NarrationClient: not a JSON object: " + text.left(80))
		return
	var msg: Dictionary = parsed
	match str(msg.get("type", "")):
		"seated":
			_on_seated(msg, false)
		"attached":
			_on_seated(msg, true)
		"state":
			_on_state(msg.get("state"))
		"message":
			_on_room_message(str(msg.get("message", "")), msg.get("data"))
		"pong":
			if msg.has("t"):
				rtt_ms = Time.get_ticks_msec() - int(msg["t"])


func _on_seated(msg: Dictionary, is_attach: bool) -> void:
	seated_info = msg
	session_id = str(msg.get("sessionId", ""))
	room_id = str(msg.get("roomId", ""))
	role = msg.get("role")
	_seated = true
	_reconnect_delay_s = reconnect_min_s
	_reconnect_attempt = 0
	_next_ping_msec = Time.get_ticks_msec() + int(ping_interval_s * 1000.0)
	var audio: Variant = msg.get("audio")
	if typeof(audio) == TYPE_DICTIONARY:
		_audio.start(int((audio as Dictionary).get("rate", 0)))
	_flush_outbox()
	if is_attach:
		attached.emit(msg)
	else:
		seated.emit(msg)


func _on_state(state: Variant) -> void:
	if typeof(state) != TYPE_DICTIONARY:
		return
	var room_state: Dictionary = state
	state_changed.emit(room_state)
	var seats: Variant = room_state.get("players")
	if typeof(seats) != TYPE_DICTIONARY:
		return
	var list: Array = []
	for id in seats:
		var p: Variant = seats[id]
		if typeof(p) == TYPE_DICTIONARY:
			list.append(
				{"id": str(p.get("id", id)), "name": str(p.get("name", "")), "role": p.get("role")}
			)
	if list != players:
		players = list
		players_changed.emit(list)


func _on_room_message(type: String, data: Variant) -> void:
	message.emit(type, data)
	var d: Dictionary = data if typeof(data) == TYPE_DICTIONARY else {}
	match type:
		"narration:status":
			var s: String = str(d.get("status", ""))
			if s != status:
				status = s
				status_changed.emit(s)
		"narration:caption":
			last_caption = str(d.get("text", ""))
			caption.emit(last_caption, int(d.get("index", -1)), str(d.get("narrationId", "")))
		"narration:start":
			narration_started.emit(d)
		"narration:end":
			narration_ended.emit(d)
		"narration:error":
			error.emit(str(d.get("type", "")), str(d.get("message", "")))
		"audio:error":
			error.emit("audio", str(d.get("message", "")))
