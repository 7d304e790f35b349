/**
 * The server's lifecycle in the editor: start, stop, restart, and everything wired to the
 * running client (middleware, status bar, placeholders).
 *
 * Starts and stops are serialised: a settings change arriving while the server is starting
 * waits for the start to finish, then restarts it.
 */
import * as vscode from 'vscode';
import {
  ExecuteCommandRequest,
  type LanguageClient,
  type Middleware,
  State,
} from 'vscode-languageclient/node';

import {
  executeCommandMiddleware,
  formatStatus,
  registerPlaceholders,
  type CommandHost,
} from './commands';
import { CONFIG_SECTION, SERVER_COMMANDS, ServerCommand } from './constants';
import * as python from './python';
import {
  createClient,
  LaunchError,
  probeLaunch,
  resolveLaunch,
  which,
  type ClientParts,
  type Launch,
} from './server';
import { describeActivity, isStartup, ServerEvents, type Activity } from './serverEvents';
import {
  getDisplaySetting,
  getLanguages,
  getLaunchSettings,
  getServerSettings,
  needsRestart,
} from './settings';
import { stateFromStatus, StatusBar, type StatusState } from './status';

/** What the controller starts servers with (replaced by fakes in the unit tests). */
export interface ControllerDeps {
  resolveLaunch: typeof resolveLaunch;
  probeLaunch: (launch: Launch) => Promise<string>;
  createClient: (launch: Launch, parts: ClientParts) => LanguageClient;
}

const DEFAULT_DEPS: ControllerDeps = {
  resolveLaunch,
  probeLaunch: (launch) => probeLaunch(launch),
  createClient,
};

export class Controller implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private queue: Promise<void> = Promise.resolve();
  private placeholders: vscode.Disposable | undefined;
  private reason = 'it has not started yet';
  private launch: Launch | undefined;
  private sentSettings: Record<string, unknown> = {};
  private statusTimer: ReturnType<typeof setTimeout> | undefined;
  private settled: Partial<StatusState> = {};
  readonly events: ServerEvents;

  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly trace: vscode.OutputChannel,
    private readonly status: StatusBar,
    private readonly deps: ControllerDeps = DEFAULT_DEPS,
  ) {
    this.events = new ServerEvents({ onActivity: (active, ended) => this.onActivity(active, ended) });
    this.showPlaceholders();
  }

  get running(): boolean {
    return this.client?.state === State.Running;
  }

  /** Queue a (re)start; resolves when the server runs or has failed to start. */
  start(): Promise<void> {
    return this.enqueue(() => this.doStart());
  }

  restart(why?: string): Promise<void> {
    if (why) {
      this.output.info(`restarting the server: ${why}`);
    }
    return this.enqueue(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  stop(): Promise<void> {
    return this.enqueue(() => this.doStop());
  }

  showLog(): void {
    this.output.show(true);
  }

  /** Settings changed: restart when the launch or the document selector changed, or when a
   * setting was removed (the server still holds it from its initialization options). */
  onConfigurationChanged(event: vscode.ConfigurationChangeEvent): void {
    if (!event.affectsConfiguration(CONFIG_SECTION)) {
      return;
    }
    this.status.update(this.displayedSettings());
    if (needsRestart(event)) {
      void this.restart('inkmod.server or inkmod.languages changed');
      return;
    }
    const now = getServerSettings();
    const removed = Object.keys(this.sentSettings).filter((key) => !(key in now));
    if (removed.length > 0 && this.client) {
      void this.restart(`setting(s) removed: ${removed.join(', ')}`);
    }
  }

  /** The Python extension's interpreter changed: matters only when the server runs on it. */
  onInterpreterChanged(): void {
    if (!this.launch || this.launch.source.includes('Python extension')) {
      void this.restart('the selected Python interpreter changed');
    }
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private displayedSettings(): Partial<StatusState> {
    return {
      profile: getDisplaySetting('profile') ?? this.settled.profile,
      backend: getDisplaySetting('backend') ?? this.settled.backend,
    };
  }

  private async doStart(): Promise<void> {
    const languages = getLanguages();
    this.status.setLanguages(languages);
    // For the editor context menu's `editorLangId in inkmod.languages`.
    void vscode.commands.executeCommand('setContext', 'inkmod.languages', languages);
    this.status.update({ phase: 'starting', detail: undefined, ...this.displayedSettings() });
    let launch: Launch;
    let version: string;
    try {
      launch = await this.deps.resolveLaunch(getLaunchSettings(), {
        which: (name) => which(name),
        interpreter: () => python.selectedInterpreter(vscode.workspace.workspaceFolders?.[0]?.uri),
        folders: () => (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
        probe: (candidate) => this.deps.probeLaunch(candidate),
      });
      for (const note of launch.passedOver ?? []) {
        this.output.info(`server candidate passed over: ${note}`);
      }
      this.output.info(`starting the server: ${launch.command} ${launch.args.join(' ')} (${launch.source})`);
      version = launch.version ?? (await this.deps.probeLaunch(launch));
    } catch (error) {
      this.failed(error instanceof LaunchError ? error : new LaunchError(String(error), 'failed'));
      return;
    }
    this.launch = launch;
    if (version) {
      this.output.info(`server: ${version}`);
    }
    this.sentSettings = getServerSettings();
    const client = this.deps.createClient(launch, {
      outputChannel: this.output,
      traceOutputChannel: this.trace,
      languages,
      middleware: this.middleware(),
      messageStrategy: this.events.strategy,
    });
    client.onDidChangeState((event) => this.onState(client, event.newState));
    this.client = client;
    this.hidePlaceholders();
    try {
      await client.start();
    } catch (error) {
      this.client = undefined;
      await client.dispose().catch(() => undefined);
      const message = error instanceof Error ? error.message : String(error);
      this.failed(new LaunchError(`the server did not start: ${message}`, 'failed'));
      return;
    }
    this.status.update({
      version: version.replace(/^inkmod\s+/, '') || undefined,
      server: launch.source,
    });
    this.scheduleStatus(0);
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (this.statusTimer) {
      clearTimeout(this.statusTimer);
      this.statusTimer = undefined;
    }
    if (client) {
      try {
        await client.stop(5000);
      } catch (error) {
        this.output.warn(`stopping the server: ${String(error)}`);
      }
      await client.dispose().catch(() => undefined);
    }
    this.events.reset();
    this.reason = 'it was stopped';
    this.status.update({ phase: 'stopped', detail: undefined });
    this.showPlaceholders();
  }

  private failed(error: LaunchError): void {
    this.reason = error.message;
    this.output.error(error.message);
    this.status.update({ phase: 'error', detail: error.message });
    this.showPlaceholders();
    const actions = ['Open Settings', 'Show Log'];
    void vscode.window.showErrorMessage(`InkMod: ${error.message}`, ...actions).then((choice) => {
      if (choice === 'Open Settings') {
        void vscode.commands.executeCommand('workbench.action.openSettings', 'inkmod.server');
      } else if (choice === 'Show Log') {
        this.showLog();
      }
    });
  }

  private onState(client: LanguageClient, state: State): void {
    if (client !== this.client) {
      return;
    }
    if (state === State.Running) {
      this.hidePlaceholders();
      this.scheduleStatus(0);
    } else if (state === State.Stopped) {
      // Crashed beyond the client's restarts (or stopped): say so and offer a restart.
      this.events.reset();
      this.reason = 'it stopped (see the InkMod output for its log)';
      this.status.update({ phase: 'error', detail: 'the language server stopped' });
      setTimeout(() => {
        if (this.client === client && client.state === State.Stopped) {
          this.showPlaceholders();
        }
      }, 0);
    }
  }

  private showPlaceholders(): void {
    if (this.placeholders) {
      return;
    }
    try {
      this.placeholders = registerPlaceholders(SERVER_COMMANDS, () => this.reason, {
        restart: () => void this.restart('requested'),
        showLog: () => this.showLog(),
        whenStarted: async () => {
          await this.queue;
          return this.running && this.placeholders === undefined;
        },
      });
    } catch (error) {
      // The client still holds the real commands; they will answer instead.
      this.output.debug(`placeholders not registered: ${String(error)}`);
    }
  }

  private hidePlaceholders(): void {
    this.placeholders?.dispose();
    this.placeholders = undefined;
  }

  private onActivity(active: Activity[], ended?: Activity): void {
    if (active.length > 0) {
      const phase = active.some(isStartup) ? 'loading' : 'busy';
      this.status.update({ phase, detail: describeActivity(active) });
      return;
    }
    this.status.update({ ...this.settled, phase: this.settled.phase ?? 'ready', detail: this.settled.detail });
    if (ended) {
      this.scheduleStatus(200);
    }
  }

  /** Ask the server for its status (`quiet`: without the summary pop-up) a little later. */
  private scheduleStatus(delayMs: number): void {
    if (this.statusTimer) {
      clearTimeout(this.statusTimer);
    }
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      void this.refreshStatus();
    }, delayMs);
  }

  private async refreshStatus(): Promise<void> {
    const client = this.client;
    if (!client || client.state !== State.Running) {
      return;
    }
    try {
      const result = await client.sendRequest(ExecuteCommandRequest.type, {
        command: ServerCommand.status,
        arguments: [{ quiet: true }],
      });
      this.applyStatus(result);
    } catch (error) {
      this.output.debug(`status: ${String(error)}`);
    }
  }

  private applyStatus(result: unknown): void {
    const change = stateFromStatus(result);
    this.settled = { ...this.settled, ...change };
    if (this.events.activities.length > 0) {
      // Work is running: keep showing it, but take the names.
      const { phase: _phase, detail: _detail, ...names } = change;
      this.status.update(names);
    } else {
      this.status.update(change);
    }
  }

  private middleware(): Middleware {
    const host: CommandHost = {
      languages: () => getLanguages(),
      wasShown: (text) => this.events.wasShown(text),
      onStatus: (result) => {
        this.output.info(formatStatus(result));
        this.applyStatus(result);
      },
      refreshStatus: () => this.scheduleStatus(0),
      showLog: () => this.showLog(),
    };
    return {
      executeCommand: executeCommandMiddleware(host),
      workspace: {
        configuration: async (params, token, next) => {
          const answered = await next(params, token);
          if (!Array.isArray(answered)) {
            return answered;
          }
          return params.items.map((item, index) =>
            item.section === CONFIG_SECTION
              ? getServerSettings(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined)
              : answered[index],
          );
        },
      },
      handleDiagnostics: (uri, diagnostics, next) => {
        this.status.setDiagnostics(uri.toString(), diagnostics);
        next(uri, diagnostics);
      },
      provideDiagnostics: async (document, previousResultId, token, next) => {
        const report = await next(document, previousResultId, token);
        if (report && report.kind === 'full') {
          const uri = document instanceof vscode.Uri ? document : document.uri;
          this.status.setDiagnostics(uri.toString(), report.items);
        }
        return report;
      },
    };
  }

  dispose(): void {
    this.hidePlaceholders();
    if (this.statusTimer) {
      clearTimeout(this.statusTimer);
    }
  }

  /** Stop the server (deactivate). */
  async shutdown(): Promise<void> {
    await this.stop();
    this.dispose();
  }
}
