import { TrackingError } from './errors';
import { checkMetric, stringifyParams, type Params } from './keys';
import { TensorBoardWriter, type TensorBoardWriterOptions } from './tensorboard';
import type { EndStatus, TrackedRun, Tracker } from './tracker';

export interface CombinedRunOptions {
  /** Run name in MLflow (e.g. "cv" for the parent, "fold-0" for a fold). */
  name: string;
  /** MLflow side; leave out for TensorBoard only. */
  tracker?: Tracker;
  /** Directory for this run's event file (e.g. logs/fold-0); leave out for MLflow only. */
  tensorboardDir?: string;
  /** Logged as MLflow params and as a markdown `hparams` text summary in TensorBoard. */
  params?: Params;
  /** Makes this an MLflow child run (mlflow.parentRunId), as for one fold of a cross-validation. */
  parentRunId?: string;
  tensorboard?: TensorBoardWriterOptions;
}

/** Parameters as a two-column markdown table, for TensorBoard's Text tab. */
export function paramsToMarkdown(params: Params): string {
  const cell = (s: string) => s.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replace(/\r?\n/g, ' ');
  const rows = stringifyParams(params).map(([k, v]) => `| ${cell(k)} | ${cell(v)} |`);
  return ['| parameter | value |', '|---|---|', ...rows].join('\n');
}

/**
 * One run logged to TensorBoard and MLflow at once: the same scalar keys and steps go to both.
 * For K-fold training: one parent run, and one child per fold with its own event directory:
 *
 *   const cv = await CombinedRun.start({ name: 'cv', tracker, params });
 *   const fold = await cv.startChild('fold-0', { tensorboardDir: 'logs/fold-0' });
 *   await fold.logMetrics({ loss, auc, ap, f1, f2, best_f2_threshold }, epoch);
 *   await fold.end();  ...  await cv.end();
 */
export class CombinedRun {
  private ended = false;

  private constructor(
    readonly name: string,
    private readonly tracker: Tracker | undefined,
    readonly mlflow: TrackedRun | undefined,
    readonly tensorboard: TensorBoardWriter | undefined,
    private readonly tensorboardOptions: TensorBoardWriterOptions | undefined,
  ) {}

  static async start(opts: CombinedRunOptions): Promise<CombinedRun> {
    if (!opts.tracker && opts.tensorboardDir === undefined) {
      throw new TrackingError(
        'TRACKING_CONFIG',
        `tracking: run ${opts.name} has neither an MLflow tracker nor a TensorBoard directory`,
      );
    }
    // Validate params before anything is created, so a bad key leaves no half-made run behind.
    const hasParams = stringifyParams(opts.params).length > 0;
    const mlflow = opts.tracker ? await opts.tracker.startRun(opts.name, opts.params, opts.parentRunId) : undefined;
    let tb: TensorBoardWriter | undefined;
    try {
      if (opts.tensorboardDir !== undefined) {
        tb = TensorBoardWriter.open(opts.tensorboardDir, opts.tensorboard);
        if (hasParams) tb.addText('hparams', paramsToMarkdown(opts.params ?? {}), 0);
      }
    } catch (err) {
      await mlflow?.end('FAILED').catch(() => undefined);
      throw err;
    }
    return new CombinedRun(opts.name, opts.tracker, mlflow, tb, opts.tensorboard);
  }

  /** The MLflow run id, when there is an MLflow side. */
  get runId(): string | undefined {
    return this.mlflow?.runId;
  }

  /** A child run (a fold) under this one, with the same tracker and its own event directory. */
  startChild(name: string, opts: { tensorboardDir?: string; params?: Params } = {}): Promise<CombinedRun> {
    return CombinedRun.start({
      name,
      tracker: this.tracker,
      tensorboardDir: opts.tensorboardDir,
      params: opts.params,
      parentRunId: this.runId,
      tensorboard: this.tensorboardOptions,
    });
  }

  logMetric(key: string, value: number, step: number): Promise<void> {
    return this.logMetrics({ [key]: value }, step);
  }

  /** The same scalars at the same step to both sides. */
  async logMetrics(values: Readonly<Record<string, number>>, step: number): Promise<void> {
    this.checkOpen('logMetrics');
    // MLflow's key rules are the stricter: check them before TensorBoard writes anything.
    if (this.mlflow) for (const [k, v] of Object.entries(values)) checkMetric(k, v, step);
    this.tensorboard?.addScalars(values, step);
    await this.mlflow?.logMetrics(values, step);
  }

  /** MLflow only: TensorBoard has no run tags. */
  async setTag(key: string, value: string): Promise<void> {
    this.checkOpen('setTag');
    await this.mlflow?.setTag(key, value);
  }

  /** MLflow only (see TrackedRun.logArtifact). */
  async logArtifact(localPath: string, artifactPath?: string): Promise<void> {
    this.checkOpen('logArtifact');
    await this.mlflow?.logArtifact(localPath, artifactPath);
  }

  /** Closes the event file and ends the MLflow run, even when closing the file fails. */
  async end(status: EndStatus = 'FINISHED'): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    try {
      this.tensorboard?.close();
    } finally {
      await this.mlflow?.end(status);
    }
  }

  private checkOpen(what: string): void {
    if (this.ended) throw new TrackingError('TRACKING_STATE', `tracking: ${what} on run ${this.name} after end()`);
  }
}
