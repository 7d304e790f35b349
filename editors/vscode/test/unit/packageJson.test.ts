/** The manifest agrees with the extension's own lists (the server's lists: test/integration). */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import {
  CLIENT_COMMANDS,
  CLIENT_SETTINGS,
  CODE_ACTION_ONLY_COMMANDS,
  CONFIG_SECTION,
  DEFAULT_LANGUAGES,
  SERVER_COMMANDS,
  SERVER_SETTINGS,
} from '../../src/constants';
import { EXTENSION_DIR } from '../support/repo';

interface Manifest {
  main: string;
  engines: { vscode: string };
  activationEvents: string[];
  contributes: {
    configuration: { properties: Record<string, { default?: unknown; enum?: string[] }> };
    commands: { command: string; title: string; category: string }[];
    menus: { commandPalette: { command: string; when: string }[] };
  };
  capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

const manifest = JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, 'package.json'), 'utf8')) as Manifest;
const properties = manifest.contributes.configuration.properties;

describe('package.json', () => {
  it('contributes exactly the server settings plus the launch settings', () => {
    const expected = [...SERVER_SETTINGS, ...CLIENT_SETTINGS].map((k) => `${CONFIG_SECTION}.${k}`).sort();
    assert.deepEqual(Object.keys(properties).sort(), expected);
  });
  it('contributes exactly the server commands plus the extension commands, all titled', () => {
    const ids = manifest.contributes.commands.map((c) => c.command).sort();
    assert.deepEqual(ids, [...SERVER_COMMANDS, ...CLIENT_COMMANDS].sort());
    for (const c of manifest.contributes.commands) {
      assert.equal(c.category, 'InkMod');
      assert.ok(c.title.length > 0);
    }
  });
  it('has the palette titles the issue names', () => {
    const titles = manifest.contributes.commands.map((c) => `${c.category}: ${c.title}`);
    for (const title of [
      'InkMod: Train Style Profile',
      'InkMod: Rewrite Selection or Paragraph in My Style',
      'InkMod: Show Status',
      'InkMod: Select Backend',
      'InkMod: Restart Server',
    ]) {
      assert.ok(titles.includes(title), title);
    }
  });
  it('hides the commands that need a code action’s arguments', () => {
    for (const command of CODE_ACTION_ONLY_COMMANDS) {
      const entry = manifest.contributes.menus.commandPalette.find((m) => m.command === command);
      assert.equal(entry?.when, 'false', command);
    }
  });
  it('activates on every default language and defaults the languages setting to them', () => {
    for (const language of DEFAULT_LANGUAGES) {
      assert.ok(manifest.activationEvents.includes(`onLanguage:${language}`), language);
    }
    assert.deepEqual(properties['inkmod.languages'].default, DEFAULT_LANGUAGES);
  });
  it('keeps program-launching settings out of untrusted workspaces', () => {
    assert.deepEqual(
      [...manifest.capabilities.untrustedWorkspaces.restrictedConfigurations].sort(),
      CLIENT_SETTINGS.filter((k) => k.startsWith('server.')).map((k) => `inkmod.${k}`).sort(),
    );
  });
  it('ships the bundle, and only bundles what it depends on', () => {
    assert.equal(manifest.main, './dist/extension.js');
    assert.deepEqual(Object.keys(manifest.dependencies), ['vscode-languageclient']);
    assert.match(manifest.dependencies['vscode-languageclient'], /^\^9\./);
    assert.match(manifest.scripts.package, /vsce package --no-dependencies/);
    const typesVscode = manifest.devDependencies['@types/vscode'].replace(/^[~^]/, '');
    assert.ok(manifest.engines.vscode.endsWith(typesVscode), '@types/vscode must not be newer than engines.vscode');
  });
});
