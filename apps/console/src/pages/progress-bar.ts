import { html, type TemplateResult } from 'lit';

export function progressBar(percent: number, label: string): TemplateResult {
  return html`<div
    class="bar"
    role="progressbar"
    aria-label=${label}
    aria-valuenow=${Math.round(percent)}
    aria-valuemin="0"
    aria-valuemax="100"
  >
    <div style="width:${percent}%"></div>
  </div>`;
}
