/** The Realtime wire protocol: schemas, types, error registry, parsing and the beta dialect. */
export * from './common.js';
export * from './session.js';
export * from './items.js';
export * from './client-events.js';
export * from './server-events.js';
export * from './errors.js';
export * from './parse.js';
export * from './dialect.js';
