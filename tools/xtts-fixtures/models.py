"""Random-weight stand-ins for XTTS-v2's four networks, with the I/O of the streaming ONNX export.

Only the GPT and the vocoder's resampling front follow Coqui closely, because the TypeScript side
drives them step by step; the conditioning and speaker encoders are small opaque networks with the
right input/output shapes (their insides never leave the .onnx file).

Sources: GPT-2 block (transformers GPT2Block, pre-LN, gelu_new), XTTS's GPT changes
(TTS/tts/layers/xtts/gpt.py: no wpe, final_norm after ln_f, mel_head), HiFi-GAN decoder
(TTS/tts/layers/xtts/hifigan_decoder.py HifiDecoder.forward, TTS/vocoder/models/hifigan_generator.py).
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

# Additive mask value; large enough to zero a softmax term in f32, small enough not to overflow when
# a causal and a padding mask add up.
MASK_VALUE = -1e9


def split_heads(x, heads):
    """[B,S,D] → [B,H,S,D/H]."""
    b, s, d = x.shape
    return x.reshape(b, s, heads, d // heads).transpose(1, 2)


def merge_heads(x):
    """[B,H,S,Dh] → [B,S,H·Dh]."""
    b, h, s, dh = x.shape
    return x.transpose(1, 2).reshape(b, s, h * dh)


def attention(q, k, v, bias=None):
    """Scaled dot-product attention on [B,H,S,Dh] / [B,H,T,Dh]; bias broadcast to [B,H,S,T]."""
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    if bias is not None:
        scores = scores + bias
    return torch.matmul(torch.softmax(scores, dim=-1), v)


class GptBlock(nn.Module):
    """GPT-2 block: x + attn(ln_1(x)), then x + mlp(ln_2(x)); the attention sees past keys/values."""

    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(d)
        self.c_attn = nn.Linear(d, 3 * d)
        self.attn_proj = nn.Linear(d, d)
        self.ln_2 = nn.LayerNorm(d)
        self.c_fc = nn.Linear(d, 4 * d)
        self.mlp_proj = nn.Linear(4 * d, d)

    def forward(self, x, bias, past_k, past_v):
        d = x.shape[-1]
        q, k, v = self.c_attn(self.ln_1(x)).split(d, dim=2)
        k = torch.cat([past_k, split_heads(k, self.heads)], dim=2)
        v = torch.cat([past_v, split_heads(v, self.heads)], dim=2)
        x = x + self.attn_proj(merge_heads(attention(split_heads(q, self.heads), k, v, bias)))
        # transformers' GPT-2 default activation "gelu_new" is the tanh approximation.
        x = x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))
        return x, k, v


class GptModel(nn.Module):
    """XTTS GPT for one forward with KV cache.

    forward(inputs_embeds f32 [B,S,D], attention_mask int64 [B,P+S], past_key_0, past_value_0, ...
    f32 [B,H,P,Dh]) → (logits [B,S,1026], hidden_states [B,S,D], present_key_0, present_value_0, ...
    [B,H,P+S,Dh]). hidden_states = final_norm(ln_f(h)), logits = mel_head(hidden_states).
    """

    def __init__(self, d, layers, heads, num_audio_tokens):
        super().__init__()
        self.layers, self.heads = layers, heads
        self.blocks = nn.ModuleList([GptBlock(d, heads) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d)
        self.final_norm = nn.LayerNorm(d)
        self.mel_head = nn.Linear(d, num_audio_tokens)

    def forward(self, inputs_embeds, attention_mask, *past):
        s = inputs_embeds.shape[1]
        p = past[0].shape[2]
        # Query j sits at absolute position p+j and may see keys 0..p+j (the cached past included).
        q_pos = torch.arange(s, device=inputs_embeds.device) + p
        k_pos = torch.arange(attention_mask.shape[1], device=inputs_embeds.device)
        causal = (k_pos[None, :] > q_pos[:, None]).to(inputs_embeds.dtype) * MASK_VALUE
        padding = (1.0 - attention_mask[:, None, None, :].to(inputs_embeds.dtype)) * MASK_VALUE
        bias = causal[None, None, :, :] + padding
        x = inputs_embeds
        presents = []
        for i, block in enumerate(self.blocks):
            x, k, v = block(x, bias, past[2 * i], past[2 * i + 1])
            presents += [k, v]
        hidden = self.final_norm(self.ln_f(x))
        return (self.mel_head(hidden), hidden, *presents)


class AttentionBlock(nn.Module):
    """Pre-LN (cross-)attention + GELU MLP, used by the conditioning encoder."""

    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln_q = nn.LayerNorm(d)
        self.ln_kv = nn.LayerNorm(d)
        self.q = nn.Linear(d, d)
        self.kv = nn.Linear(d, 2 * d)
        self.proj = nn.Linear(d, d)
        self.ln_mlp = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 2 * d)
        self.fc_out = nn.Linear(2 * d, d)

    def forward(self, x, context):
        k, v = self.kv(self.ln_kv(context)).chunk(2, dim=-1)
        q = self.q(self.ln_q(x))
        y = attention(split_heads(q, self.heads), split_heads(k, self.heads), split_heads(v, self.heads))
        x = x + self.proj(merge_heads(y))
        return x + self.fc_out(F.gelu(self.fc(self.ln_mlp(x))))


class ConditioningEncoder(nn.Module):
    """mel_spectrogram f32 [B,80,T] → cond_latents f32 [B,32,D].

    1×1 conv 80→D, self-attention blocks over time, then a perceiver: 32 learned queries attend to
    the frames and themselves (Flamingo-style, as XTTS's PerceiverResampler), final LayerNorm.
    """

    def __init__(self, d, heads, self_blocks, perceiver_blocks, n_latents=32):
        super().__init__()
        self.init_conv = nn.Conv1d(80, d, 1)
        self.self_blocks = nn.ModuleList([AttentionBlock(d, heads) for _ in range(self_blocks)])
        self.latents = nn.Parameter(torch.randn(n_latents, d))
        self.cross_blocks = nn.ModuleList([AttentionBlock(d, heads) for _ in range(perceiver_blocks)])
        self.norm = nn.LayerNorm(d)

    def forward(self, mel_spectrogram):
        x = self.init_conv(mel_spectrogram).transpose(1, 2)
        for block in self.self_blocks:
            x = block(x, x)
        lat = self.latents[None].expand(x.shape[0], -1, -1)
        for block in self.cross_blocks:
            lat = block(lat, torch.cat([x, lat], dim=1))
        return self.norm(lat)


class SpeakerEncoder(nn.Module):
    """mel_spec f32 [B,64,frames] (log mel) → speaker_embedding f32 [B,512,1], unit L2 norm.

    Instance norm over time (as Coqui's ResNetSpeakerEncoder does on its log-mel input), conv,
    mean+std pooling over time, linear to 512, L2 normalisation.
    """

    def __init__(self, channels):
        super().__init__()
        self.instancenorm = nn.InstanceNorm1d(64)
        self.conv = nn.Conv1d(64, channels, 3, padding=1)
        self.fc = nn.Linear(2 * channels, 512)

    def forward(self, mel_spec):
        x = torch.relu(self.conv(self.instancenorm(mel_spec)))
        mean = x.mean(dim=2)
        std = torch.sqrt(torch.clamp((x * x).mean(dim=2) - mean * mean, min=1e-5))
        emb = self.fc(torch.cat([mean, std], dim=1))
        return F.normalize(emb, p=2.0, dim=1).unsqueeze(-1)


def get_padding(k, d=1):
    return (k * d - d) // 2


class ResBlock1(nn.Module):
    """HiFi-GAN ResBlock1 (hifigan_generator.py): per dilation, lrelu→conv(d)→lrelu→conv(1), residual."""

    def __init__(self, ch, k, dilations):
        super().__init__()
        self.convs1 = nn.ModuleList([nn.Conv1d(ch, ch, k, 1, dilation=d, padding=get_padding(k, d)) for d in dilations])
        self.convs2 = nn.ModuleList([nn.Conv1d(ch, ch, k, 1, dilation=1, padding=get_padding(k)) for _ in dilations])

    def forward(self, x):
        for c1, c2 in zip(self.convs1, self.convs2):
            x = x + c2(F.leaky_relu(c1(F.leaky_relu(x, 0.1)), 0.1))
        return x


class HifiganVocoder(nn.Module):
    """latents f32 [1,T,D] + speaker_embedding f32 [1,512,1] → waveform f32 [1,1,N] at 24 kHz in [-1,1].

    N = floor(floor(4T) · 24000/22050) · prod(rates) = floor(4T·160/147)·256.
    Coqui: HifiDecoder.forward (×1024/256 then ×24000/22050 linear interpolation) and
    HifiganGenerator.forward with cond_in_each_up_layer=True, conv_post without bias.
    """

    def __init__(self, d, ch0, rates, kernels, res_kernels, res_dilations, spk_dim=512):
        super().__init__()
        self.conv_pre = nn.Conv1d(d, ch0, 7, 1, padding=3)
        self.cond_layer = nn.Conv1d(spk_dim, ch0, 1)
        self.ups = nn.ModuleList()
        self.conds = nn.ModuleList()
        self.resblocks = nn.ModuleList()
        self.num_kernels = len(res_kernels)
        for i, (u, k) in enumerate(zip(rates, kernels)):
            ch_in, ch = ch0 // 2**i, ch0 // 2 ** (i + 1)
            self.ups.append(nn.ConvTranspose1d(ch_in, ch, k, u, padding=(k - u) // 2))
            self.conds.append(nn.Conv1d(spk_dim, ch, 1))
            for rk, rd in zip(res_kernels, res_dilations):
                self.resblocks.append(ResBlock1(ch, rk, rd))
        self.conv_post = nn.Conv1d(ch, 1, 7, 1, padding=3, bias=False)

    def forward(self, latents, speaker_embedding):
        z = F.interpolate(latents.transpose(1, 2), scale_factor=1024 / 256, mode="linear")
        z = F.interpolate(z, scale_factor=24000 / 22050, mode="linear")
        o = self.conv_pre(z) + self.cond_layer(speaker_embedding)
        for i, up in enumerate(self.ups):
            o = up(F.leaky_relu(o, 0.1)) + self.conds[i](speaker_embedding)
            if self.num_kernels:
                z_sum = None
                for j in range(self.num_kernels):
                    r = self.resblocks[i * self.num_kernels + j](o)
                    z_sum = r if z_sum is None else z_sum + r
                o = z_sum / self.num_kernels
        # Coqui's last leaky_relu has torch's default slope 0.01, not LRELU_SLOPE.
        return torch.tanh(self.conv_post(F.leaky_relu(o)))


def init_weights(module, std, generator):
    """GPT-2 style init: Linear/Embedding/Conv weights ~ N(0, std) scaled by fan-in for convs,
    biases small; LayerNorms perturbed around identity so a missing norm shows in the outputs."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if isinstance(p, nn.Parameter) and p.dim() == 1 and name.endswith("weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=generator))
            elif p.dim() == 1:
                p.copy_(0.02 * torch.randn(p.shape, generator=generator))
            else:
                p.copy_(std * torch.randn(p.shape, generator=generator))


def init_conv_stack(module, generator, gain=1.0):
    """Fan-in scaled normal init for conv stacks, so the vocoder's activations stay O(1) and its
    tanh output neither saturates nor vanishes."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.ConvTranspose1d):
                # Each output sample of a stride-u transposed conv sums in_channels * k/u taps.
                fan_in = m.weight.shape[0] * m.weight.shape[2] / m.stride[0]
            elif isinstance(m, nn.Conv1d):
                fan_in = m.weight.shape[1] * m.weight.shape[2]
            else:
                continue
            m.weight.copy_(gain * torch.randn(m.weight.shape, generator=generator) / math.sqrt(fan_in))
            if m.bias is not None:
                m.bias.copy_(0.01 * torch.randn(m.bias.shape, generator=generator))
