"""Reference voice signal, 16-bit WAV I/O and XTTS's two log-mel front ends (PyTorch/torchaudio).

Mel sources: TTS/tts/models/xtts.py `wav_to_mel_cloning` (conditioning), TTS/encoder/models/base_encoder.py
`PreEmphasis` + `get_torch_mel_spectrogram_class` and resnet.py `ResNetSpeakerEncoder.forward`
(`log_input`: log(x + 1e-6)) for the speaker encoder.
"""

import wave

import numpy as np
import torch
import torchaudio

REF_SECONDS = 6.5
REF_SEED = 1234


def ref_signal(sample_rate):
    """Deterministic 6.5 s voice-like test signal, float64 in [-1,1].

    A 140 Hz tone with 6 harmonics (amplitude 1/k), 5 Hz ±3 % vibrato, a 2 Hz amplitude swell,
    seeded Gaussian noise (σ 0.003) and exact silence from 3.0 s to 3.3 s. Computed analytically per
    sample rate, so the 22 050 Hz and 16 000 Hz files are the same tone (the noise differs).
    """
    n = int(round(REF_SECONDS * sample_rate))
    t = np.arange(n) / sample_rate
    f0, depth, rate = 140.0, 0.03, 5.0
    # Phase = 2π ∫ f0 (1 + depth sin(2π rate t)) dt, in closed form.
    phase = 2 * np.pi * f0 * (t + depth / (2 * np.pi * rate) * (1 - np.cos(2 * np.pi * rate * t)))
    x = sum(np.sin(k * phase) / k for k in range(1, 7))
    x *= 0.3 * (0.75 + 0.25 * np.sin(2 * np.pi * 2.0 * t))
    x += 0.003 * np.random.default_rng(REF_SEED + sample_rate).standard_normal(n)
    x[(t >= 3.0) & (t < 3.3)] = 0.0
    return np.clip(x, -1.0, 1.0)


def to_int16(x):
    return np.round(np.asarray(x) * 32767.0).astype(np.int16)


def write_wav16(path, samples_int16, sample_rate):
    """Mono 16-bit PCM little-endian WAV."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(np.asarray(samples_int16, dtype="<i2").tobytes())


def read_wav16(path):
    """→ (float32 samples = int16/32768, as torchaudio.load returns them, sample_rate)."""
    with wave.open(str(path), "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return data.astype(np.float32) / 32768.0, w.getframerate()


_cond_mel = torchaudio.transforms.MelSpectrogram(
    n_fft=2048,
    hop_length=256,
    win_length=1024,
    power=2,
    normalized=False,
    sample_rate=22050,
    f_min=0,
    f_max=8000,
    n_mels=80,
    # Coqui passes norm="slaney" (area-normalised triangles) with torchaudio's default HTK mel scale.
    norm="slaney",
)


def wav_to_mel_cloning(wav, mel_stats):
    """wav float32 [N] at 22 050 Hz, mel_stats float32 [80] → float32 [80, 1 + N // 256]."""
    mel = _cond_mel(torch.from_numpy(np.asarray(wav, dtype=np.float32))[None])
    mel = torch.log(torch.clamp(mel, min=1e-5))
    return (mel / torch.from_numpy(mel_stats)[None, :, None])[0].numpy()


_spk_mel = torchaudio.transforms.MelSpectrogram(
    sample_rate=16000, n_fft=512, win_length=400, hop_length=160, window_fn=torch.hamming_window, n_mels=64
)


def speaker_mel(wav16k):
    """wav float32 [N] at 16 000 Hz → log mel float32 [64, 1 + N // 160] (speaker encoder input)."""
    x = torch.from_numpy(np.asarray(wav16k, dtype=np.float32))[None]
    # Coqui PreEmphasis: reflect-pad one sample on the left, conv1d with [-0.97, 1].
    x = torch.nn.functional.pad(x.unsqueeze(1), (1, 0), "reflect")
    x = torch.nn.functional.conv1d(x, torch.tensor([[[-0.97, 1.0]]])).squeeze(1)
    return torch.log(_spk_mel(x) + 1e-6)[0].numpy()


def resample_22050_to_16000(wav):
    """torchaudio.functional.resample with its defaults, as Coqui's get_speaker_embedding."""
    return torchaudio.functional.resample(torch.from_numpy(np.asarray(wav, dtype=np.float32))[None], 22050, 16000)[0].numpy()
