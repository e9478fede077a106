/** Who is on a connection, decided once from the client certificate at CONNECT. */
export type Identity = { kind: 'claim'; certificateId: string } | { kind: 'device'; certificateId: string };
