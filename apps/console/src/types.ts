/** The API's answers the console reads (apps/api/src/schemas), as far as the console uses them. */

export type Role = 'MES' | 'VIEWER' | 'ADMIN';

export type Progress = {
  total: number;
  counts: Record<string, number>;
  done: number;
  progressPercent: number;
  throughputPerMinute: number;
  etaSeconds: number | null;
  topErrors: { code: string; count: number }[];
  orphanedCertificates: number;
  finished: boolean;
};

export type Batch = {
  id: string;
  externalRef: string;
  templateName: string;
  mode: string;
  state: 'open' | 'finished' | 'cancelled';
  createdAt: string;
  finishedAt: string | null;
  progress: Progress;
};

export type BatchList = { items: Batch[]; page: number; limit: number; total: number };

export type Throughput = {
  bucketSeconds: number;
  buckets: { at: string; registered: number; failed: number }[];
};

export type Failures = {
  failed: number;
  byCode: { code: string; count: number; retryable: boolean | null; serials: string[] }[];
  orphanedCertificates: {
    total: number;
    items: { certificateId: string; serial: string; orphanedAt: string | null }[];
  };
};

export type Station = {
  name: string;
  line: string | null;
  revokedAt: string | null;
  lastSeenAt: string | null;
  lastHour: { downloaded: number; burned: number; burnFailed: number };
  burnFailures: number;
  assignedBatches: { id: string; externalRef: string; state: string }[];
};

export type Device = {
  serial: string;
  state: string;
  batchId: string;
  thingName: string | null;
  attempts: number;
  lastError: { code: string; message: string | null; retryable: boolean | null } | null;
  history?: { state: string; at: string }[];
  certificates?: { certificateId: string; status: string }[];
  audit?: { action: string; actor: string; at: string }[];
};
