import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TrackingError } from './errors';
import { TensorBoardWriter } from './tensorboard';
import { maskedCrc32c } from './tfrecord';
import { readEvents, readRecords, tableCrc32c, tableMaskedCrc } from '@slidepipe/testing';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tb-'));
});
afterEach(() => {
  vi.useRealTimers();
  rmSync(dir, { recursive: true, force: true });
});

describe('the test reader', () => {
  it('computes the standard CRC32C check value and agrees with the writer on masking', () => {
    // RFC 3720 / iSCSI check value for "123456789".
    expect(tableCrc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    const sample = Buffer.from('brain.Event:2');
    expect(maskedCrc32c(sample)).toBe(tableMaskedCrc(sample));
  });

  it('rejects a file whose data was altered', () => {
    const w = TensorBoardWriter.open(dir, { now: () => 1_700_000_000_000 });
    w.addScalar('loss', 0.5, 1);
    w.close();
    const buf = readFileSync(w.path);
    expect(readRecords(buf)).toHaveLength(2);
    buf[buf.length - 6] ^= 0x01; // inside the last record's payload
    expect(() => readRecords(buf)).toThrow(/data CRC mismatch/);
  });
});

describe('TensorBoardWriter', () => {
  it('names the file as TensorFlow does and starts with the file_version event', () => {
    const t = 1_700_000_123_456;
    const w = TensorBoardWriter.open(join(dir, 'fold-0'), { now: () => t, host: 'node1' });
    w.close();
    const files = readdirSync(join(dir, 'fold-0'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^events\\.out\\.tfevents\\.1700000123\\.node1\\.${process.pid}\\.\\d+$`));
    const events = readEvents(readFileSync(w.path));
    expect(events).toEqual([{ wallTime: t / 1000, step: 0, fileVersion: 'brain.Event:2', values: [] }]);
  });

  it('gives two writers opened in the same second different files', () => {
    const a = TensorBoardWriter.open(dir, { now: () => 1_000 });
    const b = TensorBoardWriter.open(dir, { now: () => 1_000 });
    a.close();
    b.close();
    expect(a.path).not.toBe(b.path);
    expect(readdirSync(dir)).toHaveLength(2);
  });

  it('writes scalars that read back with their tags, steps and float32 values', () => {
    let now = 1_700_000_000_000;
    const w = TensorBoardWriter.open(dir, { now: () => now });
    now += 1500;
    w.addScalar('train/loss', 0.1, 1);
    now += 1500;
    w.addScalars({ 'val/auc': 0.75, 'val/ap': 1 / 3, 'val/f2@0.5': NaN }, 2);
    w.addScalar('big', -2.5, 2 ** 40 + 3); // a multi-byte varint step
    w.addScalar('neg', 1e30, -7); // negative int64 step: 10-byte varint
    w.close();

    const events = readEvents(readFileSync(w.path));
    expect(events).toHaveLength(5);
    expect(events[1]).toEqual({
      wallTime: 1_700_000_001.5,
      step: 1,
      values: [{ tag: 'train/loss', simpleValue: Math.fround(0.1) }],
    });
    expect(events[2]?.step).toBe(2);
    expect(events[2]?.wallTime).toBe(1_700_000_003);
    expect(events[2]?.values.map((v) => v.tag)).toEqual(['val/auc', 'val/ap', 'val/f2@0.5']);
    expect(events[2]?.values[0]?.simpleValue).toBe(0.75);
    expect(events[2]?.values[1]?.simpleValue).toBe(Math.fround(1 / 3));
    expect(events[2]?.values[2]?.simpleValue).toBeNaN();
    expect(events[3]).toMatchObject({ step: 2 ** 40 + 3, values: [{ tag: 'big', simpleValue: -2.5 }] });
    expect(events[4]).toMatchObject({ step: -7, values: [{ tag: 'neg', simpleValue: Math.fround(1e30) }] });
  });

  it('writes markdown text with the text plugin metadata as a string tensor of shape [1]', () => {
    const w = TensorBoardWriter.open(dir, { now: () => 0 });
    const md = '| parameter | value |\n|---|---|\n| loss | focal γ=2 |';
    w.addText('hparams', md);
    w.close();
    const [, e] = readEvents(readFileSync(w.path));
    expect(e?.step).toBe(0);
    expect(e?.values).toEqual([{ tag: 'hparams', pluginName: 'text', tensor: { dtype: 7, dims: [1], strings: [md] } }]);
  });

  it('writes each event at once by default, so a reader sees it before close', () => {
    const w = TensorBoardWriter.open(dir, { now: () => 0 });
    w.addScalar('loss', 1, 1);
    expect(readEvents(readFileSync(w.path))).toHaveLength(2);
    w.close();
  });

  it('with a flush interval, holds events until the interval, flush() or close()', () => {
    vi.useFakeTimers();
    const w = TensorBoardWriter.open(dir, { now: () => 0, flushIntervalMs: 5_000 });
    w.addScalar('loss', 1, 1);
    expect(statSync(w.path).size).toBe(0);
    vi.advanceTimersByTime(5_000);
    expect(readEvents(readFileSync(w.path))).toHaveLength(2);
    w.addScalar('loss', 0.5, 2);
    expect(readEvents(readFileSync(w.path))).toHaveLength(2);
    w.flush();
    expect(readEvents(readFileSync(w.path))).toHaveLength(3);
    w.addScalar('loss', 0.25, 3);
    w.close();
    const events = readEvents(readFileSync(w.path));
    expect(events.map((e) => e.step)).toEqual([0, 1, 2, 3]);
  });

  it('refuses writes after close, a fractional step and an empty tag', () => {
    const w = TensorBoardWriter.open(dir, { now: () => 0 });
    expect(() => w.addScalar('x', 1, 1.5)).toThrow(/step must be an integer/);
    expect(() => w.addScalar('', 1, 1)).toThrow(/tag/);
    w.close();
    w.close();
    expect(w.closed).toBe(true);
    const err = (() => {
      try {
        w.addScalar('x', 1, 1);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(TrackingError);
    expect((err as TrackingError).reason).toBe('TRACKING_STATE');
  });

  it('reports a log directory it cannot create', () => {
    const w = TensorBoardWriter.open(dir, { now: () => 0 });
    w.close();
    // A path below a regular file cannot be a directory.
    expect(() => TensorBoardWriter.open(join(w.path, 'sub'))).toThrow(/cannot create event file/);
  });
});
