/**
 * Reading the `inkmod` settings: what the server gets, and how to start it.
 *
 * The server merges its settings from several layers (defaults, the user's config file, a
 * workspace `.inkmod.toml`, then the client). So the extension sends only the keys the user has
 * actually set in VS Code: sending VS Code's defaults would silently override a project's
 * `.inkmod.toml` with them.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';

import { CONFIG_SECTION, DEFAULT_LANGUAGES, SERVER_SETTINGS } from './constants';

/** The settings object the server receives: only keys the user set (see the module doc). */
export type ServerSettings = Partial<Record<(typeof SERVER_SETTINGS)[number], unknown>>;

/** How to start the server (`inkmod.server.*`). */
export interface LaunchSettings {
  /** A full command line, e.g. `["inkmod", "lsp"]`; empty when not set. */
  command: string[];
  /** A Python interpreter that has InkMod installed; empty when not set. */
  pythonPath: string;
  /** Extra arguments for the server, e.g. `["--debug"]`. */
  args: string[];
}

interface Inspected<T> {
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

/** The value the user set at the most specific level, or undefined when only the default. */
export function explicitValue<T>(inspected: Inspected<T> | undefined): T | undefined {
  if (!inspected) {
    return undefined;
  }
  for (const value of [
    inspected.workspaceFolderValue,
    inspected.workspaceValue,
    inspected.globalValue,
  ]) {
    if (value !== undefined && value !== null) {
      return value;
    }
  }
  return undefined;
}

/** Expand `~`, `${userHome}`, `${workspaceFolder}` and `${workspaceFolder:name}`. */
export function expandPath(value: string, folder: string | undefined): string {
  let out = value.replace(/\$\{userHome\}/g, os.homedir());
  out = out.replace(/\$\{workspaceFolder:([^}]+)\}/g, (whole, name: string) => {
    const match = vscode.workspace.workspaceFolders?.find((f) => f.name === name);
    return match ? match.uri.fsPath : whole;
  });
  if (folder !== undefined) {
    out = out.replace(/\$\{workspaceFolder\}/g, folder);
  }
  if (out === '~' || out.startsWith('~/')) {
    out = path.join(os.homedir(), out.slice(1));
  }
  return out;
}

/** The workspace folder a resource belongs to (or the first folder), as a file path. */
export function folderPath(scope?: vscode.Uri | null): string | undefined {
  const folder =
    (scope ? vscode.workspace.getWorkspaceFolder(scope) : undefined) ??
    vscode.workspace.workspaceFolders?.[0];
  return folder?.uri.fsPath;
}

/**
 * The settings to send to the server for `scope`: `initializationOptions` uses the workspace's,
 * `workspace/configuration` answers with the requested resource's.
 */
export function getServerSettings(scope?: vscode.Uri | null): ServerSettings {
  const config = vscode.workspace.getConfiguration(CONFIG_SECTION, scope ?? undefined);
  const folder = folderPath(scope);
  const out: ServerSettings = {};
  for (const key of SERVER_SETTINGS) {
    const value = explicitValue<unknown>(config.inspect<unknown>(key));
    if (value === undefined) {
      continue;
    }
    if (key === 'samplesFolder' && typeof value === 'string') {
      const expanded = expandPath(value.trim(), folder);
      if (!expanded) {
        continue;
      }
      out[key] =
        path.isAbsolute(expanded) || folder === undefined
          ? expanded
          : path.join(folder, expanded);
      continue;
    }
    out[key] = value;
  }
  return out;
}

/** The effective language ids (for the client's document selector and the status bar). */
export function getLanguages(): string[] {
  const config = vscode.workspace.getConfiguration(CONFIG_SECTION);
  const value = config.get<unknown>('languages');
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    return value.map((v: string) => v.trim().toLowerCase()).filter((v) => v.length > 0);
  }
  return [...DEFAULT_LANGUAGES];
}

/** A display value for the status bar: the user's setting, else what the server defaults to. */
export function getDisplaySetting(key: 'profile' | 'backend'): string | undefined {
  const config = vscode.workspace.getConfiguration(CONFIG_SECTION);
  const value = explicitValue(config.inspect<string>(key));
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

function stringList(value: unknown): string[] {
  if (typeof value === 'string') {
    return value.trim() ? [value.trim()] : [];
  }
  if (Array.isArray(value)) {
    return value.filter((v): v is string => typeof v === 'string' && v.length > 0);
  }
  return [];
}

/** `inkmod.server.*`, with `${workspaceFolder}` and `~` expanded. */
export function getLaunchSettings(): LaunchSettings {
  const config = vscode.workspace.getConfiguration(CONFIG_SECTION);
  const folder = folderPath();
  const command = stringList(config.get('server.command')).map((part, index) =>
    index === 0 ? expandPath(part, folder) : part,
  );
  const pythonPath = expandPath((config.get<string>('server.pythonPath') ?? '').trim(), folder);
  const args = stringList(config.get('server.args'));
  return { command, pythonPath, args };
}

/**
 * Whether a settings change needs the server restarted. Everything the server reads it
 * re-reads itself (`workspace/didChangeConfiguration`); only how it is started, and which
 * documents the client sends it (the document selector follows `inkmod.languages`), need a
 * new server.
 */
export function needsRestart(event: vscode.ConfigurationChangeEvent): boolean {
  return (
    event.affectsConfiguration(`${CONFIG_SECTION}.server`) ||
    event.affectsConfiguration(`${CONFIG_SECTION}.languages`)
  );
}

/** The client's document selector: files and untitled buffers of the checked languages. */
export function documentSelector(languages: string[]): { scheme: string; language: string }[] {
  const out: { scheme: string; language: string }[] = [];
  for (const language of languages) {
    out.push({ scheme: 'file', language }, { scheme: 'untitled', language });
  }
  return out;
}
