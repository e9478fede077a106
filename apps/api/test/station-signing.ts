import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { createRequestSigner, type RequestSigner } from '@claimline/station-contract';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { stationKeyPair } from './station-fixtures.js';

/** A station as `claimline-station init` makes it: seal key, signing key, and its API key. */
export type TestStation = {
  key: string;
  seal: { privateKey: KeyObject; publicPem: string };
  signingPublicPem: string;
  signer: RequestSigner;
};

export function newSigner(algorithm: 'ed25519' | 'p256' = 'ed25519'): {
  signer: RequestSigner;
  publicPem: string;
  privateKey: KeyObject;
} {
  const pair =
    algorithm === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    signer: createRequestSigner(pair.privateKey, () => randomBytes(16).toString('base64url')),
    publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKey: pair.privateKey,
  };
}

export function newTestStation(
  key: string,
  sealAlgorithm: 'x25519' | 'p256' = 'x25519',
  signingAlgorithm: 'ed25519' | 'p256' = 'ed25519',
): TestStation {
  const { signer, publicPem } = newSigner(signingAlgorithm);
  return { key, seal: stationKeyPair(sealAlgorithm), signingPublicPem: publicPem, signer };
}

/**
 * A supertest request signed as the station client signs it (the JSON body sent is exactly the bytes
 * signed). `signer: null` sends it unsigned: what someone holding only the API key can do.
 */
export async function stationRequest(
  app: App,
  method: 'get' | 'post' | 'put',
  path: string,
  key: string,
  signer: RequestSigner | null,
  body?: unknown,
): Promise<request.Response> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const headers = signer
    ? await signer.sign({
        method: method.toUpperCase(),
        url: `http://api.test${path}`,
        ...(text ? { body: text } : {}),
      })
    : {};
  let req = request(app)[method](path).set('Authorization', `Bearer ${key}`).set(headers);
  if (text !== undefined) req = req.set('Content-Type', 'application/json').send(text);
  return req;
}

/** PUT /v1/station/key signed with the signing key it uploads, as `init` does. */
export function enrol(app: App, station: TestStation): Promise<request.Response> {
  return stationRequest(app, 'put', '/v1/station/key', station.key, station.signer, {
    publicKey: station.seal.publicPem,
    signingPublicKey: station.signingPublicPem,
  });
}
