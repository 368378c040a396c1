import type { ModelProgressEvent } from '../models/model-spec.ts';

/**
 * A model-load progress printer for CLI commands that run at log level warn, where the model
 * manager's info-level progress logs are hidden: one line per file of a large model (the XTTS
 * GPT alone is 1.5 GB and takes seconds), e.g. `loading xtts-onnx:/models/xtts:  5% gpt_model.onnx`.
 * Pass it as `createNarrator`'s `onModelProgress`.
 */
export function printModelProgress(out: NodeJS.WritableStream = process.stderr): (e: ModelProgressEvent) => void {
  return (e) => {
    out.write(`loading ${e.id}: ${String(Math.round(e.fraction * 100)).padStart(3)}%${e.note ? ` ${e.note}` : ''}\n`);
  };
}
