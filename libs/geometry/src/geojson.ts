import type { Annotation, PolygonGeometry } from './annotations';
import { GeometryError } from './errors';

export interface GeoJsonReadOptions {
  /** What to do with features that are not polygons (QuPath points, lines): fail (default) or skip them. */
  readonly unsupported?: 'error' | 'skip';
  /** Keep only features whose QuPath classification name is listed (properties.classification.name). */
  readonly classNames?: readonly string[];
}

export interface GeoJsonReadResult {
  readonly annotations: Annotation[];
  /** Features left out, by position in the input, with the reason. */
  readonly skipped: { readonly index: number; readonly reason: string }[];
}

/**
 * Reads polygon annotations from QuPath's GeoJSON export: a FeatureCollection, an array of
 * Features (QuPath's default), a single Feature, or a bare Polygon/MultiPolygon geometry.
 * Coordinates are level-0 pixels. The id is the feature's `id` (QuPath writes a UUID), else
 * properties.name, else the feature's position. Holes are kept.
 */
export function annotationsFromGeoJson(value: unknown, options: GeoJsonReadOptions = {}): GeoJsonReadResult {
  const features = featuresOf(value);
  const annotations: Annotation[] = [];
  const skipped: { index: number; reason: string }[] = [];
  features.forEach((feature, index) => {
    if (!isObject(feature) || feature.type !== 'Feature') {
      throw invalid(`feature #${index}: expected an object with type "Feature", received ${describe(feature)}`);
    }
    const properties = isObject(feature.properties) ? feature.properties : {};
    if (options.classNames) {
      const classification = isObject(properties.classification) ? properties.classification.name : undefined;
      if (typeof classification !== 'string' || !options.classNames.includes(classification)) {
        skipped.push({ index, reason: `classification ${JSON.stringify(classification ?? null)} not selected` });
        return;
      }
    }
    const geometry = feature.geometry;
    if (!isPolygonGeometry(geometry)) {
      const type = isObject(geometry) ? String(geometry.type) : String(geometry);
      if (options.unsupported === 'skip') {
        skipped.push({ index, reason: `geometry ${type} is not a Polygon or MultiPolygon` });
        return;
      }
      throw invalid(`feature #${index}: expected a Polygon or MultiPolygon geometry, received ${type}`);
    }
    annotations.push({ id: featureId(feature, properties, index), geometry });
  });
  return { annotations, skipped };
}

function featuresOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (isObject(value)) {
    if (value.type === 'FeatureCollection' && Array.isArray(value.features)) return value.features;
    if (value.type === 'Feature') return [value];
    if (isPolygonGeometry(value)) return [{ type: 'Feature', properties: {}, geometry: value }];
  }
  throw invalid(
    `expected a FeatureCollection, an array of Features, a Feature or a polygon geometry, received ${describe(value)}`,
  );
}

function featureId(feature: Record<string, unknown>, properties: Record<string, unknown>, index: number): string {
  if (typeof feature.id === 'string' && feature.id !== '') return feature.id;
  if (typeof feature.id === 'number') return String(feature.id);
  if (typeof properties.name === 'string' && properties.name !== '') return properties.name;
  return `feature-${index}`;
}

function isPolygonGeometry(value: unknown): value is PolygonGeometry {
  return (
    isObject(value) && (value.type === 'Polygon' || value.type === 'MultiPolygon') && Array.isArray(value.coordinates)
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string): GeometryError {
  return new GeometryError('INVALID_GEOJSON', `GeoJSON: ${message}`);
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
