import { LitElement, css, html, type TemplateResult } from 'lit';
import { keyed } from 'lit/directives/keyed.js';
import { ApiError, api, currentSession, signIn, whenSessionEnds, type Session } from './api.js';
import './pages/batch-page.js';
import './pages/batches-page.js';
import './pages/stations-page.js';
import './pages/unit-page.js';

/**
 * The shell: sign-in when there is no session, else the header and the page of the hash route
 * (#/batches, #/batches/<id>, #/stations, #/units, #/units/<serial>). Each page loads its own data.
 */
export class ClaimlineConsole extends LitElement {
  static override properties = {
    session: { state: true },
    ready: { state: true },
    route: { state: true },
    message: { state: true },
  };
  session: Session | undefined;
  ready = false;
  route = location.hash || '#/batches';
  message = '';

  static override styles = css`
    :host {
      display: block;
      max-width: 1200px;
      margin: 0 auto;
      padding: 0 1rem 1rem;
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
    nav a[aria-current='page'] {
      color: #111;
      text-decoration: none;
      border-bottom: 3px solid #111;
    }
    a:focus-visible,
    button:focus-visible,
    input:focus-visible {
      outline: 3px solid #b35900;
      outline-offset: 2px;
    }
    .error {
      color: #a00000;
      font-weight: 600;
    }
    button,
    input {
      font-size: 1rem;
      padding: 0.4rem 0.8rem;
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
    });
    void currentSession().then((session) => {
      this.session = session;
      this.ready = true;
    });
  }

  private async onSignIn(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const key = new FormData(event.target as HTMLFormElement).get('key');
    try {
      this.session = await signIn(String(key));
      this.message = '';
    } catch (error) {
      this.message = error instanceof ApiError ? error.problem.detail : 'Sign-in failed';
    }
  }

  private async onSignOut(): Promise<void> {
    await api.signOut().catch(() => undefined);
    this.session = undefined;
    this.message = 'Signed out.';
  }

  override render(): TemplateResult {
    if (!this.ready) return html``;
    if (!this.session) return this.signInPage();
    const link = (href: string, label: string) =>
      html`<a href=${href} aria-current=${this.route.startsWith(href) ? 'page' : 'false'}>${label}</a>`;
    return html`
      <header>
        <h1>claimline</h1>
        <nav aria-label="Main">
          ${link('#/batches', 'Batches')} ${link('#/stations', 'Stations')} ${link('#/units', 'Units')}
        </nav>
        <span>Signed in as ${this.session.keyPrefix} (${this.session.role})</span>
        <button @click=${() => void this.onSignOut()}>Sign out</button>
      </header>
      <main>${this.page(this.session)}</main>
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

  private page(session: Session): unknown {
    const batch = /^#\/batches\/([0-9a-f-]{36})$/.exec(this.route);
    if (batch)
      return keyed(
        this.route,
        html`<cl-batch-page .batchId=${batch[1]!} .userRole=${session.role}></cl-batch-page>`,
      );
    const unit = /^#\/units(?:\/(.+))?$/.exec(this.route);
    if (unit)
      return keyed(
        this.route,
        html`<cl-unit-page .serial=${decodeURIComponent(unit[1] ?? '')}></cl-unit-page>`,
      );
    if (this.route.startsWith('#/stations')) return html`<cl-stations-page></cl-stations-page>`;
    return html`<cl-batches-page></cl-batches-page>`;
  }
}

customElements.define('claimline-console', ClaimlineConsole);
