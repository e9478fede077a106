export {
  rotateToActiveKek,
  type RotateOptions,
  type RotationProgress,
  type RotationSummary,
  type RotationFailure,
} from './rotate.js';
export { emptyKekUsage, kekUsage, secretsUnderKek, secretsNotUnder, type KekUsage } from './kek-usage.js';
export { retireKek, qualifyKekId, type RetireResult } from './retire.js';
