/**
 * The status-bar item: profile, backend, what the server is doing, and the drift of the
 * paragraph under the cursor.
 *
 * Its inputs are what the server already says: work-done progress (`$/progress`: opening the
 * profile, loading the model, training, rewriting), its messages (daemon unavailable, no
 * profile), the result of `inkmod.status`, and the drift diagnostics' `data` (score, threshold,
 * reasons). The rendering is a pure function of {@link StatusState}, tested without VS Code.
 */
import * as vscode from 'vscode';

import { DIAGNOSTIC_SOURCE, DRIFT_CODE, ServerCommand } from './constants';

export type Phase =
  | 'stopped' // not started yet, or stopped
  | 'starting' // the client is starting the server
  | 'loading' // the server is opening the profile / starting the daemon / loading the model
  | 'busy' // training or rewriting
  | 'ready'
  | 'degraded' // running, but rewriting is unavailable (daemon) or there is no profile
  | 'error'; // the server cannot run

export interface Drift {
  score: number | null;
  threshold?: number;
  reasons: string[];
}

export interface StatusState {
  phase: Phase;
  /** Progress message, or the reason for `degraded` / `error`. */
  detail?: string;
  profile?: string;
  backend?: string;
  modelLoaded?: boolean;
  daemon?: string;
  version?: string;
  /** Where the server was found ("the workspace's .venv (…)"), for the tooltip. */
  server?: string;
  /**
   * The paragraph under the cursor: a drift, `null` when it is not flagged, `undefined` when
   * the active editor is not a document the server checks.
   */
  drift?: Drift | null;
}

export interface Rendered {
  text: string;
  tooltip: string;
  warning: boolean;
  error: boolean;
}

const SPIN = '$(sync~spin)';

function driftText(drift: Drift | null | undefined): string | undefined {
  if (drift === undefined) {
    return undefined;
  }
  if (drift === null) {
    return 'in style';
  }
  return drift.score === null ? 'drifts' : `drift ${drift.score.toFixed(2)}`;
}

/** Status-bar text and tooltip for a state (pure). */
export function renderStatus(state: StatusState): Rendered {
  const profile = state.profile ?? 'default';
  const backend = state.backend ?? 'default model';
  const parts = [profile, backend];
  const drift = driftText(state.drift);
  if (drift) {
    parts.push(drift);
  }
  let text: string;
  switch (state.phase) {
    case 'stopped':
      text = '$(circle-slash) InkMod: stopped';
      break;
    case 'starting':
      text = `${SPIN} InkMod: starting`;
      break;
    case 'loading':
    case 'busy':
      text = `${SPIN} InkMod: ${state.detail ?? 'working'}`;
      break;
    case 'degraded':
      text = `$(warning) ${parts.join(' · ')}`;
      break;
    case 'error':
      text = '$(error) InkMod';
      break;
    default:
      text = `$(feather) ${parts.join(' · ')}`;
  }
  const lines = [`InkMod${state.version ? ` (${state.version})` : ''}`];
  lines.push(`Profile: ${profile}`);
  const loaded =
    state.modelLoaded === undefined ? '' : state.modelLoaded ? ' (loaded)' : ' (not loaded yet)';
  lines.push(`Model: ${backend}${loaded}`);
  if (state.daemon) {
    lines.push(`Daemon: ${state.daemon}`);
  }
  if (state.server) {
    lines.push(`Server: ${state.server}`);
  }
  if (state.detail && state.phase !== 'ready') {
    lines.push(state.phase === 'error' || state.phase === 'degraded' ? `⚠ ${state.detail}` : state.detail);
  }
  if (state.drift) {
    const score = state.drift.score === null ? '—' : state.drift.score.toFixed(2);
    const threshold =
      state.drift.threshold === undefined ? '' : ` (flagged above ${state.drift.threshold.toFixed(2)})`;
    lines.push(`This paragraph drifts from your style: ${score}${threshold}`);
    for (const reason of state.drift.reasons) {
      lines.push(`  • ${reason}`);
    }
  } else if (state.drift === null) {
    lines.push('This paragraph reads like you.');
  }
  lines.push('', 'Click for the full status.');
  return {
    text,
    tooltip: lines.join('\n'),
    warning: state.phase === 'degraded',
    error: state.phase === 'error',
  };
}

/** A drift diagnostic reduced to what the status bar needs. */
export interface DriftEntry extends Drift {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
}

function before(
  a: { line: number; character: number },
  b: { line: number; character: number },
): boolean {
  return a.line < b.line || (a.line === b.line && a.character <= b.character);
}

/** The drift entry whose range contains `position` (ends inclusive), or null. */
export function driftAt(
  entries: readonly DriftEntry[],
  position: { line: number; character: number },
): DriftEntry | null {
  for (const entry of entries) {
    if (before(entry.range.start, position) && before(position, entry.range.end)) {
      return entry;
    }
  }
  return null;
}

/** Drift entries from diagnostics (VS Code's, with the client's `data`, or protocol ones). */
export function driftEntries(diagnostics: readonly unknown[]): DriftEntry[] {
  const out: DriftEntry[] = [];
  for (const raw of diagnostics) {
    const diag = raw as {
      source?: string;
      code?: unknown;
      data?: { score?: unknown; threshold?: unknown; reasons?: unknown };
      range: DriftEntry['range'];
    };
    const code = typeof diag.code === 'object' && diag.code !== null ? (diag.code as { value?: unknown }).value : diag.code;
    if (diag.source !== DIAGNOSTIC_SOURCE || (code !== undefined && code !== DRIFT_CODE)) {
      continue;
    }
    const data = diag.data ?? {};
    out.push({
      range: {
        start: { line: diag.range.start.line, character: diag.range.start.character },
        end: { line: diag.range.end.line, character: diag.range.end.character },
      },
      score: typeof data.score === 'number' ? data.score : null,
      threshold: typeof data.threshold === 'number' ? data.threshold : undefined,
      reasons: Array.isArray(data.reasons) ? data.reasons.filter((r): r is string => typeof r === 'string') : [],
    });
  }
  return out;
}

/** The status-bar item and the state behind it. */
export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private state: StatusState = { phase: 'stopped' };
  private readonly drifts = new Map<string, DriftEntry[]>();
  private languages: string[] = [];

  constructor() {
    this.item = vscode.window.createStatusBarItem('inkmod.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'InkMod';
    this.item.command = ServerCommand.status;
  }

  get current(): StatusState {
    return { ...this.state };
  }

  setLanguages(languages: string[]): void {
    this.languages = languages;
    this.refresh();
  }

  /** Merge `change` into the state and redraw. */
  update(change: Partial<StatusState>): void {
    this.state = { ...this.state, ...change };
    this.refresh();
  }

  setDiagnostics(uri: string, diagnostics: readonly unknown[]): void {
    this.drifts.set(uri, driftEntries(diagnostics));
    this.refresh();
  }

  forget(uri: string): void {
    this.drifts.delete(uri);
  }

  /** Redraw for the active editor (drift at its cursor; hidden for unchecked languages). */
  refresh(): void {
    const editor = vscode.window.activeTextEditor;
    const checked = editor !== undefined && this.languages.includes(editor.document.languageId);
    let drift: Drift | null | undefined;
    if (checked && editor) {
      const entries = this.drifts.get(editor.document.uri.toString()) ?? [];
      const found = driftAt(entries, editor.selection.active);
      drift = found ? { score: found.score, threshold: found.threshold, reasons: found.reasons } : null;
    }
    const rendered = renderStatus({ ...this.state, drift });
    this.item.text = rendered.text;
    this.item.tooltip = rendered.tooltip;
    this.item.backgroundColor = rendered.error
      ? new vscode.ThemeColor('statusBarItem.errorBackground')
      : rendered.warning
        ? new vscode.ThemeColor('statusBarItem.warningBackground')
        : undefined;
    if (checked || this.state.phase === 'error') {
      this.item.show();
    } else {
      this.item.hide();
    }
  }

  dispose(): void {
    this.item.dispose();
  }
}

/** What `inkmod.status` returns (only the fields the status bar reads). */
interface StatusResult {
  server?: { version?: string };
  profile?: string;
  profileLoaded?: boolean;
  problem?: string | null;
  rewrite?: string;
  settings?: { backend?: string | null };
  daemon?: { state?: string; reason?: string | null; backend?: { name?: string; loaded?: boolean } | null };
}

/** The settled status-bar state a status result describes (pure; tested). */
export function stateFromStatus(result: unknown): Partial<StatusState> {
  const r = (result ?? {}) as StatusResult;
  const change: Partial<StatusState> = {};
  if (r.profile) {
    change.profile = r.profile;
  }
  const backend = r.daemon?.backend;
  if (backend && typeof backend === 'object') {
    change.backend = backend.name ?? change.backend;
    change.modelLoaded = backend.loaded;
  } else if (r.settings?.backend) {
    change.backend = r.settings.backend;
  }
  if (r.daemon?.state) {
    change.daemon = r.daemon.reason ? `${r.daemon.state} (${r.daemon.reason})` : r.daemon.state;
  }
  if (r.server?.version) {
    change.version = r.server.version;
  }
  if (r.problem) {
    change.phase = 'degraded';
    change.detail = r.problem;
  } else if (r.rewrite && r.rewrite !== 'available') {
    change.phase = 'degraded';
    change.detail = `rewriting unavailable: ${r.rewrite}`;
  } else {
    change.phase = 'ready';
    change.detail = undefined;
  }
  return change;
}
