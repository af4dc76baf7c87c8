import { describe, expect, it } from 'vitest';
import { parseMlpTrainOptions } from './options';
import { decodeState, encodeState, type TrainerState } from './state';

describe('trainer state', () => {
  const state: TrainerState = {
    header: {
      inputDim: 3,
      options: parseMlpTrainOptions({ hidden: [2], loss: 'focal' }),
      epoch: 5,
      step: 40,
      finished: false,
      history: [{ epoch: 1, loss: 0.5 }],
      rng: { shuffle: [1, -2, 3, 4], dropout: [5, 6, 7, -8] },
    },
    tensors: new Map([
      ['a', Float32Array.of(1.5, -2, 3)],
      ['b', Float32Array.of(Number.MIN_VALUE, -0)],
    ]),
  };

  it('round-trips, also from an unaligned copy of the bytes', () => {
    const bytes = encodeState(state);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    for (const b of [bytes, shifted.subarray(1)]) {
      const back = decodeState(b);
      expect(back.header).toEqual(state.header);
      expect([...back.tensors.keys()]).toEqual(['a', 'b']);
      expect(back.tensors.get('a')).toEqual(state.tensors.get('a'));
      expect(Object.is(back.tensors.get('b')?.[1], -0)).toBe(true);
    }
  });

  it('rejects a truncated file, an extended one and a different format version', () => {
    const bytes = encodeState(state);
    expect(() => decodeState(bytes.subarray(0, bytes.length - 1))).toThrow(/expected \d+ bytes/);
    const longer = new Uint8Array(bytes.length + 4);
    longer.set(bytes);
    expect(() => decodeState(longer)).toThrow(/expected \d+ bytes/);
    // Same length, so only the version check can object.
    const v2 = bytes.slice();
    const at = Buffer.from(v2).indexOf('"version":1') + '"version":'.length;
    v2[at] = '2'.charCodeAt(0);
    expect(() => decodeState(v2)).toThrow(/version/);
  });
});
