export {
  SEAL_ALGORITHMS,
  bindingBytes,
  generateStationKeyPair,
  loadStationPrivateKey,
  openSealed,
  parseStationPublicKey,
  publicKeyFingerprint,
  sealAlgorithmOf,
  sealToPublicKey,
  type SealAlgorithm,
  type SealBinding,
  type SealedPayload,
} from './seal.js';
export { StationCryptoError, type StationCryptoErrorCode } from './station-crypto-error.js';
