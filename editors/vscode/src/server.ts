/**
 * Finding, checking and starting the language server (`inkmod lsp`).
 *
 * Where the server comes from, first match wins:
 *
 * 1. `inkmod.server.command` -- a full command line;
 * 2. `inkmod.server.pythonPath` -- `<python> -m inkmod_lsp`;
 * 3. `inkmod` on PATH -- `inkmod lsp` (pipx installs it there);
 * 4. the interpreter selected in the Python extension -- `<python> -m inkmod_lsp`.
 *
 * Before starting, the launch is probed (`inkmod --version`, or importing `inkmod_lsp` with the
 * interpreter), so that "not installed" is said in words instead of a closed pipe.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  LanguageClient,
  type LanguageClientOptions,
  type Middleware,
  RevealOutputChannelOn,
  type ServerOptions,
  TransportKind,
} from 'vscode-languageclient/node';
import type { MessageStrategy } from 'vscode-languageserver-protocol';

import { PROBE_TIMEOUT_MS, SERVER_ID, SERVER_MODULE, SERVER_NAME } from './constants';
import { documentSelector, getServerSettings, type LaunchSettings } from './settings';

/** A resolved way of starting the server. */
export interface Launch {
  command: string;
  args: string[];
  /** Where it came from, for messages ("setting inkmod.server.pythonPath"). */
  source: string;
  /** How to check it before starting; undefined when only the executable can be checked. */
  probe?: { command: string; args: string[]; kind: 'cli' | 'python' };
}

/** Why the server cannot be started; `message` is for the user. */
export class LaunchError extends Error {
  constructor(
    message: string,
    readonly kind: 'not-found' | 'not-installed' | 'failed',
  ) {
    super(message);
    this.name = 'LaunchError';
  }
}

export interface ResolveDeps {
  /** Full path of an executable on PATH, or undefined. */
  which(name: string): string | undefined;
  /** The Python extension's selected interpreter, or undefined. */
  interpreter(): Promise<string | undefined>;
}

export const PYTHON_PROBE = `import inkmod, ${SERVER_MODULE}; print("inkmod " + inkmod.__version__)`;

function pythonLaunch(python: string, extra: string[], source: string): Launch {
  return {
    command: python,
    args: ['-m', SERVER_MODULE, ...extra],
    source,
    probe: { command: python, args: ['-c', PYTHON_PROBE], kind: 'python' },
  };
}

function cliLaunch(inkmod: string, extra: string[], source: string): Launch {
  return {
    command: inkmod,
    args: ['lsp', ...extra],
    source,
    probe: { command: inkmod, args: ['--version'], kind: 'cli' },
  };
}

/** Decide how to start the server (see the module doc for the order). */
export async function resolveLaunch(settings: LaunchSettings, deps: ResolveDeps): Promise<Launch> {
  if (settings.command.length > 0) {
    const [command, ...rest] = settings.command;
    const source = 'setting inkmod.server.command';
    const args = [...rest, ...settings.args];
    const base = path.basename(command).replace(/\.exe$/i, '');
    if (base === 'inkmod' && rest[0] === 'lsp') {
      return { ...cliLaunch(command, rest.slice(1).concat(settings.args), source) };
    }
    const module = rest.indexOf('-m');
    if (module >= 0 && rest[module + 1] === SERVER_MODULE) {
      return { command, args, source, probe: { command, args: ['-c', PYTHON_PROBE], kind: 'python' } };
    }
    return { command, args, source };
  }
  if (settings.pythonPath) {
    return pythonLaunch(settings.pythonPath, settings.args, 'setting inkmod.server.pythonPath');
  }
  const onPath = deps.which('inkmod');
  if (onPath) {
    return cliLaunch(onPath, settings.args, '`inkmod` on PATH');
  }
  const python = await deps.interpreter();
  if (python) {
    return pythonLaunch(python, settings.args, "the Python extension's selected interpreter");
  }
  throw new LaunchError(
    'InkMod is not installed: no `inkmod` command on PATH, and neither inkmod.server.command ' +
      'nor inkmod.server.pythonPath is set. Install it (`pipx install inkmod`, or ' +
      '`pip install inkmod` in a virtual environment) and point inkmod.server.pythonPath at ' +
      "that environment's Python.",
    'not-found',
  );
}

/** `which`, without a dependency: the first executable `name` on PATH. */
export function which(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  const extensions =
    process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) {
      continue;
    }
    for (const ext of extensions) {
      const candidate = path.join(dir, name + ext);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        if (fs.statSync(candidate).isFile()) {
          return candidate;
        }
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

export interface ProbeResult {
  stdout: string;
  stderr: string;
  code: number | null;
  /** The spawn error code (ENOENT, EACCES, ETIMEDOUT), when it did not run at all. */
  error?: string;
}

export type Runner = (command: string, args: string[], timeoutMs: number) => Promise<ProbeResult>;

export const runProcess: Runner = (command, args, timeoutMs) =>
  new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, windowsHide: true }, (error, stdout, stderr) => {
      const err = error as (NodeJS.ErrnoException & { killed?: boolean }) | null;
      let code: string | undefined;
      if (err && typeof err.code === 'string') {
        code = err.code;
      } else if (err?.killed) {
        code = 'ETIMEDOUT';
      }
      resolve({
        stdout: String(stdout),
        stderr: String(stderr),
        code: err ? (typeof err.code === 'number' ? err.code : null) : 0,
        error: code,
      });
    });
  });

function lastLine(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  return lines[lines.length - 1] ?? '';
}

/**
 * Check that the launch can work; returns the server's version line ("inkmod 0.1.0") or ''
 * when it cannot be asked. Throws a {@link LaunchError} with a message for the user.
 */
export async function probeLaunch(launch: Launch, run: Runner = runProcess): Promise<string> {
  if (!launch.probe) {
    const found = path.isAbsolute(launch.command) ? fs.existsSync(launch.command) : which(launch.command);
    if (!found) {
      throw new LaunchError(
        `InkMod's language server command \`${launch.command}\` was not found (${launch.source}).`,
        'not-found',
      );
    }
    return '';
  }
  const { command, args, kind } = launch.probe;
  const result = await run(command, args, PROBE_TIMEOUT_MS);
  if (result.error === 'ENOENT' || result.error === 'EACCES') {
    const what = kind === 'python' ? 'Python interpreter' : 'command';
    throw new LaunchError(
      `The ${what} \`${command}\` (${launch.source}) ` +
        (result.error === 'ENOENT' ? 'does not exist.' : 'cannot be run (permission denied).'),
      'not-found',
    );
  }
  if (result.error === 'ETIMEDOUT') {
    throw new LaunchError(
      `\`${command} ${args.join(' ')}\` did not answer within ${PROBE_TIMEOUT_MS / 1000} s.`,
      'failed',
    );
  }
  if (result.code !== 0) {
    const detail = lastLine(result.stderr) || lastLine(result.stdout) || `exit code ${result.code}`;
    if (kind === 'python' && /ModuleNotFoundError|No module named/.test(result.stderr)) {
      throw new LaunchError(
        `The Python interpreter \`${command}\` (${launch.source}) does not have InkMod ` +
          `installed (${detail}). Install it there (\`${command} -m pip install inkmod\`) or ` +
          'set inkmod.server.pythonPath to a Python that has it.',
        'not-installed',
      );
    }
    throw new LaunchError(`\`${command} ${args.join(' ')}\` failed: ${detail}`, 'failed');
  }
  return lastLine(result.stdout);
}

export interface ClientParts {
  outputChannel: vscode.OutputChannel;
  traceOutputChannel?: vscode.OutputChannel;
  languages: string[];
  middleware: Middleware;
  messageStrategy?: MessageStrategy;
}

/** The language client for `launch` (not started). */
export function createClient(launch: Launch, parts: ClientParts): LanguageClient {
  const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const serverOptions: ServerOptions = {
    command: launch.command,
    args: launch.args,
    transport: TransportKind.stdio,
    options: { cwd, env: { ...process.env } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: documentSelector(parts.languages),
    outputChannel: parts.outputChannel,
    traceOutputChannel: parts.traceOutputChannel,
    // The server says what went wrong in its own messages; the extension adds its own where
    // the server cannot (see commands.ts), so the client's generic "request failed" pop-ups
    // would only repeat them.
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    initializationOptions: getServerSettings(),
    middleware: parts.middleware,
    diagnosticPullOptions: { onChange: true, onSave: true },
    connectionOptions: { messageStrategy: parts.messageStrategy, maxRestartCount: 4 },
    markdown: { isTrusted: false, supportHtml: false },
  };
  return new LanguageClient(SERVER_ID, SERVER_NAME, serverOptions, clientOptions);
}
