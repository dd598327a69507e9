export * from './business-id';
export * from './identity-code';
export * from './normalise';
export * from './validators';
export * from './imported-ids';
export * from './postal';
