import { LitElement, html, type TemplateResult } from 'lit';
import { liveEvents } from '../api.js';
import { duration } from '../format.js';
import { pageStyles } from '../styles.js';
import type { Batch, BatchList } from '../types.js';
import { progressBar } from './progress-bar.js';

const PAGE_SIZE = 50;

/**
 * Batches with live progress: ONE event stream for the whole (filtered) list, reopened when the filters
 * change; throughput and ETA as the API computes them.
 */
export class BatchesPage extends LitElement {
  static override properties = {
    list: { state: true },
    state: { state: true },
    externalRef: { state: true },
  };
  static override styles = pageStyles;
  list: BatchList | undefined;
  state = '';
  externalRef = '';
  private close: (() => void) | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    this.listen();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.close?.();
  }

  private listen(): void {
    this.close?.();
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (this.state) query.set('state', this.state);
    if (this.externalRef) query.set('externalRef', this.externalRef);
    this.close = liveEvents<BatchList>(`/v1/batches/events?${query}`, 'batches', (list) => {
      this.list = list;
    });
  }

  private onFilter(event: SubmitEvent): void {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    this.state = String(form.get('state') ?? '');
    this.externalRef = String(form.get('externalRef') ?? '').trim();
    this.list = undefined;
    this.listen();
  }

  override render(): TemplateResult {
    return html`
      <h2>Batches</h2>
      <form class="filters" @submit=${(e: SubmitEvent) => this.onFilter(e)}>
        <label
          >State
          <select name="state" @change=${(e: Event) => (e.target as HTMLSelectElement).form?.requestSubmit()}>
            <option value="">all</option>
            <option value="open">open</option>
            <option value="finished">finished</option>
            <option value="cancelled">cancelled</option>
          </select>
        </label>
        <label>Work order <input name="externalRef" placeholder="exact reference" /></label>
        <button type="submit">Filter</button>
      </form>
      ${this.list ? this.table(this.list) : html`<p role="status">Loading…</p>`}
    `;
  }

  private table(list: BatchList): TemplateResult {
    if (list.items.length === 0) return html`<p>No batches match.</p>`;
    return html`
      <p>
        ${list.total}
        batches${list.total > list.items.length ? `, the newest ${list.items.length} shown` : ''}
      </p>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>Batch</th>
              <th>State</th>
              <th>Progress</th>
              <th>%</th>
              <th>Done</th>
              <th>Units/min</th>
              <th>ETA</th>
              <th>Failed</th>
            </tr>
          </thead>
          <tbody>
            ${list.items.map((b) => this.row(b))}
          </tbody>
        </table>
      </div>
    `;
  }

  private row(b: Batch): TemplateResult {
    const p = b.progress;
    return html`<tr>
      <td><a href="#/batches/${b.id}">${b.externalRef}</a></td>
      <td>${b.state}</td>
      <td>${progressBar(p.progressPercent, `${b.externalRef} progress`)}</td>
      <td class="num">${p.progressPercent.toFixed(0)} %</td>
      <td class="num">${p.done} / ${p.total}</td>
      <td class="num">${p.throughputPerMinute}</td>
      <td>${p.finished ? 'done' : duration(p.etaSeconds)}</td>
      <td class="num">${p.counts.FAILED ?? 0}</td>
    </tr>`;
  }
}

customElements.define('cl-batches-page', BatchesPage);
