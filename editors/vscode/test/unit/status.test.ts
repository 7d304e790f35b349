import { editor, stub } from '../support/vscodeStub';

import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import {
  driftAt,
  driftEntries,
  renderStatus,
  stateFromStatus,
  StatusBar,
  type DriftEntry,
} from '../../src/status';

const range = (l1: number, c1: number, l2: number, c2: number) => ({
  start: { line: l1, character: c1 },
  end: { line: l2, character: c2 },
});

describe('renderStatus', () => {
  it('shows profile, model and the drift of the paragraph when ready', () => {
    const r = renderStatus({ phase: 'ready', profile: 'maya', backend: 'smollm2', drift: { score: 0.987, reasons: ['x'] } });
    assert.equal(r.text, '$(feather) maya · smollm2 · drift 0.99');
    assert.match(r.tooltip, /drifts from your style: 0\.99/);
    assert.match(r.tooltip, /• x/);
    assert.equal(r.warning, false);
  });
  it('says "in style" when the cursor is in an unflagged paragraph, nothing outside prose', () => {
    assert.equal(renderStatus({ phase: 'ready', drift: null }).text, '$(feather) default · default model · in style');
    assert.equal(renderStatus({ phase: 'ready' }).text, '$(feather) default · default model');
  });
  it('spins while starting, loading, training or rewriting', () => {
    assert.equal(renderStatus({ phase: 'starting' }).text, '$(sync~spin) InkMod: starting');
    assert.equal(renderStatus({ phase: 'loading', detail: 'loading model smollm2…' }).text,
      '$(sync~spin) InkMod: loading model smollm2…');
    assert.equal(renderStatus({ phase: 'busy', detail: 'training 3/6' }).text, '$(sync~spin) InkMod: training 3/6');
  });
  it('warns when degraded and errs when the server cannot run, with the reason in the tooltip', () => {
    const degraded = renderStatus({ phase: 'degraded', detail: 'rewriting unavailable: daemon down', profile: 'p' });
    assert.equal(degraded.warning, true);
    assert.match(degraded.text, /^\$\(warning\) p/);
    assert.match(degraded.tooltip, /⚠ rewriting unavailable: daemon down/);
    const error = renderStatus({ phase: 'error', detail: 'InkMod is not installed' });
    assert.equal(error.error, true);
    assert.match(error.tooltip, /InkMod is not installed/);
  });
  it('tells whether the model is loaded', () => {
    assert.match(renderStatus({ phase: 'ready', backend: 'smollm2', modelLoaded: false }).tooltip,
      /Model: smollm2 \(not loaded yet\)/);
    assert.match(renderStatus({ phase: 'ready', backend: 'smollm2', modelLoaded: true }).tooltip,
      /Model: smollm2 \(loaded\)/);
  });
});

describe('drift at the cursor', () => {
  const entries: DriftEntry[] = [
    { range: range(6, 0, 6, 800), score: 1, reasons: [] },
    { range: range(14, 0, 14, 500), score: 0.99, reasons: [] },
  ];
  it('finds the paragraph containing the cursor, ends included', () => {
    assert.equal(driftAt(entries, { line: 6, character: 0 })?.score, 1);
    assert.equal(driftAt(entries, { line: 6, character: 800 })?.score, 1);
    assert.equal(driftAt(entries, { line: 14, character: 3 })?.score, 0.99);
    assert.equal(driftAt(entries, { line: 7, character: 0 }), null);
    assert.equal(driftAt(entries, { line: 6, character: 801 }), null);
  });
  it("reads the server's diagnostics (protocol or VS Code shaped) and ignores others", () => {
    const parsed = driftEntries([
      { source: 'inkmod', code: 'drift', range: range(2, 0, 2, 9), data: { score: 0.97, threshold: 0.95, reasons: ['a', 3] } },
      { source: 'inkmod', code: { value: 'drift', target: {} }, range: range(4, 0, 4, 1), data: {} },
      { source: 'cspell', code: 'drift', range: range(5, 0, 5, 1) },
      { source: 'inkmod', code: 'other', range: range(6, 0, 6, 1) },
    ]);
    assert.deepEqual(parsed, [
      { range: range(2, 0, 2, 9), score: 0.97, threshold: 0.95, reasons: ['a'] },
      { range: range(4, 0, 4, 1), score: null, threshold: undefined, reasons: [] },
    ]);
  });
});

describe('stateFromStatus', () => {
  const result = {
    server: { version: '0.1.0' },
    profile: 'maya',
    profileLoaded: true,
    problem: null,
    rewrite: 'available',
    settings: { backend: null },
    daemon: { state: 'ready', reason: null, backend: { name: 'smollm2', loaded: false } },
  };
  it('takes names, model state and readiness from inkmod.status', () => {
    assert.deepEqual(stateFromStatus(result), {
      profile: 'maya', backend: 'smollm2', modelLoaded: false, daemon: 'ready', version: '0.1.0',
      phase: 'ready', detail: undefined,
    });
  });
  it('is degraded when rewriting is unavailable or there is no profile', () => {
    const down = stateFromStatus({ ...result, rewrite: 'the InkMod daemon is unavailable: boom',
      daemon: { state: 'unavailable', reason: 'boom' }, settings: { backend: 'gemma3-270m' } });
    assert.equal(down.phase, 'degraded');
    assert.equal(down.detail, 'rewriting unavailable: the InkMod daemon is unavailable: boom');
    assert.equal(down.daemon, 'unavailable (boom)');
    assert.equal(down.backend, 'gemma3-270m');
    assert.equal(stateFromStatus({ ...result, problem: 'no style profile' }).detail, 'no style profile');
  });
  it('survives an empty answer', () => {
    assert.equal(stateFromStatus(undefined).phase, 'ready');
  });
});

describe('StatusBar', () => {
  beforeEach(() => stub.reset());

  it('shows only for checked languages (or on errors) and opens the status on click', () => {
    const bar = new StatusBar();
    const item = stub.statusItems[0];
    assert.equal(item.command, 'inkmod.status');
    bar.setLanguages(['markdown']);
    bar.update({ phase: 'ready' });
    assert.equal(item.visible, false);
    stub.activeTextEditor = editor('/ws/a.py', 'python', [0, 0, 0, 0]);
    bar.refresh();
    assert.equal(item.visible, false);
    bar.update({ phase: 'error', detail: 'x' });
    assert.equal(item.visible, true);
    assert.equal(item.backgroundColor?.id, 'statusBarItem.errorBackground');
    bar.dispose();
  });
  it('follows the cursor through the drift diagnostics', () => {
    const bar = new StatusBar();
    const item = stub.statusItems[0];
    bar.setLanguages(['markdown']);
    bar.update({ phase: 'ready', profile: 'maya', backend: 'smollm2' });
    const md = editor('/ws/draft.md', 'markdown', [6, 10, 6, 10]);
    stub.activeTextEditor = md;
    bar.setDiagnostics(md.document.uri.toString(), [
      { source: 'inkmod', code: 'drift', range: range(6, 0, 6, 800), data: { score: 1, threshold: 0.95, reasons: ['long'] } },
    ]);
    assert.equal(item.visible, true);
    assert.equal(item.text, '$(feather) maya · smollm2 · drift 1.00');
    stub.activeTextEditor = editor('/ws/draft.md', 'markdown', [8, 0, 8, 0]);
    bar.refresh();
    assert.equal(item.text, '$(feather) maya · smollm2 · in style');
    bar.forget(md.document.uri.toString());
    stub.activeTextEditor = md;
    bar.refresh();
    assert.equal(item.text, '$(feather) maya · smollm2 · in style');
  });
});
