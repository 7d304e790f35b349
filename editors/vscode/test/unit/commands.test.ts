import { CancellationError, editor, stub, Uri } from '../support/vscodeStub';

import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import {
  executeCommandMiddleware,
  registerPlaceholders,
  rewriteArguments,
  type CommandHost,
} from '../../src/commands';

function host(over: Partial<CommandHost> = {}) {
  const log = { statuses: [] as unknown[], refreshes: 0, logs: 0 };
  const h: CommandHost = {
    languages: () => ['markdown'],
    wasShown: () => false,
    onStatus: (r) => log.statuses.push(r),
    refreshStatus: () => {
      log.refreshes += 1;
    },
    showLog: () => {
      log.logs += 1;
    },
    ...over,
  };
  return { h, log };
}

function recordingNext(answers: ((args: unknown[]) => unknown)[] = []) {
  const calls: { command: string; args: unknown[] }[] = [];
  const next = async (command: string, args: unknown[]) => {
    calls.push({ command, args });
    const answer = answers.shift();
    return answer ? answer(args) : { ok: true };
  };
  return { calls, next };
}

beforeEach(() => stub.reset());

describe('rewriteArguments', () => {
  it('sends the selection, or the paragraph at the cursor, pinned to the version', () => {
    const selection = rewriteArguments(editor('/ws/a.md', 'markdown', [2, 4, 3, 0], 7) as never);
    assert.deepEqual(selection, {
      uri: 'file:///ws/a.md',
      range: { start: { line: 2, character: 4 }, end: { line: 3, character: 0 } },
      version: 7,
      mode: 'selection',
    });
    const cursor = rewriteArguments(editor('/ws/a.md', 'markdown', [5, 1, 5, 1], 2) as never);
    assert.equal(cursor.mode, 'paragraph');
  });
});

describe('executeCommand middleware', () => {
  it('completes a palette rewrite with the active editor', async () => {
    const { h } = host();
    const { calls, next } = recordingNext();
    stub.activeTextEditor = editor('/ws/a.md', 'markdown', [1, 0, 1, 0], 3);
    await executeCommandMiddleware(h)('inkmod.rewrite', [], next);
    assert.equal(calls.length, 1);
    assert.deepEqual((calls[0].args[0] as { version: number }).version, 3);
  });
  it('passes a code action rewrite through untouched', async () => {
    const { h } = host();
    const { calls, next } = recordingNext();
    const args = [{ uri: 'file:///x.md', range: {}, version: 1 }];
    await executeCommandMiddleware(h)('inkmod.rewrite', args, next);
    assert.deepEqual(calls[0].args, args);
  });
  it('explains instead of rewriting what the server does not check', async () => {
    const { h } = host();
    const { calls, next } = recordingNext();
    await executeCommandMiddleware(h)('inkmod.rewrite', [], next);
    assert.match(stub.messages[0].text, /open a document/);
    stub.activeTextEditor = editor('/ws/a.py', 'python', [0, 0, 0, 0]);
    await executeCommandMiddleware(h)('inkmod.rewrite', [], next);
    assert.match(stub.messages[1].text, /does not check python documents/);
    assert.equal(calls.length, 0);
  });
  it('asks for a samples folder when the server has none to train from', async () => {
    const { h, log } = host();
    const { calls, next } = recordingNext([
      () => {
        throw new Error('no samples folder to train from: set inkmod.samplesFolder');
      },
      () => ({ profile: 'default' }),
    ]);
    stub.openDialog = [Uri.file('/home/me/essays')];
    stub.answer = 'Keep';
    const result = await executeCommandMiddleware(h)('inkmod.train', [], next);
    assert.deepEqual(result, { profile: 'default' });
    assert.deepEqual(calls[1].args, [{ samplesFolder: '/home/me/essays' }]);
    assert.deepEqual(stub.updates, [{ key: 'inkmod.samplesFolder', value: '/home/me/essays', target: 1 }]);
    assert.equal(log.refreshes, 1);
  });
  it('does nothing more when the folder dialog is cancelled', async () => {
    const { h } = host({ wasShown: () => true });
    const { calls, next } = recordingNext([
      () => {
        throw new Error('no samples folder to train from');
      },
    ]);
    assert.equal(await executeCommandMiddleware(h)('inkmod.train', [], next), undefined);
    assert.equal(calls.length, 1);
    assert.equal(stub.messages.length, 0);
  });
  it('feeds the status bar with the status result', async () => {
    const { h, log } = host();
    const { next } = recordingNext([() => ({ profile: 'maya' })]);
    await executeCommandMiddleware(h)('inkmod.status', [], next);
    assert.deepEqual(log.statuses, [{ profile: 'maya' }]);
  });
  it('reports a failure the server did not report, and offers the log', async () => {
    const { h, log } = host();
    const { next } = recordingNext([
      () => {
        throw new Error('samples folder not found: /nope');
      },
    ]);
    stub.answer = 'Show Log';
    assert.equal(await executeCommandMiddleware(h)('inkmod.selectBackend', [], next), undefined);
    assert.match(stub.messages[0].text, /inkmod.selectBackend failed: samples folder not found/);
    assert.equal(log.logs, 1);
  });
  it('stays quiet when the server already said it, or on cancel', async () => {
    const { h } = host({ wasShown: (t) => t.includes('daemon') });
    const failing = (error: unknown) => recordingNext([() => { throw error; }]).next;
    await executeCommandMiddleware(h)('inkmod.restartDaemon', [], failing(new Error('the daemon is turned off')));
    await executeCommandMiddleware(h)('inkmod.train', [{}], failing(new CancellationError()));
    assert.equal(stub.messages.length, 0);
  });
});

describe('placeholders', () => {
  it('answer for the server commands while it is not running', async () => {
    let restarts = 0;
    const disposable = registerPlaceholders(['inkmod.train', 'inkmod.status'], () => 'InkMod is not installed', {
      restart: () => {
        restarts += 1;
      },
      showLog: () => undefined,
      whenStarted: async () => false,
    });
    stub.answer = 'Restart Server';
    await stub.commands.get('inkmod.train')?.();
    assert.match(stub.messages[0].text, /not running: InkMod is not installed/);
    assert.equal(restarts, 1);
    disposable.dispose();
    assert.equal(stub.commands.size, 0);
  });
  it('hand a command given during start-up to the started server', async () => {
    let started: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => {
      started = resolve;
    });
    const placeholders = registerPlaceholders(['inkmod.status'], () => 'starting', {
      restart: () => undefined,
      showLog: () => undefined,
      whenStarted: async () => {
        await ready;
        return true;
      },
    });
    const pending = stub.commands.get('inkmod.status')?.({ quiet: false });
    // The server starts: the client replaces the placeholder with the real command.
    placeholders.dispose();
    stub.commands.set('inkmod.status', (...args: unknown[]) => ({ real: args }));
    started();
    assert.deepEqual(await pending, { real: [{ quiet: false }] });
    assert.equal(stub.messages.length, 0);
  });
});
