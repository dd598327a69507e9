export * from './enums';
export * from './topics';
export * from './cloud-event';
export * from './events';
export * from './identity';
