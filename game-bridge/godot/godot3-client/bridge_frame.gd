extends Reference
# One binary audio frame of the game bridge (game-bridge/PROTOCOL.md, "Audio"):
# a 16-byte little-endian header, then `samples` PCM s16le mono samples (absent when silent).
#
#   0 u8 version (1) | 1 u8 flags (bit 0 = silence) | 2 u16 samples | 4 u32 seq
#   8 u32 generation | 12 u32 rate (Hz)              | 16 s16le payload (2 * samples bytes)
#
# Use the static functions: parse(bytes) returns a Frame whose `error` is empty when the bytes
# are a valid frame and names what is wrong otherwise. (Same shape as the Godot 4 addon's
# bridge_frame.gd; Godot 3 has no PoolByteArray.decode_*, so StreamPeerBuffer reads the header.)

const VERSION := 1
const HEADER_BYTES := 16
const FLAG_SILENCE := 1
const FRAME_MS := 20


# A parsed frame. `error` is empty for a valid frame.
class Frame extends Reference:
	var version: int = 0
	var flags: int = 0
	var samples: int = 0 # rate * 20 / 1000
	var seq: int = 0 # the room's frame index; +1 per frame
	var generation: int = 0 # the room's narration generation; +1 at every cancel
	var rate: int = 0 # Hz
	var bytes: PoolByteArray = PoolByteArray() # the whole packet; samples start at byte 16
	var error: String = "" # why the bytes are not a valid frame; empty when they are

	func is_valid() -> bool:
		return error == ""

	func is_silence() -> bool:
		return (flags & 1) != 0

	# Sample i as a signed 16-bit integer (0 in a silent frame).
	func sample_at(i: int) -> int:
		if is_silence():
			return 0
		var v: int = bytes[16 + 2 * i] | (bytes[17 + 2 * i] << 8)
		return v - 65536 if v >= 32768 else v

	# Sum of the squared samples, full scale 1.0 (RMS over several frames: sqrt(sum / count)).
	func sum_squares() -> float:
		if is_silence():
			return 0.0
		var acc := 0
		for i in range(samples):
			var v: int = bytes[16 + 2 * i] | (bytes[17 + 2 * i] << 8)
			if v >= 32768:
				v -= 65536
			acc += v * v
		return float(acc) / (32768.0 * 32768.0)


# Parses one binary WebSocket packet. Never fails hard: check frame.error.
static func parse(packet: PoolByteArray) -> Frame:
	var frame := Frame.new()
	frame.bytes = packet
	frame.error = header_error(packet)
	if frame.error != "":
		return frame
	var buf := StreamPeerBuffer.new() # little-endian unless big_endian is set
	buf.data_array = packet
	frame.version = buf.get_u8()
	frame.flags = buf.get_u8()
	frame.samples = buf.get_u16()
	frame.seq = buf.get_u32()
	frame.generation = buf.get_u32()
	frame.rate = buf.get_u32()
	return frame


# Why `packet` is not a valid frame, or an empty string when it is.
static func header_error(packet: PoolByteArray) -> String:
	if packet.size() < HEADER_BYTES:
		return "frame shorter than its 16-byte header (%d bytes)" % packet.size()
	if packet[0] != VERSION:
		return "unsupported frame version %d" % packet[0]
	var flags: int = packet[1]
	if (flags & ~FLAG_SILENCE) != 0:
		return "unknown flags 0x%02x" % flags
	var samples: int = packet[2] | (packet[3] << 8)
	if samples == 0:
		return "frame of 0 samples"
	if (packet[12] | packet[13] | packet[14] | packet[15]) == 0:
		return "frame rate 0"
	var payload: int = packet.size() - HEADER_BYTES
	if (flags & FLAG_SILENCE) != 0:
		if payload != 0:
			return "silent frame with a %d-byte payload" % payload
	elif payload != 2 * samples:
		return "payload of %d bytes for %d samples (expected %d)" % [payload, samples, 2 * samples]
	return ""


# The frame as stereo float frames for AudioStreamGeneratorPlayback.push_buffer():
# each s16 sample / 32768.0 in both channels (silence: zeros). The generator's mix_rate must be
# the frame's rate.
static func to_stereo(frame: Frame) -> PoolVector2Array:
	var out := PoolVector2Array()
	out.resize(frame.samples)
	if frame.is_silence():
		for i in range(frame.samples):
			out[i] = Vector2.ZERO # resize() leaves Godot 3 pool arrays uninitialized
		return out
	for i in range(frame.samples):
		var s: float = frame.sample_at(i) / 32768.0
		out[i] = Vector2(s, s)
	return out


# Samples in one 20 ms frame at `rate` Hz (441 at 22 050 Hz, 320 at 16 000 Hz).
static func samples_per_frame(rate: int) -> int:
	return int(round(rate * FRAME_MS / 1000.0))
