import { LitElement, html, nothing, type TemplateResult } from 'lit';
import { api, problemText } from '../api.js';
import { pageStyles } from '../styles.js';
import type { Device } from '../types.js';

/** One unit by serial: its state, history, audit trail and certificates (ids and status only). */
export class UnitPage extends LitElement {
  static override properties = {
    serial: { type: String },
    device: { state: true },
    message: { state: true },
  };
  static override styles = pageStyles;
  serial = '';
  device: Device | undefined;
  message = '';

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.serial) void this.search(this.serial);
  }

  private async search(serial: string): Promise<void> {
    try {
      this.device = await api.get<Device>(
        `/v1/devices/${encodeURIComponent(serial)}?include=audit,certificates`,
      );
      this.message = '';
    } catch (error) {
      this.device = undefined;
      this.message = problemText(error);
    }
  }

  private onSubmit(event: SubmitEvent): void {
    event.preventDefault();
    const serial = String(new FormData(event.target as HTMLFormElement).get('serial') ?? '').trim();
    if (serial) void this.search(serial);
  }

  override render(): TemplateResult {
    const d = this.device;
    return html`
      <h2>Units</h2>
      <form class="filters" @submit=${(e: SubmitEvent) => this.onSubmit(e)}>
        <label>Serial <input name="serial" required .value=${this.serial} /></label>
        <button type="submit">Search</button>
      </form>
      <p role="status" class=${this.message ? 'error' : ''}>${this.message}</p>
      ${d ? this.details(d) : nothing}
    `;
  }

  private details(d: Device): TemplateResult {
    return html`
      <h3>${d.serial}: ${d.state}</h3>
      <p>
        Thing ${d.thingName ?? '—'} · ${d.attempts} attempts · <a href="#/batches/${d.batchId}">its batch</a>
        ${d.lastError ? html` · last error <b>${d.lastError.code}</b> ${d.lastError.message ?? ''}` : nothing}
      </p>
      <h4>History</h4>
      ${this.rows(
        ['State', 'At'],
        (d.history ?? []).map((h) => [h.state, h.at]),
      )}
      <h4>Certificates</h4>
      ${this.rows(
        ['Certificate id', 'Status'],
        (d.certificates ?? []).map((c) => [c.certificateId, c.status]),
      )}
      <h4>Audit trail</h4>
      ${this.rows(
        ['Action', 'Actor', 'At'],
        (d.audit ?? []).map((a) => [a.action, a.actor, a.at]),
      )}
    `;
  }

  private rows(head: string[], rows: string[][]): TemplateResult {
    if (rows.length === 0) return html`<p>None.</p>`;
    return html`<div class="scroll">
      <table>
        <thead>
          <tr>
            ${head.map((h) => html`<th>${h}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (r) =>
              html`<tr>
                ${r.map((c) => html`<td>${c}</td>`)}
              </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
  }
}

customElements.define('cl-unit-page', UnitPage);
