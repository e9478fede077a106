import { css } from 'lit';

/** Shared by every page: readable contrast, visible focus, tables that scroll on a tablet. */
export const pageStyles = css`
  :host {
    display: block;
    color: #111;
  }
  a {
    color: #0645ad;
  }
  a:focus-visible,
  button:focus-visible,
  input:focus-visible,
  select:focus-visible {
    outline: 3px solid #b35900;
    outline-offset: 2px;
  }
  .scroll {
    overflow-x: auto;
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
  td.num {
    text-align: right;
    font-variant-numeric: tabular-nums;
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
  .filters {
    display: flex;
    gap: 1rem;
    flex-wrap: wrap;
    align-items: end;
    margin-bottom: 0.5rem;
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
