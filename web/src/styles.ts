import { css } from 'lit'

/** What every view shares: type, form controls, cards, focus rings. Colours come from app.css (custom properties). */
export const shared = css`
  :host {
    display: block;
    color: var(--ink);
    font-family: var(--ui-font);
    line-height: 1.5;
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  h2 {
    font-family: var(--serif);
    font-weight: 500;
    font-size: 1.6rem;
    margin: 0 0 0.25rem;
    letter-spacing: 0.01em;
  }
  h3 {
    font-family: var(--serif);
    font-weight: 500;
    font-size: 1.2rem;
    margin: 0 0 0.5rem;
  }
  p {
    margin: 0 0 0.75rem;
  }
  a {
    color: var(--accent-strong);
    text-underline-offset: 0.15em;
  }
  .lede {
    color: var(--muted);
    margin-bottom: 1.5rem;
  }
  .card {
    background: var(--surface);
    border: 1px solid var(--line);
    border-radius: 0.75rem;
    padding: 1.25rem 1.5rem;
    margin-bottom: 1.25rem;
    box-shadow: 0 1px 2px rgb(60 50 30 / 4%);
  }
  label,
  legend {
    font-size: 0.9rem;
    color: var(--muted);
  }
  input,
  select,
  textarea,
  button {
    font: inherit;
    color: inherit;
  }
  input[type='text'],
  input[type='search'],
  input[type='date'],
  input[type='number'],
  select,
  textarea {
    width: 100%;
    padding: 0.5rem 0.65rem;
    border: 1px solid var(--line-strong);
    border-radius: 0.5rem;
    background: var(--field);
    height: 2.6rem;
  }
  select[size] {
    height: auto;
  }
  textarea {
    height: auto;
    font-family: var(--serif);
    font-size: 1.1rem;
    line-height: 1.6;
    resize: vertical;
  }
  button,
  .button {
    display: inline-flex;
    align-items: center;
    gap: 0.4rem;
    min-height: 2.5rem;
    padding: 0.45rem 1rem;
    border-radius: 999px;
    border: 1px solid var(--line-strong);
    background: var(--surface);
    cursor: pointer;
    text-decoration: none;
  }
  button:hover {
    background: var(--hover);
  }
  button.primary {
    background: var(--accent);
    border-color: var(--accent);
    color: var(--on-accent);
  }
  button.primary:hover {
    background: var(--accent-strong);
  }
  button.quiet {
    border-color: transparent;
    background: transparent;
    color: var(--accent-strong);
    padding-inline: 0.6rem;
  }
  button.quiet:hover {
    background: var(--hover);
  }
  button[disabled] {
    opacity: 0.55;
    cursor: default;
  }
  input[type='radio'],
  input[type='checkbox'] {
    accent-color: var(--accent);
  }
  /* A checkbox with its label beside it. */
  .check {
    display: inline-flex;
    align-items: center;
    gap: 0.45rem;
    color: var(--ink);
    font-size: 0.95rem;
  }
  .check input {
    width: 1.1rem;
    height: 1.1rem;
  }
  :focus-visible {
    outline: 3px solid var(--focus);
    outline-offset: 2px;
  }
  .field {
    display: flex;
    flex-direction: column;
    gap: 0.3rem;
    min-width: 0;
  }
  .row {
    display: flex;
    flex-wrap: wrap;
    gap: 0.75rem 1rem;
    align-items: flex-end;
  }
  .row > .field {
    flex: 1 1 10rem;
  }
  .muted {
    color: var(--muted);
  }
  .error {
    color: var(--danger);
    background: var(--danger-soft);
    border-radius: 0.5rem;
    padding: 0.5rem 0.75rem;
  }
  .chips {
    display: flex;
    flex-wrap: wrap;
    gap: 0.35rem;
    padding: 0;
    margin: 0;
    list-style: none;
  }
  .chip {
    font-size: 0.85rem;
    padding: 0.1rem 0.6rem;
    border-radius: 999px;
    background: var(--chip);
    color: var(--ink);
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    padding: 0;
    margin: -1px;
    overflow: hidden;
    clip: rect(0, 0, 0, 0);
    white-space: nowrap;
    border: 0;
  }
  .placeholder {
    color: var(--muted);
    font-style: italic;
  }
  fieldset {
    border: 0;
    padding: 0;
    margin: 0;
    min-width: 0;
  }
  .segmented {
    display: inline-flex;
    flex-wrap: wrap;
    gap: 0.25rem;
    padding: 0.2rem;
    border: 1px solid var(--line-strong);
    border-radius: 999px;
    background: var(--field);
  }
  .segmented label {
    position: relative;
    color: var(--ink);
    font-size: 0.95rem;
  }
  .segmented input {
    position: absolute;
    opacity: 0;
    inset: 0;
    margin: 0;
    cursor: pointer;
  }
  .segmented span {
    display: inline-block;
    padding: 0.3rem 0.9rem;
    border-radius: 999px;
  }
  .segmented input:checked + span {
    background: var(--accent);
    color: var(--on-accent);
  }
  .segmented input:focus-visible + span {
    outline: 3px solid var(--focus);
    outline-offset: 1px;
  }
  dialog {
    border: 1px solid var(--line-strong);
    border-radius: 0.75rem;
    padding: 1.25rem 1.5rem;
    max-width: min(32rem, calc(100vw - 2rem));
    background: var(--surface);
    color: var(--ink);
  }
  dialog::backdrop {
    background: rgb(40 35 25 / 35%);
  }
  .buttons {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    align-items: center;
  }
`
