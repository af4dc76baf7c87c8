// The main job: killed in the middle and run again, it finishes without redoing completed slides
// and leaves no corrupt output; its pipes are real processes.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, sh, tmp } from './helpers';

const env = (out: string) => ({
  ...process.env,
  SLIDEPIPE_DEMO_DIR: out,
  DEMO_PATIENTS: '8',
  DEMO_SIZE: 'tiny',
  DEMO_SEED: '3',
});

describe('npm run demo (tools/demo.sh)', () => {
  it('runs the per-slide steps as processes joined by pipes', () => {
    const script = readFileSync(join(ROOT, 'tools/demo.sh'), 'utf8');
    expect(script).toMatch(/wsi-tile [^\n|]*\| wsi-label [^\n|]*\| wsi-cat/);
    expect(script).toMatch(/wsi-embed [^\n|]*\| wsi-predict [^|]*\| wsi-cat/);
  });

  it('resumes after being killed, without redoing finished slides or leaving corrupt files', async () => {
    const out = join(tmp(), 'demo');
    const first = spawn('bash', [join(ROOT, 'tools/demo.sh')], { env: env(out), detached: true, stdio: 'ignore' });
    const patches = join(out, 'patches');
    const done = () => (existsSync(patches) ? readdirSync(patches).filter((f) => f.endsWith('.parquet')) : []);
    for (let i = 0; i < 1200 && done().length < 4; i++) await new Promise((r) => setTimeout(r, 100));
    process.kill(-first.pid!, 'SIGKILL');
    await new Promise((r) => first.on('exit', r));
    const before = done();
    expect(before.length).toBeGreaterThanOrEqual(4);
    const mtimes = Object.fromEntries(before.map((f) => [f, statSync(join(patches, f)).mtimeMs]));
    // What is there under a final name is complete.
    for (const f of before) expect(sh(`wsi-cat --count ${join(patches, f)}`).status, f).toBe(0);

    const second = spawnSync('bash', [join(ROOT, 'tools/demo.sh')], { env: env(out), encoding: 'utf8' });
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toMatch(
      /held-out mean F2 at GIoU > 0\.5: \d\.\d{3} {3}\(boxes placed at random: \d\.\d{3}\)/,
    );
    for (const f of before) expect(statSync(join(patches, f)).mtimeMs, `${f} was redone`).toBe(mtimes[f]);
    expect(readdirSync(patches).filter((f) => f.startsWith('.'))).toEqual([]);
    expect(existsSync(join(out, 'models/ensemble.json'))).toBe(true);
    expect(existsSync(join(out, 'submission.csv'))).toBe(true);
  }, 600_000);
});
