// Differential-test driver: reads one simulation per line (JSON) on stdin and writes one JSON result per
// line on stdout. The oracle package is resolved from IAM_SIMULATE_DIR (installed at test time, never vendored).
import { createRequire } from 'node:module';
import readline from 'node:readline';
import path from 'node:path';

const dir = process.env.IAM_SIMULATE_DIR;
const require = createRequire(path.join(dir, 'package.json'));
const { runSimulation } = require('@cloud-copilot/iam-simulate');

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (!line.trim()) continue;
  const c = JSON.parse(line);
  let out;
  try {
    const r = await runSimulation(c.simulation, { simulationMode: 'Strict' });
    if (r.resultType === 'error') {
      out = { id: c.id, error: r.errors.message };
    } else {
      const a = r.resultType === 'single' ? r.result.analysis : (r.results[0] || {}).analysis;
      out = {
        id: c.id,
        decision: r.overallResult,
        blockedBy: (a && a.blockedBy) || [],
        ignored: r.resultType === 'single' ? r.result.ignoredContextKeys || [] : [],
      };
    }
  } catch (e) {
    out = { id: c.id, error: String(e && e.message ? e.message : e) };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}
