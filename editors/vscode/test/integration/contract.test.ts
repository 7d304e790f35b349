/**
 * The extension and the installed server agree: every setting and command in package.json is
 * one the server knows, with the server's defaults, and every one the server knows is in
 * package.json. The server's lists are read from the server package itself
 * (`inkmod_lsp.config.Settings`, `inkmod_lsp.constants.COMMANDS`) with the repository's Python.
 */
import '../support/vscodeStub';

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';

import { CLIENT_SETTINGS, CONFIG_SECTION, DEFAULT_LANGUAGES, SERVER_COMMANDS, SERVER_SETTINGS } from '../../src/constants';
import { probeLaunch, resolveLaunch } from '../../src/server';
import { EXTENSION_DIR, python, serverCommand } from '../support/repo';

const DUMP = `
import dataclasses, json
from inkmod_lsp import config, constants as commands
defaults = {}
for f in dataclasses.fields(config.Settings):
    value = f.default if f.default is not dataclasses.MISSING else f.default_factory()
    defaults[f.name] = list(value) if isinstance(value, tuple) else value
print(json.dumps({
    "section": config.SECTION,
    "keys": list(config.KEYS),
    "defaults": defaults,
    "severities": list(config.SEVERITIES),
    "languages": list(config.DEFAULT_LANGUAGES),
    "commands": list(commands.COMMANDS),
}))
`;

interface ServerLists {
  section: string;
  keys: string[];
  defaults: Record<string, unknown>;
  severities: string[];
  languages: string[];
  commands: string[];
}

interface Property {
  default?: unknown;
  enum?: string[];
  minimum?: number;
  maximum?: number;
}

const manifest = JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, Property> }; commands: { command: string }[] };
};

describe('package.json against the server', () => {
  let server: ServerLists;
  before(() => {
    const result = spawnSync(python(), ['-c', DUMP], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(result.status, 0, result.stderr);
    server = JSON.parse(result.stdout) as ServerLists;
  });

  it('uses the section the server reads', () => {
    assert.equal(server.section, CONFIG_SECTION);
  });

  it('contributes every server setting and no server setting the server does not know', () => {
    const contributed = Object.keys(manifest.contributes.configuration.properties)
      .map((k) => k.slice(CONFIG_SECTION.length + 1))
      .filter((k) => !(CLIENT_SETTINGS as readonly string[]).includes(k));
    assert.deepEqual(contributed.sort(), [...server.keys].sort());
    assert.deepEqual([...SERVER_SETTINGS].sort(), [...server.keys].sort());
  });

  it("shows the server's defaults and choices", () => {
    const properties = manifest.contributes.configuration.properties;
    for (const key of server.keys) {
      assert.deepEqual(properties[`inkmod.${key}`].default, server.defaults[key], key);
    }
    assert.deepEqual(properties['inkmod.severity'].enum, server.severities);
    assert.deepEqual(DEFAULT_LANGUAGES, server.languages);
  });

  it('contributes every server command and no command the server does not execute', () => {
    const contributed = manifest.contributes.commands.map((c) => c.command).filter((c) => SERVER_COMMANDS.includes(c));
    assert.deepEqual(contributed.sort(), [...server.commands].sort());
    assert.deepEqual([...SERVER_COMMANDS].sort(), [...server.commands].sort());
  });

  it('finds and probes the installed server the way the extension does', async () => {
    const [command, ...args] = serverCommand();
    const launch = await resolveLaunch(
      { command: [command, ...args], pythonPath: '', args: [] },
      { which: () => undefined, interpreter: async () => undefined },
    );
    assert.match(await probeLaunch(launch), /^inkmod \d+\.\d+/);
    const viaPython = await resolveLaunch(
      { command: [], pythonPath: python(), args: [] },
      { which: () => undefined, interpreter: async () => undefined },
    );
    assert.match(await probeLaunch(viaPython), /^inkmod \d+\.\d+/);
  });

  it('says so when the interpreter has no InkMod', async () => {
    // The same Python without its site-packages (-S): InkMod cannot be imported.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inkpy'));
    const bare = path.join(dir, 'python');
    fs.writeFileSync(bare, `#!/bin/sh\nexec "${python()}" -S "$@"\n`, { mode: 0o755 });
    try {
      const launch = await resolveLaunch(
        { command: [], pythonPath: bare, args: [] },
        { which: () => undefined, interpreter: async () => undefined },
      );
      await assert.rejects(probeLaunch(launch), /does not have InkMod installed \(ModuleNotFoundError/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
