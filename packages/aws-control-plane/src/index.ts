export {
  createControlPlane,
  type ControlPlane,
  type ControlPlaneOptions,
  type CertificateDescription,
  type CertificateStatus,
  type CertificateSummary,
  type Page,
} from './control-plane.js';
export { ControlPlaneError, toControlPlaneError, type ControlPlaneErrorKind } from './control-plane-error.js';
export {
  CONTROL_PLANE_OPERATIONS,
  limitsOf,
  type ControlPlaneLimits,
  type ControlPlaneOperation,
} from './operations.js';
export {
  loadControlPlaneSettings,
  isControlPlaneSettings,
  type ControlPlaneSettings,
  type ControlPlaneAbsence,
} from './settings.js';
export { openControlPlane, type OpenedControlPlane } from './open-control-plane.js';
