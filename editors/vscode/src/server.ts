/**
 * Finding, checking and starting the language server (`inkmod lsp`).
 *
 * Where the server comes from. A setting, when there is one, is used as it is:
 *
 * 1. `inkmod.server.command` -- a full command line;
 * 2. `inkmod.server.pythonPath` -- `<python> -m inkmod_lsp`.
 *
 * Otherwise the first of these that has InkMod installed (each is probed), the way the Python
 * extension's tools find theirs -- VS Code's extension host does not always see the PATH of
 * the shell the writer installed InkMod from, so PATH comes last:
 *
 * 3. the interpreter selected in the Python extension -- `<python> -m inkmod_lsp`;
 * 4. a virtual environment in the workspace (`.venv`, `venv`) -- its `inkmod lsp`;
 * 5. `inkmod` on PATH -- `inkmod lsp`;
 * 6. pipx's bin directory (`$PIPX_BIN_DIR`, else `~/.local/bin`) -- `inkmod lsp`.
 *
 * The probe (`inkmod --version`, or importing `inkmod_lsp` with the interpreter) makes "not
 * installed" a sentence instead of a closed pipe, and says which one was chosen.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
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
  /** The probe's answer ("inkmod 0.1.0") when resolving already probed it. */
  version?: string;
  /** Candidates tried before this one and why they were passed over, for the log. */
  passedOver?: string[];
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
  /** The workspace folders' paths (default: none). */
  folders?(): string[];
  /** Whether a file exists and can be run (default: fs.accessSync X_OK). */
  executable?(file: string): boolean;
  /** Check a candidate; returns its version line, throws a {@link LaunchError} (default: none,
   * so the first candidate found is taken unchecked). */
  probe?(launch: Launch): Promise<string>;
  /** The user's home directory and environment (for pipx's bin directory). */
  home?: string;
  env?: Record<string, string | undefined>;
}

/** How to point InkMod at the server by hand; ends every "not found" message. */
export const HOW_TO_SET =
  "Install it with `pipx install 'inkmod[llama]'` (or `pip install 'inkmod[llama]'` in the " +
  "workspace's .venv), or set inkmod.server.pythonPath to a Python that has it, or " +
  'inkmod.server.command to `["/path/to/inkmod", "lsp"]`.';

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
  const candidates = await automaticCandidates(settings.args, deps);
  const passedOver: string[] = [];
  for (const { launch, missing } of candidates) {
    if (missing) {
      passedOver.push(missing);
      continue;
    }
    if (!launch) {
      continue;
    }
    if (!deps.probe) {
      return { ...launch, passedOver };
    }
    try {
      const version = await deps.probe(launch);
      return { ...launch, version, passedOver };
    } catch (error) {
      passedOver.push(`${launch.source}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new LaunchError(
    `InkMod is not installed where VS Code can find it (${passedOver.join('; ')}). ${HOW_TO_SET}`,
    'not-found',
  );
}

interface Candidate {
  launch?: Launch;
  /** Why there is no candidate here, for the "not installed" message. */
  missing?: string;
}

const VENV_NAMES = ['.venv', 'venv'];

function venvScript(venv: string, name: string): string {
  return process.platform === 'win32'
    ? path.join(venv, 'Scripts', `${name}.exe`)
    : path.join(venv, 'bin', name);
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Steps 3-6 of the module doc, in order. */
async function automaticCandidates(extra: string[], deps: ResolveDeps): Promise<Candidate[]> {
  const executable = deps.executable ?? isExecutable;
  const out: Candidate[] = [];
  const python = await deps.interpreter();
  out.push(
    python
      ? { launch: pythonLaunch(python, extra, `the Python extension's selected interpreter ${python}`) }
      : { missing: 'no interpreter selected in the Python extension' },
  );
  const venvs: Candidate[] = [];
  for (const folder of deps.folders?.() ?? []) {
    for (const name of VENV_NAMES) {
      const venv = path.join(folder, name);
      const script = venvScript(venv, 'inkmod');
      const interpreter = venvScript(venv, 'python');
      if (executable(script)) {
        venvs.push({ launch: cliLaunch(script, extra, `the workspace's ${name} (${script})`) });
      } else if (executable(interpreter) && interpreter !== python) {
        venvs.push({ launch: pythonLaunch(interpreter, extra, `the workspace's ${name} (${interpreter})`) });
      }
    }
  }
  out.push(...(venvs.length > 0 ? venvs : [{ missing: 'no .venv with InkMod in the workspace' }]));
  const onPath = deps.which('inkmod');
  out.push(
    onPath
      ? { launch: cliLaunch(onPath, extra, `\`inkmod\` on PATH (${onPath})`) }
      : { missing: 'no `inkmod` on the PATH VS Code sees' },
  );
  const env = deps.env ?? process.env;
  const pipxBin = env.PIPX_BIN_DIR || path.join(deps.home ?? os.homedir(), '.local', 'bin');
  const pipx = path.join(pipxBin, process.platform === 'win32' ? 'inkmod.exe' : 'inkmod');
  if (executable(pipx) && pipx !== onPath) {
    out.push({ launch: cliLaunch(pipx, extra, `pipx's ${pipxBin}`) });
  }
  return out;
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
          `installed (${detail}). Install it there (\`${command} -m pip install 'inkmod[llama]'\`) or ` +
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
