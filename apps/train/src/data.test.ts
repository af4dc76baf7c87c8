import { describe, expect, it } from 'vitest';
import { loadEmbeddings, loadSplits } from './data';
import { planFolds } from './folds';
import { embeddingStream, splitStream, streams } from '@slidepipe/testing';

describe('loading embeddings', () => {
  it('reads every stream into one table, slides in first-seen order', async () => {
    const t = await loadEmbeddings(
      streams(embeddingStream('p1_a', 5), embeddingStream('p2_a', 3), embeddingStream('p1_b', 2)),
    );
    expect(t.rows).toBe(10);
    expect(t.dim).toBe(6);
    expect(t.slides).toEqual(['p1_a', 'p2_a', 'p1_b']);
    expect(Array.from(t.slideOf)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 2, 2]);
    expect(t.x.length).toBe(60);
    // One tool configuration on three slides: one compact entry.
    expect(t.provenance).toHaveLength(1);
    expect(t.provenance[0].runs).toBe(3);
  });

  it('refuses NaN or infinite embeddings, naming the patch', async () => {
    const nan = embeddingStream('p1_a', 4, { value: (i, j) => (i === 2 && j === 3 ? NaN : 0) });
    await expect(loadEmbeddings(streams(nan))).rejects.toThrow(
      /p1_a\.arrows: slide p1_a patch x0=2 y0=2: embedding component 3 is NaN/,
    );
    const inf = embeddingStream('p1_b', 4, { value: (i) => (i === 1 ? -Infinity : 0) });
    await expect(loadEmbeddings(streams(inf))).rejects.toThrow(/embedding component 0 is -Infinity/);
  });

  it('refuses unlabelled rows and embeddings of two backbones', async () => {
    await expect(
      loadEmbeddings(streams(embeddingStream('p1_a', 3, { label: (i) => (i === 1 ? null : 0) }))),
    ).rejects.toThrow(/patch x0=1 y0=1: label is null; wsi-train needs 0\/1 labels/);
    const other = embeddingStream('p2_a', 3, { backbone: { name: 'other', sha256: 'b'.repeat(64), dim: 6 } });
    await expect(loadEmbeddings(streams(embeddingStream('p1_a', 3), other))).rejects.toThrow(
      /p2_a\.arrows: embeddings from backbone other .* mixed with test-backbone/,
    );
    // What mergeMeta leaves when a Parquet file was written from streams of two backbones.
    const merged = embeddingStream('p3_a', 3, { backbone: '__differs__' as unknown as object });
    await expect(loadEmbeddings(streams(merged))).rejects.toThrow(
      /p3_a\.arrows: holds embeddings of several backbones/,
    );
  });
});

describe('planning folds', () => {
  const split = [
    { slide: 'p1_a', fold: 0 },
    { slide: 'p1_b', fold: 0 },
    { slide: 'p2_a', fold: 1 },
    { slide: 'p3_a', fold: 2 },
    { slide: 'p4_a', set: 'test', fold: -1 },
  ];
  it('validates fold k on its slides, trains on the other train-set folds, leaves test slides out', async () => {
    const t = await loadEmbeddings(
      streams(...['p1_a', 'p1_b', 'p2_a', 'p3_a', 'p4_a'].map((s) => embeddingStream(s, 4, { label: (i) => i % 2 }))),
    );
    const plan = planFolds(t, await loadSplits(streams(splitStream(split))), 'splits.arrows');
    expect(plan.folds.map((f) => f.fold)).toEqual([0, 1, 2]);
    expect(plan.testRows).toBe(4);
    expect(Array.from(plan.folds[0].val)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Array.from(plan.folds[0].train)).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
    expect(plan.folds[1].valPositives).toBe(2);
  });

  it('refuses a split table that misses slides of the embeddings', async () => {
    const t = await loadEmbeddings(streams(...['p1_a', 'p9_a', 'p8_b'].map((s) => embeddingStream(s, 2))));
    const splits = await loadSplits(streams(splitStream(split)));
    expect(() => planFolds(t, splits, 'splits.arrows')).toThrow(
      /^splits\.arrows: the split table misses 2 slides of the embeddings: p9_a, p8_b$/,
    );
  });

  it('refuses a fold whose validation has no positive patch', async () => {
    const t = await loadEmbeddings(
      streams(embeddingStream('p1_a', 4, { label: () => 0 }), embeddingStream('p2_a', 4, { label: (i) => i % 2 })),
    );
    const splits = await loadSplits(
      streams(
        splitStream([
          { slide: 'p1_a', fold: 0 },
          { slide: 'p2_a', fold: 1 },
        ]),
      ),
    );
    expect(() => planFolds(t, splits, 's')).toThrow(/fold 0 validates on 4 patches of which 0 positive/);
  });
});

describe('stain settings of the embeddings', () => {
  const withStain = (slide: string, stain?: object, augment?: object) => {
    const s = embeddingStream(slide, 3);
    Object.assign(s.meta.facts, stain ? { stain } : {}, augment ? { stain_augment: augment } : {});
    return s;
  };
  const macenko = {
    method: 'macenko',
    target: {
      stain_matrix: [
        [1, 0, 0],
        [0, 1, 0],
      ],
    },
  };

  it('keeps the normalisation and augmentation for ensemble.json, none when there is none', async () => {
    const aug = { method: 'hed', sigma: 0.1, bias: 0.02, seed: 1 };
    const t = await loadEmbeddings(streams(withStain('p1_a', macenko, aug), withStain('p2_a', macenko, aug)));
    expect(t.stain).toEqual(macenko);
    expect(t.stainAugment).toEqual(aug);
    const plain = await loadEmbeddings(streams(withStain('p1_a')));
    expect(plain.stain).toBeUndefined();
  });

  it('refuses embeddings of several normalisations', async () => {
    await expect(loadEmbeddings(streams(withStain('p1_a', macenko), withStain('p2_a')))).rejects.toThrow(
      /p2_a.* embeddings with stain none mixed with macenko: train on embeddings made with one --stain\/--stain-augment/,
    );
    await expect(loadEmbeddings(streams(withStain('p1_a', '__differs__' as unknown as object)))).rejects.toThrow(
      /several stain settings \(facts.stain differs between its streams\)/,
    );
  });
});
