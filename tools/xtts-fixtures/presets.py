"""Model sizes for the two fixture presets.

`tiny` is committed (small, fast, discriminating weights); `real` has XTTS-v2's shapes
(TTS/tts/models/xtts.py XttsArgs, TTS/tts/layers/xtts/hifigan_decoder.py HifiDecoder defaults)
so that benchmarks see the real amount of arithmetic. All weights are random in both.
"""

PRESETS = {
    "tiny": dict(
        d_model=64,
        layers=2,
        heads=4,
        text_rows=300,
        text_pos_rows=404,
        mel_pos_rows=608,
        gpt_max_audio_tokens=48,
        # Larger than GPT-2's 0.02 so that a small model still gives well separated logits
        # (greedy decoding must not hinge on 1e-6 differences between runtimes).
        init_std=0.08,
        mel_head_std=0.25,
        cond_self_attn_blocks=1,
        perceiver_blocks=1,
        speaker_channels=32,
        voc_initial_channels=32,
        voc_rates=[8, 8, 2, 2],
        voc_kernels=[16, 16, 4, 4],
        voc_res_kernels=[3],
        voc_res_dilations=[[1, 3]],
    ),
    "real": dict(
        d_model=1024,
        layers=30,
        heads=16,
        text_rows=6681,
        text_pos_rows=404,
        mel_pos_rows=608,
        gpt_max_audio_tokens=605,
        init_std=0.02,
        mel_head_std=0.02,
        cond_self_attn_blocks=6,
        perceiver_blocks=2,
        speaker_channels=256,
        voc_initial_channels=512,
        voc_rates=[8, 8, 2, 2],
        voc_kernels=[16, 16, 4, 4],
        voc_res_kernels=[3, 7, 11],
        voc_res_dilations=[[1, 3, 5], [1, 3, 5], [1, 3, 5]],
    ),
}

#: Token ids of XTTS-v2's config.json `model_args` (also the TS side's defaults).
START_TEXT, STOP_TEXT, START_AUDIO, STOP_AUDIO = 261, 0, 1024, 1025
#: mel_head width: 1024 audio codes + start + stop (XTTS-v2 `gpt_num_audio_tokens` 1026).
NUM_AUDIO_TOKENS = 1026
