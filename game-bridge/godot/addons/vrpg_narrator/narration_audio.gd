extends RefCounted
## The audio output of a [NarrationClient]: plays the bridge's 20 ms PCM frames
## (game-bridge/PROTOCOL.md, "Audio", "Pacing", "Cancel", "Underrun").
##
## The client owns one, hands it every binary packet ([method push_packet]) and calls
## [method fill] from its [method Node._process]. Frames go through a jitter buffer into an
## internal child [AudioStreamPlayer] of the client (named "NarrationAudio") fed by an
## [AudioStreamGenerator] at the stream's rate. [method fill] keeps [member jitter_ms] of audio in
## the generator; when both run dry it counts an underrun and plays one frame of silence. A
## frame of a newer generation (a cancel) restarts the playback, so the cancelled audio the
## generator still holds is dropped at once.

const BridgeFrame := preload("bridge_frame.gd")
const JitterBuffer := preload("jitter_buffer.gd")

## Generator capacity beyond the jitter target, ms.
const OUTPUT_MARGIN_MS := 200

## Audio to buffer before playback starts, and again after an underrun, ms.
var jitter_ms: int = 100:
	set(value):
		jitter_ms = value
		if _jitter != null:
			_jitter.jitter_ms = value
## Volume of the output, dB.
var volume_db: float = 0.0:
	set(value):
		volume_db = value
		if _player != null:
			_player.volume_db = value
## Audio bus of the output.
var bus: StringName = &"Master":
	set(value):
		bus = value
		if _player != null:
			_player.bus = value

var _host: Node = null  # the client: the player's parent
var _jitter: JitterBuffer = JitterBuffer.new()
var _player: AudioStreamPlayer = null
var _playback: AudioStreamGeneratorPlayback = null
var _stream_rate: int = 0
var _output_capacity: int = 0  # generator frames free when empty
var _silence: PackedVector2Array = PackedVector2Array()
var _frames_invalid: int = 0
var _output_restarts: int = 0
var _output_flushed_ms: int = 0


## [param host] is the node the player becomes an internal child of.
func _init(host: Node) -> void:
	_host = host


## Creates the output player, as an internal child of the host, unless it exists.
func ensure_player() -> void:
	if _player != null:
		return
	_player = AudioStreamPlayer.new()
	_player.name = "NarrationAudio"
	_player.bus = bus
	_player.volume_db = volume_db
	# Godot 4.3+ plays through samples by default on the Web, which a generator cannot do:
	# ask for stream playback where the property exists (it does not in 4.2).
	var stream_type := &"PLAYBACK_TYPE_STREAM"
	if (
		&"playback_type" in _player
		and ClassDB.class_has_integer_constant(&"AudioServer", stream_type)
	):
		_player.set(
			&"playback_type", ClassDB.class_get_integer_constant(&"AudioServer", stream_type)
		)
	_host.add_child(_player, false, Node.INTERNAL_MODE_FRONT)


## Starts a stream at [param rate] Hz on a new, empty generator that holds [member jitter_ms]
## plus [constant OUTPUT_MARGIN_MS]. Does nothing for a rate <= 0 or while the host is outside
## the tree (then the first frame starts it).
func start(rate: int) -> void:
	if rate <= 0 or not _host.is_inside_tree():
		return
	ensure_player()
	_jitter.jitter_ms = jitter_ms
	_stream_rate = rate
	var generator := AudioStreamGenerator.new()
	generator.mix_rate = float(rate)
	generator.buffer_length = float(jitter_ms + OUTPUT_MARGIN_MS) / 1000.0
	_player.stream = generator
	_silence = PackedVector2Array()
	_silence.resize(BridgeFrame.samples_per_frame(rate))  # zeros
	_restart_output()


## Stops the playback; the next stream starts with [method start] or its first frame.
func stop() -> void:
	if _player != null:
		_player.stop()
	_playback = null
	_stream_rate = 0


## Forgets the stream (a new connection: seq and generation start over); keeps the counters.
func reset_stream() -> void:
	_jitter.reset_stream()


## A binary packet from the server: a frame for the jitter buffer. A frame at another rate than
## the stream's (the first one without a seated.audio rate, or a rate change) starts a new
## stream; a frame of a newer generation also drops what the generator holds.
func push_packet(packet: PackedByteArray) -> void:
	var frame: BridgeFrame.Frame = BridgeFrame.parse(packet)
	if not frame.is_valid():
		_frames_invalid += 1
		if _frames_invalid <= 10:
			push_warning("NarrationClient: bad audio frame: " + frame.error)
		return
	if frame.rate != _stream_rate:
		# First frame without a seated.audio rate, or the stream changed rate: start over.
		_jitter.reset_stream()
		start(frame.rate)
	if _jitter.push(frame) == JitterBuffer.QUEUED_AFTER_FLUSH and _playback != null:
		_output_flushed_ms += _output_queued_ms()
		_restart_output()  # a cancel: drop the cancelled audio the generator still holds


## Tops the generator up to jitter_ms from the jitter buffer (the target latency lives in the
## generator; the jitter queue holds what arrives in bursts). When the generator is down to its
## last frame and the buffer has nothing to give: an underrun while playing, and one frame of
## silence so that the mixer does not starve. Does nothing while no stream plays.
func fill() -> void:
	if _playback == null:
		return
	var target: int = roundi(_stream_rate * jitter_ms / 1000.0)
	var spf: int = _silence.size()
	var available: int = _playback.get_frames_available()
	var queued: int = _output_capacity - available
	while queued < target:
		var frame: BridgeFrame.Frame = _jitter.pop(_frames_to_ms(queued))
		if frame == null:
			if queued < spf:
				_jitter.underrun()
				if available >= spf:
					_playback.push_buffer(_silence)
			return
		if frame.samples > available:
			return  # cannot happen with buffer_length > lead; the frame is lost rather than stuck
		_playback.push_buffer(BridgeFrame.to_stereo(frame))
		queued += frame.samples
		available -= frame.samples


## The jitter buffer's counters (see jitter_buffer.gd) and the output's: frames_invalid,
## output_queued_ms, output_skips, output_restarts, output_flushed_ms, rate.
func get_stats() -> Dictionary:
	var stats: Dictionary = _jitter.get_stats()
	stats["frames_invalid"] = _frames_invalid
	stats["output_queued_ms"] = _output_queued_ms()
	stats["output_skips"] = _playback.get_skips() if _playback != null else 0
	stats["output_restarts"] = _output_restarts
	stats["output_flushed_ms"] = _output_flushed_ms
	stats["rate"] = _stream_rate
	return stats


## (Re)starts the generator's playback with an empty buffer. AudioStreamGeneratorPlayback's
## clear_buffer() refuses while playing, so a new playback is the way to drop queued audio.
func _restart_output() -> void:
	_player.play()  # a generator is monophonic: play() replaces the previous playback
	_playback = _player.get_stream_playback() as AudioStreamGeneratorPlayback
	_output_capacity = _playback.get_frames_available() if _playback != null else 0
	_output_restarts += 1


func _output_queued_ms() -> int:
	if _playback == null:
		return 0
	return _frames_to_ms(_output_capacity - _playback.get_frames_available())


func _frames_to_ms(frames: int) -> int:
	return roundi(frames * 1000.0 / _stream_rate) if _stream_rate > 0 else 0
