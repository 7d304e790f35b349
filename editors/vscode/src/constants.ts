/**
 * Names shared by the extension's modules (and checked against the server by the tests).
 *
 * Nothing here imports `vscode`, so the unit tests and the package.json consistency test can
 * load it without the stub.
 */

/** Display name; also the output channel's name. */
export const SERVER_NAME = 'InkMod';

/** Language client id: VS Code reads `<id>.trace.server` for the protocol trace setting. */
export const SERVER_ID = 'inkmod';

/** The configuration section the server reads (`workspace/configuration`, section `inkmod`). */
export const CONFIG_SECTION = 'inkmod';

/**
 * Keys of the `inkmod` section that the language server reads (`inkmod_lsp/config.py`, class
 * `Settings`). Exactly these are sent as `initializationOptions` and served through
 * `workspace/configuration`; the extension's own launch settings stay on this side.
 */
export const SERVER_SETTINGS = [
  'samplesFolder',
  'profile',
  'backend',
  'threshold',
  'languages',
  'debounceMs',
  'candidates',
  'severity',
  'maxReasons',
  'daemon',
  'preloadModel',
] as const;

export type ServerSettingKey = (typeof SERVER_SETTINGS)[number];

/** Settings only the extension reads (how to start the server, protocol trace). */
export const CLIENT_SETTINGS = [
  'server.command',
  'server.pythonPath',
  'server.args',
  'trace.server',
] as const;

/** Language ids the server checks when `inkmod.languages` is not set. */
export const DEFAULT_LANGUAGES = [
  'markdown',
  'plaintext',
  'restructuredtext',
  'latex',
  'asciidoc',
  'gitcommit',
];

/** Commands the server executes (`workspace/executeCommand`, `inkmod_lsp/constants.py`). */
export const ServerCommand = {
  train: 'inkmod.train',
  tune: 'inkmod.tune',
  rewrite: 'inkmod.rewrite',
  status: 'inkmod.status',
  selectBackend: 'inkmod.selectBackend',
  restartDaemon: 'inkmod.restartDaemon',
  ignoreParagraph: 'inkmod.ignoreParagraph',
} as const;

/**
 * Server commands that only make sense with the arguments a code action supplies; they are
 * contributed (so VS Code knows their titles) but hidden from the Command Palette.
 */
export const CODE_ACTION_ONLY_COMMANDS: readonly string[] = [ServerCommand.ignoreParagraph];

/** Commands the extension itself implements. */
export const ClientCommand = {
  restartServer: 'inkmod.restartServer',
  showOutput: 'inkmod.showOutput',
} as const;

export const SERVER_COMMANDS: readonly string[] = Object.values(ServerCommand);
export const CLIENT_COMMANDS: readonly string[] = Object.values(ClientCommand);

/** What the Python module entry point of the server is called (`python -m inkmod_lsp`). */
export const SERVER_MODULE = 'inkmod_lsp';

/** Diagnostics the server publishes carry this source and code. */
export const DIAGNOSTIC_SOURCE = 'inkmod';
export const DRIFT_CODE = 'drift';

/** Seconds the launch probe (`inkmod --version`, `python -c 'import inkmod_lsp'`) may take. */
export const PROBE_TIMEOUT_MS = 30_000;
