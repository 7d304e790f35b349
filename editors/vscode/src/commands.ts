/**
 * The Command Palette commands.
 *
 * The server's commands (`inkmod.train`, `inkmod.rewrite`, `inkmod.status`,
 * `inkmod.selectBackend`, `inkmod.restartDaemon`, `inkmod.ignoreParagraph`) are registered by
 * the language client itself once the server announces them; the extension contributes them
 * under the same ids (so keybindings and the palette reach the server directly) and fills in,
 * through the client's `executeCommand` middleware, what a palette invocation cannot pass:
 * the editor's selection for a rewrite, a folder for training when none is configured.
 *
 * While the server is not running, placeholders under the same ids say why instead of VS
 * Code's "command not found".
 */
import * as vscode from 'vscode';

import { ServerCommand } from './constants';

/** An LSP range from a VS Code selection (both count UTF-16 code units per line). */
export function lspRange(selection: vscode.Range): {
  start: { line: number; character: number };
  end: { line: number; character: number };
} {
  return {
    start: { line: selection.start.line, character: selection.start.character },
    end: { line: selection.end.line, character: selection.end.character },
  };
}

export interface RewriteArguments {
  uri: string;
  range: ReturnType<typeof lspRange>;
  version: number;
  mode: 'paragraph' | 'selection';
}

/** `inkmod.rewrite`'s argument for an editor: its selection, or the paragraph at the cursor. */
export function rewriteArguments(editor: vscode.TextEditor): RewriteArguments {
  const selection = editor.selection;
  return {
    uri: editor.document.uri.toString(),
    range: lspRange(selection),
    version: editor.document.version,
    mode: selection.isEmpty ? 'paragraph' : 'selection',
  };
}

export type Next = (command: string, args: unknown[]) => Promise<unknown> | unknown;

export interface CommandHost {
  /** Language ids the server checks. */
  languages(): string[];
  /** The server showed a message containing this text recently (do not repeat it). */
  wasShown(text: string): boolean;
  /** The status result, for the status bar and the output channel. */
  onStatus(result: unknown): void;
  /** Something changed that the status bar should ask the server about. */
  refreshStatus(): void;
  showLog(): void;
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  return typeof error === 'string' ? error : 'unknown error';
}

/** Tell the user about a failed command unless the server already did. */
async function reportFailure(host: CommandHost, command: string, error: unknown): Promise<void> {
  if (error instanceof vscode.CancellationError) {
    return;
  }
  const message = errorMessage(error);
  if (host.wasShown(message)) {
    return;
  }
  const choice = await vscode.window.showErrorMessage(`InkMod: ${command} failed: ${message}`, 'Show Log');
  if (choice === 'Show Log') {
    host.showLog();
  }
}

/**
 * The language client's `executeCommand` middleware: complete palette invocations, report
 * failures, and feed the status bar.
 */
export function executeCommandMiddleware(host: CommandHost) {
  return async (command: string, args: unknown[], next: Next): Promise<unknown> => {
    try {
      switch (command) {
        case ServerCommand.rewrite:
          return await rewrite(host, args, next);
        case ServerCommand.train:
          return await train(args, next, host);
        case ServerCommand.status: {
          const result = await next(command, args);
          host.onStatus(result);
          return result;
        }
        case ServerCommand.selectBackend:
        case ServerCommand.restartDaemon: {
          const result = await next(command, args);
          host.refreshStatus();
          return result;
        }
        default:
          return await next(command, args);
      }
    } catch (error) {
      await reportFailure(host, command, error);
      return undefined;
    }
  };
}

async function rewrite(host: CommandHost, args: unknown[], next: Next): Promise<unknown> {
  if (args.length > 0) {
    return next(ServerCommand.rewrite, args); // from a code action: already complete
  }
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage('InkMod: open a document to rewrite first.');
    return undefined;
  }
  if (!host.languages().includes(editor.document.languageId)) {
    void vscode.window.showInformationMessage(
      `InkMod does not check ${editor.document.languageId} documents ` +
        '(setting inkmod.languages), so it cannot rewrite this one.',
    );
    return undefined;
  }
  return next(ServerCommand.rewrite, [rewriteArguments(editor)]);
}

const NO_SAMPLES = /no samples folder/i;

async function train(args: unknown[], next: Next, host: CommandHost): Promise<unknown> {
  try {
    const result = await next(ServerCommand.train, args);
    host.refreshStatus();
    return result;
  } catch (error) {
    if (args.length > 0 || !NO_SAMPLES.test(errorMessage(error))) {
      throw error;
    }
  }
  // Nothing to train from yet: ask for a folder of the writer's own texts.
  const picked = await vscode.window.showOpenDialog({
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
    openLabel: 'Train on this folder',
    title: 'InkMod: choose a folder of your own writing',
  });
  if (!picked || picked.length === 0) {
    return undefined;
  }
  const folder = picked[0].fsPath;
  const result = await next(ServerCommand.train, [{ samplesFolder: folder }]);
  host.refreshStatus();
  const remember = await vscode.window.showInformationMessage(
    `InkMod: keep ${folder} as your samples folder (setting inkmod.samplesFolder)?`,
    'Keep',
  );
  if (remember === 'Keep') {
    await vscode.workspace
      .getConfiguration('inkmod')
      .update('samplesFolder', folder, vscode.ConfigurationTarget.Global);
  }
  return result;
}

/**
 * Commands under the server's ids for while the server is not running. One invoked while the
 * server is starting (the command that activated the extension, say) waits for it and is then
 * run by the server.
 */
export function registerPlaceholders(
  commands: readonly string[],
  reason: () => string,
  actions: { restart(): void; showLog(): void; whenStarted(): Promise<boolean> },
): vscode.Disposable {
  const disposables = commands.map((command) =>
    vscode.commands.registerCommand(command, async (...args: unknown[]) => {
      if (await actions.whenStarted()) {
        return vscode.commands.executeCommand(command, ...args);
      }
      const choice = await vscode.window.showErrorMessage(
        `InkMod's language server is not running: ${reason()}`,
        'Restart Server',
        'Show Log',
      );
      if (choice === 'Restart Server') {
        actions.restart();
      } else if (choice === 'Show Log') {
        actions.showLog();
      }
      return undefined;
    }),
  );
  return vscode.Disposable.from(...disposables);
}

/** A readable report of `inkmod.status`'s result for the output channel. */
export function formatStatus(result: unknown): string {
  return `InkMod status:\n${JSON.stringify(result, null, 2)}`;
}
