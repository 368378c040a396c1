extends "res://bridge_client.gd"
# A bridge client that records what it sees, for conformance.gd: seat, players, statuses,
# captions, narration messages, errors, the close, and per-frame audio figures.

var label: String = ""
var t0_usec: int = 0 # the scenario's time origin
var join_overrides: Dictionary = {} # merged into the `join` message (bad-input tests)

var seats: Array = [] # `seated` messages
var player_lists: Array = [] # every players_changed, as name lists
var names_seen: Dictionary = {} # every name seen in state.players
var statuses: Array = [] # {status, t_ms}
var captions: Array = [] # {index, text, narrationId, t_ms}
var starts: Array = []
var ends: Array = [] # narration:end reports (+ t_ms)
var accepted: Array = [] # narration:accepted data (+ t_ms)
var errors: Array = [] # narration:error / audio:error data (+ t_ms)
var error_signals: Array = [] # the `error` signal's (type, message)
var closes: Array = [] # {code, reason, t_ms}
var message_count: int = 0

# Audio, per frame.
var frames: int = 0
var voiced: int = 0
var silent: int = 0
var bad_frames: int = 0
var seq_missing: int = 0
var seq_out_of_order: int = 0
var rates: Dictionary = {}
var samples_per_frame: Dictionary = {}
var generations: Dictionary = {}
var sum_squares: float = 0.0
var voiced_samples: int = 0
var arrivals: Array = [] # [t_ms, generation, voiced, seq] for every frame
var max_gap_ms: float = 0.0
var long_gaps: Array = [] # {t_ms, gap_ms, seq}: arrivals more than 60 ms (3 frames) after the previous
var last_seq: int = -1
var highest_generation: int = -1
var stale_after_newer: int = 0 # frames of a generation below one already seen (must stay 0)
var audio_frames_checked: int = -1 # to_audio_frames() size of one voiced frame


func _ready() -> void:
	connect("seated", self, "_rec_seated")
	connect("players_changed", self, "_rec_players")
	connect("status_changed", self, "_rec_status")
	connect("caption", self, "_rec_caption")
	connect("narration_started", self, "_rec_start")
	connect("narration_ended", self, "_rec_end")
	connect("error", self, "_rec_error_signal")
	connect("disconnected", self, "_rec_close")
	connect("message", self, "_rec_message")


func now_ms() -> float:
	return (OS.get_ticks_usec() - t0_usec) / 1000.0


func _join_message() -> Dictionary:
	var msg: Dictionary = ._join_message().duplicate()
	for key in join_overrides:
		msg[key] = join_overrides[key]
	return msg


func _rec_seated(info: Dictionary) -> void:
	var s := info.duplicate()
	s["t_ms"] = now_ms()
	seats.push_back(s)


func _rec_players(list: Array) -> void:
	var names := []
	for p in list:
		names.push_back(p["name"])
		names_seen[p["name"]] = p["role"]
	player_lists.push_back(names)


func _rec_status(s: String) -> void:
	statuses.push_back({"status": s, "t_ms": now_ms()})


func _rec_caption(text: String, index: int, narration_id: String) -> void:
	captions.push_back({"index": index, "text": text, "narrationId": narration_id, "t_ms": now_ms()})


func _rec_start(info: Dictionary) -> void:
	starts.push_back(_stamped(info))


func _rec_end(report: Dictionary) -> void:
	ends.push_back(_stamped(report))


func _rec_error_signal(type: String, msg: String) -> void:
	error_signals.push_back({"type": type, "message": msg})


func _rec_close(code: int, reason: String) -> void:
	closes.push_back({"code": code, "reason": reason, "t_ms": now_ms()})


func _rec_message(type: String, data) -> void:
	message_count += 1
	if type == "narration:accepted" and typeof(data) == TYPE_DICTIONARY:
		accepted.push_back(_stamped(data))
	elif (type == "narration:error" or type == "audio:error") and typeof(data) == TYPE_DICTIONARY:
		var e := _stamped(data)
		e["message_type"] = type
		errors.push_back(e)


func _stamped(d: Dictionary) -> Dictionary:
	var out := d.duplicate()
	out["t_ms"] = now_ms()
	return out


func _on_frame(frame: Reference, arrival_usec: int) -> void:
	var t := (arrival_usec - t0_usec) / 1000.0
	if not arrivals.empty():
		var gap: float = t - arrivals[-1][0]
		max_gap_ms = max(max_gap_ms, gap)
		if gap > 60.0 and long_gaps.size() < 50:
			long_gaps.push_back({"t_ms": stepify(t, 0.1), "gap_ms": stepify(gap, 0.1), "seq": frame.seq})
	frames += 1
	rates[frame.rate] = true
	samples_per_frame[frame.samples] = true
	generations[frame.generation] = true
	if last_seq >= 0:
		if frame.seq > last_seq + 1:
			seq_missing += frame.seq - last_seq - 1
		elif frame.seq <= last_seq:
			seq_out_of_order += 1
	last_seq = int(max(last_seq, frame.seq))
	if frame.generation < highest_generation:
		stale_after_newer += 1
	highest_generation = int(max(highest_generation, frame.generation))
	if frame.is_silence():
		silent += 1
	else:
		voiced += 1
		sum_squares += frame.sum_squares()
		voiced_samples += frame.samples
		if audio_frames_checked < 0:
			audio_frames_checked = BridgeFrame.to_stereo(frame).size()
	arrivals.push_back([t, frame.generation, not frame.is_silence(), frame.seq])


# First voiced frame arriving at or after t_ms, or -1.
func first_voiced_after(t_ms: float) -> float:
	for a in arrivals:
		if a[0] >= t_ms and a[2]:
			return a[0]
	return -1.0


# Last voiced frame of generation <= gen arriving before t_ms, or -1.
func last_voiced_before(t_ms: float, gen: int) -> float:
	var last := -1.0
	for a in arrivals:
		if a[0] <= t_ms and a[2] and a[1] <= gen:
			last = a[0]
	return last


func voiced_between(from_ms: float, to_ms: float) -> int:
	var n := 0
	for a in arrivals:
		if a[0] >= from_ms and a[0] <= to_ms and a[2]:
			n += 1
	return n


# Frames per second of wall time over [from_ms, to_ms] (every frame, silent or not).
# `fps` counts every frame that arrived in the window. A stall of the server's main thread
# delays frames, then delivers them in a burst and catches up: a window that starts on a delayed
# frame also takes in the frames produced during the stall. So `fps_steady` counts between the
# first and the last frame of the window that arrived on time: a frame's delay is its arrival
# minus seq * 20 ms, and on time is within 40 ms of the least delay in the window. (A sender
# slower or faster than 50 frames/s shows up as a wrong rate or as a window shrunk to its end.)
func fps_between(from_ms: float, to_ms: float) -> Dictionary:
	var win := []
	for a in arrivals:
		if a[0] >= from_ms and a[0] <= to_ms:
			win.push_back(a)
	var n := win.size()
	if n < 2:
		return {"frames": n, "window_ms": to_ms - from_ms, "fps": 0.0, "fps_steady": 0.0, "steady_window_ms": 0.0, "steady_frames": 0, "stall_ms": 0.0}
	var least := INF
	var most := -INF
	for a in win:
		var d: float = a[0] - 20.0 * a[3]
		least = min(least, d)
		most = max(most, d)
	var first := 0
	while first < n - 1 and win[first][0] - 20.0 * win[first][3] > least + 40.0:
		first += 1
	var last := n - 1
	while last > first and win[last][0] - 20.0 * win[last][3] > least + 40.0:
		last -= 1
	var steady_ms: float = win[last][0] - win[first][0]
	return {
		"frames": n,
		"window_ms": to_ms - from_ms,
		"fps": (n - 1) / (to_ms - from_ms) * 1000.0 if to_ms > from_ms else 0.0,
		"fps_steady": (last - first) / steady_ms * 1000.0 if steady_ms > 0.0 else 0.0,
		"steady_frames": last - first + 1,
		"steady_window_ms": steady_ms,
		"catch_up_ms": win[first][0] - from_ms,
		"stall_ms": most - least, # the longest delay of a frame in the window
	}


# What arrived around a cancel sent at cancel_ms, when `gen_before` was the highest generation.
func cancel_report(cancel_ms: float, gen_before: int) -> Dictionary:
	var old_after_cancel := []
	var first_new := -1.0
	var old_after_new := 0
	var last_old_voiced := -1.0
	for a in arrivals:
		if a[0] < cancel_ms:
			continue
		if a[1] > gen_before:
			if first_new < 0:
				first_new = a[0]
		else:
			old_after_cancel.push_back(stepify(a[0] - cancel_ms, 0.01))
			if a[2]:
				last_old_voiced = a[0] - cancel_ms
			if first_new >= 0:
				old_after_new += 1
	return {
		"generation_before": gen_before,
		"new_generations": _gens_above(gen_before),
		"first_new_generation_ms": first_new - cancel_ms if first_new >= 0 else null,
		"old_frames_after_cancel_ms": old_after_cancel,
		"old_frames_after_cancel": old_after_cancel.size(),
		"last_old_voiced_after_cancel_ms": last_old_voiced if last_old_voiced >= 0 else null,
		"old_after_first_new": old_after_new,
	}


# Every frame as [t_ms (0.1 ms), seq, generation, voiced 0/1], for diagnostics.
func _compact_arrivals() -> Array:
	var out := []
	for a in arrivals:
		out.push_back([stepify(a[0], 0.1), a[3], a[1], 1 if a[2] else 0])
	return out


func _gens_above(g: int) -> Array:
	var out := []
	for k in generations:
		if k > g:
			out.push_back(k)
	return out


func report() -> Dictionary:
	var first_t = arrivals[0][0] if not arrivals.empty() else null
	var last_t = arrivals[-1][0] if not arrivals.empty() else null
	return {
		"label": label,
		"seated": seats[0] if not seats.empty() else null,
		"seats": seats.size(),
		"role": role,
		"session_id": session_id,
		"room_id": room_id,
		"player_lists": player_lists,
		"names_seen": names_seen, # name -> role
		"players_final": players,
		"statuses": statuses,
		"captions": captions,
		"starts": starts,
		"ends": ends,
		"accepted": accepted,
		"errors": errors,
		"error_signals": error_signals,
		"closes": closes,
		"messages": message_count,
		"audio": {
			"frames": frames,
			"voiced": voiced,
			"silent": silent,
			"seq_missing": seq_missing,
			"seq_out_of_order": seq_out_of_order,
			"rates": rates.keys(),
			"samples_per_frame": samples_per_frame.keys(),
			"generations": generations.keys(),
			"rms": sqrt(sum_squares / voiced_samples) if voiced_samples > 0 else 0.0,
			"first_frame_ms": first_t,
			"last_frame_ms": last_t,
			"overall_fps": (frames - 1) / (last_t - first_t) * 1000.0 if frames > 1 and last_t > first_t else 0.0,
			"max_gap_ms": max_gap_ms,
			"long_gaps": long_gaps,
			"arrivals": _compact_arrivals(),
			"stale_after_newer": stale_after_newer,
			"audio_frames_checked": audio_frames_checked,
		},
		"jitter": get_stats(),
	}
