"""Build the random-weight model directory: torch modules, ONNX exports, embeddings, config, vocab."""

import json
import os

import numpy as np
import torch

from models import ConditioningEncoder, GptModel, HifiganVocoder, SpeakerEncoder, init_conv_stack, init_weights
from presets import NUM_AUDIO_TOKENS, START_AUDIO, START_TEXT, STOP_AUDIO, STOP_TEXT
from tokenizer import vocab_json

OPSET = 14
# Seeds per part, so that changing one network leaves the others' weights as they were.
SEEDS = dict(gpt=1, cond=2, speaker=3, vocoder=4, embeddings=5, mel_stats=6)


def gen(name):
    return torch.Generator().manual_seed(SEEDS[name])


def build_models(p):
    """→ dict of eval-mode torch modules with seeded random weights for preset dict p."""
    d = p["d_model"]
    gpt = GptModel(d, p["layers"], p["heads"], NUM_AUDIO_TOKENS)
    init_weights(gpt, p["init_std"], gen("gpt"))
    with torch.no_grad():
        gpt.mel_head.weight.copy_(p["mel_head_std"] * torch.randn(gpt.mel_head.weight.shape, generator=gen("gpt")))
    cond = ConditioningEncoder(d, p["heads"], p["cond_self_attn_blocks"], p["perceiver_blocks"])
    init_weights(cond, p["init_std"], gen("cond"))
    speaker = SpeakerEncoder(p["speaker_channels"])
    init_weights(speaker, 0.1, gen("speaker"))
    vocoder = HifiganVocoder(
        d, p["voc_initial_channels"], p["voc_rates"], p["voc_kernels"], p["voc_res_kernels"], p["voc_res_dilations"]
    )
    init_conv_stack(vocoder, gen("vocoder"))
    return {k: m.eval() for k, m in dict(gpt=gpt, cond=cond, speaker=speaker, vocoder=vocoder).items()}


def build_embeddings(p):
    """→ dict name → f32 array: text_embedding [Vtext,D], text_pos_embedding [Ptext,D],
    mel_embedding [1026,D], mel_pos_embedding [Pmel,D] (N(0, init_std) like XTTS's nn.Embedding init)."""
    g, d, std = gen("embeddings"), p["d_model"], p["init_std"]
    rows = dict(
        text_embedding=p["text_rows"],
        text_pos_embedding=p["text_pos_rows"],
        mel_embedding=NUM_AUDIO_TOKENS,
        mel_pos_embedding=p["mel_pos_rows"],
    )
    return {k: (std * torch.randn(n, d, generator=g)).numpy().astype(np.float32) for k, n in rows.items()}


def build_mel_stats():
    """f32 [80], uniform in [2, 6] (positive like XTTS's mel_stats.pth)."""
    return (2.0 + 4.0 * torch.rand(80, generator=gen("mel_stats"))).numpy().astype(np.float32)


def export_gpt(gpt, path):
    d, h, layers = gpt.mel_head.in_features, gpt.heads, gpt.layers
    names_in, names_out, axes = ["inputs_embeds", "attention_mask"], ["logits", "hidden_states"], {}
    for i in range(layers):
        names_in += [f"past_key_{i}", f"past_value_{i}"]
        names_out += [f"present_key_{i}", f"present_value_{i}"]
    axes["inputs_embeds"] = {0: "batch", 1: "seq"}
    axes["attention_mask"] = {0: "batch", 1: "total_seq"}
    axes["logits"] = {0: "batch", 1: "seq"}
    axes["hidden_states"] = {0: "batch", 1: "seq"}
    for n in names_in[2:]:
        axes[n] = {0: "batch", 2: "past_seq"}
    for n in names_out[2:]:
        axes[n] = {0: "batch", 2: "total_seq"}
    # Trace with a non-empty past and S > 1 so that neither length is specialised into a constant.
    s, past = 3, 2
    args = (torch.zeros(1, s, d), torch.ones(1, past + s, dtype=torch.int64)) + tuple(
        torch.zeros(1, h, past, d // h) for _ in range(2 * layers)
    )
    torch.onnx.export(
        gpt, args, path, input_names=names_in, output_names=names_out, dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True
    )


def export_simple(module, args, path, names_in, names_out, axes):
    torch.onnx.export(
        module, args, path, input_names=names_in, output_names=names_out, dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True
    )


def write_model_dir(out, p, models, emb, mel_stats, gpt_only=False):
    """Write the model directory layout of plugins/tts-xtts/onnx/README.md into `out`."""
    os.makedirs(os.path.join(out, "embeddings"), exist_ok=True)
    export_gpt(models["gpt"], os.path.join(out, "gpt_model.onnx"))
    if gpt_only:
        return
    d = p["d_model"]
    export_simple(
        models["cond"], (torch.zeros(1, 80, 50),), os.path.join(out, "conditioning_encoder.onnx"),
        ["mel_spectrogram"], ["cond_latents"], {"mel_spectrogram": {0: "batch", 2: "frames"}, "cond_latents": {0: "batch"}},
    )
    export_simple(
        models["speaker"], (torch.zeros(1, 64, 120),), os.path.join(out, "speaker_encoder.onnx"),
        ["mel_spec"], ["speaker_embedding"], {"mel_spec": {0: "batch", 2: "frames"}, "speaker_embedding": {0: "batch"}},
    )
    export_simple(
        models["vocoder"], (torch.zeros(1, 5, d), torch.zeros(1, 512, 1)), os.path.join(out, "hifigan_vocoder.onnx"),
        ["latents", "speaker_embedding"], ["waveform"],
        {"latents": {0: "batch", 1: "latents"}, "speaker_embedding": {0: "batch"}, "waveform": {0: "batch", 2: "samples"}},
    )
    for name, arr in emb.items():
        np.save(os.path.join(out, "embeddings", f"{name}.npy"), arr)
    np.save(os.path.join(out, "mel_stats.npy"), mel_stats)
    with open(os.path.join(out, "vocab.json"), "w") as f:
        json.dump(vocab_json(), f, ensure_ascii=False, indent=1)
    config = {
        "model": "xtts",
        "_comment": "Random-weight fixture from tools/xtts-fixtures/generate.py; only model_args is meaningful.",
        "model_args": {
            "gpt_start_text_token": START_TEXT,
            "gpt_stop_text_token": STOP_TEXT,
            "gpt_start_audio_token": START_AUDIO,
            "gpt_stop_audio_token": STOP_AUDIO,
            "gpt_max_audio_tokens": p["gpt_max_audio_tokens"],
            "gpt_layers": p["layers"],
            "gpt_n_model_channels": d,
            "gpt_n_heads": p["heads"],
            "gpt_num_audio_tokens": NUM_AUDIO_TOKENS,
        },
    }
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
