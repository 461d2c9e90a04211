/**
 * A worker thread's side of src/parallel/parts.ts: scans the first part (line, quotes), reports
 * where its own part starts, then reads bytes [start, end) and runs the job's part on them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readPart } from '../io/table.js';
import { type PartTask, postError, scanFirstPart } from './parts.js';

interface PartData {
  task: PartTask;
  path: string;
  start: number;
  end: number;
  args: { name: string; width: number; delimiter: string; maxRecordBytes?: number } & Record<string, unknown>;
}

const { task, path, start, end, args } = workerData as PartData;
const port = parentPort!;
try {
  const first = await scanFirstPart(path, start);
  port.postMessage({ type: 'start', start: first });
  if (first.insideQuotes) {
    port.postMessage({ type: 'done', result: null });
  } else {
    const batches =  readPart({ path, name: args.name, start, end, line: first.line, width: args.width, delimiter: args.delimiter, ...(args.maxRecordBytes === undefined ? {} : { maxRecordBytes: args.maxRecordBytes }) }, (bytes) => port.postMessage({ type: 'progress', bytes }));
    const result =
      task === 'score'
        ? await (await import('../jobs/score.js')).scorePart(args as never, batches)
        : task === 'moments'
          ? await (await import('../reliability/collect.js')).momentsPart(args as never, batches)
          : await (await import('../jobs/trajectories.js')).adminPart(args as never, batches);
    port.postMessage({ type: 'done', result });
  }
} catch (err) {
  port.postMessage({ type: 'error', error: postError(err) });
}
