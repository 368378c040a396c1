// Loads every .onnx of an XTTS fixture directory with onnxruntime-node, prints its inputs and outputs,
// runs the GPT's KV path (prefill, then one-token decode) and, when references exist, compares the
// ONNX outputs with the PyTorch references written by generate.py.
//
//   node tools/xtts-fixtures/check.mjs test/fixtures/xtts-onnx      (tiny, tiny-stop + reference/)
//   node tools/xtts-fixtures/check.mjs /tmp/xtts-real               (one model directory)
//
// Exit status 1 when a comparison fails.
import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';

/** Reads a little-endian f4 .npy (v1/v2 header) → { data: Float32Array, shape: number[] }. */
function readNpy(file) {
  const buf = fs.readFileSync(file);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  if (!header.includes("'<f4'") || header.includes("'fortran_order': True")) throw new Error(`${file}: only C-order <f4 is supported`);
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const off = start + headerLen;
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + buf.length));
  return { data, shape };
}

let failures = 0;
function compare(label, got, want, atol) {
  if (got.length !== want.length) {
    console.log(`  FAIL ${label}: length ${got.length} != ${want.length}`);
    failures++;
    return;
  }
  let maxErr = 0;
  for (let i = 0; i < got.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i] - want[i]));
  const ok = maxErr <= atol;
  if (!ok) failures++;
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${label}: max |err| ${maxErr.toExponential(2)} (atol ${atol})`);
}

/** "mean m, std s, min a, max b" of an array; NaN shows up as such. */
function stats(a) {
  let sum = 0, sq = 0, min = Infinity, max = -Infinity;
  for (const v of a) { sum += v; sq += v * v; min = Math.min(min, v); max = Math.max(max, v); }
  const mean = sum / a.length;
  const f = (v) => v.toFixed(3);
  return `mean ${f(mean)}, std ${f(Math.sqrt(Math.max(0, sq / a.length - mean * mean)))}, min ${f(min)}, max ${f(max)}`;
}

async function checkVocoder(s, D) {
  const T = 7;
  const lat = new Float32Array(T * D).map((_, i) => Math.sin(i * 1.7) * 1.2);
  const g = new Float32Array(512).fill(1 / Math.sqrt(512));
  const t0 = performance.now();
  const out = await s.run({ latents: new ort.Tensor('float32', lat, [1, T, D]), speaker_embedding: new ort.Tensor('float32', g, [1, 512, 1]) });
  const ms = (performance.now() - t0).toFixed(0);
  console.log(`  vocoder T=${T} → [${out.waveform.dims}] in ${ms} ms; ${stats(out.waveform.data)}`);
}

const fmt = (m) => `${m.name} ${m.type}[${m.shape.join(',')}]`;

async function describe(dir) {
  const sessions = {};
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.onnx')).sort()) {
    const t0 = performance.now();
    const s = await ort.InferenceSession.create(path.join(dir, name));
    const ms = (performance.now() - t0).toFixed(0);
    const size = (fs.statSync(path.join(dir, name)).size / 2 ** 20).toFixed(2);
    console.log(`${name} (${size} MiB, loaded in ${ms} ms)`);
    if (name === 'gpt_model.onnx') {
      console.log(`  in : ${s.inputMetadata.slice(0, 4).map(fmt).join('; ')}; … ${s.inputNames.length} inputs`);
      console.log(`  out: ${s.outputMetadata.slice(0, 4).map(fmt).join('; ')}; … ${s.outputNames.length} outputs`);
    } else {
      console.log(`  in : ${s.inputMetadata.map(fmt).join('; ')}`);
      console.log(`  out: ${s.outputMetadata.map(fmt).join('; ')}`);
    }
    sessions[name.replace('.onnx', '')] = s;
  }
  return sessions;
}

/** One GPT forward; past = array of [key, value] tensors per layer or null for prefill. */
async function gptStep(s, embeds, S, D, past, pastLen) {
  const layers = s.inputNames.filter((n) => n.startsWith('past_key_')).length;
  const meta = s.inputMetadata.find((m) => m.name === 'past_key_0');
  const [H, Dh] = [meta.shape[1], meta.shape[3]];
  const feeds = {
    inputs_embeds: new ort.Tensor('float32', embeds, [1, S, D]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(pastLen + S).fill(1n), [1, pastLen + S]),
  };
  for (let i = 0; i < layers; i++) {
    feeds[`past_key_${i}`] = past ? past[i][0] : new ort.Tensor('float32', new Float32Array(0), [1, H, 0, Dh]);
    feeds[`past_value_${i}`] = past ? past[i][1] : new ort.Tensor('float32', new Float32Array(0), [1, H, 0, Dh]);
  }
  const out = await s.run(feeds);
  const present = [];
  for (let i = 0; i < layers; i++) present.push([out[`present_key_${i}`], out[`present_value_${i}`]]);
  return { logits: out.logits, hidden: out.hidden_states, present };
}

async function checkKvPath(s, D) {
  const S = 6;
  const x = new Float32Array(S * D).map((_, i) => Math.sin(i * 0.37) * 0.5);
  const full = await gptStep(s, x, S, D, null, 0);
  const pre = await gptStep(s, x.slice(0, (S - 1) * D), S - 1, D, null, 0);
  const dec = await gptStep(s, x.slice((S - 1) * D), 1, D, pre.present, S - 1);
  console.log(`  prefill S=${S - 1}: logits [${pre.logits.dims}] hidden [${pre.hidden.dims}] present_key_0 [${pre.present[0][0].dims}]`);
  console.log(`  decode  S=1 past=${S - 1}: logits [${dec.logits.dims}] present_key_0 [${dec.present[0][0].dims}]`);
  console.log(`  decode logits: ${stats(dec.logits.data)}`);
  compare('decode step == last row of a full prefill (hidden)', dec.hidden.data, full.hidden.data.slice((S - 1) * D), 1e-4);
  compare('prefill rows are causal (first S-1 rows unchanged by the S-th)', pre.hidden.data, full.hidden.data.slice(0, (S - 1) * D), 1e-4);
}

function loadEmbeddings(dir) {
  const e = {};
  for (const n of ['text_embedding', 'text_pos_embedding', 'mel_embedding', 'mel_pos_embedding']) e[n] = readNpy(path.join(dir, 'embeddings', `${n}.npy`));
  return e;
}

const row = (t, i) => t.data.subarray(i * t.shape[1], (i + 1) * t.shape[1]);

async function greedy(s, emb, cond, textIds, maxNew) {
  const D = emb.mel_embedding.shape[1];
  const rows = [];
  for (let i = 0; i < 32; i++) rows.push(cond.data.subarray(i * D, (i + 1) * D));
  textIds.forEach((id, p) => rows.push(row(emb.text_embedding, id).map((v, j) => v + row(emb.text_pos_embedding, p)[j])));
  rows.push(row(emb.mel_embedding, 1024).map((v, j) => v + row(emb.mel_pos_embedding, 0)[j]));
  const prefixLen = rows.length - 1;
  let x = new Float32Array(rows.length * D);
  rows.forEach((r, i) => x.set(r, i * D));
  let S = rows.length, past = null, pastLen = 0;
  const tokens = [], latents = [];
  for (;;) {
    const out = await gptStep(s, x, S, D, past, pastLen);
    const V = out.logits.dims[2];
    const last = out.logits.data.subarray((S - 1) * V, S * V);
    let tok = 0;
    for (let i = 1; i < V; i++) if (last[i] > last[tok]) tok = i;
    tokens.push(tok);
    latents.push(...out.hidden.data.subarray((S - 1) * D, S * D));
    if (tok === 1025 || tokens.length >= maxNew) break;
    pastLen += S;
    past = out.present;
    const pos = pastLen + 1 - (prefixLen + 1);
    x = row(emb.mel_embedding, tok).map((v, j) => v + row(emb.mel_pos_embedding, pos)[j]);
    S = 1;
  }
  return { tokens, latents: Float32Array.from(latents) };
}

async function checkReferences(root) {
  const ref = path.join(root, 'reference');
  const tiny = await describe(path.join(root, 'tiny'));
  const D = readNpy(path.join(root, 'tiny', 'embeddings', 'mel_embedding.npy')).shape[1];
  console.log('GPT KV path (tiny):');
  await checkKvPath(tiny.gpt_model, D);
  console.log('references (tiny):');
  const mel = readNpy(path.join(ref, 'mel_cond.npy'));
  let out = await tiny.conditioning_encoder.run({ mel_spectrogram: new ort.Tensor('float32', mel.data, [1, ...mel.shape]) });
  compare('conditioning_encoder(mel_cond) vs cond_latents_piece', out.cond_latents.data, readNpy(path.join(ref, 'cond_latents_piece.npy')).data, 1e-4);
  const spk = readNpy(path.join(ref, 'spk_mel.npy'));
  out = await tiny.speaker_encoder.run({ mel_spec: new ort.Tensor('float32', spk.data, [1, ...spk.shape]) });
  const spk16 = readNpy(path.join(ref, 'speaker_embedding_16k.npy'));
  compare('speaker_encoder(spk_mel) vs speaker_embedding_16k', out.speaker_embedding.data, spk16.data, 1e-4);
  const vl = readNpy(path.join(ref, 'vocoder_latents.npy'));
  out = await tiny.hifigan_vocoder.run({
    latents: new ort.Tensor('float32', vl.data, vl.shape),
    speaker_embedding: new ort.Tensor('float32', spk16.data, [1, 512, 1]),
  });
  console.log(`  vocoder: latents [${vl.shape}] → waveform [${out.waveform.dims}]`);
  compare('hifigan_vocoder vs vocoder_out', out.waveform.data, readNpy(path.join(ref, 'vocoder_out.npy')).data, 1e-4);
  const cond = readNpy(path.join(ref, 'clone_cond_latents.npy'));
  for (const [dirName, json] of [['tiny', 'gpt_greedy'], ['tiny-stop', 'gpt_greedy_stop']]) {
    const want = JSON.parse(fs.readFileSync(path.join(ref, `${json}.json`), 'utf8'));
    const s = dirName === 'tiny' ? tiny.gpt_model : await ort.InferenceSession.create(path.join(root, dirName, 'gpt_model.onnx'));
    const got = await greedy(s, loadEmbeddings(path.join(root, dirName)), cond, want.text_ids, want.max_new_tokens);
    const same = JSON.stringify(got.tokens) === JSON.stringify(want.tokens);
    if (!same) failures++;
    console.log(`  ${same ? 'ok  ' : 'FAIL'} ${dirName} greedy tokens (${got.tokens.length}): ${got.tokens.slice(0, 12).join(',')}${got.tokens.length > 12 ? ',…' : ''}`);
    compare(`${dirName} greedy latents`, got.latents, readNpy(path.join(ref, want.latents.file)).data, want.latents.atol);
  }
}

const target = process.argv[2];
if (!target) {
  console.error('usage: node tools/xtts-fixtures/check.mjs DIR');
  process.exit(2);
}
if (fs.existsSync(path.join(target, 'reference'))) {
  await checkReferences(target);
  console.log('tiny-stop:');
  await describe(path.join(target, 'tiny-stop'));
} else {
  const sessions = await describe(target);
  const D = readNpy(path.join(target, 'embeddings', 'mel_embedding.npy')).shape[1];
  console.log('GPT KV path:');
  await checkKvPath(sessions.gpt_model, D);
  await checkVocoder(sessions.hifigan_vocoder, D);
}
console.log(failures ? `${failures} check(s) FAILED` : 'all checks passed');
process.exit(failures ? 1 : 0);
