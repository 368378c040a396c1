extends RefCounted
## One binary audio frame of the game bridge (game-bridge/PROTOCOL.md, "Audio").
##
## A 16-byte little-endian header, then [code]samples[/code] PCM s16le mono samples, absent when
## the silence flag is set:
## [codeblock]
## 0 u8 version (1) | 1 u8 flags (bit 0 = silence) | 2 u16 samples | 4 u32 seq
## 8 u32 generation | 12 u32 rate (Hz)              | 16 s16le payload (2 * samples bytes)
## [/codeblock]
## Use the static functions: [code]parse(bytes)[/code] returns a [Frame] whose [code]error[/code]
## is empty when the bytes are a valid frame, and names what is wrong otherwise.

const VERSION := 1
const HEADER_BYTES := 16
const FLAG_SILENCE := 1
const FRAME_MS := 20


## A parsed frame. [code]error[/code] is empty for a valid frame.
class Frame:
	extends RefCounted
	var version: int = 0
	var flags: int = 0
	## Samples in this frame: rate * 20 / 1000.
	var samples: int = 0
	## The room's frame index; +1 per frame.
	var seq: int = 0
	## The room's narration generation; +1 at every cancel.
	var generation: int = 0
	## Sample rate of the payload, Hz.
	var rate: int = 0
	## The whole packet as received; samples start at HEADER_BYTES (empty when silent).
	var bytes: PackedByteArray = PackedByteArray()
	## Why the bytes are not a valid frame; empty when they are.
	var error: String = ""

	func is_valid() -> bool:
		return error.is_empty()

	func is_silence() -> bool:
		return (flags & FLAG_SILENCE) != 0

	## Sample [param i] as a signed 16-bit integer (0 in a silent frame).
	func sample_at(i: int) -> int:
		if is_silence():
			return 0
		return bytes.decode_s16(HEADER_BYTES + 2 * i)


## Parses one binary WebSocket packet. Never fails hard: check [code]frame.error[/code].
static func parse(packet: PackedByteArray) -> Frame:
	var frame := Frame.new()
	frame.bytes = packet
	frame.error = header_error(packet)
	if not frame.error.is_empty():
		return frame
	frame.version = packet.decode_u8(0)
	frame.flags = packet.decode_u8(1)
	frame.samples = packet.decode_u16(2)
	frame.seq = packet.decode_u32(4)
	frame.generation = packet.decode_u32(8)
	frame.rate = packet.decode_u32(12)
	return frame


## Why [param packet] is not a valid frame, or an empty string when it is.
static func header_error(packet: PackedByteArray) -> String:
	if packet.size() < HEADER_BYTES:
		return "frame shorter than its 16-byte header (%d bytes)" % packet.size()
	var version: int = packet.decode_u8(0)
	if version != VERSION:
		return "unsupported frame version %d" % version
	var flags: int = packet.decode_u8(1)
	if (flags & ~FLAG_SILENCE) != 0:
		return "unknown flags 0x%02x" % flags
	var samples: int = packet.decode_u16(2)
	if samples == 0:
		return "frame of 0 samples"
	if packet.decode_u32(12) == 0:
		return "frame rate 0"
	var payload: int = packet.size() - HEADER_BYTES
	if (flags & FLAG_SILENCE) != 0:
		if payload != 0:
			return "silent frame with a %d-byte payload" % payload
	elif payload != 2 * samples:
		return "payload of %d bytes for %d samples (expected %d)" % [payload, samples, 2 * samples]
	return ""


## The frame as stereo float frames for [method AudioStreamGeneratorPlayback.push_buffer]:
## each s16 sample / 32768.0, duplicated into both channels (silence: zeros).
static func to_stereo(frame: Frame) -> PackedVector2Array:
	var out := PackedVector2Array()
	out.resize(frame.samples)  # new elements are Vector2.ZERO
	if frame.is_silence():
		return out
	var bytes: PackedByteArray = frame.bytes
	for i in frame.samples:
		var s: float = bytes.decode_s16(HEADER_BYTES + 2 * i) / 32768.0
		out[i] = Vector2(s, s)
	return out


## Samples in one 20 ms frame at [param rate] Hz (441 at 22 050 Hz, 320 at 16 000 Hz).
static func samples_per_frame(rate: int) -> int:
	return roundi(rate * FRAME_MS / 1000.0)
