import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Field, Int32, Schema, Utf8 } from 'apache-arrow';
import { RECORDS, RECORD_NAMES, recordDef } from './records';
import { decodeMeta, encodeMeta, mergeMeta, withProvenance, MetadataError, type StreamMeta } from './meta';
import { makeBatch, schemaFor, typeName, validateSchema } from './arrow';

const dir = join(__dirname, '../../../data-schemas');

/** The language-neutral form of a record definition, as stored in data-schemas/<name>.json. */
function neutral(name: (typeof RECORD_NAMES)[number]) {
  const def = RECORDS[name];
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: def.name,
    description: def.description,
    'x-slidepipe-record': def.name,
    'x-slidepipe-version': def.version,
    type: 'object',
    required: def.columns.map((c) => c.name),
    properties: Object.fromEntries(
      def.columns.map((c) => [
        c.name,
        {
          description: c.description,
          'x-arrow-type': typeof c.type === 'object' ? `list<${c.type.list}>` : c.type,
          ...(typeof c.type === 'object' && c.type.sizeFact ? { 'x-length-from-fact': c.type.sizeFact } : {}),
          ...(c.unit ? { 'x-unit': c.unit } : {}),
          'x-nullable': c.nullable,
          ...(c.since ? { 'x-since-version': c.since } : {}),
        },
      ]),
    ),
  };
}

describe('data-schemas/', () => {
  it('holds exactly one JSON description per record type, matching the TypeScript definitions', () => {
    if (process.env.UPDATE_DATA_SCHEMAS) {
      for (const n of RECORD_NAMES) writeFileSync(join(dir, `${n}.json`), `${JSON.stringify(neutral(n), null, 2)}\n`);
    }
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
    expect(files).toEqual(RECORD_NAMES.map((n) => `${n}.json`).sort());
    for (const n of RECORD_NAMES) {
      const onDisk = JSON.parse(readFileSync(join(dir, `${n}.json`), 'utf8'));
      expect(onDisk, `data-schemas/${n}.json (regenerate with UPDATE_DATA_SCHEMAS=1)`).toEqual(neutral(n));
    }
  });

  it('describes the same Arrow types that schemaFor builds', () => {
    for (const n of RECORD_NAMES) {
      const onDisk = JSON.parse(readFileSync(join(dir, `${n}.json`), 'utf8'));
      const facts = { dim: 4, folds: 5 };
      const schema = schemaFor({ record: n, version: 1, slide: null, facts, provenance: [] });
      for (const f of schema.fields) {
        expect(typeName(f.type), `${n}.${f.name}`).toBe(onDisk.properties[f.name]['x-arrow-type']);
        expect(f.nullable).toBe(onDisk.properties[f.name]['x-nullable']);
      }
    }
  });
});

const base: StreamMeta = {
  record: 'patch',
  version: 1,
  slide: { slide_id: 'a_a', patient_id: 'a', width0: 100, height0: 50, mpp0: 0.5 },
  facts: { tile_px: 256 },
  provenance: [{ tool: 'wsi-tile', version: '1', argv: ['a_a.tif'], params: {}, time: 't0' }],
};

describe('stream metadata', () => {
  it('round-trips through string key/values', () => {
    expect(decodeMeta(encodeMeta(base))).toEqual(base);
  });

  it('appends provenance without touching upstream entries', () => {
    const next = withProvenance(base, {
      tool: 'wsi-label',
      version: '1',
      argv: [],
      params: { rule: 'coverage>=0.1' },
      time: 't1',
    });
    expect(next.provenance.map((p) => p.tool)).toEqual(['wsi-tile', 'wsi-label']);
    expect(base.provenance).toHaveLength(1);
    expect(withProvenance(base, null).provenance).toEqual(base.provenance);
  });

  it('merges streams of several slides into one entry per tool configuration', () => {
    const tile = (slide: string, stride: number, time: string) => ({
      tool: 'wsi-tile',
      version: '1',
      argv: [`${slide}.tif`],
      params: { slide: `${slide}.tif`, slide_id: slide, stride_px: stride },
      time,
    });
    const meta = (slide: string, stride: number, time: string) => ({
      ...base,
      slide: { ...base.slide!, slide_id: slide },
      provenance: [tile(slide, stride, time)],
    });
    const two = mergeMeta([meta('a_a', 256, 't2'), meta('a_b', 256, 't1'), meta('b_a', 128, 't3')]);
    expect(two.slide).toBeNull();
    expect((two.facts.slides as { slide_id: string }[]).map((s) => s.slide_id)).toEqual(['a_a', 'a_b', 'b_a']);
    // The two stride-256 runs become one entry with a count and a digest of their inputs; the
    // stride-128 run keeps its own entry as it was.
    expect(two.provenance).toEqual([
      {
        tool: 'wsi-tile',
        version: '1',
        argv: ['a_a.tif'],
        params: { stride_px: 256 },
        time: 't1',
        runs: 2,
        inputs_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
      tile('b_a', 128, 't3'),
    ]);
    // Merging again counts runs, and 2,000 slides cost what 2 do.
    const many = mergeMeta(Array.from({ length: 2000 }, (_, i) => meta(`s${i}_a`, 256, `t${i}`)));
    expect(many.provenance).toHaveLength(1);
    expect(many.provenance[0].runs).toBe(2000);
    expect(
      mergeMeta([many, { ...meta('z_a', 256, 't'), slide: { ...base.slide!, slide_id: 'z_a' } }]).provenance[0].runs,
    ).toBe(2001);
    // One slide's stream keeps its full chain.
    expect(mergeMeta([meta('a_a', 256, 't2'), meta('a_a', 256, 't3')]).provenance).toHaveLength(2);
    expect(() => mergeMeta([base, { ...base, record: 'box' }])).toThrow(/cannot merge/);
  });

  it('rejects streams that are not slidepipe records', () => {
    expect(() => decodeMeta(new Map())).toThrow(MetadataError);
    expect(() => decodeMeta(new Map([['slidepipe.record', 'nonsense']]))).toThrow(/unknown record type "nonsense"/);
    expect(() =>
      decodeMeta(
        new Map([
          ['slidepipe.record', 'patch'],
          ['slidepipe.record_version', 'x'],
        ]),
      ),
    ).toThrow(/bad record version/);
  });
});

describe('schema validation', () => {
  it('accepts a schema built for the record type, with extra columns passed through', () => {
    const s = schemaFor(base, [new Field('stain', new Utf8(), true)]);
    expect(validateSchema(s, { records: ['patch'] }).record).toBe('patch');
    expect(s.fields.at(-1)!.name).toBe('stain');
  });

  it('names the missing column, the wrong type and the wrong record type', () => {
    const good = schemaFor(base);
    const missing = new Schema(
      good.fields.filter((f) => f.name !== 'tissue'),
      good.metadata,
    );
    expect(() => validateSchema(missing)).toThrow(/lacks column "tissue"/);
    const wrongType = new Schema(
      good.fields.map((f) => (f.name === 'x0' ? new Field('x0', new Utf8(), false) : f)),
      good.metadata,
    );
    expect(() => validateSchema(wrongType)).toThrow(/column "x0" has type utf8, expected int32/);
    expect(() => validateSchema(good, { records: ['embedding'] })).toThrow(/expected "embedding" records, got "patch"/);
    const newer = new Schema(good.fields, new Map([...good.metadata, ['slidepipe.record_version', '9']]));
    expect(() => validateSchema(newer)).toThrow(/newer than this tool supports/);
  });

  it('every record type has a version and unique column names', () => {
    for (const n of RECORD_NAMES) {
      const def = recordDef(n);
      expect(def.version).toBeGreaterThanOrEqual(1);
      expect(new Set(def.columns.map((c) => c.name)).size).toBe(def.columns.length);
    }
  });

  it('builds batches from typed arrays and plain arrays', () => {
    const meta: StreamMeta = { record: 'split', version: 1, slide: null, facts: {}, provenance: [] };
    const b = makeBatch(schemaFor(meta), {
      slide_id: ['p_a', 'p_b'],
      patient_id: ['p', 'p'],
      set: ['train', 'train'],
      fold: Int32Array.of(2, 2),
      has_lesion: [true, false],
      n_boxes: Int32Array.of(3, 0),
    });
    expect(b.numRows).toBe(2);
    expect(b.getChild('has_lesion')!.get(1)).toBe(false);
    expect(() => makeBatch(schemaFor(meta), { slide_id: ['x'] })).toThrow(/lacks column "patient_id"/);
    expect(new Int32().bitWidth).toBe(32);
  });
});
