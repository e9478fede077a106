export {
  SEAL_SUITES,
  generateStationKeyPair,
  loadStationPrivateKey,
  parseStationPublicKey,
  publicKeyFingerprint,
  sealSuiteOf,
  type SealSuite,
} from './keys.js';
export { bindingBytes, openSealed, sealToPublicKey, type SealBinding, type SealedPayload } from './seal.js';
export { isLegacySealed, type LegacySealedPayload } from './legacy-seal.js';
export { StationCryptoError, type StationCryptoErrorCode } from './station-crypto-error.js';
