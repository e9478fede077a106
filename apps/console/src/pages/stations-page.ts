import { LitElement, html, type TemplateResult } from 'lit';
import { api, problemText } from '../api.js';
import { since } from '../format.js';
import { pageStyles } from '../styles.js';
import type { Station } from '../types.js';

const REFRESH_MS = 10_000;

/** Stations: last seen, the last hour's downloads, burns and burn failures, assigned batches. */
export class StationsPage extends LitElement {
  static override properties = { stations: { state: true }, message: { state: true } };
  static override styles = pageStyles;
  stations: Station[] | undefined;
  message = '';
  private timer: number | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    this.timer = window.setInterval(() => void this.load(), REFRESH_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.clearInterval(this.timer);
  }

  private async load(): Promise<void> {
    try {
      this.stations = (await api.get<{ items: Station[] }>('/v1/stations')).items;
      this.message = '';
    } catch (error) {
      this.message = problemText(error);
    }
  }

  override render(): TemplateResult {
    return html`
      <h2>Stations</h2>
      <p role="status" class=${this.message ? 'error' : ''}>${this.message}</p>
      ${this.stations ? this.table(this.stations) : html`<p>Loading…</p>`}
    `;
  }

  private table(stations: Station[]): TemplateResult {
    if (stations.length === 0) return html`<p>No station is registered.</p>`;
    return html`<div class="scroll">
      <table>
        <thead>
          <tr>
            <th>Station</th>
            <th>Line</th>
            <th>Last seen</th>
            <th>Downloaded /h</th>
            <th>Burned /h</th>
            <th>Burn failures /h</th>
            <th>Burn failures (all)</th>
            <th>Assigned batches</th>
          </tr>
        </thead>
        <tbody>
          ${stations.map(
            (s) =>
              html`<tr>
                <th scope="row">${s.name}${s.revokedAt ? ' (revoked)' : ''}</th>
                <td>${s.line ?? '—'}</td>
                <td>${since(s.lastSeenAt)}</td>
                <td class="num">${s.lastHour.downloaded}</td>
                <td class="num">${s.lastHour.burned}</td>
                <td class="num ${s.lastHour.burnFailed > 0 ? 'error' : ''}">${s.lastHour.burnFailed}</td>
                <td class="num">${s.burnFailures}</td>
                <td>
                  ${
                    s.assignedBatches.length === 0
                      ? 'any batch'
                      : s.assignedBatches.map(
                          (b, i) => html`${i ? ', ' : ''}<a href="#/batches/${b.id}">${b.externalRef}</a>`,
                        )
                  }
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
  }
}

customElements.define('cl-stations-page', StationsPage);
