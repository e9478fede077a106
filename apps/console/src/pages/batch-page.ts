import { LitElement, html, nothing, type TemplateResult } from 'lit';
import { api, liveEvents, problemText } from '../api.js';
import { duration } from '../format.js';
import { pageStyles } from '../styles.js';
import type { Batch, Failures, Progress, Role, Throughput } from '../types.js';
import { progressBar } from './progress-bar.js';
import { bucketSecondsFor, throughputChart } from './throughput-chart.js';

/** Failures and the chart are read again at most this often while progress events arrive. */
const DETAIL_REFRESH_MS = 3_000;

/**
 * One batch: live progress (the batch's event stream), units per state, throughput over time, failures
 * by AWS error code with a one-click retry (ADMIN), orphaned certificates, report download.
 */
export class BatchPage extends LitElement {
  static override properties = {
    batchId: { type: String },
    userRole: { type: String },
    batch: { state: true },
    failures: { state: true },
    throughput: { state: true },
    message: { state: true },
    busy: { state: true },
  };
  static override styles = pageStyles;
  batchId = '';
  userRole: Role = 'VIEWER';
  batch: Batch | undefined;
  failures: Failures | undefined;
  throughput: Throughput | undefined;
  message = '';
  busy = false;
  private close: (() => void) | undefined;
  private detailsReadAt = 0;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.close?.();
  }

  private async load(): Promise<void> {
    try {
      this.batch = await api.get<Batch>(`/v1/batches/${this.batchId}`);
      await this.loadDetails();
      if (!this.batch.progress.finished) this.listen();
    } catch (error) {
      this.message = problemText(error);
    }
  }

  private listen(): void {
    this.close?.();
    this.close = liveEvents<Progress>(
      `/v1/batches/${this.batchId}/events`,
      'progress',
      (progress) => {
        if (this.batch) this.batch = { ...this.batch, progress };
        if (Date.now() - this.detailsReadAt > DETAIL_REFRESH_MS || progress.finished) void this.loadDetails();
      },
      () => void this.loadDetails(),
    );
  }

  private async loadDetails(): Promise<void> {
    const b = this.batch;
    if (!b) return;
    this.detailsReadAt = Date.now();
    const to = b.progress.finished ? (b.finishedAt ?? new Date().toISOString()) : new Date().toISOString();
    const bucket = bucketSecondsFor(b.createdAt, to);
    [this.failures, this.throughput] = await Promise.all([
      api.get<Failures>(`/v1/batches/${b.id}/failures`),
      api.get<Throughput>(`/v1/batches/${b.id}/throughput?bucketSeconds=${bucket}`),
    ]).catch((error: unknown) => {
      this.message = problemText(error);
      return [this.failures, this.throughput];
    });
  }

  private async retry(): Promise<void> {
    this.busy = true;
    try {
      const result = await api.post<{ affected: number }>(`/v1/batches/${this.batchId}/retry`);
      this.message = `${result.affected} failed units queued again.`;
      this.batch = await api.get<Batch>(`/v1/batches/${this.batchId}`);
      await this.loadDetails();
      this.listen();
    } catch (error) {
      this.message = problemText(error);
    } finally {
      this.busy = false;
    }
  }

  override render(): TemplateResult {
    const b = this.batch;
    if (!b) return html`<p role="status">${this.message || 'Loading…'}</p>`;
    const p = b.progress;
    return html`
      <h2>${b.externalRef}</h2>
      <p role="status">${this.message}</p>
      ${progressBar(p.progressPercent, `${b.externalRef} progress`)}
      <p>
        ${p.done} of ${p.total} done · ${p.progressPercent.toFixed(0)} % · ${p.throughputPerMinute} units/min
        · ETA ${p.finished ? 'done' : duration(p.etaSeconds)} · ${b.state} · ${b.mode} · template
        ${b.templateName}
      </p>
      <p>
        Report: <a href="/v1/batches/${b.id}/report?format=csv" download>Download the report (CSV)</a> ·
        <a href="/v1/batches/${b.id}/report?format=json" download>JSON</a>
      </p>
      <h3>Units per state</h3>
      <div class="scroll">
        <table>
          <tbody>
            ${Object.entries(p.counts).map(
              ([state, n]) =>
                html`<tr>
                  <th scope="row">${state}</th>
                  <td class="num">${n}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      <h3>Throughput over time</h3>
      ${
        this.throughput
          ? throughputChart(
              this.throughput,
              b.createdAt,
              p.finished ? (b.finishedAt ?? new Date().toISOString()) : new Date().toISOString(),
            )
          : html`<p>Loading…</p>`
      }
      ${this.failuresSection()} ${this.orphansSection()}
    `;
  }

  private failuresSection(): TemplateResult {
    const f = this.failures;
    if (!f)
      return html`<h3>Failures by AWS error code</h3>
        <p>Loading…</p>`;
    const isAdmin = this.userRole === 'ADMIN';
    return html`
      <h3>Failures by AWS error code</h3>
      ${
        f.byCode.length === 0
          ? html`<p>No failed units.</p>`
          : html`<div class="scroll">
              <table>
                <thead>
                  <tr>
                    <th>Error code</th>
                    <th>Units</th>
                    <th>Retryable</th>
                    <th>Serials (first)</th>
                  </tr>
                </thead>
                <tbody>
                  ${f.byCode.map(
                    (g) =>
                      html`<tr>
                        <th scope="row">${g.code}</th>
                        <td class="num">${g.count}</td>
                        <td>${g.retryable === null ? '—' : g.retryable ? 'yes' : 'no'}</td>
                        <td>
                          ${g.serials.map((s, i) => html`${i ? ', ' : ''}<a href="#/units/${encodeURIComponent(s)}">${s}</a>`)}
                        </td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
      }
      ${
        f.failed > 0
          ? html`<p>
              <button ?disabled=${!isAdmin || this.busy} @click=${() => void this.retry()}>
                Retry ${f.failed} failed units
              </button>
              ${isAdmin ? nothing : html`<span>Only an ADMIN may retry failed units.</span>`}
            </p>`
          : nothing
      }
    `;
  }

  private orphansSection(): TemplateResult {
    const o = this.failures?.orphanedCertificates;
    if (!o) return html``;
    return html`
      <h3>Orphaned certificates (${o.total})</h3>
      ${
        o.total === 0
          ? html`<p>None: every certificate issued was registered.</p>`
          : html`<p>Issued by AWS, never registered; AWS deletes them after an hour.</p>
              <div class="scroll">
                <table>
                  <thead>
                    <tr>
                      <th>Certificate id</th>
                      <th>Serial</th>
                      <th>Orphaned at</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${o.items.map(
                      (c) =>
                        html`<tr>
                          <td><code>${c.certificateId.slice(0, 16)}…</code></td>
                          <td>${c.serial}</td>
                          <td>${c.orphanedAt ?? '—'}</td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>`
      }
    `;
  }
}

customElements.define('cl-batch-page', BatchPage);
