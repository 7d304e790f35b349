import '../support/vscodeStub';

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import {
  LaunchError,
  probeLaunch,
  PYTHON_PROBE,
  resolveLaunch,
  type Runner,
  which,
} from '../../src/server';

const none = { which: () => undefined, interpreter: async () => undefined, home: '/nonexistent', env: {} };
const settings = (over: Partial<{ command: string[]; pythonPath: string; args: string[] }> = {}) => ({
  command: [],
  pythonPath: '',
  args: [],
  ...over,
});

describe('resolveLaunch', () => {
  it('uses inkmod.server.command first, probing `inkmod --version` for `inkmod lsp`', async () => {
    const launch = await resolveLaunch(
      settings({ command: ['/venv/bin/inkmod', 'lsp'], pythonPath: '/usr/bin/python3', args: ['--debug'] }),
      none,
    );
    assert.equal(launch.command, '/venv/bin/inkmod');
    assert.deepEqual(launch.args, ['lsp', '--debug']);
    assert.deepEqual(launch.probe, { command: '/venv/bin/inkmod', args: ['--version'], kind: 'cli' });
    assert.match(launch.source, /inkmod\.server\.command/);
  });
  it('probes a `python -m inkmod_lsp` command by importing the package', async () => {
    const launch = await resolveLaunch(settings({ command: ['py', '-m', 'inkmod_lsp'] }), none);
    assert.deepEqual(launch.args, ['-m', 'inkmod_lsp']);
    assert.deepEqual(launch.probe, { command: 'py', args: ['-c', PYTHON_PROBE], kind: 'python' });
  });
  it('only checks that any other command exists', async () => {
    const launch = await resolveLaunch(settings({ command: ['my-wrapper', '--x'] }), none);
    assert.equal(launch.probe, undefined);
    await assert.rejects(probeLaunch(launch), (e: unknown) => e instanceof LaunchError && e.kind === 'not-found');
  });
  it('then inkmod.server.pythonPath', async () => {
    const launch = await resolveLaunch(settings({ pythonPath: '/usr/bin/python3' }), none);
    assert.equal(launch.command, '/usr/bin/python3');
    assert.deepEqual(launch.args, ['-m', 'inkmod_lsp']);
    assert.match(launch.source, /pythonPath/);
  });
  it('then the Python extension, the workspace .venv, PATH and pipx, the first that has InkMod', async () => {
    const probed: string[] = [];
    const deps = {
      which: () => '/usr/local/bin/inkmod',
      interpreter: async () => '/usr/bin/python3',
      folders: () => ['/ws'],
      executable: (file: string) => file === '/ws/.venv/bin/inkmod' || file === '/home/me/.local/bin/inkmod',
      home: '/home/me',
      env: {},
      probe: async (launch: { command: string }) => {
        probed.push(launch.command);
        if (launch.command === '/usr/bin/python3') {
          throw new LaunchError('no module named inkmod', 'not-installed');
        }
        return 'inkmod 0.1.0';
      },
    };
    const launch = await resolveLaunch(settings(), deps);
    assert.deepEqual([launch.command, ...launch.args], ['/ws/.venv/bin/inkmod', 'lsp']);
    assert.equal(launch.version, 'inkmod 0.1.0');
    assert.match(launch.source, /workspace's \.venv/);
    assert.deepEqual(probed, ['/usr/bin/python3', '/ws/.venv/bin/inkmod']);
    assert.match(launch.passedOver?.[0] ?? '', /Python extension's selected interpreter \/usr\/bin\/python3: no module/);

    const fromExtension = await resolveLaunch(settings(), { ...none, interpreter: async () => '/env/bin/python' });
    assert.deepEqual([fromExtension.command, ...fromExtension.args], ['/env/bin/python', '-m', 'inkmod_lsp']);
    assert.match(fromExtension.source, /Python extension/);
    const onPath = await resolveLaunch(settings(), { ...none, which: () => '/usr/local/bin/inkmod' });
    assert.deepEqual([onPath.command, ...onPath.args], ['/usr/local/bin/inkmod', 'lsp']);
    const pipx = await resolveLaunch(settings(), {
      ...none, home: '/home/me', env: {}, executable: (f: string) => f === '/home/me/.local/bin/inkmod',
    });
    assert.equal(pipx.command, '/home/me/.local/bin/inkmod');
    const venvPython = await resolveLaunch(settings(), {
      ...none, folders: () => ['/ws'], executable: (f: string) => f === '/ws/venv/bin/python',
    });
    assert.deepEqual([venvPython.command, ...venvPython.args], ['/ws/venv/bin/python', '-m', 'inkmod_lsp']);
  });
  it('says what it tried and how to set it when nothing is found', async () => {
    await assert.rejects(resolveLaunch(settings(), { ...none, home: '/nonexistent', env: {} }), (e: unknown) => {
      assert.ok(e instanceof LaunchError);
      assert.equal(e.kind, 'not-found');
      assert.match(e.message, /InkMod is not installed where VS Code can find it/);
      assert.match(e.message, /no interpreter selected in the Python extension/);
      assert.match(e.message, /no \.venv with InkMod in the workspace/);
      assert.match(e.message, /no `inkmod` on the PATH VS Code sees/);
      assert.match(e.message, /pipx install 'inkmod\[llama\]'/);
      assert.match(e.message, /inkmod\.server\.pythonPath/);
      assert.match(e.message, /inkmod\.server\.command/);
      return true;
    });
  });
});

describe('probeLaunch', () => {
  const python = { command: 'py', args: ['-m', 'inkmod_lsp'], source: 'setting inkmod.server.pythonPath',
    probe: { command: 'py', args: ['-c', PYTHON_PROBE], kind: 'python' as const } };
  const runner = (result: Awaited<ReturnType<Runner>>): Runner => async () => result;

  it('returns the version line', async () => {
    assert.equal(await probeLaunch(python, runner({ stdout: 'inkmod 0.1.0\n', stderr: '', code: 0 })), 'inkmod 0.1.0');
  });
  it('explains a missing interpreter', async () => {
    await assert.rejects(probeLaunch(python, runner({ stdout: '', stderr: '', code: null, error: 'ENOENT' })),
      /The Python interpreter `py` \(setting inkmod.server.pythonPath\) does not exist/);
  });
  it('explains an interpreter without InkMod', async () => {
    const stderr = "Traceback (most recent call last):\nModuleNotFoundError: No module named 'inkmod'\n";
    await assert.rejects(probeLaunch(python, runner({ stdout: '', stderr, code: 1 })), (e: unknown) => {
      assert.ok(e instanceof LaunchError);
      assert.equal(e.kind, 'not-installed');
      assert.match(e.message, /does not have InkMod installed \(ModuleNotFoundError: No module named 'inkmod'\)/);
      assert.match(e.message, /py -m pip install 'inkmod\[llama\]'/);
      return true;
    });
  });
  it('reports a hang and any other failure with its last line', async () => {
    await assert.rejects(probeLaunch(python, runner({ stdout: '', stderr: '', code: null, error: 'ETIMEDOUT' })),
      /did not answer within/);
    await assert.rejects(probeLaunch(python, runner({ stdout: '', stderr: 'boom\nbad thing\n', code: 3 })),
      /failed: bad thing/);
  });
  it('runs a real process (node) through the default runner', async () => {
    const launch = { command: process.execPath, args: [], source: 'test',
      probe: { command: process.execPath, args: ['-e', 'console.log("inkmod 9.9")'], kind: 'cli' as const } };
    assert.equal(await probeLaunch(launch), 'inkmod 9.9');
    const missing = { ...launch, probe: { ...launch.probe, command: '/nonexistent/inkmod' } };
    await assert.rejects(probeLaunch(missing), /does not exist/);
  });
});

describe('which', () => {
  it('finds executables on the given PATH only', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inkwhich'));
    try {
      const exe = path.join(dir, 'inkmod');
      fs.writeFileSync(exe, '#!/bin/sh\n');
      fs.chmodSync(exe, 0o755);
      fs.writeFileSync(path.join(dir, 'notexec'), '');
      assert.equal(which('inkmod', `/nonexistent${path.delimiter}${dir}`), exe);
      assert.equal(which('notexec', dir), undefined);
      assert.equal(which('absent', dir), undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
