// wsi-synth's error: a SlidepipeError made from an exit status (usage 64, bad input 65, no input
// 66, output exists 73), so the runner prints it on one line with that status.
import { EXIT, type ErrorCode, SlidepipeError } from '@slidepipe/core';

export class SynthError extends SlidepipeError {
  override name = 'SynthError';
  constructor(message: string, exitCode: number) {
    const code = (Object.keys(EXIT) as (keyof typeof EXIT)[]).find((k) => k !== 'ok' && EXIT[k] === exitCode);
    super((code ?? 'runtime') as ErrorCode, message);
  }
}
