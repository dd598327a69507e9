/** The send decision (DESIGN.md §3 "Decision rules", v1.1): written once, in `libs/contracts/src/rules`. */
export {
  decide,
  DEFAULT_POLICY,
  forPartner,
  relationshipActive,
} from '../../../../libs/contracts/src/rules/decision-rules';
