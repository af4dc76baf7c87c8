// manifest.json: what was generated and why, for people and for tests. No timestamps and no host
// details, so the same seed gives the same bytes.
import type { CohortPlan, SlidePlan } from './plan';
import type { SlideWriteResult } from './slide-writer';
import type { TextureSource } from './texture-source';

export const MANIFEST_VERSION = 1;

export interface SlideOutcome {
  plan: SlidePlan;
  result: SlideWriteResult;
  sha256: string;
}

const r3 = (v: number) => Math.round(v * 1000) / 1000;

function slideEntry(o: SlideOutcome) {
  const s = o.plan;
  return {
    fileName: s.fileName,
    patientId: s.patientId,
    split: s.split,
    presence: s.lesions.length > 0 ? 1 : 0,
    widthPx: s.widthPx,
    heightPx: s.heightPx,
    mpp: s.mpp,
    objectivePower: s.objectivePower,
    seed: s.seed,
    levels: o.result.levels,
    fileBytes: o.result.bytes,
    bigTiff: o.result.bigTiff,
    sha256: o.sha256,
    drawnTiles: o.result.drawnTiles,
    tiles: o.result.tiles,
    lesions: s.lesions.map((l) => ({
      ...l.box,
      cx: r3(l.cx),
      cy: r3(l.cy),
      semiMajorPx: r3(l.semiMajorPx),
      semiMinorPx: r3(l.semiMinorPx),
      angleDeg: r3((l.angleRad * 180) / Math.PI),
      nearEdge: l.nearEdge,
      tissueFraction: l.tissueFraction,
    })),
    tissue: {
      holeFraction: r3(s.holeFraction),
      fragments: s.fragments.map((f) => f.box),
    },
    artefacts: {
      folds: s.folds.map((f) => ({
        x1: r3(f.x1),
        y1: r3(f.y1),
        x2: r3(f.x2),
        y2: r3(f.y2),
        widthPx: r3(f.widthPx),
        strength: r3(f.strength),
      })),
      blurs: s.blurs.map((b) => ({
        cx: r3(b.cx),
        cy: r3(b.cy),
        rxPx: r3(b.rxPx),
        ryPx: r3(b.ryPx),
        strength: r3(b.strength),
      })),
      pens: s.pens.map((p) => ({ rgb: p.rgb, widthPx: r3(p.widthPx), opacity: r3(p.opacity), points: p.xs.length })),
    },
    stain: {
      hematoxylinScale: r3(s.stain.hematoxylinScale),
      eosinScale: r3(s.stain.eosinScale),
      stromaRgb: s.stain.stromaRgb.map(r3),
      nucleusRgb: s.stain.nucleusRgb.map(r3),
      lymphocyteRgb: s.stain.lymphocyteRgb.map(r3),
      backgroundRgb: s.stain.backgroundRgb.map(r3),
    },
    // Only in hard cohorts (the standard manifest keeps its bytes).
    ...(s.hard ? { hard: hardEntry(s) } : {}),
  };
}

function hardEntry(s: SlidePlan) {
  const h = s.hard!;
  const st = h.stain;
  return {
    stain: {
      hematoxylinOd: st.hematoxylinOd.map(r3),
      eosinOd: st.eosinOd.map(r3),
      hematoxylinScale: r3(st.hematoxylinScale),
      eosinScale: r3(st.eosinScale),
      gamma: st.gamma.map(r3),
      backgroundRgb: st.backgroundRgb.map(r3),
    },
    jpegQuality: st.jpegQuality,
    lesionWidthsUm: s.lesions.map((l) => r3((l.box.x2 - l.box.x1) * s.mpp)),
    lesionHeightsUm: s.lesions.map((l) => r3((l.box.y2 - l.box.y1) * s.mpp)),
    negatives: h.negatives.map((n) => ({
      kind: n.kind,
      ...n.box,
      cx: r3(n.cx),
      cy: r3(n.cy),
      semiMajorPx: r3(n.semiMajorPx),
      semiMinorPx: r3(n.semiMinorPx),
      angleDeg: r3((n.angleRad * 180) / Math.PI),
      nextToLesion: n.nextToLesion,
    })),
  };
}

export function buildManifest(
  plan: CohortPlan,
  outcomes: SlideOutcome[],
  version: string,
  files: Record<string, string>,
  contactSheetSlides: number,
  texture?: TextureSource,
) {
  return {
    manifestVersion: MANIFEST_VERSION,
    generator: 'slidepipe wsi-synth',
    version,
    params: plan.params,
    splitRule:
      'validationFraction of the patients (both slides each) are validation, chosen by a seeded shuffle; ' +
      'in each split negativeFraction of the slides have no lesion',
    files,
    /** The contact sheet shows the first this many slides. */
    contactSheetSlides,
    ...(texture
      ? {
          difficulty: 'hard',
          texture: {
            file: texture.file,
            sha256: texture.sha256,
            mpp: texture.mpp,
            widthPx: texture.widthPx,
            heightPx: texture.heightPx,
            tissueWindows: texture.windows.length / 2,
          },
        }
      : {}),
    patients: plan.patients,
    slides: outcomes.map(slideEntry),
  };
}

export type Manifest = ReturnType<typeof buildManifest>;
