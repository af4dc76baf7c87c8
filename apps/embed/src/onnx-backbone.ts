// A user's ONNX backbone (torchvision ResNet, Phikon, UNI, ...): checked to take [N, 3, H, W] and
// give one vector per image, preprocessed as its sidecar JSON or metadata says, run in batches.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { inputError, SlidepipeError } from '@slidepipe/cli';
import { createSession, loadOrt } from '@slidepipe/models';
import type { Backbone, BackboneIdentity, BackboneOptions, RgbImage } from './backbone';
import { scanOnnxFile } from './onnx-file';
import {
  IMAGENET_PREPROCESSING,
  partialPreprocessingSchema,
  preprocessingSchema,
  Preprocessor,
  type PartialPreprocessing,
  type Preprocessing,
} from './preprocess';

/** Metadata keys our own model generator (libs/models) writes; a sidecar JSON overrides them. */
export const META_ID = 'slidepipe.backbone.id';
export const META_PREPROCESSING = 'slidepipe.backbone.preprocessing';
export const META_INPUT_PX = 'slidepipe.backbone.input_px';
const DEFAULT_INPUT_PX = 224;

/** The sidecar next to a model: `resnet.json` for `resnet.onnx` (or `resnet.onnx.json`). */
export function sidecarPath(model: string): string | undefined {
  const candidates = [model.replace(/\.onnx$/i, '') + '.json', `${model}.json`];
  return candidates.find((p) => p !== model && existsSync(p));
}

function zodMessage(e: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return e.issues.map((i) => `${i.path.map(String).join('.') || '(top level)'}: ${i.message}`).join('; ');
}

interface Sidecar extends PartialPreprocessing {
  name?: string;
}

function readSidecar(path: string): Sidecar {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw inputError(path, `not valid JSON (${(e as Error).message})`);
  }
  const { name, ...rest } = (raw ?? {}) as Record<string, unknown>;
  if (name !== undefined && typeof name !== 'string')
    throw inputError(path, `name: expected a string, got ${JSON.stringify(name)}`);
  const r = partialPreprocessingSchema.strict().safeParse(rest);
  if (!r.success) throw inputError(path, `${zodMessage(r.error)} (keys: name, input_px, channels, scale, mean, std)`);
  return { ...r.data, name };
}

function metadataPreprocessing(model: string, meta: Record<string, string>): PartialPreprocessing {
  const out: Record<string, unknown> = {};
  if (meta[META_PREPROCESSING]) {
    try {
      Object.assign(out, JSON.parse(meta[META_PREPROCESSING]));
    } catch {
      throw inputError(model, `metadata ${META_PREPROCESSING} is not valid JSON`);
    }
  }
  if (meta[META_INPUT_PX] && out.input_px === undefined) out.input_px = Number(meta[META_INPUT_PX]);
  const r = partialPreprocessingSchema.safeParse(out);
  if (!r.success) throw inputError(model, `metadata ${META_PREPROCESSING}: ${zodMessage(r.error)}`);
  return r.data;
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

// onnxruntime colours some messages for a terminal.
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
const firstLine = (e: unknown) =>
  String((e as Error)?.message ?? e)
    .split('\n')[0]
    .replace(ANSI_COLOUR, '');

async function openSession(path: string, opts: BackboneOptions): Promise<Ort.InferenceSession> {
  if (opts.device === 'cuda') {
    // A missing CUDA library is logged by onnxruntime's process-wide logger (set once, at the
    // first session): keep it to fatal errors, our warning says what happened.
    loadOrt().env.logLevel = 'fatal';
    try {
      // Fatal-only logging: a missing CUDA library is reported once, by our warning.
      return await createSession(path, { threads: opts.threads, device: 'cuda', logSeverityLevel: 4 });
    } catch (e) {
      opts.warn(`--device cuda: the CUDA execution provider cannot load (${firstLine(e)}); running on the CPU`);
    }
  }
  try {
    return await createSession(path, { threads: opts.threads });
  } catch (e) {
    throw inputError(path, `onnxruntime cannot load the model: ${firstLine(e)}`);
  }
}

const shapeText = (s: readonly (number | string)[]) => `[${s.join(', ')}]`;

export async function loadOnnxBackbone(path: string, opts: BackboneOptions): Promise<Backbone> {
  if (!existsSync(path)) throw new SlidepipeError('no-input', path, 'no such file');
  let info: ReturnType<typeof scanOnnxFile>;
  try {
    info = scanOnnxFile(path);
  } catch (e) {
    throw inputError(path, (e as Error).message);
  }
  const side = sidecarPath(path);
  const sidecar = side ? readSidecar(side) : undefined;
  const fromMeta = metadataPreprocessing(path, info.metadata);
  const session = await openSession(path, opts);
  try {
    if (session.inputNames.length !== 1) {
      throw inputError(
        path,
        `the model takes ${session.inputNames.length} inputs (${session.inputNames.join(', ')}); a backbone takes one image tensor [N, 3, H, W]`,
      );
    }
    const inName = session.inputNames[0];
    const inMeta = session.inputMetadata[0];
    const inShape = inMeta.isTensor ? inMeta.shape : [];
    if (!inMeta.isTensor || inMeta.type !== 'float32') {
      throw inputError(
        path,
        `input ${inName} is ${inMeta.isTensor ? inMeta.type : 'not a tensor'}; a backbone takes float32 [N, 3, H, W]`,
      );
    }
    const fixed = (d: number | string | undefined) => (typeof d === 'number' && d > 0 ? d : undefined);
    if (inShape.length !== 4 || (fixed(inShape[1]) !== undefined && inShape[1] !== 3)) {
      throw inputError(path, `input ${inName} has shape ${shapeText(inShape)}; a backbone takes [N, 3, H, W]`);
    }
    const [h, w] = [fixed(inShape[2]), fixed(inShape[3])];
    if (h !== w)
      throw inputError(
        path,
        `input ${inName} has shape ${shapeText(inShape)}; only square inputs (H = W) are supported`,
      );

    const { name: sidecarName, ...sidecarPre } = sidecar ?? {};
    const given: PartialPreprocessing = { ...fromMeta, ...sidecarPre };
    if (h !== undefined && given.input_px !== undefined && given.input_px !== h) {
      throw inputError(side ?? path, `input_px ${given.input_px} but the model input is ${h} x ${w}`);
    }
    const source = sidecar ? basename(side as string) : Object.keys(fromMeta).length ? 'model metadata' : 'defaults';
    const input_px = h ?? given.input_px ?? DEFAULT_INPUT_PX;
    const spec: Preprocessing = preprocessingSchema.parse({ ...IMAGENET_PREPROCESSING, ...given, input_px });
    const pre = new Preprocessor(spec);
    const fixedBatch = fixed(inShape[0]);

    const outName = session.outputNames[0];
    const outMeta = session.outputMetadata[0];
    const notVector = (shape: readonly (number | string)[]) =>
      inputError(
        path,
        `output ${outName} has shape ${shapeText(shape)}; a backbone must give one vector per image ([N, D] or [N, D, 1, 1])`,
      );
    if (outMeta.isTensor && outMeta.shape.length) {
      const s = outMeta.shape;
      const one = (d: number | string) => d === 1 || typeof d === 'string';
      if (!(s.length === 2 || (s.length === 4 && one(s[2]) && one(s[3])))) throw notVector(s);
    }

    const { Tensor } = loadOrt();
    const buffers = new Map<number, Float32Array>();
    const run = async (x: Float32Array, rows: number): Promise<{ data: Float32Array; dims: readonly number[] }> => {
      let out;
      try {
        out = await session.run({ [inName]: new Tensor('float32', x, [rows, 3, spec.input_px, spec.input_px]) });
      } catch (e) {
        throw new SlidepipeError('runtime', path, `inference failed: ${firstLine(e)}`);
      }
      const t = out[outName] as Ort.Tensor;
      if (t.type !== 'float32') throw inputError(path, `output ${outName} is ${t.type}; expected float32`);
      return { data: t.data as Float32Array, dims: t.dims };
    };

    // One zero image tells the vector length and checks the output really is one vector per image.
    const probeRows = fixedBatch ?? 1;
    const probe = await run(pre.allocate(probeRows), probeRows);
    const d = probe.dims;
    if (!(d[0] === probeRows && (d.length === 2 || (d.length === 4 && d[2] === 1 && d[3] === 1)))) throw notVector(d);
    const dim = d[1];
    // Said once the model is known to be usable, so a refused model gets one line only.
    if (!given.mean || !given.std) {
      opts.warn(
        `${path}: no mean/std in the model metadata or a sidecar ${basename(path).replace(/\.onnx$/i, '')}.json: assuming ImageNet's`,
      );
    }

    const identity: BackboneIdentity = {
      kind: 'onnx',
      name: sidecarName ?? info.metadata[META_ID] ?? basename(path).replace(/\.onnx$/i, ''),
      sha256: await sha256File(path),
      dim,
      preprocessing: { ...spec, source },
    };

    return {
      identity,
      async embed(images: readonly RgbImage[]): Promise<Float32Array> {
        const n = images.length;
        const out = new Float32Array(n * dim);
        const step = fixedBatch ?? Math.max(n, 1);
        for (let s = 0; s < n; s += step) {
          const m = Math.min(step, n - s);
          const rows = fixedBatch ?? m;
          let x = buffers.get(rows);
          if (!x) buffers.set(rows, (x = pre.allocate(rows)));
          for (let i = 0; i < m; i++) pre.write(images[s + i], x, i);
          // A fixed batch size is padded; the padding rows' results are dropped.
          if (m < rows) x.fill(0, m * 3 * spec.input_px * spec.input_px);
          const y = await run(x, rows);
          if (y.data.length !== rows * dim) throw notVector(y.dims);
          out.set(y.data.subarray(0, m * dim), s * dim);
        }
        return out;
      },
      close: () => session.release(),
    };
  } catch (e) {
    await session.release().catch(() => undefined);
    throw e;
  }
}
