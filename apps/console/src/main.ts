import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import { ApiError, api, currentSession, signIn, whenSessionEnds, type Session } from './api.js';

type BatchSummary = {
  id: string;
  externalRef: string;
  state: string;
  createdAt: string;
  finishedAt: string | null;
};
type Progress = {
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
type Batch = BatchSummary & { progress: Progress };
type Device = {
  serial: string;
  state: string;
  history?: { state: string; at: string }[];
  certificates?: { certificateId: string; status: string }[];
  audit?: { action: string; actor: string; at: string }[];
  [key: string]: unknown;
};

const REFRESH_MS = 2_000;

/** The whole console: hash routes #/batches, #/batches/<id>, #/units; sign-in when there is no session. */
export class ClaimlineConsole extends LitElement {
  static override properties = {
    session: { state: true },
    route: { state: true },
    message: { state: true },
    batches: { state: true },
    batch: { state: true },
    device: { state: true },
    filter: { state: true },
  };
  session: Session | undefined;
  route = location.hash || '#/batches';
  message = '';
  batches: Batch[] = [];
  batch: Batch | undefined;
  device: Device | undefined;
  filter = '';
  private timer: number | undefined;

  static override styles = css`
    :host {
      display: block;
      max-width: 1200px;
      margin: 0 auto;
      padding: 1rem;
      color: #111;
    }
    header {
      display: flex;
      gap: 1rem;
      align-items: center;
      flex-wrap: wrap;
      border-bottom: 2px solid #333;
    }
    nav a {
      margin-right: 1rem;
      color: #0645ad;
      font-weight: 600;
    }
    a:focus-visible,
    button:focus-visible,
    input:focus-visible,
    select:focus-visible {
      outline: 3px solid #b35900;
      outline-offset: 2px;
    }
    table {
      border-collapse: collapse;
      width: 100%;
    }
    th,
    td {
      text-align: left;
      padding: 0.4rem;
      border-bottom: 1px solid #ccc;
    }
    .bar {
      background: #ddd;
      height: 1rem;
      min-width: 8rem;
    }
    .bar > div {
      background: #1f6f3f;
      height: 100%;
    }
    .error {
      color: #a00000;
      font-weight: 600;
    }
    button {
      font-size: 1rem;
      padding: 0.4rem 0.8rem;
    }
    input,
    select {
      font-size: 1rem;
      padding: 0.3rem;
    }
  `;

  override connectedCallback(): void {
    super.connectedCallback();
    whenSessionEnds((code) => {
      this.session = undefined;
      this.message =
        code === 'SESSION_EXPIRED' ? 'Your session has ended. Sign in again.' : 'Please sign in.';
    });
    window.addEventListener('hashchange', () => {
      this.route = location.hash || '#/batches';
      void this.load();
    });
    void currentSession().then((session) => {
      this.session = session;
      void this.load();
    });
    this.timer = window.setInterval(() => void this.load(), REFRESH_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.clearInterval(this.timer);
  }

  private async load(): Promise<void> {
    if (!this.session) return;
    try {
      const batchMatch = /^#\/batches\/([0-9a-f-]{36})$/.exec(this.route);
      if (batchMatch) {
        this.batch = await api.get<Batch>(`/v1/batches/${batchMatch[1]}`);
      } else if (this.route.startsWith('#/batches')) {
        const query = this.filter ? `?state=${this.filter}` : '';
        const list = await api.get<{ items: BatchSummary[] }>(`/v1/batches${query}`);
        this.batches = await Promise.all(list.items.map((b) => api.get<Batch>(`/v1/batches/${b.id}`)));
      }
    } catch (error) {
      if (error instanceof ApiError && error.problem.status !== 401) this.message = error.problem.detail;
    }
  }

  private async onSignIn(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const key = new FormData(event.target as HTMLFormElement).get('key');
    try {
      this.session = await signIn(String(key));
      this.message = '';
      await this.load();
    } catch (error) {
      this.message = error instanceof ApiError ? error.problem.detail : 'Sign-in failed';
    }
  }

  private async onSignOut(): Promise<void> {
    await api.signOut().catch(() => undefined);
    this.session = undefined;
    this.message = 'Signed out.';
  }

  private async retry(id: string): Promise<void> {
    try {
      await api.post(`/v1/batches/${id}/retry`);
      this.message = 'Failed units queued again.';
      await this.load();
    } catch (error) {
      this.message =
        error instanceof ApiError ? `${error.problem.code}: ${error.problem.detail}` : String(error);
    }
  }

  private async search(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const serial = String(new FormData(event.target as HTMLFormElement).get('serial') ?? '').trim();
    try {
      this.device = await api.get<Device>(`/v1/devices/${encodeURIComponent(serial)}`);
      this.message = '';
    } catch (error) {
      this.device = undefined;
      this.message =
        error instanceof ApiError ? `${error.problem.code}: ${error.problem.detail}` : String(error);
    }
  }

  override render(): TemplateResult {
    if (!this.session) return this.signInPage();
    return html`
      <header>
        <h1>claimline</h1>
        <nav aria-label="Main">
          <a href="#/batches">Batches</a>
          <a href="#/units">Units</a>
        </nav>
        <span>Signed in as ${this.session.keyPrefix} (${this.session.role})</span>
        <button @click=${() => void this.onSignOut()}>Sign out</button>
      </header>
      <p role="status" class=${this.message ? 'error' : ''}>${this.message}</p>
      <main>${this.page()}</main>
    `;
  }

  private signInPage(): TemplateResult {
    return html`
      <main>
        <h1>claimline console</h1>
        <p role="status" class="error">${this.message}</p>
        <form @submit=${(e: SubmitEvent) => void this.onSignIn(e)}>
          <label
            >API key (MES, VIEWER or ADMIN) <input name="key" type="password" autocomplete="off" required
          /></label>
          <button type="submit">Sign in</button>
        </form>
      </main>
    `;
  }

  private page(): TemplateResult {
    if (this.route.startsWith('#/units')) return this.unitPage();
    if (/^#\/batches\/.+/.test(this.route)) return this.batchPage();
    return this.batchesPage();
  }

  private bar(percent: number): TemplateResult {
    return html`<div
      class="bar"
      role="progressbar"
      aria-valuenow=${Math.round(percent)}
      aria-valuemin="0"
      aria-valuemax="100"
    >
      <div style="width:${percent}%"></div>
    </div>`;
  }

  private batchesPage(): TemplateResult {
    return html`
      <h2>Batches</h2>
      <label
        >State
        <select
          @change=${(e: Event) => {
            this.filter = (e.target as HTMLSelectElement).value;
            void this.load();
          }}
        >
          <option value="">all</option>
          <option value="open">open</option>
          <option value="finished">finished</option>
          <option value="cancelled">cancelled</option>
        </select>
      </label>
      <table>
        <thead>
          <tr>
            <th>Batch</th>
            <th>Progress</th>
            <th>%</th>
            <th>Units/min</th>
            <th>ETA</th>
            <th>Failed</th>
          </tr>
        </thead>
        <tbody>
          ${this.batches.map(
            (b) =>
              html`<tr>
                <td><a href="#/batches/${b.id}">${b.externalRef}</a></td>
                <td>${this.bar(b.progress.progressPercent)}</td>
                <td>${b.progress.progressPercent.toFixed(0)} %</td>
                <td>${b.progress.throughputPerMinute}</td>
                <td>${b.progress.etaSeconds === null ? '—' : `${b.progress.etaSeconds} s`}</td>
                <td>${b.progress.counts.FAILED ?? 0}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    `;
  }

  private batchPage(): TemplateResult {
    const b = this.batch;
    if (!b) return html`<p>Loading…</p>`;
    const canRetry = this.session?.role !== 'VIEWER';
    return html`
      <h2>${b.externalRef}</h2>
      ${this.bar(b.progress.progressPercent)}
      <p>
        ${b.progress.done} of ${b.progress.total} done · ${b.progress.throughputPerMinute} units/min ·
        orphaned certificates: ${b.progress.orphanedCertificates}
      </p>
      <h3>Units per state</h3>
      <table>
        <tbody>
          ${Object.entries(b.progress.counts).map(
            ([state, n]) =>
              html`<tr>
                <th>${state}</th>
                <td>${n}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      <h3>Failures by AWS error code</h3>
      ${
        b.progress.topErrors.length === 0
          ? html`<p>None.</p>`
          : html`<table>
              <tbody>
                ${b.progress.topErrors.map(
                  (e) =>
                    html`<tr>
                      <th>${e.code}</th>
                      <td>${e.count}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
      ${
        (b.progress.counts.FAILED ?? 0) > 0
          ? html`<button
              ?disabled=${!canRetry}
              title=${canRetry ? nothing : 'VIEWER keys may not retry'}
              @click=${() => void this.retry(b.id)}
            >
              Retry ${b.progress.counts.FAILED} failed units
            </button>`
          : nothing
      }
      <p><a href="/v1/batches/${b.id}/report?format=csv" download>Download the report (CSV)</a></p>
    `;
  }

  private unitPage(): TemplateResult {
    const d = this.device;
    return html`
      <h2>Units</h2>
      <form @submit=${(e: SubmitEvent) => void this.search(e)}>
        <label>Serial <input name="serial" required /></label> <button type="submit">Search</button>
      </form>
      ${
        d
          ? html`<h3>${d.serial}: ${d.state}</h3>
              <pre>${JSON.stringify(d, null, 2)}</pre>`
          : nothing
      }
    `;
  }
}

customElements.define('claimline-console', ClaimlineConsole);
