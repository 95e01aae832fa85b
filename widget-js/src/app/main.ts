// The importer app in the frame: loads the importer's config, talks to the host page (only at
// the origin the server vouched for), and walks the user through upload → file settings → map
// → review → submit, every step reachable by keyboard, focus kept inside.
import { ready } from '@sluice/parser';
import { Api } from './api';
import { h, replace } from './dom';
import { isOverridden, language, setLanguage, t, type StringKey } from './strings';
import { freshImport, schemaFor, type State, tell } from './state';
import { uploadStep } from './upload';
import { settingsStep } from './settings';
import { mappingStep } from './mapping';
import { reviewStep } from './review';
import { submitStep } from './submit';
import { StartTokens } from './start';
import { HostCalls } from './host';
import type { Settings, ToApp } from '../messages';

/** What a step gives the shell: its content, and what Next does (absent: no Next button). */
export interface Step {
  title: StringKey;
  body: HTMLElement;
  /** Called when Next is pressed; resolves to false to stay. */
  next?: () => Promise<boolean> | boolean;
  /** Whether Next can be pressed now. */
  canNext?: () => boolean;
  nextLabel?: string;
  /** The step cannot be left by Back (sending, done). */
  final?: boolean;
  /** Stops what the step is doing (the user closed the importer). */
  cancel?: () => void;
}

export type StepFactory = (state: State, shell: Shell) => Step | Promise<Step>;

const STEPS: StepFactory[] = [uploadStep, settingsStep, mappingStep, reviewStep, submitStep];

/** The frame around the steps: title, progress through the steps, Back/Next, close. */
export class Shell {
  index = 0;
  private step: Step | null = null;
  private readonly main = h('main', { class: 'step', tabindex: '-1' });
  private readonly heading = h('h1', { class: 'title', id: 'sluice-title' });
  private readonly steps = h('ol', { class: 'steps' });
  /** The steps on a phone: "Step 3 of 5 · Map columns". */
  private readonly compact = h('p', { class: 'steps-compact', 'data-field': 'step-compact' });
  private readonly footer = h('footer', { class: 'actions' });
  private readonly status = h('div', { class: 'live', 'aria-live': 'polite', role: 'status' });
  busy = false;

  constructor(
    private readonly root: HTMLElement,
    readonly state: State,
  ) {
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && !event.defaultPrevented) this.close();
    });
  }

  mount(): void {
    const close = h('button', { class: 'icon', type: 'button', 'aria-label': t('close'), on: { click: () => this.close() } }, '×');
    const dialog = h(
      'div',
      { class: 'dialog', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'sluice-title' },
      sentinel(() => this.focusLast()),
      h('header', { class: 'top' }, this.heading, close),
      h('nav', { 'aria-label': t('steps') }, this.steps, this.compact),
      this.main,
      this.footer,
      this.status,
      sentinel(() => this.focusTop()),
    );
    replace(this.root, dialog);
    this.heading.textContent = this.state.settings.options.title ?? (isOverridden('title') ? t('title') : this.state.config.name);
  }

  /** Shows step `index`. */
  async go(index: number): Promise<void> {
    this.index = index;
    this.step = await STEPS[index]!(this.state, this);
    this.renderSteps();
    replace(this.main, h('h2', { class: 'step-title' }, t(this.step.title)), this.step.body);
    this.refresh();
    this.main.focus();
    this.focusFirst();
  }

  /** Redraws Back/Next after the step's state changed. */
  refresh(): void {
    const step = this.step;
    if (!step) return;
    const back =
      this.index > 0 && !step.final
        ? h('button', { type: 'button', class: 'secondary', disabled: this.busy, on: { click: () => void this.go(this.index - 1) } }, t('back'))
        : null;
    const next = step.next
      ? h(
          'button',
          {
            type: 'button',
            class: 'primary',
            'data-action': 'next',
            disabled: this.busy || !(step.canNext?.() ?? true),
            on: { click: () => void this.next() },
          },
          step.nextLabel ?? t('next'),
        )
      : null;
    replace(this.footer, back, h('span', { class: 'spacer' }), next);
  }

  /** Announces a sentence to screen readers. */
  announce(text: string): void {
    this.status.textContent = text;
  }

  close(): void {
    if (this.busy) {
      if (!confirm(t('closeConfirm'))) return;
      this.step?.cancel?.();
      this.busy = false;
    }
    tell(this.state, { sluice: 1, type: 'close' });
  }

  /** Back to the first step with nothing chosen, for another import. */
  restart(): void {
    Object.assign(this.state, freshImport(this.state.config));
    void this.go(0);
  }

  private async next(): Promise<void> {
    const step = this.step;
    if (!step?.next || this.busy) return;
    if ((await step.next()) && this.index < STEPS.length - 1) await this.go(this.index + 1);
  }

  private renderSteps(): void {
    const titles: StringKey[] = ['stepUpload', 'stepSettings', 'stepMap', 'stepReview', 'stepSubmit'];
    replace(
      this.steps,
      ...titles.map((title, i) =>
        h('li', { class: i === this.index ? 'current' : i < this.index ? 'done' : '', 'aria-current': i === this.index ? 'step' : false }, t(title)),
      ),
    );
    this.compact.textContent = `${t('stepOf', { n: this.index + 1, total: titles.length })} · ${t(titles[this.index]!)}`;
  }

  private focusable(): HTMLElement[] {
    return [...this.root.querySelectorAll<HTMLElement>('button, input, select, textarea, [tabindex="0"], a[href]')].filter(
      (e) => !(e as HTMLButtonElement).disabled && e.offsetParent !== null && !e.classList.contains('sentinel'),
    );
  }

  focusFirst(): void {
    const main = this.focusable().filter((e) => this.main.contains(e));
    (main[0] ?? this.focusable()[0])?.focus();
  }

  /** Forward Tab past the last control: round to the first of the dialog, the Close button. */
  private focusTop(): void {
    this.focusable()[0]?.focus();
  }

  private focusLast(): void {
    this.focusable().at(-1)?.focus();
  }
}

/** An invisible focus stop at either end of the dialog that sends focus round to the other end. */
function sentinel(onFocus: () => void): HTMLElement {
  return h('span', { class: 'sentinel', tabindex: '0', 'aria-hidden': 'true', on: { focus: onFocus } });
}

async function start(): Promise<void> {
  const root = document.getElementById('sluice');
  if (!root) return;
  const importerKey = root.dataset['importer'] ?? '';
  const parentOrigin = root.dataset['parentOrigin'] ?? '';
  setLanguage(undefined);
  if (window.parent === window) {
    replace(root, h('p', { class: 'notice' }, t('notFramed')));
    return;
  }
  const api = new Api(new URL(`../v1/importers/${encodeURIComponent(importerKey)}`, location.href).href);
  let settings: Settings = { user: {}, attributes: {}, options: {}, dynamicColumns: [] };
  let shell: Shell | null = null;
  const startTokens = new StartTokens(parentOrigin);
  const host = new HostCalls(parentOrigin);
  window.addEventListener('message', (event: MessageEvent) => {
    if (event.origin !== parentOrigin || event.source !== window.parent) return;
    const message = event.data as ToApp;
    if (message?.sluice !== 1) return;
    if (message.type === 'settings') {
      const shown = `${language()}|${settings.options.title ?? ''}|${JSON.stringify(settings.options.strings ?? null)}`;
      settings = message.settings;
      applySettings(settings);
      if (shell) {
        shell.state.settings = settings;
        // A new language, title or wording shows at once if the user has not started; otherwise from
        // the next step on.
        const changed = `${language()}|${settings.options.title ?? ''}|${JSON.stringify(settings.options.strings ?? null)}` !== shown;
        if (shell.index === 0 && !shell.state.file) useColumns(shell.state);
        if (changed && shell.index === 0 && !shell.state.file) {
          shell.mount();
          void shell.go(0);
        }
      }
    }
    if (message.type === 'open') {
      window.focus();
      shell?.focusFirst();
    }
    if (message.type === 'startToken') startTokens.answer(message);
    if (message.type === 'hostAnswer') host.answer(message);
  });
  // A file dropped beside the drop zone must not replace the app.
  for (const type of ['dragover', 'drop']) document.addEventListener(type, (event) => event.preventDefault());
  tell({ parentOrigin }, { sluice: 1, type: 'loadStart' });
  try {
    // The parser's WebAssembly loads while the config does: sniffing and matching need it here.
    const [config] = await Promise.all([api.config(), ready()]);
    const state: State = {
      api,
      importerKey,
      parentOrigin,
      config,
      schema: config.schema,
      dynamicColumns: [],
      settings,
      ...freshImport(config),
      version: 0,
      startToken: () => startTokens.request(),
      host,
    };
    useColumns(state);
    shell = new Shell(root, state);
    shell.mount();
    await shell.go(0);
    tell(state, { sluice: 1, type: 'ready' });
  } catch (error) {
    replace(root, h('p', { class: 'notice error', role: 'alert' }, t('loadFailed', { detail: String((error as Error).message) })));
    tell({ parentOrigin }, { sluice: 1, type: 'error', code: 'load_failed', message: String((error as Error).message) });
  }
}

/** Adds the host page's dynamic columns to the schema; bad ones are reported to the host and left out. */
function useColumns(state: State): void {
  try {
    Object.assign(state, schemaFor(state.config, state.settings.dynamicColumns));
  } catch (error) {
    Object.assign(state, schemaFor(state.config, []));
    tell(state, { sluice: 1, type: 'error', code: 'bad_dynamic_columns', message: String((error as Error).message) });
  }
}

function applySettings(settings: Settings): void {
  setLanguage(settings.options.language, settings.options.strings);
  const theme = settings.options.theme ?? 'auto';
  document.documentElement.dataset['theme'] = theme;
  for (const [name, value] of Object.entries(settings.options.cssVariables ?? {})) {
    // Only our variables, and values that cannot close the declaration or load anything.
    if (/^--sl-[a-z-]+$/.test(name) && /^[#(),.%\w\s-]+$/.test(value) && !/url\(/i.test(value)) {
      document.documentElement.style.setProperty(name, value);
    }
  }
}

void start();
