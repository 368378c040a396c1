@tool
extends EditorPlugin
## Registers the NarrationClient node type while the plugin is enabled.
##
## narration_client.gd also declares [code]class_name NarrationClient[/code] (for static typing);
## Godot 4's Create Node dialog lists one entry per name, so the two do not show twice.

const TYPE_NAME := "NarrationClient"
const ICON_PATH := "res://addons/vrpg_narrator/icon.svg"


func _enter_tree() -> void:
	var icon: Texture2D = null
	if ResourceLoader.exists(ICON_PATH):
		icon = load(ICON_PATH) as Texture2D
	add_custom_type(TYPE_NAME, "Node", preload("narration_client.gd"), icon)


func _exit_tree() -> void:
	remove_custom_type(TYPE_NAME)
