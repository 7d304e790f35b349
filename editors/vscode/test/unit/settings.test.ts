import { stub, Uri } from '../support/vscodeStub';

import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeEach, describe, it } from 'node:test';

import { DEFAULT_LANGUAGES } from '../../src/constants';
import {
  documentSelector,
  expandPath,
  explicitValue,
  getDisplaySetting,
  getLanguages,
  getLaunchSettings,
  getServerSettings,
  needsRestart,
} from '../../src/settings';

const WS = '/home/writer/novel';

beforeEach(() => {
  stub.reset();
  stub.workspaceFolders = [{ uri: Uri.file(WS), name: 'novel', index: 0 }];
});

describe('explicitValue', () => {
  it('prefers the folder, then the workspace, then the user value', () => {
    assert.equal(explicitValue({ globalValue: 1, workspaceValue: 2, workspaceFolderValue: 3 }), 3);
    assert.equal(explicitValue({ globalValue: 1, workspaceValue: 2 }), 2);
    assert.equal(explicitValue({ globalValue: 1 }), 1);
  });
  it('treats only-a-default and null as unset', () => {
    assert.equal(explicitValue({}), undefined);
    assert.equal(explicitValue(undefined), undefined);
    assert.equal(explicitValue({ globalValue: null }), undefined);
  });
});

describe('expandPath', () => {
  it('expands ~, ${userHome} and ${workspaceFolder}', () => {
    assert.equal(expandPath('~/texts', WS), path.join(os.homedir(), 'texts'));
    assert.equal(expandPath('${userHome}/texts', WS), `${os.homedir()}/texts`);
    assert.equal(expandPath('${workspaceFolder}/samples', WS), `${WS}/samples`);
    assert.equal(expandPath('${workspaceFolder:novel}/samples', undefined), `${WS}/samples`);
    assert.equal(expandPath('${workspaceFolder:other}/x', WS), '${workspaceFolder:other}/x');
  });
});

describe('getServerSettings', () => {
  it('sends only what the user set, so .inkmod.toml and the config file still count', () => {
    assert.deepEqual(getServerSettings(), {});
    stub.set('inkmod.profile', 'maya');
    stub.set('inkmod.candidates', 5, 'workspaceValue');
    assert.deepEqual(getServerSettings(), { profile: 'maya', candidates: 5 });
  });
  it('never sends the extension-only settings', () => {
    stub.set('inkmod.server.pythonPath', '/usr/bin/python3');
    stub.set('inkmod.trace.server', 'verbose');
    stub.set('inkmod.severity', 'hint');
    assert.deepEqual(getServerSettings(), { severity: 'hint' });
  });
  it('resolves the samples folder against the workspace folder', () => {
    stub.set('inkmod.samplesFolder', 'samples/mine');
    assert.deepEqual(getServerSettings(), { samplesFolder: `${WS}/samples/mine` });
    stub.set('inkmod.samplesFolder', '${workspaceFolder}/x');
    assert.deepEqual(getServerSettings(), { samplesFolder: `${WS}/x` });
    stub.set('inkmod.samplesFolder', '/abs/olute');
    assert.deepEqual(getServerSettings(), { samplesFolder: '/abs/olute' });
    stub.set('inkmod.samplesFolder', '   ');
    assert.deepEqual(getServerSettings(), {});
  });
  it('uses the folder of the resource asked about', () => {
    stub.workspaceFolders.push({ uri: Uri.file('/other'), name: 'other', index: 1 });
    stub.set('inkmod.samplesFolder', 'texts');
    assert.deepEqual(getServerSettings(Uri.file('/other/a.md') as never), { samplesFolder: '/other/texts' });
  });
  it('passes null-able settings through when set', () => {
    stub.set('inkmod.threshold', 0.9);
    stub.set('inkmod.backend', 'gemma3-270m');
    stub.set('inkmod.languages', ['markdown']);
    stub.set('inkmod.daemon', false);
    assert.deepEqual(getServerSettings(), {
      threshold: 0.9,
      backend: 'gemma3-270m',
      languages: ['markdown'],
      daemon: false,
    });
  });
});

describe('getLanguages / getDisplaySetting', () => {
  it('falls back to the server defaults', () => {
    assert.deepEqual(getLanguages(), DEFAULT_LANGUAGES);
    stub.set('inkmod.languages', [' Markdown ', '', 'latex']);
    assert.deepEqual(getLanguages(), ['markdown', 'latex']);
    stub.set('inkmod.languages', 'markdown');
    assert.deepEqual(getLanguages(), DEFAULT_LANGUAGES);
  });
  it('shows profile and backend only when set', () => {
    assert.equal(getDisplaySetting('profile'), undefined);
    stub.set('inkmod.profile', ' maya ');
    assert.equal(getDisplaySetting('profile'), 'maya');
  });
});

describe('getLaunchSettings', () => {
  it('reads command, interpreter and extra arguments', () => {
    assert.deepEqual(getLaunchSettings(), { command: [], pythonPath: '', args: [] });
    stub.set('inkmod.server.command', ['${workspaceFolder}/.venv/bin/inkmod', 'lsp']);
    stub.set('inkmod.server.pythonPath', '~/venv/bin/python');
    stub.set('inkmod.server.args', ['--debug']);
    assert.deepEqual(getLaunchSettings(), {
      command: [`${WS}/.venv/bin/inkmod`, 'lsp'],
      pythonPath: path.join(os.homedir(), 'venv/bin/python'),
      args: ['--debug'],
    });
  });
  it('accepts a single string as the command', () => {
    stub.set('inkmod.server.command', '/opt/inkmod');
    assert.deepEqual(getLaunchSettings().command, ['/opt/inkmod']);
  });
});

describe('needsRestart', () => {
  const event = (...sections: string[]) => ({
    affectsConfiguration: (s: string) => sections.some((x) => x === s || x.startsWith(`${s}.`)),
  });
  it('restarts for the launch settings and the languages, not for what the server re-reads', () => {
    assert.equal(needsRestart(event('inkmod.server.pythonPath')), true);
    assert.equal(needsRestart(event('inkmod.languages')), true);
    assert.equal(needsRestart(event('inkmod.threshold')), false);
    assert.equal(needsRestart(event('editor.fontSize')), false);
  });
});

describe('documentSelector', () => {
  it('covers files and untitled documents of each language', () => {
    assert.deepEqual(documentSelector(['markdown']), [
      { scheme: 'file', language: 'markdown' },
      { scheme: 'untitled', language: 'markdown' },
    ]);
  });
});
