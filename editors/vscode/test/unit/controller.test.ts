import { editor, stub, Uri, vscode } from '../support/vscodeStub';

import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { State, type LanguageClient } from 'vscode-languageclient/node';

import { SERVER_COMMANDS } from '../../src/constants';
import { Controller, type ControllerDeps } from '../../src/controller';
import { LaunchError, type ClientParts, type Launch } from '../../src/server';
import { StatusBar } from '../../src/status';

const STATUS = {
  server: { version: '0.1.0' },
  profile: 'maya',
  problem: null,
  rewrite: 'available',
  daemon: { state: 'ready', reason: null, backend: { name: 'smollm2', loaded: true } },
};

/** Stands in for vscode-languageclient: registers the server commands as the real one does. */
class FakeClient {
  state = State.Stopped;
  requests: { command: string; arguments: unknown[] }[] = [];
  private listeners: ((e: { oldState: State; newState: State }) => void)[] = [];
  private commands: { dispose(): void }[] = [];
  constructor(readonly launch: Launch, readonly parts: ClientParts, private readonly failStart = false) {}
  onDidChangeState(listener: (e: { oldState: State; newState: State }) => void) {
    this.listeners.push(listener);
    return { dispose: () => undefined };
  }
  private set(newState: State) {
    const oldState = this.state;
    this.state = newState;
    this.listeners.forEach((l) => l({ oldState, newState }));
  }
  async start() {
    this.set(State.Starting);
    if (this.failStart) {
      this.set(State.Stopped);
      throw new Error('Pending response rejected since connection got disposed');
    }
    // Throws "already exists" if the placeholders were still registered.
    this.commands = SERVER_COMMANDS.map((c) => vscode.commands.registerCommand(c, () => 'real'));
    this.set(State.Running);
  }
  crash() {
    this.commands.forEach((c) => c.dispose());
    this.set(State.Stopped);
  }
  async stop() {
    this.commands.forEach((c) => c.dispose());
    this.set(State.Stopped);
  }
  async dispose() {}
  async sendRequest(_type: unknown, params: { command: string; arguments: unknown[] }) {
    this.requests.push(params);
    return STATUS;
  }
}

function setup(over: Partial<ControllerDeps> & { failStart?: boolean } = {}) {
  const clients: FakeClient[] = [];
  const deps: ControllerDeps = {
    resolveLaunch: async () => ({ command: '/venv/bin/inkmod', args: ['lsp'], source: 'test' }),
    probeLaunch: async () => 'inkmod 0.1.0',
    createClient: (launch, parts) => {
      const client = new FakeClient(launch, parts, over.failStart);
      clients.push(client);
      return client as unknown as LanguageClient;
    },
    ...over,
  };
  const output = vscode.window.createOutputChannel('InkMod') as never;
  const trace = vscode.window.createOutputChannel('InkMod Trace') as never;
  const status = new StatusBar();
  const controller = new Controller(output, trace, status, deps);
  return { controller, clients, item: stub.statusItems[0], output: stub.outputs[0] };
}

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

beforeEach(() => {
  stub.reset();
  stub.workspaceFolders = [{ uri: Uri.file('/ws'), name: 'ws', index: 0 }];
  stub.activeTextEditor = editor('/ws/draft.md', 'markdown', [6, 3, 6, 3]);
});

describe('Controller', () => {
  it('says clearly when InkMod is not installed, and keeps the commands answering', async () => {
    const { controller, clients, item, output } = setup({
      resolveLaunch: async () => {
        throw new LaunchError('InkMod is not installed: no `inkmod` command on PATH', 'not-found');
      },
    });
    await controller.start();
    assert.equal(clients.length, 0);
    assert.equal(item.text, '$(error) InkMod');
    assert.equal(item.visible, true);
    assert.match(stub.messages[0].text, /InkMod: InkMod is not installed/);
    assert.deepEqual(stub.messages[0].items, ['Open Settings', 'Show Log']);
    assert.ok(output.lines.some((l) => l.includes('not installed')));
    await stub.commands.get('inkmod.train')?.();
    assert.match(stub.messages[1].text, /not running: InkMod is not installed/);
  });

  it('reports an interpreter without InkMod from the probe', async () => {
    const { controller, item } = setup({
      probeLaunch: async () => {
        throw new LaunchError('The Python interpreter `/usr/bin/python3` does not have InkMod installed', 'not-installed');
      },
    });
    await controller.start();
    assert.match(String(item.tooltip), /does not have InkMod installed/);
  });

  it('starts the client, hands the commands over to it and reads the status silently', async () => {
    stub.set('inkmod.profile', 'maya');
    const { controller, clients, item } = setup();
    assert.ok(stub.commands.has('inkmod.train'), 'placeholders before start');
    await controller.start();
    assert.equal(clients.length, 1);
    assert.equal(stub.commands.get('inkmod.train')?.(), 'real');
    assert.deepEqual(clients[0].parts.languages, ['markdown', 'plaintext', 'restructuredtext', 'latex', 'asciidoc', 'gitcommit']);
    assert.ok(stub.executed.some((e) => e.command === 'setContext' && e.args[0] === 'inkmod.languages'));
    await tick();
    assert.deepEqual(clients[0].requests[0], { command: 'inkmod.status', arguments: [{ quiet: true }] });
    assert.equal(item.text, '$(feather) maya · smollm2 · in style');
    assert.match(String(item.tooltip), /InkMod \(0\.1\.0\)/);
    await controller.stop();
    assert.equal(item.text, '$(circle-slash) InkMod: stopped');
    assert.ok(stub.commands.has('inkmod.train'), 'placeholders after stop');
  });

  it('shows progress from the server while it runs', async () => {
    const { controller, clients, item } = setup();
    await controller.start();
    await tick();
    const strategy = clients[0].parts.messageStrategy!;
    const forward: unknown[] = [];
    strategy.handleMessage(
      { jsonrpc: '2.0', method: '$/progress', params: { token: 't', value: { kind: 'begin', title: 'InkMod: rewriting in your style', message: 'starting' } } } as never,
      (m) => forward.push(m),
    );
    assert.equal(forward.length, 1);
    assert.equal(item.text, '$(sync~spin) InkMod: rewriting in your style: starting');
    strategy.handleMessage(
      { jsonrpc: '2.0', method: '$/progress', params: { token: 't', value: { kind: 'end' } } } as never,
      () => undefined,
    );
    assert.equal(item.text, '$(feather) maya · smollm2 · in style');
    await tick(300);
    assert.equal(clients[0].requests.length, 2, 'status re-read after the work ended');
    await controller.stop();
  });

  it('serves the inkmod section itself and passes other sections on', async () => {
    stub.set('inkmod.severity', 'warning');
    stub.set('inkmod.server.pythonPath', '/x/python');
    const { controller, clients } = setup();
    await controller.start();
    const configuration = clients[0].parts.middleware.workspace!.configuration!;
    const answered = await configuration(
      { items: [{ section: 'inkmod', scopeUri: 'file:///ws/draft.md' }, { section: 'editor' }] },
      {} as never,
      () => [{ everything: true }, { fontSize: 12 }],
    );
    assert.deepEqual(answered, [{ severity: 'warning' }, { fontSize: 12 }]);
    await controller.stop();
  });

  it('takes the drift at the cursor from pulled diagnostics', async () => {
    const { controller, clients, item } = setup();
    await controller.start();
    await tick();
    const provide = clients[0].parts.middleware.provideDiagnostics!;
    const doc = { uri: Uri.file('/ws/draft.md') };
    const report = await provide(doc as never, undefined, {} as never, async () => ({
      kind: 'full',
      items: [{ source: 'inkmod', code: 'drift', range: { start: { line: 6, character: 0 }, end: { line: 6, character: 90 } }, data: { score: 0.999, reasons: [] } }],
    }) as never);
    assert.equal((report as { kind: string }).kind, 'full');
    assert.equal(item.text, '$(feather) maya · smollm2 · drift 1.00');
    await controller.stop();
  });

  it('restarts when the launch settings change or a setting is removed, not otherwise', async () => {
    stub.set('inkmod.candidates', 5);
    const { controller, clients } = setup();
    await controller.start();
    const event = (section: string) => ({ affectsConfiguration: (s: string) => section === s || section.startsWith(`${s}.`) });
    controller.onConfigurationChanged(event('inkmod.threshold'));
    await tick();
    assert.equal(clients.length, 1);
    controller.onConfigurationChanged(event('inkmod.server.pythonPath'));
    await tick();
    assert.equal(clients.length, 2);
    stub.settings.delete('inkmod.candidates');
    controller.onConfigurationChanged(event('inkmod.candidates'));
    await tick();
    assert.equal(clients.length, 3);
    await controller.stop();
  });

  it('says so when the client gives up on a crashing server', async () => {
    const { controller, clients, item } = setup();
    await controller.start();
    clients[0].crash();
    await tick();
    assert.equal(item.text, '$(error) InkMod');
    assert.match(String(item.tooltip), /the language server stopped/);
    assert.ok(stub.commands.has('inkmod.status'));
    await controller.restart('test');
    assert.equal(clients.length, 2);
    assert.equal(stub.commands.get('inkmod.status')?.(), 'real');
    await controller.stop();
  });

  it('reports a server that fails during start-up', async () => {
    const { controller, item } = setup({ failStart: true });
    await controller.start();
    assert.match(String(item.tooltip), /the server did not start/);
    assert.ok(stub.commands.has('inkmod.train'));
  });
});
