extends Reference
# The client jitter buffer of game-bridge/PROTOCOL.md ("Pacing", "Cancel", "Slow readers",
# "Underrun"), for Godot 3.
#
# Frames are queued in arrival order. Playback starts once `jitter_ms` of audio is buffered, then
# one 20 ms frame is consumed per 20 ms of wall time: headless Godot 3 runs the dummy audio
# driver, where an AudioStreamGenerator never drains, so drain(OS.get_ticks_msec()) paces it.
# A frame of a lower generation than the highest seen is stale and dropped; a frame of a higher
# generation flushes the queue (the cancelled narration's audio) and refills to the target.
# When the queue runs dry while playing, that is an underrun (silence plays) and the buffer
# refills to the target. The queue never holds more than `max_ms` (the oldest frames go), and
# while it is well above the target it skips silent frames to win the latency back after a burst.
# (The Godot 4 addon's jitter_buffer.gd is the same with pop() driven by the audio output.)

enum { QUEUED, QUEUED_AFTER_FLUSH, DROPPED_STALE, DROPPED_LATE } # push() results

const FRAME_MS := 20

var jitter_ms: int = 100 # audio to buffer before (re)starting playback, ms
var max_ms: int = 2000 # most audio the queue holds; beyond it the oldest frames go, ms
var catch_up_ms: int = 60 # while the queue exceeds jitter_ms by this much, silent frames are skipped

var frames_received: int = 0 # every frame pushed
var frames_late: int = 0 # frames never received (seq gaps), duplicates and out-of-order frames
var frames_dropped_stale: int = 0 # frames of a generation below the highest seen
var frames_flushed: int = 0 # queued frames dropped because a newer generation arrived
var frames_overflow: int = 0 # oldest frames dropped because the queue reached max_ms
var frames_skipped: int = 0 # silent frames skipped to bring latency back to the target
var frames_played: int = 0 # frames drain() handed out
var underruns: int = 0 # the queue ran dry while playing

var _queue: Array = [] # of bridge_frame.gd's Frame, oldest first
var _generation: int = -1 # highest generation seen on this stream
var _last_seq: int = -1 # highest seq seen on this stream
var _playing: bool = false
var _next_due_msec: int = 0 # wall time at which the next frame is due


# Queues a frame; returns QUEUED, QUEUED_AFTER_FLUSH (a newer generation dropped what was
# queued), DROPPED_STALE or DROPPED_LATE.
func push(frame: Reference) -> int:
	frames_received += 1
	if frame.generation < _generation:
		frames_dropped_stale += 1
		return DROPPED_STALE
	if _last_seq >= 0 and frame.seq <= _last_seq:
		frames_late += 1 # a duplicate or out of order: too late to play
		return DROPPED_LATE
	var result: int = QUEUED
	if frame.generation > _generation:
		if _generation >= 0:
			frames_flushed += _queue.size()
			_queue.clear()
			_playing = false
			result = QUEUED_AFTER_FLUSH
		_generation = frame.generation
	if _last_seq >= 0:
		frames_late += frame.seq - _last_seq - 1 # frames the server never sent us
	_last_seq = frame.seq
	_queue.push_back(frame)
	while _queue.size() * FRAME_MS > max_ms:
		_queue.pop_front()
		frames_overflow += 1
	return result


# The frames due by `now_msec`, in order: none while buffering; one per 20 ms of wall time while
# playing. An empty queue when a frame is due is an underrun.
func drain(now_msec: int) -> Array:
	var out := []
	if not _playing:
		if _queue.empty() or buffer_depth_ms() < jitter_ms:
			return out
		_playing = true
		_next_due_msec = now_msec
	while now_msec >= _next_due_msec:
		if _queue.empty():
			underruns += 1
			_playing = false
			break
		while _queue.size() > 1 and buffer_depth_ms() > jitter_ms + catch_up_ms and _queue[0].is_silence():
			_queue.pop_front()
			frames_skipped += 1
		out.push_back(_queue.pop_front())
		frames_played += 1
		_next_due_msec += FRAME_MS
	return out


# Forgets the stream (a new connection: seq and generation start over); keeps the counters.
func reset_stream() -> void:
	_queue.clear()
	_playing = false
	_generation = -1
	_last_seq = -1


func buffer_depth_ms() -> int:
	return _queue.size() * FRAME_MS


# True once the target depth was reached, until the next underrun or flush.
func is_playing() -> bool:
	return _playing


# Highest generation seen on this stream (-1 before the first frame).
func generation() -> int:
	return _generation


func get_stats() -> Dictionary:
	return {
		"frames_received": frames_received,
		"frames_late": frames_late,
		"frames_dropped_stale": frames_dropped_stale,
		"frames_flushed": frames_flushed,
		"frames_overflow": frames_overflow,
		"frames_skipped": frames_skipped,
		"frames_played": frames_played,
		"underruns": underruns,
		"buffer_depth_ms": buffer_depth_ms(),
		"generation": _generation,
		"playing": _playing,
	}
