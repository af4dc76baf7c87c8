// Trains an MLP head on frozen embeddings by running the train-step graph once per mini-batch and
// feeding its updated parameters and Adam moments back in. All randomness (init, shuffles,
// dropout masks) comes from the seed, so a seed and the data fix the resulting weights.
import type * as Ort from 'onnxruntime-node';
import { ModelError } from '../errors';
import { getLoss } from '../losses/registry';
import { buildMlpInferenceModel, buildMlpTrainStepModel, MLP_IO } from '../mlp/graphs';
import { cloneParams, initMlpParams, type MlpParam, type MlpSpec } from '../mlp/params';
import { createSession, f32, outF32, scalarF32, type SessionOptions } from '../onnx/session';
import { fillDropoutMask, rngFromState, rngState, rngStreams, shuffleInPlace, type Rng } from '../random/rng';
import { parseMlpTrainOptions, type MlpTrainOptions, type MlpTrainOptionsInput } from './options';
import { decodeState, encodeState } from './state';

export interface TrainData {
  /** Embeddings, row-major [N, inputDim]. */
  x: Float32Array;
  /** Labels [N]: 0/1 (soft labels are accepted by 'bce' only). */
  y: ArrayLike<number>;
  /** Per-sample weights [N] (e.g. class weights), >= 0; default all 1. */
  w?: ArrayLike<number>;
}

export interface EpochReport {
  /** Epochs done, counting from 1 and across restores. */
  epoch: number;
  epochs: number;
  /** Weighted mean training loss over the epoch's batches (with dropout, as trained). */
  loss: number;
  /** Optimiser steps in this epoch, and in total. */
  steps: number;
  totalSteps: number;
  /** Seconds the epoch took: for logs only. */
  seconds: number;
}

/** What an epoch callback may answer: 'stop' ends training (early stopping) and marks it finished. */
export type EpochAction = 'stop' | 'continue' | void;

export interface FitHooks {
  onEpochEnd?: (report: EpochReport, trainer: MlpTrainer) => EpochAction | Promise<EpochAction>;
}

export interface FitSummary {
  /** Epochs run by this call (0 when the trainer had already finished). */
  epochsRun: number;
  epoch: number;
  finished: boolean;
  stoppedEarly: boolean;
}

export interface Prediction {
  logit: Float32Array;
  prob: Float32Array;
}

/** How to run, not what to compute: never recorded in states or exported models. */
export type RuntimeOptions = SessionOptions;

/** Rows per inference call in predict(): bounds the memory of one call. */
const PREDICT_CHUNK_ROWS = 8192;

/** Metadata key prefix of what the trainer itself records in an exported model. */
export const HEAD_METADATA_PREFIX = 'slidepipe.head.';

export class MlpTrainer {
  readonly spec: MlpSpec;
  private params: MlpParam[];
  private moments: Map<string, { m: Float32Array; v: Float32Array }>;
  private epochsDone = 0;
  private stepsDone = 0;
  private done = false;
  private readonly losses: { epoch: number; loss: number }[] = [];
  private shuffleRng: Rng;
  private dropoutRng: Rng;
  private trainSession?: Ort.InferenceSession;
  private predictSession?: Ort.InferenceSession;

  private constructor(
    inputDim: number,
    readonly options: MlpTrainOptions,
    private readonly runtime: RuntimeOptions,
  ) {
    this.spec = { inputDim, hidden: options.hidden };
    // Stream 0 initialises the weights (initMlpParams draws from it), 1 shuffles, 2 drops out.
    const [, shuffle, dropout] = rngStreams(options.seed, 3);
    this.shuffleRng = shuffle;
    this.dropoutRng = dropout;
    this.params = initMlpParams(this.spec, options.seed);
    this.moments = new Map(
      this.params.map((p) => [p.name, { m: new Float32Array(p.data.length), v: new Float32Array(p.data.length) }]),
    );
  }

  /** A fresh trainer with seeded initial weights. */
  static create(inputDim: number, options: MlpTrainOptionsInput = {}, runtime: RuntimeOptions = {}): MlpTrainer {
    if (!Number.isInteger(inputDim) || inputDim < 1) {
      throw new ModelError('INVALID_PARAMETER', `inputDim: expected an integer >= 1, received ${inputDim}`);
    }
    return new MlpTrainer(inputDim, parseMlpTrainOptions(options), runtime);
  }

  /** A trainer exactly where `saveState()` left it: fit() continues (or returns at once if finished). */
  static restore(bytes: Uint8Array, runtime: RuntimeOptions = {}): MlpTrainer {
    const { header, tensors } = decodeState(bytes);
    const t = new MlpTrainer(header.inputDim, parseMlpTrainOptions(header.options), runtime);
    const take = (name: string, length: number): Float32Array => {
      const v = tensors.get(name);
      if (!v || v.length !== length) {
        throw new ModelError('INVALID_STATE', `MLP trainer state: tensor ${name} missing or not of length ${length}`);
      }
      return v;
    };
    for (const p of t.params) {
      p.data = take(p.name, p.data.length);
      t.moments.set(p.name, {
        m: take(MLP_IO.adamM(p.name), p.data.length),
        v: take(MLP_IO.adamV(p.name), p.data.length),
      });
    }
    t.epochsDone = header.epoch;
    t.stepsDone = header.step;
    t.done = header.finished;
    t.losses.push(...header.history);
    t.shuffleRng = rngFromState(header.rng.shuffle);
    t.dropoutRng = rngFromState(header.rng.dropout);
    return t;
  }

  get epoch(): number {
    return this.epochsDone;
  }

  get step(): number {
    return this.stepsDone;
  }

  /** True once all epochs ran or a callback stopped training. */
  get finished(): boolean {
    return this.done;
  }

  /** Mean training loss of each epoch so far. */
  get history(): readonly { epoch: number; loss: number }[] {
    return this.losses;
  }

  /** A copy of the current parameters (weights [in, out], biases). */
  getParams(): MlpParam[] {
    return cloneParams(this.params);
  }

  saveState(): Uint8Array {
    const tensors = new Map<string, Float32Array>();
    for (const p of this.params) {
      const mom = this.moments.get(p.name) as { m: Float32Array; v: Float32Array };
      tensors.set(p.name, p.data);
      tensors.set(MLP_IO.adamM(p.name), mom.m);
      tensors.set(MLP_IO.adamV(p.name), mom.v);
    }
    return encodeState({
      header: {
        inputDim: this.spec.inputDim,
        options: this.options,
        epoch: this.epochsDone,
        step: this.stepsDone,
        finished: this.done,
        history: [...this.losses],
        rng: { shuffle: rngState(this.shuffleRng), dropout: rngState(this.dropoutRng) },
      },
      tensors,
    });
  }

  /**
   * Trains until `options.epochs` epochs are done (counting epochs done before a restore) or a
   * callback answers 'stop'. Each epoch visits the rows in a fresh seeded order; the last batch
   * may be shorter (see `dropLast`).
   */
  async fit(data: TrainData, hooks: FitHooks = {}): Promise<FitSummary> {
    const { n, y, w } = this.checkData(data);
    const o = this.options;
    const D = this.spec.inputDim;
    const B = o.batchSize;
    const summary: FitSummary = { epochsRun: 0, epoch: this.epochsDone, finished: this.done, stoppedEarly: false };
    if (this.done) return summary;
    if (o.dropLast && n < B) {
      throw new ModelError(
        'INVALID_DATA',
        `training data: dropLast needs at least batchSize (${B}) rows, received ${n}`,
      );
    }
    const session = await this.getTrainSession();
    const loss = getLoss(o.loss);
    const xb = new Float32Array(B * D);
    const yb = new Float32Array(B);
    const wb = new Float32Array(B);
    const masks = o.dropout > 0 ? o.hidden.map((h) => new Float32Array(B * h)) : [];
    const order = new Uint32Array(n);
    const constants: Record<string, Ort.Tensor> = {
      [MLP_IO.lr]: scalarF32(o.lr),
      [MLP_IO.weightDecay]: scalarF32(o.weightDecay),
    };
    for (const i of loss.inputs) constants[i.name] = scalarF32(o[i.param]);

    while (this.epochsDone < o.epochs) {
      const started = performance.now();
      // Each epoch shuffles the identity, so the order depends on the RNG position only.
      for (let i = 0; i < n; i++) order[i] = i;
      shuffleInPlace(this.shuffleRng, order);
      let lossSum = 0;
      let weightSum = 0;
      let steps = 0;
      for (let start = 0; start < n; start += B) {
        const rows = Math.min(B, n - start);
        if (rows < B && o.dropLast) break;
        let bw = 0;
        for (let r = 0; r < rows; r++) {
          const src = order[start + r];
          xb.set(data.x.subarray(src * D, src * D + D), r * D);
          yb[r] = y[src];
          wb[r] = w ? w[src] : 1;
          bw += wb[r];
        }
        const feeds: Record<string, Ort.Tensor> = {
          ...constants,
          [MLP_IO.x]: f32(xb.subarray(0, rows * D), [rows, D]),
          [MLP_IO.y]: f32(yb.subarray(0, rows), [rows]),
          [MLP_IO.weight]: f32(wb.subarray(0, rows), [rows]),
          [MLP_IO.step]: scalarF32(this.stepsDone + 1),
        };
        masks.forEach((m, k) => {
          const h = o.hidden[k];
          feeds[MLP_IO.mask(k)] = f32(fillDropoutMask(this.dropoutRng, m.subarray(0, rows * h), o.dropout), [rows, h]);
        });
        for (const p of this.params) {
          const mom = this.moments.get(p.name) as { m: Float32Array; v: Float32Array };
          feeds[p.name] = f32(p.data, p.dims);
          feeds[MLP_IO.adamM(p.name)] = f32(mom.m, p.dims);
          feeds[MLP_IO.adamV(p.name)] = f32(mom.v, p.dims);
        }
        const out = await session.run(feeds);
        const batchLoss = outF32(out, MLP_IO.loss)[0];
        if (!Number.isFinite(batchLoss)) {
          throw new ModelError(
            'DIVERGED',
            `training diverged: loss ${batchLoss} at epoch ${this.epochsDone + 1}, step ${this.stepsDone + 1} (try a lower lr)`,
          );
        }
        for (const p of this.params) {
          p.data = outF32(out, MLP_IO.next(p.name));
          this.moments.set(p.name, {
            m: outF32(out, MLP_IO.next(MLP_IO.adamM(p.name))),
            v: outF32(out, MLP_IO.next(MLP_IO.adamV(p.name))),
          });
        }
        this.stepsDone++;
        steps++;
        lossSum += batchLoss * bw;
        weightSum += bw;
      }
      this.epochsDone++;
      summary.epochsRun++;
      const report: EpochReport = {
        epoch: this.epochsDone,
        epochs: o.epochs,
        loss: weightSum > 0 ? lossSum / weightSum : 0,
        steps,
        totalSteps: this.stepsDone,
        seconds: (performance.now() - started) / 1000,
      };
      this.losses.push({ epoch: report.epoch, loss: report.loss });
      if (this.epochsDone >= o.epochs) this.done = true;
      if ((await hooks.onEpochEnd?.(report, this)) === 'stop') {
        this.done = true;
        summary.stoppedEarly = this.epochsDone < o.epochs;
        break;
      }
    }
    summary.epoch = this.epochsDone;
    summary.finished = this.done;
    return summary;
  }

  /** Logits and probabilities of rows x [N, inputDim], through the inference graph. */
  async predict(x: Float32Array): Promise<Prediction> {
    const D = this.spec.inputDim;
    if (x.length % D !== 0) {
      throw new ModelError(
        'INVALID_DATA',
        `predict: expected a multiple of inputDim (${D}) values, received ${x.length}`,
      );
    }
    const n = x.length / D;
    const logit = new Float32Array(n);
    const prob = new Float32Array(n);
    this.predictSession ??= await createSession(buildMlpInferenceModel(this.spec), this.runtime);
    const feeds: Record<string, Ort.Tensor> = {};
    for (const p of this.params) feeds[p.name] = f32(p.data, p.dims);
    for (let start = 0; start < n; start += PREDICT_CHUNK_ROWS) {
      const rows = Math.min(PREDICT_CHUNK_ROWS, n - start);
      feeds[MLP_IO.x] = f32(x.subarray(start * D, (start + rows) * D), [rows, D]);
      const out = await this.predictSession.run(feeds);
      logit.set(outF32(out, MLP_IO.logit), start);
      prob.set(outF32(out, MLP_IO.prob), start);
    }
    return { logit, prob };
  }

  /**
   * The head as a standalone ONNX model (x [N, D] -> logit [N], prob [N], weights inside). The
   * trainer records its recipe under `slidepipe.head.*`; `metadata` (backbone id and sha256,
   * preprocessing, fold, validation metrics, threshold, ...) is added after and wins on a clash.
   */
  exportOnnx(metadata: Readonly<Record<string, string>> = {}): Uint8Array {
    const own: Record<string, string> = {
      [`${HEAD_METADATA_PREFIX}kind`]: 'mlp',
      [`${HEAD_METADATA_PREFIX}input_dim`]: String(this.spec.inputDim),
      [`${HEAD_METADATA_PREFIX}hidden`]: JSON.stringify(this.spec.hidden),
      [`${HEAD_METADATA_PREFIX}train_options`]: JSON.stringify(this.options),
      [`${HEAD_METADATA_PREFIX}epochs_trained`]: String(this.epochsDone),
      [`${HEAD_METADATA_PREFIX}steps_trained`]: String(this.stepsDone),
    };
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string')
        throw new ModelError('INVALID_PARAMETER', `metadata ${k}: expected a string, received ${typeof v}`);
    }
    return buildMlpInferenceModel(this.spec, {
      params: this.params,
      metadata: { ...own, ...metadata },
      docString: 'slidepipe MLP head: x [N, D] float32 embeddings -> logit [N], prob = sigmoid(logit) [N]',
    });
  }

  async dispose(): Promise<void> {
    await Promise.all([this.trainSession?.release(), this.predictSession?.release()]);
    this.trainSession = undefined;
    this.predictSession = undefined;
  }

  private async getTrainSession(): Promise<Ort.InferenceSession> {
    const o = this.options;
    this.trainSession ??= await createSession(
      buildMlpTrainStepModel(this.spec, {
        loss: o.loss,
        optimizer: o.optimizer,
        dropout: o.dropout > 0,
        beta1: o.beta1,
        beta2: o.beta2,
        eps: o.eps,
      }),
      this.runtime,
    );
    return this.trainSession;
  }

  private checkData(data: TrainData): { n: number; y: ArrayLike<number>; w?: ArrayLike<number> } {
    const D = this.spec.inputDim;
    const bad = (why: string): never => {
      throw new ModelError('INVALID_DATA', `training data: ${why}`);
    };
    const n = data.y.length;
    if (n === 0) bad('no rows');
    if (data.x.length !== n * D) bad(`expected x of ${n} x ${D} = ${n * D} values, received ${data.x.length}`);
    if (data.w && data.w.length !== n) bad(`expected ${n} sample weights, received ${data.w.length}`);
    const binary = getLoss(this.options.loss).binaryLabels;
    let wSum = 0;
    for (let i = 0; i < n; i++) {
      const yi = data.y[i];
      if (binary ? yi !== 0 && yi !== 1 : !(yi >= 0 && yi <= 1)) {
        bad(
          `label ${i}: expected ${binary ? '0 or 1' : 'a value in [0, 1]'} for loss ${this.options.loss}, received ${yi}`,
        );
      }
      const wi = data.w ? data.w[i] : 1;
      if (!(wi >= 0 && Number.isFinite(wi))) bad(`sample weight ${i}: expected a finite number >= 0, received ${wi}`);
      wSum += wi;
    }
    if (wSum <= 0) bad('all sample weights are 0');
    for (let i = 0; i < data.x.length; i++) {
      if (!Number.isFinite(data.x[i])) bad(`x[${Math.floor(i / D)}, ${i % D}] is ${data.x[i]}`);
    }
    return { n, y: data.y, w: data.w };
  }
}
