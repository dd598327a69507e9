// Decorated classes below need the metadata polyfill loaded first, whoever imports them.
import 'reflect-metadata';

export * from './enums';
export * from './topics';
export * from './feed';
export * from './cloud-event';
export * from './events';
export * from './identity';
export * from './asyncapi';
export * from './rules';
export * from './clearance';
