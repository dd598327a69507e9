export * from './ledger-rules';
export * from './decision-rules';
