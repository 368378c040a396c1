"""Reference implementations (PyTorch) of the inference steps in plugins/tts-xtts/onnx/README.md.

Each function names the Coqui / transformers code it reproduces.
"""

import numpy as np
import torch
import torch.nn.functional as F

from presets import START_AUDIO, STOP_AUDIO


def build_prefix(emb, cond_latents, text_ids):
    """Prefix embeddings f32 [1, 32 + len(text_ids) + 1, D] (GPT.compute_embeddings + the start audio
    token as GPT2InferenceModel.forward embeds it on prefill: mel_embedding[1024] + mel_pos[0])."""
    text = torch.from_numpy(emb["text_embedding"][text_ids] + emb["text_pos_embedding"][: len(text_ids)])
    start = torch.from_numpy(emb["mel_embedding"][START_AUDIO] + emb["mel_pos_embedding"][0])[None]
    return torch.cat([torch.from_numpy(cond_latents), text, start], dim=0)[None]


def empty_past(gpt, d):
    dh = d // gpt.heads
    return [torch.zeros(1, gpt.heads, 0, dh) for _ in range(2 * gpt.layers)]


@torch.no_grad()
def greedy_decode(gpt, emb, cond_latents, text_ids, max_new_tokens):
    """Argmax decoding through the KV cache, as XTTS's stream generator with do_sample=False.

    → (tokens list[int], latents f32 [N, D], min gap between the two best logits over all steps).
    The latent of a step is hidden_states at the last position of the forward that produced its
    token (stream_generator.py: `yield next_tokens, final_norm(hidden_states[-1][:, -1])`); the stop
    token's step is kept. Stops at 1025 or after max_new_tokens (gpt_max_audio_tokens − 3).
    """
    d = emb["mel_embedding"].shape[1]
    x = build_prefix(emb, cond_latents, text_ids)
    prefix_len = x.shape[1] - 1  # GPT2InferenceModel's cached prefix excludes the start audio token.
    past = empty_past(gpt, d)
    mask_len = x.shape[1]
    tokens, latents, min_gap = [], [], float("inf")
    while True:
        out = gpt(x, torch.ones(1, mask_len, dtype=torch.int64), *past)
        logits, hidden, past = out[0][0, -1], out[1][0, -1], list(out[2:])
        top2 = torch.topk(logits, 2).values
        min_gap = min(min_gap, float(top2[0] - top2[1]))
        token = int(torch.argmax(logits))
        tokens.append(token)
        latents.append(hidden.numpy())
        if token == STOP_AUDIO or len(tokens) >= max_new_tokens:
            break
        # GPT2InferenceModel.forward: position = attention_mask.shape[1] - (prefix_len + 1).
        mask_len += 1
        pos = mask_len - (prefix_len + 1)
        x = torch.from_numpy(emb["mel_embedding"][token] + emb["mel_pos_embedding"][pos])[None, None]
    return tokens, np.stack(latents).astype(np.float32), min_gap


def handle_chunks(wav_gen, wav_gen_prev, wav_overlap, overlap_len):
    """Xtts.handle_chunks (idiap/coqui-ai-TTS TTS/tts/models/xtts.py), verbatim logic on torch tensors.

    → (wav_chunk, wav_gen_prev, wav_overlap, took_short_branch).
    """
    wav_chunk = wav_gen[:-overlap_len]
    if wav_gen_prev is not None:
        wav_chunk = wav_gen[(wav_gen_prev.shape[0] - overlap_len) : -overlap_len]
    if wav_overlap is not None:
        if overlap_len > len(wav_chunk):
            # Too few new samples to crossfade: emit the rest of wav_gen unfaded, forget the overlap.
            if wav_gen_prev is not None:
                wav_chunk = wav_gen[(wav_gen_prev.shape[0] - overlap_len) :]
            else:
                wav_chunk = wav_gen[-overlap_len:]
            return wav_chunk, wav_gen, None, True
        crossfade_wav = wav_chunk[:overlap_len]
        crossfade_wav = crossfade_wav * torch.linspace(0.0, 1.0, overlap_len)
        wav_chunk[:overlap_len] = wav_overlap * torch.linspace(1.0, 0.0, overlap_len)
        wav_chunk[:overlap_len] += crossfade_wav
    wav_overlap = wav_gen[-overlap_len:]
    wav_gen_prev = wav_gen
    return wav_chunk, wav_gen_prev, wav_overlap, False


@torch.no_grad()
def stream(vocoder, latents, speaker_embedding, speed, stream_chunk_size=20, overlap_wav_len=1024):
    """Xtts.inference_stream's loop over already generated latents f32 [N, D].

    Every stream_chunk_size tokens and once more when the generator ends, the vocoder runs on all
    latents so far (first F.interpolate(scale_factor=1/speed, mode="linear") when speed != 1).
    → dict(chunks: list of f32 arrays, short_branch: list[bool], latent_counts: list[int]).
    """
    length_scale = 1.0 / max(speed, 0.05)
    g = torch.from_numpy(speaker_embedding.reshape(1, 512, 1))
    chunks, short, counts = [], [], []
    wav_gen_prev = wav_overlap = None
    n_done = 0
    is_end = False
    last_tokens = 0
    while not is_end:
        if n_done < len(latents):
            n_done += 1
            last_tokens += 1
        else:
            is_end = True
        if is_end or (stream_chunk_size > 0 and last_tokens >= stream_chunk_size):
            gpt_latents = torch.from_numpy(latents[:n_done])[None]
            if length_scale != 1.0:
                gpt_latents = F.interpolate(gpt_latents.transpose(1, 2), scale_factor=length_scale, mode="linear").transpose(1, 2)
            counts.append(int(gpt_latents.shape[1]))
            wav_gen = vocoder(gpt_latents, g)
            wav_chunk, wav_gen_prev, wav_overlap, took = handle_chunks(wav_gen.squeeze(), wav_gen_prev, wav_overlap, overlap_wav_len)
            chunks.append(wav_chunk.numpy().copy())
            short.append(took)
            last_tokens = 0
    return dict(chunks=chunks, short_branch=short, latent_counts=counts)


def process_logits(logits, previous_ids, temperature, top_k, top_p, repetition_penalty):
    """transformers' logits processors in generate()'s order, then softmax → f32 probs [V].

    RepetitionPenaltyLogitsProcessor (gather; < 0 → × penalty, else ÷ penalty; scatter),
    TemperatureLogitsWarper, TopKLogitsWarper (scores < k-th best → −inf, ties kept),
    TopPLogitsWarper (ascending sort, remove cumsum(softmax) ≤ 1 − top_p, keep the most likely).
    Each is skipped when transformers skips it: penalty 1.0, temperature 1.0, top_k 0, top_p 1.0.
    """
    scores = torch.tensor(logits, dtype=torch.float32)[None]
    if repetition_penalty != 1.0 and previous_ids:
        ids = torch.tensor(previous_ids, dtype=torch.int64)[None]
        score = torch.gather(scores, 1, ids)
        score = torch.where(score < 0, score * repetition_penalty, score / repetition_penalty)
        scores = scores.scatter(1, ids, score)
    if temperature != 1.0:
        scores = scores / temperature
    if top_k and top_k > 0:
        k = min(max(top_k, 1), scores.shape[-1])
        scores = scores.masked_fill(scores < torch.topk(scores, k)[0][..., -1, None], -float("inf"))
    if top_p < 1.0:
        sorted_logits, sorted_indices = torch.sort(scores, descending=False)
        cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
        remove_sorted = cumulative <= (1 - top_p)
        remove_sorted[..., -1:] = 0
        remove = remove_sorted.scatter(1, sorted_indices, remove_sorted)
        scores = scores.masked_fill(remove, -float("inf"))
    return torch.softmax(scores, dim=-1)[0].numpy()
