/** The pure mapping layer: Dentrix rows → Pipedrive logical records, bodies, schema and field-level diff. No I/O. */
export * from './types';
export * from './field-map';
export * from './map-validation';
export * from './default-map';
export * from './bundles';
export * from './context';
export * from './phi';
export * from './merges';
export * from './build';
export * from './review';
export * from './pipedrive-body';
export * from './schema';
export * from './diff';
export * from './standard-fields';
export { SOURCE_KEY_FIELD, sourceKeys, sourceKeyOf } from './source-keys';
export { DERIVED_SOURCES, DERIVED_SOURCE_NAMES, planOfVisit, type DerivedSourceName } from './derived';
export { TRANSFORMS, TRANSFORM_NAMES, type TransformName } from './rule-transforms';
export * as transforms from './transforms';
