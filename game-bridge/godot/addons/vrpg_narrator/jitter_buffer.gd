extends RefCounted
## The client jitter buffer of game-bridge/PROTOCOL.md ("Pacing", "Cancel", "Slow readers",
## "Underrun").
##
## Frames are queued in arrival order. Playback starts once [member jitter_ms] of audio is
## buffered (counting what the output still holds), then the consumer (the audio output) takes
## one frame at a time with [method pop]. A frame of a lower generation than the highest seen is
## stale and dropped; a frame of a higher generation flushes the queue (the cancelled narration's
## audio) and refills to the target. When the output is about to run dry and the queue has
## nothing, the consumer calls [method underrun]: counted, and the buffer refills to the target
## before playing again. The queue never holds more than
## [member max_ms] (the oldest frames go), and while it is well above the target it skips
## silent frames to win the latency back (after a burst, or when the sender's clock runs fast).

## [method push] results.
enum { QUEUED, QUEUED_AFTER_FLUSH, DROPPED_STALE, DROPPED_LATE }

const BridgeFrame := preload("bridge_frame.gd")
const FRAME_MS := 20

## Audio to buffer before (re)starting playback, ms.
var jitter_ms: int = 100
## Most audio the queue holds; beyond it the oldest frames are dropped, ms.
var max_ms: int = 2000
## While queued audio exceeds jitter_ms by this much, silent frames are skipped, ms.
var catch_up_ms: int = 60

var frames_received: int = 0  ## Every frame pushed.
var frames_late: int = 0  ## Frames never received (seq gaps), duplicates and out-of-order frames.
var frames_dropped_stale: int = 0  ## Frames of a generation below the highest seen.
var frames_flushed: int = 0  ## Queued frames dropped because a newer generation arrived.
var frames_overflow: int = 0  ## Oldest frames dropped because the queue reached max_ms.
var frames_skipped: int = 0  ## Silent frames skipped to bring latency back to the target.
var frames_played: int = 0  ## Frames handed to the output by pop().
var underruns: int = 0  ## The output ran dry while playing (see [method underrun]).

var _queue: Array = []  # of BridgeFrame.Frame, oldest first
var _generation: int = -1  # highest generation seen on this stream
var _last_seq: int = -1  # highest seq seen on this stream
var _playing: bool = false


## Queues [param frame]; returns QUEUED, QUEUED_AFTER_FLUSH (a newer generation dropped what was
## queued: the caller should drop its own output buffer too), DROPPED_STALE or DROPPED_LATE.
func push(frame: BridgeFrame.Frame) -> int:
	frames_received += 1
	if frame.generation < _generation:
		frames_dropped_stale += 1
		return DROPPED_STALE
	if _last_seq >= 0 and frame.seq <= _last_seq:
		frames_late += 1  # a duplicate or out of order: too late to play
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
		frames_late += frame.seq - _last_seq - 1  # frames the server never sent us
	_last_seq = frame.seq
	_queue.push_back(frame)
	while _queue.size() * FRAME_MS > max_ms:
		_queue.pop_front()
		frames_overflow += 1
	return result


## The next frame to play, or null while buffering (below the target) or when the queue is
## empty. [param output_ms] is the audio the output still holds, counted towards the target.
func pop(output_ms: int = 0) -> BridgeFrame.Frame:
	if not _playing:
		if _queue.is_empty() or buffer_depth_ms() + output_ms < jitter_ms:
			return null
		_playing = true
	if _queue.is_empty():
		return null
	while _queue.size() > 1 and buffer_depth_ms() + output_ms > jitter_ms + catch_up_ms:
		var head: BridgeFrame.Frame = _queue[0]
		if not head.is_silence():
			break
		_queue.pop_front()
		frames_skipped += 1
	frames_played += 1
	return _queue.pop_front()


## The output is running dry while playing and [method pop] had nothing: counts an underrun
## and refills to the target before playing again.
func underrun() -> void:
	if _playing:
		underruns += 1
		_playing = false


## Forgets the stream (a new connection: seq and generation start over); keeps the counters.
func reset_stream() -> void:
	_queue.clear()
	_playing = false
	_generation = -1
	_last_seq = -1


## Queued audio, ms.
func buffer_depth_ms() -> int:
	return _queue.size() * FRAME_MS


## True once the target depth was reached, until the next underrun or flush.
func is_playing() -> bool:
	return _playing


## Highest generation seen on this stream (-1 before the first frame).
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
