extends Node
# Conformance run of the game bridge in a real (headless) Godot 3 engine: two bridge clients,
# a DM and a player, at one `table` room; narration, captions, audio, cancel, refusals, pause,
# bad input. Writes a JSON report to --out= and quits: 0 when the scenario ran to its end
# (failed checks are listed in the report's `failures`), 1 when a seat failed (nothing else can
# run), 2 on the overall timeout, 3 when the report cannot be written, 64 on bad arguments.
#
#   godot3-server --path game-bridge/godot/godot3-client -- \
#     --url=ws://127.0.0.1:2567/bridge --out=/tmp/godot3.json --dm-secret=sesame

const Probe = preload("res://probe_client.gd")

const LONG_TEXT := "The road winds down into the valley, and the rain grows heavier with every mile. Lanterns flicker in the windows of the village below, while a bell tolls somewhere in the mist. An old woman waits at the gate with a lamp, her face hidden under a grey hood. She raises one hand and calls your names, as if she had known you were coming for years. Behind her, the doors of the inn swing open and the smell of bread and smoke drifts out into the night."
const SHORT_TEXT := "The door creaks open, and a cold wind blows through the empty hall of the keep, carrying dust and old leaves."

var url: String = ""
var out_path: String = ""
var dm_secret: String = ""
var timeout_ms: int = 40000
var cancel_after_ms: int = 1500

var dm: Node
var player: Node
var stranger: Node
var t0_usec: int = 0
var step: String = "start"
var failures: Array = []
var timings: Dictionary = {}
var steps: Dictionary = {}
var closes: Dictionary = {}
var finished: bool = false


func _ready() -> void:
	for arg in OS.get_cmdline_args():
		if arg.begins_with("--url="):
			url = arg.substr(6, arg.length())
		elif arg.begins_with("--out="):
			out_path = arg.substr(6, arg.length())
		elif arg.begins_with("--dm-secret="):
			dm_secret = arg.substr(12, arg.length())
		elif arg.begins_with("--timeout-ms="):
			timeout_ms = int(arg.substr(13, arg.length()))
	if url == "" or out_path == "":
		printerr("usage: godot3-server --path <this dir> -- --url=ws://HOST:PORT/bridge --out=FILE [--dm-secret=S] [--timeout-ms=N]")
		get_tree().quit(64)
		return
	t0_usec = OS.get_ticks_usec()
	dm = _probe("dm")
	player = _probe("player")
	stranger = _probe("stranger")
	_run()


func _process(_delta: float) -> void:
	if dm != null and not finished and _now() > timeout_ms:
		_fail("overall timeout of %d ms in step %s" % [timeout_ms, step])
		_finish(2)


func _probe(label: String) -> Node:
	var p: Node = Probe.new()
	p.label = label
	p.t0_usec = t0_usec
	p.name = label
	add_child(p)
	return p


func _now() -> float:
	return (OS.get_ticks_usec() - t0_usec) / 1000.0


func _fail(what: String) -> void:
	printerr("conformance: ", what)
	failures.push_back({"step": step, "what": what, "t_ms": _now()})


# --- waiting (coroutines: always yield at least once, so callers can yield on "completed") ---

# Waits until call(pred, args) is true; false (and a failure noted) after timeout_ms.
func _until(pred: String, args: Array, timeout_ms_: int, what: String) -> bool:
	yield(get_tree(), "idle_frame")
	var deadline := _now() + timeout_ms_
	while not callv(pred, args):
		if _now() > deadline or finished:
			_fail("timed out after %d ms waiting for %s" % [timeout_ms_, what])
			return false
		yield(get_tree(), "idle_frame")
	return true


func _sleep(ms: int) -> void:
	yield(get_tree().create_timer(ms / 1000.0), "timeout")


func _seated_or_closed(p: Node) -> bool:
	return not p.seats.empty() or not p.closes.empty()


func _sees_names(p: Node, count: int) -> bool:
	return p.players.size() == count


func _has_more(p: Node, field: String, n: int) -> bool:
	return p.get(field).size() > n


func _closed(p: Node, n: int) -> bool:
	return p.closes.size() > n


func _voiced_after(p: Node, t_ms: float) -> bool:
	return p.first_voiced_after(t_ms) >= 0


func _elapsed_since(t_ms: float, ms: float) -> bool:
	return _now() - t_ms >= ms


func _newer_generation(p: Node, gen: int) -> bool:
	return p.highest_generation > gen


func _ended(p: Node, id: String) -> bool:
	return _find(p.ends, "id", id) != null


func _status_is(p: Node, s: String, from: int) -> bool:
	for i in range(from, p.statuses.size()):
		if p.statuses[i]["status"] == s:
			return true
	return false


func _find(list: Array, key: String, value):
	for d in list:
		if d.get(key) == value:
			return d
	return null


func _last(list: Array):
	return list[-1] if not list.empty() else null


# --- the scenario ---

func _run() -> void:
	# a. Seats: the DM by room type (role dm + dmSecret), the player by the DM's room id at 16 kHz.
	step = "seat"
	dm.connect_to_table(url, "table", "Mira", {"role": "dm", "dm_secret": dm_secret})
	yield(_until("_seated_or_closed", [dm], 5000, "the DM's seat"), "completed")
	if dm.seats.empty():
		_fail("the DM was not seated: %s" % [dm.closes])
		_finish(1) # nothing else can run without both seats
		return
	player.connect_to_table(url, "table", "Ana", {"room_id": dm.room_id, "rate": 16000})
	yield(_until("_seated_or_closed", [player], 5000, "the player's seat"), "completed")
	if player.seats.empty():
		_fail("the player was not seated: %s" % [player.closes])
		_finish(1)
		return
	yield(_until("_sees_names", [dm, 2], 3000, "both names at the DM"), "completed")
	yield(_until("_sees_names", [player, 2], 3000, "both names at the player"), "completed")
	timings["seated_ms"] = _now()

	# b. A long narration by the DM: accepted, start, captions, status, audio at both.
	step = "narrate"
	var n_acc: int = dm.accepted.size()
	var narrate_ms := _now()
	timings["narrate_sent_ms"] = narrate_ms
	dm.narrate(LONG_TEXT)
	if yield(_until("_has_more", [dm, "accepted", n_acc], 5000, "narration:accepted"), "completed"):
		steps["narrate_accepted"] = dm.accepted[n_acc]
	var long_id: String = str(_last(dm.accepted).get("narrationId", "")) if not dm.accepted.empty() else ""
	steps["long_narration_id"] = long_id
	yield(_until("_voiced_after", [dm, narrate_ms], 5000, "the DM's first voiced frame"), "completed")
	yield(_until("_voiced_after", [player, narrate_ms], 5000, "the player's first voiced frame"), "completed")
	var first_voiced: float = dm.first_voiced_after(narrate_ms)
	timings["first_voiced_dm_ms"] = first_voiced
	timings["first_voiced_player_ms"] = player.first_voiced_after(narrate_ms)

	# c. Cancel after ~1.5 s of voiced audio: no audio of the old generation after the new one.
	step = "cancel"
	yield(_until("_elapsed_since", [first_voiced, cancel_after_ms], 5000, "1.5 s of audio"), "completed")
	var gen_dm: int = dm.highest_generation
	var gen_player: int = player.highest_generation
	var cancel_ms := _now()
	timings["cancel_sent_ms"] = cancel_ms
	dm.cancel()
	yield(_until("_ended", [dm, long_id], 5000, "the cancelled narration's end"), "completed")
	timings["cancel_end_ms"] = _now()
	yield(_until("_newer_generation", [dm, gen_dm], 3000, "a newer generation at the DM"), "completed")
	yield(_until("_newer_generation", [player, gen_player], 3000, "a newer generation at the player"), "completed")
	yield(_sleep(500), "completed") # let any late old-generation frame show up
	var speak_end_dm: float = dm.last_voiced_before(cancel_ms + 1000.0, gen_dm)
	var speak_end_player: float = player.last_voiced_before(cancel_ms + 1000.0, gen_player)
	steps["speaking"] = {
		"dm": dm.fps_between(first_voiced, speak_end_dm),
		"player": player.fps_between(player.first_voiced_after(narrate_ms), speak_end_player),
	}
	steps["cancel"] = {
		"report": _find(dm.ends, "id", long_id),
		"dm": dm.cancel_report(cancel_ms, gen_dm),
		"player": player.cancel_report(cancel_ms, gen_player),
	}

	# d. Refusals and a player's game event.
	step = "refusals"
	var n_err: int = player.errors.size()
	player.narrate("I am not the DM.")
	if yield(_until("_has_more", [player, "errors", n_err], 3000, "the player's narrate refusal"), "completed"):
		steps["player_narrate_error"] = player.errors[n_err]
	var p_acc: int = player.accepted.size()
	player.send_event("dice_roll", {"name": "Ana", "dice": "1d20", "result": 17})
	if yield(_until("_has_more", [player, "accepted", p_acc], 3000, "the dice_roll's acceptance"), "completed"):
		var acc: Dictionary = player.accepted[p_acc]
		steps["event_accepted"] = acc
		if yield(_until("_ended", [player, str(acc.get("narrationId", ""))], 10000, "the dice_roll's end"), "completed"):
			steps["event_end"] = _find(player.ends, "id", str(acc.get("narrationId", "")))
	n_err = dm.errors.size()
	dm.send_event("no_such_event", {"name": "Mira"})
	if yield(_until("_has_more", [dm, "errors", n_err], 3000, "unknown_event"), "completed"):
		steps["unknown_event_error"] = dm.errors[n_err]
	n_err = dm.errors.size()
	dm.send_message("narration:narrate", {"text": 5})
	if yield(_until("_has_more", [dm, "errors", n_err], 3000, "bad_request"), "completed"):
		steps["bad_request_error"] = dm.errors[n_err]

	# e. Pause and resume during a short narration.
	step = "pause"
	var s_from: int = dm.statuses.size()
	n_acc = dm.accepted.size()
	var short_ms := _now()
	dm.narrate(SHORT_TEXT)
	yield(_until("_has_more", [dm, "accepted", n_acc], 5000, "the short narration's acceptance"), "completed")
	var short_id: String = str(_last(dm.accepted).get("narrationId", "")) if dm.accepted.size() > n_acc else ""
	yield(_until("_voiced_after", [dm, short_ms], 5000, "the short narration's audio"), "completed")
	yield(_sleep(300), "completed")
	var pause_ms := _now()
	dm.pause()
	yield(_until("_status_is", [dm, "paused", s_from], 3000, "status paused"), "completed")
	timings["paused_status_ms"] = _now() - pause_ms
	var paused_at := _now()
	yield(_sleep(600), "completed")
	var resume_ms := _now()
	dm.resume()
	yield(_until("_ended", [dm, short_id], 15000, "the short narration's end"), "completed")
	var st := []
	for i in range(s_from, dm.statuses.size()):
		st.push_back(dm.statuses[i]["status"])
	steps["pause"] = {
		"narration_id": short_id,
		"statuses": st,
		"voiced_frames_while_paused": dm.voiced_between(paused_at + 100.0, resume_ms),
		"paused_window_ms": resume_ms - paused_at,
		"report": _find(dm.ends, "id", short_id),
	}

	# f. Bad input: a non-JSON text frame, join v 2, an unknown room id; then the DM leaves.
	step = "bad-input"
	dm.ping()
	player.send_raw_text("this is not JSON {")
	yield(_until("_closed", [player, 0], 3000, "the close after a non-JSON frame"), "completed")
	closes["player_not_json"] = _last(player.closes)
	yield(_until("_sees_names", [dm, 1], 3000, "the player's departure at the DM"), "completed")
	steps["dm_players_after_player_left"] = dm.players
	stranger.join_overrides = {"v": 2}
	stranger.connect_to_table(url, "table", "Eve")
	yield(_until("_closed", [stranger, 0], 3000, "the close after join v 2"), "completed")
	closes["join_v2"] = _last(stranger.closes)
	stranger.join_overrides = {}
	stranger.connect_to_table(url, "table", "Eve", {"room_id": "nope"})
	yield(_until("_closed", [stranger, 1], 3000, "the close after join to room nope"), "completed")
	closes["join_unknown_room"] = _last(stranger.closes) if stranger.closes.size() > 1 else null
	timings["dm_rtt_ms"] = dm.rtt_ms
	step = "leave"
	dm.leave()
	yield(_until("_closed", [dm, 0], 3000, "the close after leave"), "completed")
	closes["dm_leave"] = _last(dm.closes)
	step = "done"
	_finish(0)


func _finish(code: int) -> void:
	if finished:
		return
	finished = true
	timings["total_ms"] = _now()
	var result := {
		"ran_to_end": step == "done",
		"step": step,
		"failures": failures,
		"godot": Engine.get_version_info(),
		"dm": dm.report(),
		"player": player.report(),
		"stranger": stranger.report(),
		"closes": closes,
		"timings": timings,
		"steps": steps,
	}
	var f := File.new()
	var err := f.open(out_path, File.WRITE)
	if err != OK:
		printerr("conformance: cannot write ", out_path, " (error ", err, ")")
		code = 3
	else:
		f.store_string(JSON.print(result, "  "))
		f.close()
	print("conformance: %s, %d failure(s), %d ms" % [step, failures.size(), int(_now())])
	get_tree().quit(code)
