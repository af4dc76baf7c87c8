// Default slide and patient ids, from the slide's file name.
import { basename, extname } from 'node:path';
import { DIGILUT_PATIENT, patientIdOf } from '@slidepipe/schema';

/** The file name without its last extension: `dir/12_a.tif` -> `12_a`. */
export function slideIdFromPath(path: string): string {
  const name = basename(path);
  return name.slice(0, name.length - extname(name).length) || name;
}

/** `<patient>` for a DigiLut slide id `<patient>_<a|b>`; otherwise the slide id itself (one slide per patient). */
export function patientIdFromSlideId(slideId: string): string {
  return patientIdOf(slideId, DIGILUT_PATIENT);
}
