/**
 * The Python extension's selected interpreter, when the Python extension is installed.
 *
 * As in Microsoft's python-tools extension template: used to start `python -m inkmod_lsp`
 * when neither `inkmod.server.command` nor `inkmod.server.pythonPath` is set and no `inkmod`
 * is on PATH, and a change of interpreter restarts the server.
 */
import * as vscode from 'vscode';

const PYTHON_EXTENSION_ID = 'ms-python.python';

interface ActiveEnvironmentPath {
  readonly path: string;
}

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): ActiveEnvironmentPath;
    resolveEnvironment(
      env: ActiveEnvironmentPath | string,
    ): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
    onDidChangeActiveEnvironmentPath: vscode.Event<unknown>;
  };
}

async function api(): Promise<PythonExtensionApi | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (!extension) {
    return undefined;
  }
  try {
    return extension.isActive ? extension.exports : await extension.activate();
  } catch {
    return undefined;
  }
}

/** The selected interpreter's executable, or undefined (no Python extension, none selected). */
export async function selectedInterpreter(resource?: vscode.Uri): Promise<string | undefined> {
  const environments = (await api())?.environments;
  if (!environments) {
    return undefined;
  }
  try {
    const active = environments.getActiveEnvironmentPath(resource);
    const resolved = await environments.resolveEnvironment(active);
    return resolved?.executable.uri?.fsPath ?? active.path;
  } catch {
    return undefined;
  }
}

/** Subscribe to interpreter changes (a no-op without the Python extension). */
export async function onDidChangeInterpreter(
  listener: () => void,
): Promise<vscode.Disposable | undefined> {
  const environments = (await api())?.environments;
  return environments?.onDidChangeActiveEnvironmentPath(() => listener());
}
