export * from './client';
export * from './errors';
export * from './field-keys';
export * from './pagination';
export * from './rate-limiter';
export * from './types';
export { isSearchPath, toQueryString, PipedriveTransport } from './transport';
export { tokenCost, type ApiVersion } from '@dentrix-pipedrive/pipedrive-spec';
