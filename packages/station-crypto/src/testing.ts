export { sealLegacy } from './legacy-seal.js';
