/**
 * Where the repository, its virtual environment and the server are (tests only).
 *
 * The server under test is `<repo>/.venv/bin/inkmod lsp` unless `INKMOD_LSP_COMMAND` names
 * another command line (a JSON array, or words separated by spaces); the Python used to read
 * the server's own lists of settings and commands is `<repo>/.venv/bin/python` unless
 * `INKMOD_PYTHON` says otherwise.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

function findRepo(start: string): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'pyproject.toml')) && fs.existsSync(path.join(dir, 'inkmod_lsp'))) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`no InkMod checkout above ${start}`);
    }
    dir = parent;
  }
}

export const REPO = findRepo(__dirname);
export const EXTENSION_DIR = path.join(REPO, 'editors', 'vscode');
export const EXAMPLES = path.join(REPO, 'examples');
export const MAYA = path.join(EXAMPLES, 'samples', 'maya');
export const MIXED = path.join(EXAMPLES, 'mixed.md');

const BIN = process.platform === 'win32' ? 'Scripts' : 'bin';

/** The server command line under test. */
export function serverCommand(): string[] {
  const fromEnv = process.env.INKMOD_LSP_COMMAND?.trim();
  if (fromEnv) {
    return fromEnv.startsWith('[') ? (JSON.parse(fromEnv) as string[]) : fromEnv.split(/\s+/);
  }
  return [path.join(REPO, '.venv', BIN, 'inkmod'), 'lsp'];
}

/** The Python with InkMod installed (to read the server's lists). */
export function python(): string {
  return process.env.INKMOD_PYTHON?.trim() || path.join(REPO, '.venv', BIN, 'python');
}

/** 1-based paragraphs of mixed.md (after the title) in another writer's voice. */
export const FOREIGN = [3, 7, 10];

/** `(0-based line, text)` of each paragraph of a one-line-per-paragraph Markdown file. */
export function paragraphs(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() && !line.startsWith('#') && !line.startsWith('<!--')) {
      out.push({ line: index, text: line });
    }
  });
  return out;
}
