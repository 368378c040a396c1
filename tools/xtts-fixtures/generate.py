#!/usr/bin/python3
"""Generate random-weight XTTS-v2-shaped ONNX fixtures (and, for `tiny`, PyTorch reference outputs).

  /usr/bin/python3 tools/xtts-fixtures/generate.py --preset tiny --out test/fixtures/xtts-onnx
      → OUT/tiny/, OUT/tiny-stop/, OUT/reference/
  /usr/bin/python3 tools/xtts-fixtures/generate.py --preset real --out /tmp/xtts-real
      → OUT/ is the model directory (no references)

Deterministic: fixed seeds, so a rerun rewrites identical files. See README.md next to this file.
"""

import argparse
import copy
import json
import os
import shutil
import sys
import time

import numpy as np
import torch

# No __pycache__ next to the sources: the repo's .gitignore does not cover it.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from audio import read_wav16, ref_signal, resample_22050_to_16000, speaker_mel, to_int16, wav_to_mel_cloning, write_wav16  # noqa: E402
from export import build_embeddings, build_mel_stats, build_models, write_model_dir  # noqa: E402
from presets import PRESETS, START_TEXT, STOP_AUDIO, STOP_TEXT  # noqa: E402
from reference import greedy_decode, process_logits, stream  # noqa: E402
from tokenizer import TOKEN_CASES, encode  # noqa: E402

GREEDY_TEXT = ("en", "the thing is, they went there!")
STOP_BIAS = 50.0


def save(dirpath, name, arr):
    np.save(os.path.join(dirpath, name), np.ascontiguousarray(arr, dtype=np.float32))


def dump(dirpath, name, obj, compact=False):
    with open(os.path.join(dirpath, name), "w") as f:
        json.dump(obj, f, ensure_ascii=False, **({"separators": (",", ":")} if compact else {"indent": 1}))


@torch.no_grad()
def write_references(ref, p, models, stop_gpt, emb, mel_stats):
    os.makedirs(ref, exist_ok=True)
    cond, spk, voc, gpt = models["cond"], models["speaker"], models["vocoder"], models["gpt"]
    d = p["d_model"]

    # Reference audio; the float samples used below are read back from the files (int16/32768,
    # what torchaudio.load gives), so the TS side can start from the very same WAVs.
    write_wav16(os.path.join(ref, "ref.wav"), to_int16(ref_signal(22050)), 22050)
    write_wav16(os.path.join(ref, "ref-16000.wav"), to_int16(ref_signal(16000)), 16000)
    wav22, _ = read_wav16(os.path.join(ref, "ref.wav"))
    wav16, _ = read_wav16(os.path.join(ref, "ref-16000.wav"))

    mel_cond = wav_to_mel_cloning(wav22[: 22050 * 4], mel_stats)
    save(ref, "mel_cond.npy", mel_cond)
    spk_mel = speaker_mel(wav16)
    save(ref, "spk_mel.npy", spk_mel)
    save(ref, "cond_latents_piece.npy", cond(torch.from_numpy(mel_cond)[None])[0].numpy())
    spk16 = spk(torch.from_numpy(spk_mel)[None])[0, :, 0].numpy()
    save(ref, "speaker_embedding_16k.npy", spk16)
    dump(ref, "frontend.json", {
        "mel_cond.npy": {"input": "ref.wav samples [0, 88200) as int16/32768", "shape": list(mel_cond.shape),
                          "fn": "wav_to_mel_cloning: MelSpectrogram(n_fft=2048, hop=256, win=1024 hann periodic, power=2, center, reflect, 80 HTK mels 0-8000 Hz, norm='slaney'); log(clamp(1e-5)) / mel_stats[:,None]",
                          "atol": 1e-3},
        "spk_mel.npy": {"input": "ref-16000.wav samples as int16/32768", "shape": list(spk_mel.shape),
                         "fn": "PreEmphasis 0.97 (reflect pad 1 left); MelSpectrogram(sr=16000, n_fft=512, win=400 hamming periodic, hop=160, 64 HTK mels 0-8000 Hz, norm=None, power 2, center, reflect); log(x + 1e-6)",
                         "atol": 1e-3},
        "cond_latents_piece.npy": {"input": "mel_cond.npy → conditioning_encoder.onnx", "shape": [32, d], "atol": 1e-4},
        "speaker_embedding_16k.npy": {"input": "spk_mel.npy → speaker_encoder.onnx", "shape": [512], "atol": 1e-4},
    })

    # Xtts.get_conditioning_latents (README step 7) on ref.wav alone.
    audio = wav22[: 22050 * 30]
    pieces, lat = [], []
    for i in range(0, len(audio), 22050 * 4):
        piece = audio[i : i + 22050 * 4]
        if len(piece) < 22050 * 0.33:
            continue
        pieces.append([i, i + len(piece)])
        lat.append(cond(torch.from_numpy(wav_to_mel_cloning(piece, mel_stats))[None])[0].numpy())
    clone_cond = np.mean(np.stack(lat), axis=0)
    clone_spk = spk(torch.from_numpy(speaker_mel(resample_22050_to_16000(wav22)))[None])[0, :, 0].numpy()
    save(ref, "clone_cond_latents.npy", clone_cond)
    save(ref, "clone_speaker_embedding.npy", clone_spk)
    dump(ref, "clone.json", {
        "inputs": ["ref.wav"], "gpt_cond_len": 30, "gpt_cond_chunk_len": 4, "pieces": pieces,
        "cond_latents": {"file": "clone_cond_latents.npy", "shape": [32, d], "atol": 1e-3},
        "speaker_embedding": {"file": "clone_speaker_embedding.npy", "shape": [512],
                               "resampler": "torchaudio.functional.resample(22050→16000) defaults (sinc_interp_hann, width 6, rolloff 0.99)",
                               "note": "TS resamples with libsamplerate: compare loosely", "atol": 0.05, "cosine_min": 0.99},
    })

    dump(ref, "tokens.json", [{"lang": lang, "text": text, "ids": encode(text, lang)} for lang, text in TOKEN_CASES])

    # README steps 2-5, greedy.
    max_new = p["gpt_max_audio_tokens"] - 3
    text_ids = [START_TEXT] + encode(GREEDY_TEXT[1], GREEDY_TEXT[0]) + [STOP_TEXT]
    runs = {}
    for tag, model in (("", gpt), ("_stop", stop_gpt)):
        tokens, latents, gap = greedy_decode(model, emb, clone_cond, text_ids, max_new)
        runs[tag] = (tokens, latents)
        save(ref, f"gpt_greedy{tag}_latents.npy", latents)
        dump(ref, f"gpt_greedy{tag}.json", {
            "model_dir": "tiny" + ("-stop" if tag else ""), "lang": GREEDY_TEXT[0], "text": GREEDY_TEXT[1],
            "cond_latents": "clone_cond_latents.npy", "text_ids": text_ids, "prefill_len": 32 + len(text_ids) + 1,
            "max_new_tokens": max_new, "tokens": tokens,
            "latents": {"file": f"gpt_greedy{tag}_latents.npy", "shape": list(latents.shape), "atol": 1e-3},
            "min_top2_logit_gap": gap, "tokens_exact": True,
        })

    rng = np.random.default_rng(7)
    sampling = []
    prev = [1] * 20 + [1024] + [int(x) for x in rng.integers(0, 1024, 12)] + [5, 5, 17]
    cases = [
        dict(temperature=0.75, top_k=50, top_p=0.85, repetition_penalty=10.0, note="XTTS-v2 defaults"),
        dict(temperature=1.0, top_k=1, top_p=1.0, repetition_penalty=1.0, note="top_k=1: one-hot"),
        dict(temperature=0.75, top_k=50, top_p=1.0, repetition_penalty=10.0, note="top_p=1.0: top-p skipped"),
        dict(temperature=0.75, top_k=50, top_p=0.85, repetition_penalty=1.0, note="penalty 1.0: skipped"),
        dict(temperature=1.3, top_k=0, top_p=0.5, repetition_penalty=2.0, note="top_k=0 disabled"),
        dict(temperature=0.5, top_k=5, top_p=1.0, repetition_penalty=1.0, note="ties at the top-k boundary are kept (6 survive)"),
        dict(temperature=1.0, top_k=1026, top_p=0.01, repetition_penalty=1.0, note="tiny top_p keeps only the best"),
    ]
    for i, c in enumerate(cases):
        # Rounded so the JSON stays small; f32 of these decimals is what both sides start from.
        logits = np.round(1.5 * rng.standard_normal(1026), 3).astype(np.float32)
        if i == 5:
            top = np.sort(logits)[::-1]
            logits[logits == top[5]] = top[4]  # 5th and 6th best now tie
        probs = process_logits(logits.tolist(), prev, c["temperature"], c["top_k"], c["top_p"], c["repetition_penalty"])
        sampling.append({**c, "previous_ids": prev, "logits": [round(float(x), 3) for x in logits],
                         "probs": [float(x) for x in probs]})
    dump(ref, "sampling.json", {"order": "repetition_penalty, temperature, top_k, top_p, softmax (transformers)", "atol": 1e-6, "cases": sampling}, compact=True)

    vlat = torch.randn(1, 7, d, generator=torch.Generator().manual_seed(11))
    vout = voc(vlat, torch.from_numpy(spk16).reshape(1, 512, 1)).reshape(-1).numpy()
    save(ref, "vocoder_latents.npy", vlat.numpy())
    save(ref, "vocoder_out.npy", vout)
    dump(ref, "vocoder.json", {"latents": "vocoder_latents.npy", "latents_shape": [1, 7, d],
                                "speaker_embedding": "speaker_embedding_16k.npy (reshape [1,512,1])",
                                "output": "vocoder_out.npy", "samples": int(vout.size), "atol": 1e-4})

    for tag, name in (("", "stream.json"), ("_stop", "stream_stop.json")):
        tokens, latents = runs[tag]
        out = {"model_dir": "tiny" + ("-stop" if tag else ""), "latents": f"gpt_greedy{tag}_latents.npy",
               "speaker_embedding": "clone_speaker_embedding.npy", "stream_chunk_size": 20, "overlap_wav_len": 1024,
               "atol": 1e-4, "cases": []}
        variants = [(1.0, len(latents)), (1.5, len(latents)), (0.8, len(latents))]
        if not tag:
            variants.append((1.0, 40))  # ends exactly on a chunk boundary: handle_chunks' short branch
        for speed, count in variants:
            case = {"speed": speed, "token_count": count}
            label = f"stream{tag}_speed{speed:g}" + ("" if count == len(latents) else f"_tokens{count}")
            try:
                res = stream(voc, latents[:count], clone_spk, speed)
            except RuntimeError as e:  # e.g. one latent at speed 1.5 interpolates to 0 frames
                case["error"] = str(e).splitlines()[0]
                out["cases"].append(case)
                continue
            audio = np.concatenate(res["chunks"]) if res["chunks"] else np.zeros(0, np.float32)
            save(ref, f"{label}.npy", audio)
            case.update(chunk_lengths=[len(c) for c in res["chunks"]], vocoder_latent_counts=res["latent_counts"],
                        short_branch=res["short_branch"], audio=f"{label}.npy")
            out["cases"].append(case)
        dump(ref, name, out)
    return runs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", choices=sorted(PRESETS), required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--copy-stop-dir", action="store_true",
                    help="tiny-stop/ gets copies instead of symlinks to tiny/'s unchanged files")
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    p = PRESETS[args.preset]
    t0 = time.time()
    models = build_models(p)
    emb = build_embeddings(p)
    mel_stats = build_mel_stats()
    if args.preset == "real":
        write_model_dir(args.out, p, models, emb, mel_stats)
        print(f"real: wrote {args.out} in {time.time() - t0:.1f} s")
        return
    model_dir = os.path.join(args.out, "tiny")
    stop_dir = os.path.join(args.out, "tiny-stop")
    write_model_dir(model_dir, p, models, emb, mel_stats)
    # tiny-stop: the same directory with a GPT whose stop logit always wins.
    stop_gpt = copy.deepcopy(models["gpt"])
    with torch.no_grad():
        stop_gpt.mel_head.bias[STOP_AUDIO] += STOP_BIAS
    if os.path.exists(stop_dir):
        shutil.rmtree(stop_dir)
    os.makedirs(stop_dir)
    for name in sorted(os.listdir(model_dir)):
        if name == "gpt_model.onnx":
            continue
        if args.copy_stop_dir:
            (shutil.copytree if os.path.isdir(os.path.join(model_dir, name)) else shutil.copy)(
                os.path.join(model_dir, name), os.path.join(stop_dir, name))
        else:
            # Relative links keep the committed fixtures small; git stores them as links.
            os.symlink(os.path.join("..", "tiny", name), os.path.join(stop_dir, name))
    write_model_dir(stop_dir, p, {"gpt": stop_gpt}, emb, mel_stats, gpt_only=True)
    runs = write_references(os.path.join(args.out, "reference"), p, models, stop_gpt, emb, mel_stats)
    print(f"tiny: greedy tokens {len(runs[''][0])}, stop run {runs['_stop'][0]}; wrote {args.out} in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
