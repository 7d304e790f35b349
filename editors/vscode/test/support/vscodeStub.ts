/**
 * A stand-in for the `vscode` module, enough for the extension's modules (and for
 * vscode-languageclient to load). Importing this file installs it: `require('vscode')` then
 * returns {@link vscode}. Tests drive it through {@link stub}: settings, the active editor,
 * and a record of messages, commands and status-bar items.
 */
import Module from 'node:module';

type Listener<T> = (value: T) => unknown;

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  event = (listener: Listener<T>): Disposable => {
    this.listeners.push(listener);
    return new Disposable(() => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    });
  };
  fire(value: T): void {
    for (const l of [...this.listeners]) {
      l(value);
    }
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class Disposable {
  constructor(private readonly fn: () => void = () => undefined) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose(): void {
    this.fn();
  }
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}

export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(a: Position | number, b: Position | number, c?: number, d?: number) {
    if (typeof a === 'number') {
      this.start = new Position(a, b as number);
      this.end = new Position(c ?? 0, d ?? 0);
    } else {
      this.start = a;
      this.end = b as Position;
    }
  }
  get isEmpty(): boolean {
    return this.start.line === this.end.line && this.start.character === this.end.character;
  }
}

export class Selection extends Range {
  get active(): Position {
    return this.end;
  }
  get anchor(): Position {
    return this.start;
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
  ) {}
  static file(path: string): Uri {
    return new Uri('file', path);
  }
  static parse(value: string): Uri {
    const match = /^([a-z]+):(?:\/\/)?(.*)$/.exec(value);
    return match ? new Uri(match[1], decodeURIComponent(match[2])) : new Uri('file', value);
  }
  toString(): string {
    return `${this.scheme}://${this.fsPath}`;
  }
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export class CancellationError extends Error {}

class Plain {}
export { Plain as CompletionItem, Plain as CodeLens, Plain as DocumentLink, Plain as CodeAction };
export { Plain as CallHierarchyItem, Plain as TypeHierarchyItem, Plain as SymbolInformation };
export { Plain as InlayHint };

export class Diagnostic {
  source?: string;
  code?: unknown;
  constructor(
    readonly range: Range,
    readonly message: string,
    readonly severity?: number,
  ) {}
}

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}

export enum ConfigurationTarget {
  Global = 1,
  Workspace = 2,
  WorkspaceFolder = 3,
}

export interface StubStatusBarItem {
  id: string;
  text: string;
  tooltip: string | undefined;
  command: string | undefined;
  name: string | undefined;
  backgroundColor: ThemeColor | undefined;
  visible: boolean;
  show(): void;
  hide(): void;
  dispose(): void;
}

export interface StubEditor {
  document: { uri: Uri; languageId: string; version: number };
  selection: Selection;
}

type Inspect = { globalValue?: unknown; workspaceValue?: unknown; workspaceFolderValue?: unknown };

/** The state tests set and read. */
export const stub = {
  /** `inkmod.<key>` → inspect() result; `get()` returns the most specific value or `defaults`. */
  settings: new Map<string, Inspect>(),
  defaults: new Map<string, unknown>(),
  updates: [] as { key: string; value: unknown; target: unknown }[],
  workspaceFolders: [] as { uri: Uri; name: string; index: number }[],
  activeTextEditor: undefined as StubEditor | undefined,
  messages: [] as { level: 'info' | 'warning' | 'error'; text: string; items: string[] }[],
  /** What the next message's pick is (by default nothing is picked). */
  answer: undefined as string | undefined,
  openDialog: undefined as Uri[] | undefined,
  commands: new Map<string, (...args: unknown[]) => unknown>(),
  executed: [] as { command: string; args: unknown[] }[],
  statusItems: [] as StubStatusBarItem[],
  outputs: [] as { name: string; lines: string[] }[],
  extensions: new Map<string, unknown>(),
  reset(): void {
    this.settings.clear();
    this.defaults.clear();
    this.updates = [];
    this.workspaceFolders = [];
    this.activeTextEditor = undefined;
    this.messages = [];
    this.answer = undefined;
    this.openDialog = undefined;
    this.commands.clear();
    this.executed = [];
    this.statusItems = [];
    this.outputs = [];
    this.extensions.clear();
  },
  set(key: string, value: unknown, level: keyof Inspect = 'globalValue'): void {
    this.settings.set(key, { ...(this.settings.get(key) ?? {}), [level]: value });
  },
};

function configuration(section: string) {
  const full = (key: string) => (section ? `${section}.${key}` : key);
  return {
    get<T>(key: string, fallback?: T): T | undefined {
      const inspected = stub.settings.get(full(key));
      const value =
        inspected?.workspaceFolderValue ?? inspected?.workspaceValue ?? inspected?.globalValue;
      if (value !== undefined) {
        return value as T;
      }
      return (stub.defaults.get(full(key)) as T | undefined) ?? fallback;
    },
    inspect<T>(key: string): (Inspect & { key: string; defaultValue?: T }) | undefined {
      return { key: full(key), defaultValue: stub.defaults.get(full(key)) as T, ...(stub.settings.get(full(key)) ?? {}) };
    },
    has(key: string): boolean {
      return stub.settings.has(full(key));
    },
    async update(key: string, value: unknown, target: unknown): Promise<void> {
      stub.updates.push({ key: full(key), value, target });
      stub.set(full(key), value);
    },
  };
}

function message(level: 'info' | 'warning' | 'error') {
  return async (text: string, ...items: unknown[]): Promise<string | undefined> => {
    const names = items.filter((i): i is string => typeof i === 'string');
    stub.messages.push({ level, text, items: names });
    const answer = stub.answer;
    return answer !== undefined && names.includes(answer) ? answer : undefined;
  };
}

const configurationChanged = new EventEmitter<unknown>();
const activeEditorChanged = new EventEmitter<unknown>();
const selectionChanged = new EventEmitter<unknown>();
const documentClosed = new EventEmitter<unknown>();

export const vscode = {
  EventEmitter,
  Disposable,
  Position,
  Range,
  Selection,
  Uri,
  ThemeColor,
  CancellationError,
  CompletionItem: Plain,
  CodeLens: Plain,
  DocumentLink: Plain,
  CodeAction: Plain,
  Diagnostic,
  CallHierarchyItem: Plain,
  TypeHierarchyItem: Plain,
  SymbolInformation: Plain,
  InlayHint: Plain,
  StatusBarAlignment,
  ConfigurationTarget,
  window: {
    get activeTextEditor() {
      return stub.activeTextEditor;
    },
    onDidChangeActiveTextEditor: activeEditorChanged.event,
    onDidChangeTextEditorSelection: selectionChanged.event,
    showInformationMessage: message('info'),
    showWarningMessage: message('warning'),
    showErrorMessage: message('error'),
    async showOpenDialog(): Promise<Uri[] | undefined> {
      return stub.openDialog;
    },
    createStatusBarItem(id: string): StubStatusBarItem {
      const item: StubStatusBarItem = {
        id,
        text: '',
        tooltip: undefined,
        command: undefined,
        name: undefined,
        backgroundColor: undefined,
        visible: false,
        show() {
          item.visible = true;
        },
        hide() {
          item.visible = false;
        },
        dispose() {
          item.visible = false;
        },
      };
      stub.statusItems.push(item);
      return item;
    },
    createOutputChannel(name: string) {
      const record = { name, lines: [] as string[] };
      stub.outputs.push(record);
      const log = (level: string) => (text: string) => record.lines.push(`[${level}] ${text}`);
      return {
        name,
        append: (text: string) => record.lines.push(text),
        appendLine: (text: string) => record.lines.push(text),
        info: log('info'),
        warn: log('warn'),
        error: log('error'),
        debug: log('debug'),
        trace: log('trace'),
        show: () => undefined,
        clear: () => undefined,
        dispose: () => undefined,
      };
    },
  },
  workspace: {
    getConfiguration: (section = '') => configuration(section),
    get workspaceFolders() {
      return stub.workspaceFolders.length > 0 ? stub.workspaceFolders : undefined;
    },
    getWorkspaceFolder(uri: Uri) {
      return stub.workspaceFolders.find((f) => uri.fsPath.startsWith(f.uri.fsPath));
    },
    onDidChangeConfiguration: configurationChanged.event,
    onDidCloseTextDocument: documentClosed.event,
  },
  commands: {
    registerCommand(command: string, handler: (...args: unknown[]) => unknown): Disposable {
      if (stub.commands.has(command)) {
        throw new Error(`command '${command}' already exists`);
      }
      stub.commands.set(command, handler);
      return new Disposable(() => stub.commands.delete(command));
    },
    async executeCommand(command: string, ...args: unknown[]): Promise<unknown> {
      stub.executed.push({ command, args });
      return stub.commands.get(command)?.(...args);
    },
  },
  extensions: {
    getExtension(id: string) {
      return stub.extensions.get(id);
    },
  },
};

type Loader = (request: string, parent: unknown, isMain: boolean) => unknown;
const moduleInternals = Module as unknown as { _load: Loader };
const originalLoad = moduleInternals._load;
moduleInternals._load = function load(request: string, parent: unknown, isMain: boolean): unknown {
  if (request === 'vscode') {
    return vscode;
  }
  return originalLoad.call(this, request, parent, isMain);
};

/** A text editor on `path` with the cursor (or selection) given. */
export function editor(
  path: string,
  languageId: string,
  selection: [number, number, number, number],
  version = 1,
): StubEditor {
  return {
    document: { uri: Uri.file(path), languageId, version },
    selection: new Selection(...selection),
  };
}
