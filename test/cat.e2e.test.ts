// wsi-cat through real pipes: formats, provenance, truncation, early exit, atomic outputs.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePatches, ROOT, sh, tmp, tool } from './helpers';

describe('wsi-cat', () => {
  it('round-trips Arrow -> Parquet -> Arrow with identical rows, appending one provenance entry per tool', () => {
    const d = tmp();
    const r = sh(
      `${makePatches(600, 300, 3)} > in.arrows
       wsi-cat in.arrows | wsi-cat -o x.parquet
       wsi-cat x.parquet | wsi-cat -o back.arrows
       wsi-cat --jsonl --binary in.arrows > in.jsonl
       wsi-cat --jsonl --binary back.arrows > back.jsonl
       cmp in.jsonl back.jsonl
       wsi-cat --schema back.arrows > schema.json`,
      { cwd: d },
    );
    expect(r.stderr).not.toMatch(/Error|at /);
    expect(r.status).toBe(0);
    const schema = JSON.parse(sh('cat schema.json', { cwd: d }).stdout.toString());
    expect(schema.record).toBe('patch');
    expect(schema.provenance.map((p: { tool: string }) => p.tool)).toEqual([
      'make-patches',
      'wsi-cat',
      'wsi-cat',
      'wsi-cat',
      'wsi-cat',
    ]);
    expect(schema.facts.slides).toHaveLength(3);
    expect(sh('wsi-cat --count x.parquet', { cwd: d }).stdout.toString().trim()).toBe('600');
  });

  it('exits 0 quietly when downstream closes early (| head)', () => {
    const d = tmp();
    sh(`${makePatches(3000, 2000)} | wsi-cat -o big.parquet`, { cwd: d });
    for (const cmd of [
      'wsi-cat big.parquet | head -c 100 > /dev/null',
      'wsi-cat --csv big.parquet | head -n 2 > /dev/null',
    ]) {
      const r = sh(cmd, { cwd: d });
      expect(r.status, cmd).toBe(0);
      expect(r.stderr, cmd).toBe('');
    }
  });

  it('fails with one line naming the input on truncated, empty, non-Arrow and wrong-type input', () => {
    const d = tmp();
    sh(
      `${makePatches(100, 500)} > ok.arrows && head -c 20000 ok.arrows > cut.arrows && : > empty.arrows && echo hello > text.arrows`,
      { cwd: d },
    );
    const cases: [string, number, RegExp][] = [
      ['wsi-cat cut.arrows > /dev/null', 74, /^wsi-cat: cut\.arrows: stream cut inside a message body/],
      ['head -c 20000 ok.arrows | wsi-cat > /dev/null', 74, /^wsi-cat: <stdin>: stream cut/],
      ['wsi-cat empty.arrows > /dev/null', 65, /^wsi-cat: empty\.arrows: empty input/],
      ['wsi-cat < /dev/null > /dev/null', 65, /^wsi-cat: <stdin>: empty input/],
      ['wsi-cat text.arrows > /dev/null', 65, /^wsi-cat: text\.arrows: not an Arrow stream or a Parquet file/],
      ['wsi-cat missing.arrows > /dev/null', 66, /^wsi-cat: missing\.arrows: no such file/],
      [
        'wsi-cat ok.arrows ./ok.arrows > /dev/null',
        64,
        /^wsi-cat: \.\/ok\.arrows: given twice \(also as ok\.arrows\): its records would be read twice/,
      ],
    ];
    for (const [cmd, status, pattern] of cases) {
      const r = sh(cmd, { cwd: d });
      expect(r.status, cmd).toBe(status);
      expect(r.stderr.trim().split('\n'), cmd).toHaveLength(1);
      expect(r.stderr, cmd).toMatch(pattern);
    }
  });

  it('detects an upstream that ended between batches without its end-of-stream marker', () => {
    const d = tmp();
    sh(`${makePatches(2000, 1000)} > ok.arrows`, { cwd: d });
    // Everything but the 8-byte marker: what a reader sees when its producer dies between batches.
    const r = sh('head -c $(( $(stat -c %s ok.arrows) - 8 )) ok.arrows | wsi-cat -o out.parquet', { cwd: d });
    expect(r.status).toBe(74);
    expect(r.stderr).toMatch(/^wsi-cat: <stdin>: stream ends without its end-of-stream marker/);
    expect(readdirSync(d)).toEqual(['ok.arrows']);
  });

  it('a killed writer leaves no output file that looks complete', async () => {
    const d = tmp();
    for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
      const producer = spawn('node', [join(ROOT, 'tools/make-patches.mjs'), '200000', '1000'], { cwd: d });
      const writer = spawn('node', [join(ROOT, 'dist/apps/cat/main.js'), '-o', `out-${signal}.parquet`], {
        cwd: d,
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      producer.stdout.pipe(writer.stdin);
      writer.stdin.on('error', () => undefined);
      for (let i = 0; i < 200 && !readdirSync(d).some((f) => f.startsWith(`.out-${signal}.parquet.tmp-`)); i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(readdirSync(d).some((f) => f.startsWith(`.out-${signal}.parquet.tmp-`))).toBe(true);
      const exited = new Promise((r) => writer.on('exit', (code, sig) => r(code ?? sig)));
      writer.kill(signal);
      const how = await exited;
      producer.kill('SIGKILL');
      expect(existsSync(join(d, `out-${signal}.parquet`))).toBe(false);
      if (signal === 'SIGTERM') {
        // On SIGTERM the writer removes its temporary file itself and exits 143.
        expect(how).toBe(143);
        expect(readdirSync(d).filter((f) => f.includes('SIGTERM'))).toEqual([]);
      } else {
        // SIGKILL (Slurm pre-emption) leaves it: the next run writing that output removes it.
        expect(readdirSync(d).filter((f) => f.startsWith('.out-SIGKILL'))).toHaveLength(1);
        const again = sh(`${makePatches(10, 10)} | wsi-cat -o out-SIGKILL.parquet`, { cwd: d });
        expect(again.status, again.stderr).toBe(0);
        expect(readdirSync(d).filter((f) => f.includes('SIGKILL'))).toEqual(['out-SIGKILL.parquet']);
      }
    }
  });

  it('refuses to overwrite without --force and to write Arrow to a terminal', () => {
    const d = tmp();
    writeFileSync(join(d, 'x.parquet'), 'keep');
    const r = sh(`${makePatches(10, 10)} | wsi-cat -o x.parquet`, { cwd: d });
    expect(r.status).toBe(73);
    expect(r.stderr).toMatch(/x\.parquet: output exists \(use --force to replace it\)/);
    expect(statSync(join(d, 'x.parquet')).size).toBe(4);
    expect(sh(`${makePatches(10, 10)} | wsi-cat --force -o x.parquet`, { cwd: d }).status).toBe(0);
    // `script` gives the tool a terminal as stdout.
    const tty = sh(`script -qec "${tool('cat')} ${join(d, 'x.parquet')}" /dev/null`, { cwd: d });
    expect(tty.stdout.toString()).toMatch(/refusing to write binary Arrow to a terminal/);
  });

  it('keeps or drops columns, takes the first rows, and exports CSV', () => {
    const d = tmp();
    sh(`${makePatches(50, 16)} > p.arrows`, { cwd: d });
    const csv = sh('wsi-cat --csv --head 3 --select slide_id,x0,tissue p.arrows', { cwd: d }).stdout.toString();
    expect(csv).toBe('slide_id,x0,tissue\nsynth000_a,0,0\nsynth000_a,512,0.01\nsynth000_a,1024,0.02\n');
    const dropped = sh('wsi-cat --drop image p.arrows | wsi-cat --jsonl --binary --head 1', {
      cwd: d,
    }).stdout.toString();
    expect(JSON.parse(dropped).image).toBeNull();
    const bad = sh('wsi-cat --drop x0 p.arrows > /dev/null', { cwd: d });
    expect(bad.status).toBe(64);
    expect(bad.stderr).toMatch(/column "x0" is required by patch records/);
  });

  it('answers --help with examples and --version, and is on the npm bin path', () => {
    const help = sh('wsi-cat --help');
    expect(help.status).toBe(0);
    expect(help.stdout.toString()).toMatch(/Examples:\n {2}wsi-tile slide\.svs \| wsi-cat -o patches\.parquet/);
    const v = sh(`cd ${ROOT} && npx --no-install wsi-cat --version`);
    expect(v.stdout.toString().trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
