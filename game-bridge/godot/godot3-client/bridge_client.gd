extends Node
# A game bridge client (game-bridge/PROTOCOL.md) for Godot 3.2+: one WebSocket that seats this
# game at a narrated table, carries room messages both ways and receives the narration audio as
# 20 ms PCM frames into a jitter buffer. Add it as a node, connect its signals, then call
# connect_to_table(). Its _process only polls the socket and drains the jitter buffer.

const BridgeFrame = preload("res://bridge_frame.gd")
const JitterBuffer = preload("res://jitter_buffer.gd")

const PROTOCOL_VERSION := 1

signal seated(info) # the server's `seated` message: roomId, roomName, sessionId, role, audio
signal state_changed(state) # the room state (Schema.toJSON()), after every patch
signal players_changed(players) # Array of {id, name, role}, from state.players
signal status_changed(status) # idle | buffering | speaking | paused
signal caption(text, index, narration_id)
signal narration_started(info) # {narrationId, trigger}
signal narration_ended(report) # the narration's report: id, cancelled, ttfaMs, ...
signal error(type, message) # a refused request (narration:error) or audio:error (type "audio")
signal disconnected(code, reason) # the socket closed; code -1 when the server sent no close frame
signal message(type, data) # every room message, verbatim

var jitter: Reference = JitterBuffer.new()
# Optional real playback: an AudioStreamGeneratorPlayback whose generator's mix_rate is the
# seated audio rate. Played frames are pushed to it; without one they are only counted.
var generator_playback: Object = null

var seated_info: Dictionary = {}
var role = null # "dm", "player" or null (a room without narration); follows state.players
var session_id: String = ""
var room_id: String = ""
var status: String = "idle"
var players: Array = []
var rtt_ms: int = -1 # round trip of the last JSON ping

var _ws: WebSocketClient = null
var _join: Dictionary = {}
var _close_code: int = -1
var _close_reason: String = ""
var _open: bool = false
var _frames_invalid: int = 0


# Opens the socket and takes a seat. `room_or_room_name` is a room type (join-or-create, e.g.
# "table") unless options.room_id names a room. Options: room_id, role ("dm"), dm_secret,
# rate (audio Hz; default the room's), audio (false: captions and control only),
# join_options (extra join options for the room), jitter_ms.
func connect_to_table(url: String, room_or_room_name: String, player_name: String, options: Dictionary = {}) -> int:
	_drop_socket()
	var join_options: Dictionary = options.get("join_options", {}).duplicate()
	join_options["name"] = player_name
	if options.has("dm_secret"):
		join_options["dmSecret"] = options["dm_secret"]
	_join = {"type": "join", "v": PROTOCOL_VERSION, "name": player_name, "options": join_options}
	if options.get("room_id", "") != "":
		_join["room"] = options["room_id"]
	else:
		_join["roomName"] = room_or_room_name
	if options.has("role"):
		_join["role"] = options["role"]
	if options.get("audio", true) == false:
		_join["audio"] = false
	elif options.has("rate"):
		_join["audio"] = {"rate": int(options["rate"])}
	jitter.jitter_ms = int(options.get("jitter_ms", jitter.jitter_ms))
	jitter.reset_stream()
	seated_info = {}
	role = null
	session_id = ""
	room_id = ""
	players = []
	_close_code = -1
	_close_reason = ""
	_ws = WebSocketClient.new()
	_ws.connect("connection_established", self, "_on_established")
	_ws.connect("connection_closed", self, "_on_closed")
	_ws.connect("connection_error", self, "_on_connection_error")
	_ws.connect("server_close_request", self, "_on_close_request")
	_ws.connect("data_received", self, "_on_data")
	var err: int = _ws.connect_to_url(url)
	if err != OK:
		_ws = null
	return err


# A game event of the server's rules table: narration:event {type, ...fields}.
func send_event(type: String, fields: Dictionary = {}) -> void:
	var data := fields.duplicate()
	data["type"] = type
	send_message("narration:event", data)


# DM: narrate free text.
func narrate(text: String, voice: String = "") -> void:
	var data := {"text": text}
	if voice != "":
		data["voice"] = voice
	send_message("narration:narrate", data)


# DM: cancel one narration, or everything when narration_id is empty.
func cancel(narration_id: String = "") -> void:
	send_message("narration:cancel", {"narrationId": narration_id} if narration_id != "" else null)


func pause() -> void:
	send_message("narration:pause")


func resume() -> void:
	send_message("narration:resume")


# Any room message, as the Colyseus SDK's room.send(type, data).
func send_message(type: String, data = null) -> void:
	var msg := {"type": "send", "message": type}
	if data != null:
		msg["data"] = data
	_send_json(msg)


# JSON ping; the pong's round trip lands in rtt_ms.
func ping() -> void:
	_send_json({"type": "ping", "t": OS.get_ticks_msec()})


# Sends a text frame as is (for tests of the server's refusals).
func send_raw_text(text: String) -> void:
	if _open:
		_ws.get_peer(1).put_packet(text.to_utf8())


# Leaves the room; the server closes the socket with 1000 (then `disconnected`).
func leave() -> void:
	if _open:
		_send_json({"type": "leave"})
	else:
		_drop_socket() # still connecting: nothing to leave yet


# The Godot 4 addon's name for leave().
func disconnect_from_table() -> void:
	leave()


# True while seated on an open socket.
func is_seated() -> bool:
	return _open and not seated_info.empty()


# Audio counters (jitter_buffer.gd get_stats(): frames_received, frames_late, frames_dropped_stale,
# frames_flushed, frames_overflow, frames_skipped, frames_played, underruns, buffer_depth_ms,
# generation, playing) plus frames_invalid, rate and rtt_ms.
func get_stats() -> Dictionary:
	var stats: Dictionary = jitter.get_stats()
	stats["frames_invalid"] = _frames_invalid
	stats["rate"] = int(seated_info["audio"].get("rate", 0)) if typeof(seated_info.get("audio")) == TYPE_DICTIONARY else 0
	stats["rtt_ms"] = rtt_ms
	return stats


func _process(_delta: float) -> void:
	var ws := _ws # a local reference: a signal handler may drop _ws during poll()
	if ws == null:
		return
	ws.poll()
	for frame in jitter.drain(OS.get_ticks_msec()):
		_play(frame)


func _send_json(msg: Dictionary) -> void:
	send_raw_text(JSON.print(msg))


func _on_established(_protocol: String) -> void:
	_open = true
	_ws.get_peer(1).set_write_mode(WebSocketPeer.WRITE_MODE_TEXT)
	_send_json(_join_message())


func _on_close_request(code: int, reason: String) -> void:
	_close_code = code
	_close_reason = reason


func _on_connection_error() -> void:
	_finish(-1, "connection error")


func _on_closed(_was_clean: bool) -> void:
	_finish(_close_code, _close_reason)


# Closes the socket without a word to the server and without `disconnected`.
func _drop_socket() -> void:
	if _ws != null:
		var ws := _ws
		_ws = null
		_open = false
		ws.disconnect_from_host(1000, "bye")


func _finish(code: int, reason: String) -> void:
	var was_active := _ws != null
	_open = false
	_ws = null
	jitter.reset_stream()
	if was_active:
		emit_signal("disconnected", code, reason)


func _on_data() -> void:
	var ws := _ws
	var peer: WebSocketPeer = ws.get_peer(1)
	while ws == _ws and peer.get_available_packet_count() > 0:
		var packet: PoolByteArray = peer.get_packet()
		if peer.was_string_packet():
			_on_text(packet.get_string_from_utf8())
		else:
			_on_binary(packet)


func _on_binary(packet: PoolByteArray) -> void:
	var frame = BridgeFrame.parse(packet)
	if not frame.is_valid():
		_frames_invalid += 1
		push_warning("bridge: bad audio frame: " + frame.error)
		return
	_on_frame(frame, OS.get_ticks_usec())
	jitter.push(frame)


func _on_text(text: String) -> void:
	var parsed := JSON.parse(text)
	if parsed.error != OK or typeof(parsed.result) != TYPE_DICTIONARY:
		push_warning("bridge: not a JSON object: " + text.left(80))
		return
	var msg: Dictionary = parsed.result
	match msg.get("type"):
		"seated":
			seated_info = msg
			role = msg.get("role")
			session_id = str(msg.get("sessionId", ""))
			room_id = str(msg.get("roomId", ""))
			emit_signal("seated", msg)
		"state":
			var state = msg.get("state")
			emit_signal("state_changed", state)
			_update_players(state)
		"message":
			_on_room_message(str(msg.get("message", "")), msg.get("data"))
		"pong":
			if msg.has("t"):
				rtt_ms = OS.get_ticks_msec() - int(msg["t"])


func _on_room_message(type: String, data) -> void:
	emit_signal("message", type, data)
	var d: Dictionary = data if typeof(data) == TYPE_DICTIONARY else {}
	match type:
		"narration:status":
			status = str(d.get("status", ""))
			emit_signal("status_changed", status)
		"narration:caption":
			emit_signal("caption", str(d.get("text", "")), int(d.get("index", -1)), str(d.get("narrationId", "")))
		"narration:start":
			emit_signal("narration_started", d)
		"narration:end":
			emit_signal("narration_ended", d)
		"narration:error":
			emit_signal("error", str(d.get("type", "")), str(d.get("message", "")))
		"audio:error":
			emit_signal("error", "audio", str(d.get("message", "")))


func _update_players(state) -> void:
	if typeof(state) != TYPE_DICTIONARY or typeof(state.get("players")) != TYPE_DICTIONARY:
		return
	var list := []
	for id in state["players"]:
		var p = state["players"][id]
		if typeof(p) == TYPE_DICTIONARY:
			list.push_back({"id": str(p.get("id", id)), "name": str(p.get("name", "")), "role": p.get("role")})
			if str(id) == session_id:
				role = p.get("role") # the seat can change hands (a DM with the secret arrives)
	if not _same_players(list, players):
		players = list
		emit_signal("players_changed", list)


func _same_players(a: Array, b: Array) -> bool:
	if a.size() != b.size():
		return false
	for i in range(a.size()):
		if a[i].hash() != b[i].hash():
			return false
	return true


# The `join` message sent once the socket is open.
func _join_message() -> Dictionary:
	return _join


# Hook: every parsed audio frame as it arrives (before the jitter buffer). For probes and meters.
func _on_frame(_frame: Reference, _arrival_usec: int) -> void:
	pass


# A frame leaving the jitter buffer: to the generator when there is one.
func _play(frame: Reference) -> void:
	if generator_playback != null and generator_playback.can_push_buffer(frame.samples):
		generator_playback.push_buffer(BridgeFrame.to_stereo(frame))
