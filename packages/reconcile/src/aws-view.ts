/**
 * What reconcile asks AWS, as a port: the paged bulk listing of certificates and one listing of
 * principals per thing (AWS offers no bulk listing of thing ↔ principal attachments). The control-plane
 * client of `packages/aws-control-plane` has this shape; tests may pass any implementation that talks
 * to the emulator's control plane.
 */
export type ReconcileAws = {
  listCertificates(page?: {
    marker?: string;
    pageSize?: number;
  }): Promise<{ items: { certificateId: string; status: string }[]; next?: string }>;
  /** Certificate ARNs attached to the thing (every page); undefined when the thing does not exist. */
  listThingPrincipals(thingName: string): Promise<string[] | undefined>;
};

/** `arn:aws:iot:<region>:<account>:cert/<id>` → `<id>`; undefined for other principals (Cognito, IAM). */
export function certificateIdOfArn(arn: string): string | undefined {
  const match = /:cert\/([0-9a-f]{64})$/i.exec(arn);
  return match?.[1]?.toLowerCase();
}

/** AWS's largest ListCertificates page (the model's `pageSize` range is 1–250). */
export const CERTIFICATE_PAGE_SIZE = 250;

/** Every certificate of the account and its status, page by page; returns the calls made. */
export async function certificateStatuses(
  aws: ReconcileAws,
): Promise<{ statuses: Map<string, string>; calls: number }> {
  const statuses = new Map<string, string>();
  let marker: string | undefined;
  let calls = 0;
  do {
    const page = await aws.listCertificates({
      pageSize: CERTIFICATE_PAGE_SIZE,
      ...(marker ? { marker } : {}),
    });
    calls += 1;
    for (const cert of page.items) statuses.set(cert.certificateId.toLowerCase(), cert.status);
    marker = page.next;
  } while (marker);
  return { statuses, calls };
}
