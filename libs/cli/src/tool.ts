// The runner every tool goes through: shared flags, help with examples, provenance, error mapping,
// signals and broken pipes.
import { availableParallelism } from 'node:os';
import { Command, CommanderError, Option } from 'commander';
import pkg from '../package.json';
import { EXIT, isBrokenPipe } from './errors';
import { positiveInteger } from './flags';
import { makeLogger, type Logger } from './log';

export const VERSION: string = pkg.version;

export interface SharedOptions {
  output?: string;
  force: boolean;
  quiet: boolean;
  threads: number;
  provenance: boolean;
}

export interface ProvenanceRecord {
  tool: string;
  version: string;
  argv: string[];
  params: Record<string, unknown>;
  time: string;
}

export interface ToolContext extends SharedOptions {
  /** Command name, e.g. "wsi-cat". */
  tool: string;
  version: string;
  argv: string[];
  log: Logger;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
  /** The provenance entry of this run with the given parameters, or null under --no-provenance. */
  provenance_entry(params: Record<string, unknown>): ProvenanceRecord | null;
}

export interface ToolDef<O> {
  /** Short name: "cat" makes the command "wsi-cat". */
  name: string;
  summary: string;
  /** Positional arguments in commander syntax, e.g. "[inputs...]" or "<slide>". */
  args?: string;
  /** Usage examples, one per line: "wsi-cat a.arrows -o a.parquet   # convert". Shown by --help. */
  examples: string[];
  /**
   * Which shared flags apply: "records" tools take all of them; others drop -o/--no-provenance.
   * A string for output/force replaces the record-stream wording of that flag's help with what
   * this tool does with it (a folder, a PNG per slide, ...).
   */
  shared?: { output?: boolean | string; force?: boolean | string; provenance?: boolean; threads?: boolean };
  options?: (cmd: Command) => void;
  run(ctx: ToolContext, args: string[], opts: O): Promise<void>;
}

/** Builds the commander program of a tool (exported for help-text checks and docs). */
export function buildCommand<O>(def: ToolDef<O>): Command {
  const shared = { output: true, force: true, provenance: true, threads: true, ...def.shared };
  const cmd = new Command(`wsi-${def.name}`)
    .description(def.summary)
    .version(VERSION, '--version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help with examples')
    .allowExcessArguments(false);
  if (def.args) cmd.arguments(def.args);
  def.options?.(cmd);
  if (shared.output) {
    const text =
      typeof shared.output === 'string'
        ? shared.output
        : 'write to this file (.parquet for Parquet, else an Arrow stream); default stdout';
    cmd.option('-o, --output <path>', text);
  }
  if (shared.force)
    cmd.option('--force', typeof shared.force === 'string' ? shared.force : 'replace an existing output file');
  cmd.option('-q, --quiet', 'no log messages (errors still go to stderr)');
  if (shared.threads) {
    cmd.addOption(
      new Option('--threads <n>', 'worker threads')
        .default(availableParallelism(), 'number of CPUs')
        .argParser(positiveInteger('--threads')),
    );
  }
  if (shared.provenance) cmd.option('--no-provenance', 'do not append a provenance entry to the stream metadata');
  cmd.addHelpText('after', `\nExamples:\n${def.examples.map((e) => `  ${e}`).join('\n')}\n`);
  return cmd;
}

function reportAndExit(tool: string, e: unknown): never {
  if (isBrokenPipe(e)) process.exit(EXIT.ok);
  if (e instanceof CommanderError) {
    // commander has already printed its message.
    process.exit(e.exitCode === 0 ? 0 : EXIT.usage);
  }
  const err = e as Error & { exitCode?: number; code?: string };
  const status = typeof err.exitCode === 'number' ? err.exitCode : EXIT.runtime;
  const msg = (err?.message ?? String(e)).split('\n')[0];
  process.stderr.write(`${tool}: ${msg}\n`);
  if (status === EXIT.runtime && process.env.SLIDEPIPE_DEBUG) process.stderr.write(`${err?.stack}\n`);
  process.exit(status);
}

/** Parses argv, runs the tool, and exits with the tool's status. */
export async function runTool<O>(def: ToolDef<O>, argv: string[] = process.argv): Promise<never> {
  const tool = `wsi-${def.name}`;
  const controller = new AbortController();
  // `| head` closes our stdout: that is a normal end, not an error.
  process.stdout.on('error', (e) => reportAndExit(tool, e));
  const onSignal = (sig: NodeJS.Signals) => {
    controller.abort();
    process.stderr.write(`${tool}: interrupted (${sig})\n`);
    // 'exit' handlers (temporary-file cleanup) still run.
    process.exit(sig === 'SIGINT' ? EXIT.interrupted : 128 + 15);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const cmd = buildCommand(def).exitOverride();
    cmd.configureOutput({
      writeErr: (s) => process.stderr.write(s.startsWith(tool) ? s : `${tool}: ${s.replace(/^error: /, '')}`),
    });
    await cmd.parseAsync(argv);
    const opts = cmd.opts() as SharedOptions & O;
    const args = cmd.processedArgs.flat().filter((a) => a !== undefined) as string[];
    const userArgv = argv.slice(2);
    const ctx: ToolContext = {
      tool,
      version: VERSION,
      argv: userArgv,
      output: opts.output,
      force: Boolean(opts.force),
      quiet: Boolean(opts.quiet),
      threads: opts.threads ?? availableParallelism(),
      provenance: opts.provenance !== false,
      log: makeLogger(tool, Boolean(opts.quiet)),
      signal: controller.signal,
      provenance_entry(params) {
        if (opts.provenance === false) return null;
        return { tool, version: VERSION, argv: userArgv, params, time: new Date().toISOString() };
      },
    };
    await def.run(ctx, args, opts);
    // Let stdout drain before exiting.
    await new Promise<void>((resolve) =>
      process.stdout.writableLength ? process.stdout.once('drain', resolve) : resolve(),
    );
    process.exit(EXIT.ok);
  } catch (e) {
    reportAndExit(tool, e);
  }
}
