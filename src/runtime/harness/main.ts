// The runtime harness: the program that runs INSIDE the sandbox. It reads run frames from the
// host on fd 3, loads each function version's code once (imported from a data: URL whose
// sourceURL names the function, so stack frames read file:///fn/<name>, as errors and logs that
// quote the URL do), calls it with (input, ctx), captures console and stdout/stderr writes into a
// capped log buffer, and answers with one done frame. Runs go one at a time in arrival order: a
// run frame that arrives during a run waits for it.
// Nothing here is trusted by the host: the host re-checks every frame and enforces every limit.
//
// This is the entry of the harness's modules (this folder, one job each), which the build bundles
// into ONE CommonJS file, dist/src/runtime/harness.cjs (esbuild, see package.json `build:harness`):
// the sandbox receives that file alone, copied in through a pipe. Modules outside this folder are
// imported for their types only: the fetch and checkpoint clients stay files of their own, copied
// in beside the harness and imported at run time by clients.ts, so that a sandbox that never needs
// one never loads it. The bundle keeps no module registry: every module's top-level code runs at
// boot, in import order, before the host's first frame is read, so the built-ins captured in
// primordials.ts are captured before any tenant code runs.
//
// CommonJS on purpose: Node starts a CommonJS entry a few ms faster than an ES module one (the
// ES module loader then starts with the first tenant import, which every sandbox needs anyway).
//
// Usage: node --max-old-space-size=<MiB> harness.cjs <code-dir>
// (<code-dir> is a sandbox-private writable directory; module names in stacks are under it)
import './heap-flags.js';
import './primordials.js';
import { sendLogsAtExit } from './capture.js';
import { openChannel } from './channel.js';
import { installUngrantedFetch } from './clients.js';
import { installConsole } from './console.js';
import { installErrorHandlers } from './run.js';
import { onFrame } from './run-queue.js';

installUngrantedFetch();
openChannel(onFrame);
process.on('exit', sendLogsAtExit);
installErrorHandlers();
installConsole();
