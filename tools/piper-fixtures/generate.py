#!/usr/bin/python3
"""Tiny random-weight models with Piper's ONNX interface, for the tts-piper tests (issue 15).

Not a trained voice and not Piper's VITS: a small network with exactly the inputs, outputs, dtypes,
dynamic axes and opset of Piper's export (rhasspy/piper src/python/piper_train/export_onnx.py @73c04d81:
``input`` int64 [batch, phonemes], ``input_lengths`` int64 [batch], ``scales`` float32 [3] =
noise_scale, length_scale, noise_w, ``sid`` int64 [batch] only when multi-speaker; ``output`` float32
[batch, 1, 1, samples], opset 15) and VITS's inference shape (vits/models.py ``infer``): a log-duration
per phoneme scaled by ``length_scale`` (``noise_w`` perturbing it), frames = ceil of the durations,
the encoder's means expanded to frames through the same monotonic path (cumulative durations),
``noise_scale`` times noise added, and a decoder upsampling each frame to 256 samples (the hop of
Piper's 22 050 Hz voices). So audio length follows phoneme count and ``length_scale`` as in Piper.
Each model gets a ``.onnx.json`` in Piper's format with piper-phonemize's default phoneme id map.

Run (Debian's python3-torch, python3-onnx):
    /usr/bin/python3 tools/piper-fixtures/generate.py --out test/fixtures/piper
Seeds are fixed: a rerun writes the same weights.
"""
import argparse
import json
from pathlib import Path

import torch
from torch import nn

HOP = 256


class TinyPiper(nn.Module):
    def __init__(self, n_symbols: int, hidden: int, n_speakers: int):
        super().__init__()
        self.emb = nn.Embedding(n_symbols, hidden)
        self.enc = nn.Conv1d(hidden, hidden, 3, padding=1)
        self.proj = nn.Conv1d(hidden, 2 * hidden, 1)
        self.dp = nn.Conv1d(hidden, 1, 3, padding=1)
        # ~4 frames (~46 ms at 22 050 Hz) per phoneme at length_scale 1, as speech roughly has.
        nn.init.zeros_(self.dp.weight)
        nn.init.constant_(self.dp.bias, 1.4)
        self.emb_g = nn.Embedding(n_speakers, hidden) if n_speakers > 1 else None
        self.up1 = nn.ConvTranspose1d(hidden, 8, 32, stride=16, padding=8)
        self.up2 = nn.ConvTranspose1d(8, 1, 32, stride=16, padding=8)

    def forward(self, input, input_lengths, scales, sid=None):
        noise_scale, length_scale, noise_w = scales[0], scales[1], scales[2]
        t = input.shape[1]
        mask = (torch.arange(t).unsqueeze(0) < input_lengths.unsqueeze(1)).unsqueeze(1).float()  # [B,1,T]
        x = self.emb(input).transpose(1, 2)  # [B,H,T]
        if self.emb_g is not None:
            x = x + self.emb_g(sid).unsqueeze(-1)
        x = torch.tanh(self.enc(x)) * mask
        m, logs = torch.split(self.proj(x) * mask, x.shape[1], dim=1)
        logw = self.dp(x) + noise_w * 0.2 * torch.randn_like(x[:, :1])
        w = torch.exp(logw) * mask * length_scale
        w_ceil = torch.ceil(w)  # [B,1,T]
        cum = torch.cumsum(w_ceil, dim=2)  # [B,1,T]
        frames = torch.clamp_min(cum[:, :, -1], 1).long()  # [B,1]
        y = torch.arange(frames.max()).float().view(1, -1, 1)  # [1,F,1]
        ends = cum  # [B,1,T]: each phoneme's last frame + 1
        starts = ends - w_ceil
        path = ((y >= starts) & (y < ends)).float()  # [B,F,T]
        m_y = torch.matmul(path, m.transpose(1, 2)).transpose(1, 2)  # [B,H,F]
        logs_y = torch.matmul(path, logs.transpose(1, 2)).transpose(1, 2)
        z = m_y + torch.randn_like(m_y) * torch.exp(logs_y) * noise_scale
        o = torch.tanh(self.up2(torch.relu(self.up1(z))))  # [B,1,F*256]
        return o.unsqueeze(1)  # [B,1,1,samples], as Piper's export


def voice_json(id_map: dict, sample_rate: int, espeak_voice: str, n_speakers: int, code: str) -> dict:
    return {
        'audio': {'sample_rate': sample_rate, 'quality': 'x_low'},
        'espeak': {'voice': espeak_voice},
        'inference': {'noise_scale': 0.667, 'length_scale': 1, 'noise_w': 0.8},
        'phoneme_type': 'espeak',
        'phoneme_map': {},
        'phoneme_id_map': id_map,
        'num_symbols': 256,
        'num_speakers': n_speakers,
        'speaker_id_map': {f'speaker_{i}': i for i in range(n_speakers)} if n_speakers > 1 else {},
        'piper_version': '1.0.0',
        'language': {'code': code},
        'dataset': 'random weights (tools/piper-fixtures/generate.py): not a voice',
    }


def export(model: TinyPiper, path: Path, multi: bool) -> None:
    model.eval()
    ids = torch.LongTensor([[1, 0, 20, 0, 59, 0, 2]])
    lengths = torch.LongTensor([ids.shape[1]])
    scales = torch.FloatTensor([0.667, 1.0, 0.8])
    args = (ids, lengths, scales, torch.LongTensor([0])) if multi else (ids, lengths, scales)
    names = ['input', 'input_lengths', 'scales'] + (['sid'] if multi else [])
    torch.onnx.export(
        model, args, str(path), opset_version=15, input_names=names, output_names=['output'],
        dynamic_axes={'input': {0: 'batch_size', 1: 'phonemes'}, 'input_lengths': {0: 'batch_size'}, 'output': {0: 'batch_size', 1: 'time'}},
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--out', required=True)
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    id_map = json.loads((Path(__file__).resolve().parents[2] / 'test/fixtures/piper/phoneme-id-map.json').read_text())
    for name, voice, code, speakers in [('en_US-tiny', 'en-us', 'en_US', 1), ('pt_BR-tiny', 'pt-br', 'pt_BR', 1), ('en_US-tiny-multi', 'en-us', 'en_US', 3)]:
        torch.manual_seed(15)
        model = TinyPiper(256, 16, speakers)
        export(model, out / f'{name}.onnx', speakers > 1)
        (out / f'{name}.onnx.json').write_text(json.dumps(voice_json(id_map, 22050, voice, speakers, code), ensure_ascii=False, indent=1) + '\n')
        print(f'wrote {out / name}.onnx ({(out / f"{name}.onnx").stat().st_size} bytes)')


if __name__ == '__main__':
    main()
