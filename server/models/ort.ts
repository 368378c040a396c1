import * as ortNs from 'onnxruntime-node';

type Ort = typeof ortNs;

/**
 * onnxruntime-node (an optional peer dependency: only the modules of engines that run ONNX models,
 * plugins/tts-xtts/onnx and plugins/tts-piper, import this file), whichever way the module loader presents it: a CommonJS package seen as named
 * exports (tsx's CJS path, as mocha loads tests) or as one `default` export (native ESM).
 */
export const ort: Ort = ('InferenceSession' in ortNs ? ortNs : (ortNs as unknown as { default: Ort }).default);

export type { InferenceSession, Tensor } from 'onnxruntime-node';
