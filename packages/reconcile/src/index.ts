export {
  certificateIdOfArn,
  certificateStatuses,
  CERTIFICATE_PAGE_SIZE,
  type ReconcileAws,
} from './aws-view.js';
export { FINDING_KINDS, findingsOf, type Finding, type FindingKind, type UnitRecord } from './findings.js';
export {
  principalListingsInFlight,
  reconcile,
  type ReconcileOptions,
  type ReconcileReport,
} from './reconcile.js';
export { reportToCsv } from './report-format.js';
export { applySafeFixes, SAFE_FIXES, type FixSummary } from './fixes.js';
