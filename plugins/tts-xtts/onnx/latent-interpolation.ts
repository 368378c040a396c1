/**
 * `F.interpolate(x.transpose(1, 2), scale_factor=scale, mode="linear").transpose(1, 2)` on GPT latents, as
 * `Xtts.inference_stream` uses it for `speed` (scale = 1 / speed; TTS/tts/models/xtts.py). Torch's rules
 * with `align_corners=False` and a given scale factor: output length floor(T × scale); output step j reads
 * source position (j + 0.5) / scale − 0.5, clamped at 0, between rows floor(p) and the next (the last row
 * repeats). Source: aten/src/ATen/native/UpSample.h `area_pixel_compute_source_index`.
 *
 * One deviation: where torch computes zero output rows (a single latent at speed > 1) it raises
 * "Input and output sizes should be greater than 0"; this keeps one row, so a one-token chunk at a fast
 * speed still ends cleanly instead of failing.
 *
 * @param latents row-major [rows][width]
 * @param rows T, the number of latents
 * @param width D
 * @param scale > 0; 1 returns the input unchanged
 * @returns { data: [max(1, floor(T × scale))][width], rows } (0 rows for 0 input rows)
 */
export function interpolateLatents(latents: Float32Array, rows: number, width: number, scale: number): { data: Float32Array; rows: number } {
  if (scale === 1) return { data: latents, rows };
  const outRows = rows === 0 ? 0 : Math.max(1, Math.floor(rows * scale));
  const out = new Float32Array(outRows * width);
  for (let j = 0; j < outRows; j++) {
    const p = Math.max(0, (j + 0.5) / scale - 0.5);
    const i0 = Math.min(Math.floor(p), rows - 1);
    const i1 = i0 < rows - 1 ? i0 + 1 : i0;
    const w1 = p - i0;
    const w0 = 1 - w1;
    const a = i0 * width;
    const b = i1 * width;
    const o = j * width;
    for (let d = 0; d < width; d++) out[o + d] = w0 * latents[a + d] + w1 * latents[b + d];
  }
  return { data: out, rows: outRows };
}
