// Drives VS Code (code-server, in headless Chromium through playwright-core) the way a writer
// would: open a Markdown file, wait for InkMod's drift diagnostics in Problems, apply the rewrite
// code action (Ctrl+.), save, run "InkMod: Train Style Profile" from the Command Palette and
// watch its progress. Started by tests/e2e/test_vscode_codeserver.py, which checks the results.
//
// Arguments (JSON in argv[2]): url, chromium, playwright (path of playwright-core), file (name
// of the Markdown file in the workspace), shots (directory for screenshots), docsShot (path of
// the screenshot for docs/, or ""), userDataDir (fresh Chromium profile).
// Output: one JSON object per line on stdout, {"step": ..., ...}; exit code 0 when every step
// passed. On failure a screenshot is saved as <shots>/failure.png.
import { createRequire } from 'node:module';
import * as path from 'node:path';

const opts = JSON.parse(process.argv[2]);
const require = createRequire(import.meta.url);
const { chromium } = require(opts.playwright);

const say = (step, extra = {}) => console.log(JSON.stringify({ step, t: Date.now(), ...extra }));
const CTRL = 'Control';

async function until(what, fn, timeoutMs, intervalMs = 250) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) {
        return last;
      }
    } catch (error) {
      last = String(error);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what} (last: ${JSON.stringify(last)})`);
}

async function palette(page, text) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible', timeout: 10000 });
  await input.fill(`>${text}`);
  await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: 10000 });
  await page.waitForTimeout(300);
  await page.keyboard.press('Enter');
}

// A fresh profile (the test's temporary directory), so nothing of a previous run is reused.
const context = await chromium.launchPersistentContext(opts.userDataDir, {
  executablePath: opts.chromium,
  viewport: { width: 1280, height: 800 },
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const page = context.pages()[0] ?? (await context.newPage());
let ok = false;
try {
  await page.goto(opts.url);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
  say('workbench');

  // Open the draft through Quick Open.
  await until(
    'the explorer to list the workspace',
    async () => (await page.locator('.explorer-folders-view .monaco-list-row').count()) > 0,
    30000,
  );
  await page.keyboard.press(`${CTRL}+P`);
  const quick = page.locator('.quick-input-widget input.input');
  await quick.waitFor({ state: 'visible', timeout: 10000 });
  await quick.fill(opts.file);
  await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: 15000 });
  await page.keyboard.press('Enter');
  await page.locator('.monaco-editor .view-lines').first().waitFor({ timeout: 15000 });
  say('opened', { file: opts.file });

  // Diagnostics in Problems.
  await page.keyboard.press(`${CTRL}+Shift+M`);
  const rows = page.locator('.markers-panel .monaco-list-row[aria-label*="drift" i]');
  const count = await until('drift diagnostics in Problems', async () => rows.count(), 240000);
  const labels = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
  const status = await page
    .locator('.statusbar-item[id*="inkmod" i], .statusbar-item:has-text("InkMod")')
    .allInnerTexts()
    .catch(() => []);
  say('diagnostics', { count, labels, status });
  // Go to the first flagged paragraph: the Problems row selects it; focus the editor and
  // collapse the selection to a cursor, as a writer clicking into the paragraph would.
  await rows.first().click();
  await page.waitForTimeout(500);
  await page.keyboard.press(`${CTRL}+1`);
  await page.keyboard.press('ArrowLeft');
  await page.waitForTimeout(300);
  if (opts.docsShot) {
    // The hover shows the reasons too (Ctrl+K Ctrl+I: Show Hover).
    await page.keyboard.press(`${CTRL}+K`);
    await page.keyboard.press(`${CTRL}+I`);
    await page.locator('.monaco-hover').first().waitFor({ state: 'visible', timeout: 10000 }).catch(() => undefined);
    await page.waitForTimeout(800);
    await page.screenshot({ path: opts.docsShot });
    await page.keyboard.press('Escape');
    say('docs-screenshot', { path: opts.docsShot });
  }

  // The rewrite code action (Ctrl+.: Quick Fix…).
  await page.keyboard.press(`${CTRL}+Period`);
  const menu = page.locator('.action-widget .monaco-list-row');
  await menu.first().waitFor({ state: 'visible', timeout: 15000 });
  const actions = (await menu.allInnerTexts()).map((s) => s.trim()).filter(Boolean);
  say('code-actions', { actions });
  // The first action is focused; a click would land on the widget's pointer block, so Enter.
  const focused = await page.locator('.action-widget .monaco-list-row.action.focused').getAttribute('aria-label');
  if (!/^Rewrite/.test(focused ?? '')) {
    throw new Error(`the first code action is ${JSON.stringify(focused)}, not a rewrite`);
  }
  await page.keyboard.press('Enter');
  // The edit arrives once the model is done; the editor's title shows a dirty marker then.
  await until(
    'the rewrite to change the buffer',
    async () => (await page.locator('.tab.active.dirty').count()) > 0,
    180000,
  );
  await page.keyboard.press(`${CTRL}+S`);
  await until('the save', async () => (await page.locator('.tab.active.dirty').count()) === 0, 15000);
  say('rewritten');

  // Train from the Command Palette, and see its progress (a notification or the status bar;
  // on a small folder it can be gone within a second, so a MutationObserver records it).
  await page.evaluate(() => {
    const seen = [];
    window.__inkmodSeen = seen;
    const look = (node) => {
      const text = (node.textContent || '').trim();
      if (/training profile|trained on/i.test(text) && text.length < 300 && !seen.includes(text)) {
        seen.push(text);
      }
    };
    new MutationObserver((records) => {
      for (const record of records) {
        look(record.target.nodeType === 3 ? record.target.parentNode : record.target);
        record.addedNodes.forEach((n) => look(n.nodeType === 3 ? n.parentNode : n));
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await palette(page, 'InkMod: Train Style Profile');
  const seen = () => page.evaluate(() => window.__inkmodSeen.slice());
  const progress = await until(
    'training progress',
    async () => (await seen()).find((t) => /training profile/i.test(t)),
    60000,
  );
  say('train-progress', { text: progress });
  const done = await until(
    'the training summary',
    async () => (await seen()).find((t) => /trained on \d+ documents/i.test(t)),
    120000,
  );
  say('train-done', { text: done });
  ok = true;
} catch (error) {
  say('error', { message: String(error && error.stack ? error.stack : error) });
  await page.screenshot({ path: path.join(opts.shots, 'failure.png') }).catch(() => undefined);
} finally {
  await context.close();
}
process.exit(ok ? 0 : 1);
