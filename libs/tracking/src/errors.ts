import { SlidepipeError } from '@slidepipe/core';

/**
 * Every failure of this library is a TrackingError with a stable `reason`, so the trainer can
 * decide whether a tracking problem should stop training or only be reported.
 */
export type TrackingErrorCode =
  | 'TRACKING_CONFIG' // an unusable MLFLOW_TRACKING_URI or option
  | 'TRACKING_INVALID' // a key, value or step that MLflow or TensorBoard would refuse
  | 'TRACKING_HTTP' // the tracking server answered with an error
  | 'TRACKING_NETWORK' // the tracking server could not be reached
  | 'TRACKING_STATE' // a call on a run or writer that is already closed
  | 'TRACKING_IO'; // a file-store or event-file write failed

/** A tool that gives up because of tracking exits as a software error (70). */
export class TrackingError extends SlidepipeError {
  override readonly name = 'TrackingError';
  declare readonly reason: TrackingErrorCode;
  constructor(
    reason: TrackingErrorCode,
    message: string,
    options?: { cause?: unknown; readonly status?: number; readonly serverErrorCode?: string },
  ) {
    super('runtime', message, undefined, { reason, cause: options?.cause });
    this.status = options?.status;
    this.serverErrorCode = options?.serverErrorCode;
  }
  /** HTTP status for TRACKING_HTTP. */
  readonly status: number | undefined;
  /** MLflow's `error_code` (e.g. RESOURCE_DOES_NOT_EXIST) for TRACKING_HTTP, when it sent one. */
  readonly serverErrorCode: string | undefined;
}
