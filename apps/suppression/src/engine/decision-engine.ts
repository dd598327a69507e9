/** The send decision (docs/CONTRACT.md §3.7 "Decision rules"): written once, in `libs/contracts/src/rules`. */
export { decide, DEFAULT_POLICY, forPartner, relationshipActive } from '@kielto/contracts/rules';
