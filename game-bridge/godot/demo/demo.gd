extends Control
## A narrated table in one screen: connect, see the seat and the players, read the captions, and
## (as the DM) narrate, cancel, pause and resume. The UI is built in code; the scene only holds
## this Control and its NarrationClient.

const DEFAULT_URL := "ws://localhost:2567/bridge"

var _url: LineEdit
var _name: LineEdit
var _room: LineEdit
var _secret: LineEdit
var _as_dm: CheckBox
var _connect: Button
var _seat: Label
var _connection: Label
var _status: Label
var _players: ItemList
var _caption: Label
var _transcript: RichTextLabel
var _narrate_text: LineEdit
var _dm_buttons: Array[Button] = []
var _roll: Button
var _stats: Label

@onready var client: NarrationClient = $NarrationClient


func _ready() -> void:
	_build_ui()
	client.seated.connect(_on_seated)
	client.players_changed.connect(_on_players_changed)
	client.status_changed.connect(_on_status_changed)
	client.caption.connect(_on_caption)
	client.narration_started.connect(_on_narration_started)
	client.narration_ended.connect(_on_narration_ended)
	client.error.connect(_on_error)
	client.disconnected.connect(_on_disconnected)
	client.reconnecting.connect(_on_reconnecting)
	var timer := Timer.new()
	timer.wait_time = 0.5
	timer.autostart = true
	timer.timeout.connect(_update_stats)
	add_child(timer)
	_update_controls()


func _build_ui() -> void:
	var margin := MarginContainer.new()
	margin.set_anchors_and_offsets_preset(Control.PRESET_FULL_RECT)
	for side in ["left", "right", "top", "bottom"]:
		margin.add_theme_constant_override("margin_" + side, 12)
	add_child(margin)
	var column := VBoxContainer.new()
	column.add_theme_constant_override("separation", 8)
	margin.add_child(column)

	var connect_row := HBoxContainer.new()
	column.add_child(connect_row)
	_url = _line_edit(connect_row, DEFAULT_URL, "ws://host:port/bridge", 3.0)
	_name = _line_edit(connect_row, "Ana", "your name", 1.0)
	_room = _line_edit(connect_row, "table", "room type (or id:ROOMID)", 1.0)
	_secret = _line_edit(connect_row, "", "DM secret", 1.0)
	_secret.secret = true
	_as_dm = CheckBox.new()
	_as_dm.text = "DM"
	connect_row.add_child(_as_dm)
	_connect = _button(connect_row, "Connect", _on_connect_pressed)

	var info_row := HBoxContainer.new()
	info_row.add_theme_constant_override("separation", 24)
	column.add_child(info_row)
	_seat = Label.new()
	_seat.text = "Not seated"
	_seat.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	info_row.add_child(_seat)
	_status = Label.new()
	_status.text = "narration: idle"
	info_row.add_child(_status)
	_connection = Label.new()
	_connection.text = "connection: disconnected"
	info_row.add_child(_connection)

	var body := HSplitContainer.new()
	body.size_flags_vertical = Control.SIZE_EXPAND_FILL
	column.add_child(body)
	var players_box := VBoxContainer.new()
	players_box.custom_minimum_size = Vector2(220, 0)
	body.add_child(players_box)
	var players_title := Label.new()
	players_title.text = "Players"
	players_box.add_child(players_title)
	_players = ItemList.new()
	_players.size_flags_vertical = Control.SIZE_EXPAND_FILL
	players_box.add_child(_players)
	var story := VBoxContainer.new()
	story.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	body.add_child(story)
	_caption = Label.new()
	_caption.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	_caption.custom_minimum_size = Vector2(0, 96)
	_caption.add_theme_font_size_override("font_size", 28)
	_caption.text = "…"
	story.add_child(_caption)
	_transcript = RichTextLabel.new()
	_transcript.size_flags_vertical = Control.SIZE_EXPAND_FILL
	_transcript.scroll_following = true
	_transcript.bbcode_enabled = true
	story.add_child(_transcript)

	var dm_row := HBoxContainer.new()
	column.add_child(dm_row)
	_narrate_text = _line_edit(
		dm_row, "The torches gutter as a cold wind sweeps the hall.", "text to narrate", 4.0
	)
	_dm_buttons.append(_button(dm_row, "Narrate", _on_narrate_pressed))
	_dm_buttons.append(_button(dm_row, "Cancel", client.cancel.bind("")))
	_dm_buttons.append(_button(dm_row, "Pause", client.pause))
	_dm_buttons.append(_button(dm_row, "Resume", client.resume))
	_roll = _button(dm_row, "Roll d20", _on_roll_pressed)

	_stats = Label.new()
	_stats.add_theme_color_override("font_color", Color(0.7, 0.7, 0.7))
	column.add_child(_stats)


func _line_edit(parent: Control, text: String, placeholder: String, stretch: float) -> LineEdit:
	var edit := LineEdit.new()
	edit.text = text
	edit.placeholder_text = placeholder
	edit.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	edit.size_flags_stretch_ratio = stretch
	parent.add_child(edit)
	return edit


func _button(parent: Control, text: String, pressed: Callable) -> Button:
	var button := Button.new()
	button.text = text
	button.pressed.connect(pressed)
	parent.add_child(button)
	return button


func _on_connect_pressed() -> void:
	if client.connection_state() != "disconnected":
		client.disconnect_from_table()
		_update_controls()
		return
	var options: Dictionary = {}
	if not _secret.text.is_empty():
		options["dm_secret"] = _secret.text
	if _as_dm.button_pressed:
		options["role"] = "dm"
	var room: String = _room.text.strip_edges()
	if room.begins_with("id:"):
		options["room_id"] = room.substr(3)
	var url: String = _url.text.strip_edges()
	var err: Error = client.connect_to_table(url, room, _name.text.strip_edges(), options)
	if err != OK:
		_log("[color=salmon]Cannot connect: %s[/color]" % error_string(err))
	_update_controls()


func _on_narrate_pressed() -> void:
	var text: String = _narrate_text.text.strip_edges()
	if not text.is_empty():
		client.narrate(text)


func _on_roll_pressed() -> void:
	var result: int = randi_range(1, 20)
	client.send_event("dice_roll", {"name": _name.text, "dice": "1d20", "result": result})
	_log("You roll 1d20: %d" % result)


func _on_seated(info: Dictionary) -> void:
	var audio: Variant = info.get("audio")
	var rate: String = "no audio"
	if audio is Dictionary:
		rate = "%d Hz" % int((audio as Dictionary).get("rate", 0))
	var role: String = "guest (the room has no narration)"
	if info.get("role") != null:
		role = str(info["role"])
	_seat.text = (
		"Seated as %s in %s (%s), %s"
		% [
			role,
			str(info.get("roomName", "?")),
			str(info.get("roomId", "?")),
			rate,
		]
	)
	_log("[color=lightgreen]Seated as %s.[/color]" % role)
	_update_controls()


func _on_players_changed(players: Array) -> void:
	_players.clear()
	for p in players:
		var entry: Dictionary = p
		var suffix: String = " (DM)" if entry.get("role") == "dm" else ""
		_players.add_item(str(entry.get("name", "?")) + suffix)


func _on_status_changed(status: String) -> void:
	_status.text = "narration: " + status


func _on_caption(text: String, _index: int, _narration_id: String) -> void:
	_caption.text = text
	_log(text)


func _on_narration_started(info: Dictionary) -> void:
	var id: String = str(info.get("narrationId", ""))
	_log("[color=gray]— narration %s (%s)[/color]" % [id, str(info.get("trigger", ""))])


func _on_narration_ended(report: Dictionary) -> void:
	if report.get("cancelled", false):
		_log("[color=gray]— cancelled[/color]")


func _on_error(type: String, message: String) -> void:
	_log("[color=salmon]%s refused: %s[/color]" % [type, message])


func _on_disconnected(code: int, reason: String) -> void:
	_seat.text = "Not seated"
	_log("[color=salmon]Disconnected (%d) %s[/color]" % [code, reason])
	_update_controls()


func _on_reconnecting(attempt: int, delay_s: float) -> void:
	_log("[color=gray]Reconnecting in %.1f s (attempt %d)[/color]" % [delay_s, attempt])


func _update_controls() -> void:
	var state: String = client.connection_state()
	_connect.text = "Connect" if state == "disconnected" else "Disconnect"
	_connection.text = "connection: " + state
	var is_dm: bool = client.is_seated() and client.role == "dm"
	for button in _dm_buttons:
		button.disabled = not is_dm
	_narrate_text.editable = is_dm
	_roll.disabled = not client.is_seated()


func _update_stats() -> void:
	var s: Dictionary = client.get_stats()
	_stats.text = (
		(
			"frames %d · late %d · stale %d · underruns %d · buffer %d ms + output %d ms"
			% [
				s.frames_received,
				s.frames_late,
				s.frames_dropped_stale,
				s.underruns,
				s.buffer_depth_ms,
				s.output_queued_ms
			]
		)
		+ " · generation %d · %d Hz · rtt %d ms" % [s.generation, s.rate, s.rtt_ms]
	)
	_connection.text = "connection: " + client.connection_state()


func _log(line: String) -> void:
	_transcript.append_text(line + "\n")
