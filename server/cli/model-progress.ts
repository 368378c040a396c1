import type { ModelManager } from '../models/model-manager.ts';
import type { ModelProgressEvent } from '../models/model-spec.ts';

/**
 * Prints model-load progress to `out` (stderr) for CLI commands that run at log level warn, where the
 * manager's info-level progress logs are hidden: one line per file of a large model (the XTTS GPT alone
 * is 1.5 GB and takes seconds), e.g. `loading xtts-onnx:/models/xtts:  5% gpt_model.onnx`.
 * @returns a function that stops printing
 */
export function printModelProgress(models: ModelManager, out: NodeJS.WritableStream = process.stderr): () => void {
  const onProgress = (e: ModelProgressEvent): void => {
    out.write(`loading ${e.id}: ${String(Math.round(e.fraction * 100)).padStart(3)}%${e.note ? ` ${e.note}` : ''}\n`);
  };
  models.on('progress', onProgress);
  return () => models.off('progress', onProgress);
}
