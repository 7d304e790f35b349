/**
 * InkMod for VS Code: starts `inkmod lsp` and wires it into the editor. Kept thin (as in
 * Microsoft's python-tools extension template): settings, launching, commands and the status
 * bar each live in their own module.
 */
import * as vscode from 'vscode';

import { ClientCommand, SERVER_NAME } from './constants';
import { Controller } from './controller';
import * as python from './python';
import { StatusBar } from './status';

let controller: Controller | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel(SERVER_NAME, { log: true });
  const trace = vscode.window.createOutputChannel(`${SERVER_NAME} Trace`);
  const status = new StatusBar();
  controller = new Controller(output, trace, status);
  const ctl = controller;
  context.subscriptions.push(
    output,
    trace,
    status,
    ctl,
    vscode.commands.registerCommand(ClientCommand.restartServer, () => ctl.restart('requested')),
    vscode.commands.registerCommand(ClientCommand.showOutput, () => ctl.showLog()),
    vscode.workspace.onDidChangeConfiguration((event) => ctl.onConfigurationChanged(event)),
    vscode.window.onDidChangeActiveTextEditor(() => status.refresh()),
    vscode.window.onDidChangeTextEditorSelection(() => status.refresh()),
    vscode.workspace.onDidCloseTextDocument((document) => status.forget(document.uri.toString())),
  );
  const interpreterWatch = await python.onDidChangeInterpreter(() => ctl.onInterpreterChanged());
  if (interpreterWatch) {
    context.subscriptions.push(interpreterWatch);
  }
  void ctl.start();
}

export async function deactivate(): Promise<void> {
  await controller?.shutdown();
  controller = undefined;
}
