// How the fold heads' outputs become one ensemble score, chosen by name:
//   mean-prob   mean of the fold probabilities
//   mean-logit  sigmoid of the mean fold logit (a geometric-style mean, less swayed by one fold)
//   max         the highest fold probability (most sensitive)
//   vote        share of folds whose probability reaches that fold's own validation threshold
// Each also gives the ensemble's decision threshold from the fold thresholds, written to the
// stream facts as a hint for the box builder.

export interface FoldOutputs {
  /** Per fold, [n] each. */
  probs: Float32Array[];
  logits: Float32Array[];
  /** Per fold, its validation threshold. */
  thresholds: number[];
}

export interface Aggregator {
  summary: string;
  score(o: FoldOutputs, n: number): Float32Array;
  threshold(thresholds: number[]): number;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const logit = (p: number) => Math.log(Math.max(p, 1e-7) / Math.max(1 - p, 1e-7));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export const AGGREGATORS = {
  'mean-prob': {
    summary: 'mean of the fold probabilities',
    score(o, n) {
      const out = new Float32Array(n);
      for (const p of o.probs) for (let i = 0; i < n; i++) out[i] += p[i];
      for (let i = 0; i < n; i++) out[i] /= o.probs.length;
      return out;
    },
    threshold: mean,
  },
  'mean-logit': {
    summary: 'sigmoid of the mean fold logit',
    score(o, n) {
      const sum = new Float64Array(n);
      for (const z of o.logits) for (let i = 0; i < n; i++) sum[i] += z[i];
      return Float32Array.from(sum, (s) => sigmoid(s / o.logits.length));
    },
    threshold: (ts) => sigmoid(mean(ts.map(logit))),
  },
  max: {
    summary: 'highest fold probability',
    score(o, n) {
      const out = new Float32Array(n);
      for (const p of o.probs) for (let i = 0; i < n; i++) if (p[i] > out[i]) out[i] = p[i];
      return out;
    },
    threshold: (ts) => Math.max(...ts),
  },
  vote: {
    summary: 'share of folds at or above their own threshold',
    score(o, n) {
      const out = new Float32Array(n);
      o.probs.forEach((p, k) => {
        for (let i = 0; i < n; i++) if (p[i] >= o.thresholds[k]) out[i] += 1;
      });
      for (let i = 0; i < n; i++) out[i] /= o.probs.length;
      return out;
    },
    // A majority of folds.
    threshold: (_thresholds: number[]) => 0.5,
  },
} satisfies Record<string, Aggregator>;

export type AggregateName = keyof typeof AGGREGATORS;
export const AGGREGATE_NAMES = Object.keys(AGGREGATORS) as AggregateName[];
