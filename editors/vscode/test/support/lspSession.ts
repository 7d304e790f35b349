/**
 * A language-server session for tests: the real `inkmod lsp` as a child process, spoken to
 * with `vscode-languageserver-protocol`'s node connection -- the library vscode-languageclient
 * is built on -- and answering the server's requests the way VS Code does.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  createProtocolConnection,
  type ClientCapabilities,
  type Diagnostic,
  type MessageStrategy,
  type ProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type WorkspaceEdit,
} from 'vscode-languageserver-protocol/node';

import { serverCommand } from './repo';

/** What vscode-languageclient 9 announces for the features InkMod uses (VS Code 1.82+). */
export const VSCODE_CAPABILITIES: ClientCapabilities = {
  workspace: {
    applyEdit: true,
    workspaceEdit: {
      documentChanges: true,
      resourceOperations: ['create', 'rename', 'delete'],
      failureHandling: 'textOnlyTransactional',
      normalizesLineEndings: true,
    },
    didChangeConfiguration: { dynamicRegistration: true },
    executeCommand: { dynamicRegistration: true },
    configuration: true,
    workspaceFolders: true,
    diagnostics: { refreshSupport: true },
  },
  textDocument: {
    synchronization: { dynamicRegistration: true, willSave: true, willSaveWaitUntil: true, didSave: true },
    hover: { dynamicRegistration: true, contentFormat: ['markdown', 'plaintext'] },
    codeAction: {
      dynamicRegistration: true,
      isPreferredSupport: true,
      disabledSupport: true,
      dataSupport: true,
      resolveSupport: { properties: ['edit'] },
      codeActionLiteralSupport: {
        codeActionKind: {
          valueSet: [
            '',
            'quickfix',
            'refactor',
            'refactor.extract',
            'refactor.inline',
            'refactor.rewrite',
            'source',
            'source.organizeImports',
          ],
        },
      },
      honorsChangeAnnotations: false,
    },
    publishDiagnostics: {
      relatedInformation: true,
      versionSupport: false,
      tagSupport: { valueSet: [1, 2] },
      codeDescriptionSupport: true,
      dataSupport: true,
    },
    diagnostic: { dynamicRegistration: true, relatedDocumentSupport: false },
  },
  window: {
    workDoneProgress: true,
    showMessage: { messageActionItem: { additionalPropertiesSupport: true } },
    showDocument: { support: true },
  },
  general: { positionEncodings: ['utf-16'] },
};

export interface ProgressEvent {
  token: string | number;
  value: { kind: string; title?: string; message?: string; percentage?: number };
}

export interface SessionOptions {
  /** `initializationOptions`: the `inkmod` settings object itself. */
  settings: Record<string, unknown>;
  /** What `workspace/configuration` answers for section `inkmod` (default: `settings`). */
  configuration?: Record<string, unknown>;
  workspace: string;
  home: string;
  capabilities?: ClientCapabilities;
  clientName?: string;
  /** Sees every incoming message first, as in the extension (`connectionOptions`). */
  messageStrategy?: MessageStrategy;
}

/** A short private INKMOD_HOME (unix socket paths must stay under ~100 bytes). */
export function shortHome(): string {
  return fs.mkdtempSync(path.join(os.tmpdir().length < 20 ? os.tmpdir() : '/tmp', 'ink'));
}

export class LspSession {
  readonly diagnostics = new Map<string, Diagnostic[]>();
  readonly progress: ProgressEvent[] = [];
  readonly messages: { type: number; message: string }[] = [];
  readonly applied: WorkspaceEdit[] = [];
  readonly configurationRequests: unknown[] = [];
  readonly registrations: unknown[] = [];
  stderr = '';
  private exited = false;

  private constructor(
    readonly child: ChildProcessWithoutNullStreams,
    readonly connection: ProtocolConnection,
    readonly options: SessionOptions,
  ) {}

  /** Start the server and complete `initialize`/`initialized`. */
  static async start(options: SessionOptions): Promise<LspSession> {
    const [command, ...args] = serverCommand();
    const env: NodeJS.ProcessEnv = { ...process.env, INKMOD_HOME: options.home };
    delete env.XDG_RUNTIME_DIR;
    delete env.INKMOD_DAEMON_PLUGINS;
    const child = spawn(command, args, { cwd: options.workspace, env, stdio: 'pipe' });
    const connection = createProtocolConnection(
      new StreamMessageReader(child.stdout),
      new StreamMessageWriter(child.stdin),
      undefined,
      { messageStrategy: options.messageStrategy },
    );
    const session = new LspSession(child, connection, options);
    child.stderr.on('data', (chunk: Buffer) => {
      session.stderr += chunk.toString();
    });
    child.on('exit', () => {
      session.exited = true;
    });
    session.listen();
    connection.listen();
    const rootUri = `file://${options.workspace}`;
    const result = await connection.sendRequest('initialize', {
      processId: process.pid,
      clientInfo: { name: options.clientName ?? 'Visual Studio Code', version: '1.82.0' },
      rootUri,
      workspaceFolders: [{ uri: rootUri, name: path.basename(options.workspace) }],
      capabilities: options.capabilities ?? VSCODE_CAPABILITIES,
      initializationOptions: options.settings,
    });
    session.initializeResult = result as { capabilities: Record<string, unknown> };
    await connection.sendNotification('initialized', {});
    return session;
  }

  initializeResult: { capabilities: Record<string, unknown> } = { capabilities: {} };

  private listen(): void {
    const c = this.connection;
    c.onRequest('workspace/configuration', (params: { items: { section?: string }[] }) => {
      this.configurationRequests.push(params);
      return params.items.map((item) =>
        item.section === 'inkmod' ? (this.options.configuration ?? this.options.settings) : null,
      );
    });
    c.onRequest('window/workDoneProgress/create', () => null);
    c.onRequest('client/registerCapability', (params: unknown) => {
      this.registrations.push(params);
      return null;
    });
    c.onRequest('client/unregisterCapability', () => null);
    c.onRequest('workspace/diagnostic/refresh', () => null);
    c.onRequest('window/showMessageRequest', () => null);
    c.onRequest('workspace/applyEdit', (params: { edit: WorkspaceEdit }) => {
      this.applied.push(params.edit);
      return { applied: true };
    });
    c.onNotification('$/progress', (params: ProgressEvent) => {
      this.progress.push(params);
    });
    c.onNotification('window/showMessage', (params: { type: number; message: string }) => {
      this.messages.push(params);
    });
    c.onNotification('window/logMessage', () => undefined);
    c.onNotification('textDocument/publishDiagnostics', (params: { uri: string; diagnostics: Diagnostic[] }) => {
      this.diagnostics.set(params.uri, params.diagnostics);
    });
  }

  request<R>(method: string, params: unknown, timeoutMs = 60_000): Promise<R> {
    return withTimeout(this.connection.sendRequest(method, params) as Promise<R>, timeoutMs, method, this);
  }

  notify(method: string, params: unknown): Promise<void> {
    return this.connection.sendNotification(method, params);
  }

  /** Poll `predicate` until it returns something truthy. */
  async waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = predicate();
      if (value) {
        return value;
      }
      if (this.exited) {
        throw new Error(`server exited while waiting for ${what}\n${this.tail()}`);
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.tail()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The last lines of the server's log, for failure messages. */
  tail(lines = 30): string {
    return this.stderr.split('\n').slice(-lines).join('\n');
  }

  /** `shutdown`, `exit`, then stop the daemon it started and remove the home. */
  async close(): Promise<void> {
    try {
      if (!this.exited) {
        await withTimeout(this.connection.sendRequest('shutdown'), 10_000, 'shutdown', this);
        await this.connection.sendNotification('exit');
      }
    } catch {
      // killed below
    }
    const exited = new Promise<void>((resolve) => {
      if (this.exited) {
        resolve();
      } else {
        this.child.once('exit', () => resolve());
      }
    });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    this.connection.dispose();
    stopDaemon(this.options.home);
  }
}

/** Stop the private daemon a test's server started (it would otherwise idle for 30 min). */
export function stopDaemon(home: string, profile = 'default'): void {
  const [command, ...args] = serverCommand();
  // `inkmod lsp` -> `inkmod daemon stop`; `python -m inkmod_lsp` -> the same CLI via python.
  const cli = args[0] === 'lsp' ? [command] : [command, '-c', 'from inkmod.cli import main; main()'];
  spawnSync(cli[0], [...cli.slice(1), 'daemon', 'stop', '--profile', profile], {
    env: { ...process.env, INKMOD_HOME: home },
    stdio: 'ignore',
    timeout: 30_000,
  });
}

export async function withTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
  what: string,
  session?: LspSession,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer within ${timeoutMs} ms\n${session?.tail() ?? ''}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
