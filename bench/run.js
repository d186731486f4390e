/**
 * Runs the benchmarks: `npm run bench` (full run) or `node bench/run.js --quick` (CI-sized smoke).
 *
 *   --quick          small counts and fewer rounds; results go to bench/results.quick.json
 *   --only=a,b       run only the named scenarios (throughput, flood, flood-1m, shutdown, streaming, dispatch, redis)
 *   --out=file       where to write the results document (default bench/results.json; with --only,
 *                    bench/results.only-<names>.json, so that a partial run never overwrites the full one)
 *   --summary        print one line at the end instead of the tables and the progress (the smoke run in npm test)
 *
 * Progress goes to stderr, the tables to stdout. Exits 1 when a contestant failed (error, lost or
 * duplicated messages), whatever the speeds; 0 otherwise.
 *
 * Needs `global.gc` for honest heap baselines: without `--expose-gc`, the script runs itself again
 * with it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const RESPAWNED = 'NESTJS_AGENT_BUS_BENCH_CHILD';

if (typeof globalThis.gc !== 'function' && process.env[RESPAWNED] === undefined) {
  const child = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, [RESPAWNED]: '1' },
  });
  if (child.error === undefined && child.signal === null) process.exit(child.status ?? 1);
  process.stderr.write(`bench: could not re-run with --expose-gc (${child.error?.message ?? child.signal}); heap baselines without GC\n`);
  process.env[RESPAWNED] = '1';
}

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const summary = args.includes('--summary');
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
// A partial run writes beside the full run's document, never over it.
const defaultOut = quick ? 'results.quick.json' : only ? `results.only-${only.join('-')}.json` : 'results.json';
const out = args.find((a) => a.startsWith('--out='))?.slice('--out='.length) ?? path.join(here, defaultOut);

if (!existsSync(path.join(here, '..', 'dist', 'index.js'))) {
  process.stderr.write('bench: dist/index.js is missing; build first (npm run build, or npm run bench which builds)\n');
  process.exit(1);
}

const { formatTable, machineInfo, runScenario } = await import('./harness.js');
const { scenarios } = await import('./scenarios/index.js');

const selected = only ? scenarios.filter((s) => only.includes(s.name)) : scenarios;
if (only && selected.length !== only.length) {
  process.stderr.write(`bench: unknown scenario in --only (known: ${scenarios.map((s) => s.name).join(', ')})\n`);
  process.exit(1);
}

const log = summary ? () => undefined : (line) => process.stderr.write(`${line}\n`);
const machine = machineInfo();
log(`bench: ${quick ? 'quick' : 'full'} run on ${machine.cpu} (${machine.cores} cores), node ${machine.node}, gc ${machine.gcExposed ? 'exposed' : 'NOT exposed'}`);

const startedAt = performance.now();
const results = [];
for (const scenario of selected) {
  const result = scenario.run ? await scenario.run({ quick, log }) : await runScenario(scenario, { quick, log });
  const { table, ...data } = result;
  results.push(data);
  if (!summary) process.stdout.write(`${table ?? formatTable(result)}\n\n`);
}
const totalSeconds = (performance.now() - startedAt) / 1000;

const failed = results.flatMap((r) => r.contestants.filter((c) => !c.ok).map((c) => `${r.name} / ${c.name}: ${c.error}`));
const document = {
  machine,
  mode: quick ? 'quick' : 'full',
  durationSeconds: Math.round(totalSeconds * 10) / 10,
  scenarios: results,
  failures: failed,
};
writeFileSync(out, `${JSON.stringify(document, null, 2)}\n`);
log(`bench: done in ${totalSeconds.toFixed(1)} s; results written to ${path.relative(process.cwd(), out)}`);
if (summary) {
  const contestants = results.reduce((total, r) => total + r.contestants.length, 0);
  const outcome = failed.length === 0 ? 'all ok' : `${failed.length} FAILED`;
  process.stdout.write(`bench ${quick ? 'smoke' : 'run'}: ${results.length} scenarios, ${contestants} contestants, ${outcome}, in ${totalSeconds.toFixed(1)} s (tables: npm run bench)\n`);
}

if (failed.length > 0) {
  process.stderr.write(`bench: ${failed.length} contestant(s) FAILED:\n  ${failed.join('\n  ')}\n`);
  process.exit(1);
}
process.exit(0);
