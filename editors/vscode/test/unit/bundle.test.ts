/**
 * The packaged bundle (dist/extension.js, built by `npm run build`) loads and activates: with
 * no InkMod anywhere it registers its commands and says, in words, that InkMod is missing.
 */
import { stub } from '../support/vscodeStub';

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { EXTENSION_DIR } from '../support/repo';

const BUNDLE = path.join(EXTENSION_DIR, 'dist', 'extension.js');

describe('dist/extension.js', () => {
  const savedPath = process.env.PATH;
  before(() => {
    stub.reset();
    process.env.PATH = '/nonexistent-for-inkmod-tests';
  });
  after(() => {
    process.env.PATH = savedPath;
  });

  it('activates, registers its commands and reports that InkMod is not installed', async () => {
    assert.ok(fs.existsSync(BUNDLE), 'run `npm run build` first');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const extension = require(BUNDLE) as {
      activate(context: { subscriptions: { dispose(): void }[] }): Promise<void>;
      deactivate(): Promise<void>;
    };
    const context = { subscriptions: [] as { dispose(): void }[] };
    await extension.activate(context);
    for (const command of ['inkmod.restartServer', 'inkmod.showOutput', 'inkmod.train', 'inkmod.rewrite', 'inkmod.status']) {
      assert.ok(stub.commands.has(command), command);
    }
    const deadline = Date.now() + 10_000;
    while (!stub.messages.some((m) => m.level === 'error') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const error = stub.messages.find((m) => m.level === 'error');
    assert.match(error?.text ?? '', /InkMod is not installed/);
    assert.equal(stub.statusItems[0].text, '$(error) InkMod');
    await extension.deactivate();
    context.subscriptions.forEach((d) => d.dispose());
  });
});
