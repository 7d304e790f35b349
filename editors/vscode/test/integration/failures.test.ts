/**
 * The messages a writer gets when things are missing, from the real server: a model whose
 * weights are not there, and a daemon that cannot start. Neither may be silent, and drift
 * diagnostics keep working in both cases.
 */
import '../support/vscodeStub';

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import type { CodeAction, Diagnostic } from 'vscode-languageserver-protocol/node';

import { stateFromStatus } from '../../src/status';
import { MAYA, MIXED } from '../support/repo';
import { LspSession, shortHome } from '../support/lspSession';

const MINUTE = 60_000;

async function openDraft(session: LspSession, workspace: string): Promise<{ uri: string; items: Diagnostic[] }> {
  const draft = path.join(workspace, 'mixed.md');
  fs.copyFileSync(MIXED, draft);
  const uri = `file://${draft}`;
  const text = fs.readFileSync(draft, 'utf8');
  await session.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'markdown', version: 1, text } });
  const report = await session.request<{ items: Diagnostic[] }>('textDocument/diagnostic', { textDocument: { uri } }, 3 * MINUTE);
  return { uri, items: report.items };
}

async function rewriteActions(session: LspSession, uri: string, diag: Diagnostic): Promise<CodeAction[]> {
  const at = diag.range.start;
  return session.request<CodeAction[]>('textDocument/codeAction', {
    textDocument: { uri },
    range: { start: at, end: at },
    context: { diagnostics: [diag] },
  });
}

describe('when things are missing', () => {
  const homes: string[] = [];
  const sessions: LspSession[] = [];
  after(async () => {
    for (const s of sessions) {
      await s.close();
    }
    for (const h of homes) {
      fs.rmSync(h, { recursive: true, force: true });
    }
  });

  it('a model without weights: diagnostics work, the rewrite says what is missing', { timeout: 4 * MINUTE }, async () => {
    const home = shortHome();
    homes.push(home);
    const workspace = path.join(home, 'ws');
    fs.mkdirSync(workspace);
    const session = await LspSession.start({ settings: { samplesFolder: MAYA, backend: 'llama-7b' }, workspace, home });
    sessions.push(session);
    const { uri, items } = await openDraft(session, workspace);
    assert.equal(items.length, 3, 'drift diagnostics do not need the model');
    const actions = await rewriteActions(session, uri, items[0]);
    const action = actions.find((a) => a.title.startsWith('Rewrite paragraph in my style'));
    assert.ok(action, actions.map((a) => a.title).join(', '));
    const outcome = await session
      .request<CodeAction>('codeAction/resolve', action, 3 * MINUTE)
      .then((resolved) => ({ resolved, error: undefined as undefined | { message: string } }))
      .catch((error: { message: string }) => ({ resolved: undefined, error }));
    if (outcome.error) {
      assert.match(outcome.error.message, /llama-7b/);
    } else {
      assert.fail(`a rewrite without the model's weights succeeded: ${JSON.stringify(outcome.resolved?.edit)}`);
    }
    const said = session.messages.map((m) => m.message).join('\n');
    assert.match(said, /llama-7b/, 'the writer is told which model is missing');
    assert.match(said, /inkmod models pull llama-7b/, 'and how to get it');
  });

  it('a daemon that cannot start: diagnostics work, rewriting is offered disabled with the reason', { timeout: 3 * MINUTE }, async () => {
    // A unix socket path longer than the system allows: the daemon cannot listen.
    const home = path.join(shortHome(), 'x'.repeat(120));
    homes.push(path.dirname(home));
    fs.mkdirSync(home, { recursive: true });
    const workspace = path.join(path.dirname(home), 'ws');
    fs.mkdirSync(workspace);
    const session = await LspSession.start({ settings: { samplesFolder: MAYA }, workspace, home });
    sessions.push(session);
    const { uri, items } = await openDraft(session, workspace);
    assert.equal(items.length, 3, 'diagnostics are computed in the server without the daemon');
    const said = session.messages.map((m) => m.message).join('\n');
    assert.match(said, /daemon could not start/);
    const actions = await rewriteActions(session, uri, items[0]);
    const rewrite = actions.find((a) => a.title.startsWith('Rewrite paragraph in my style'));
    assert.ok(rewrite?.disabled?.reason, 'VS Code shows disabled actions with their reason');
    const status = await session.request('workspace/executeCommand', { command: 'inkmod.status', arguments: [] });
    const state = stateFromStatus(status);
    assert.equal(state.phase, 'degraded');
    assert.match(state.detail ?? '', /rewriting unavailable/);
  });
});
