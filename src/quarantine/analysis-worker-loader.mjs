// Worker threads do not inherit the parent's `--import tsx` loader (Node 20), so the analysis worker
// starts here: register tsx for this thread, then load the TypeScript entry named in workerData.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
