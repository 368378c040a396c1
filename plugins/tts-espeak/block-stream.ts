/** Moved to the core (server/util/block-stream.ts) so the XTTS onnx worker handle shares it. */
export { BlockStream } from '../../server/util/block-stream.ts';
