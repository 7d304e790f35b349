#!/bin/sh
# Install code-server (VS Code in the browser) and playwright-core for the VS Code end-to-end test,
# from the npm registry only, into $1 (a cache directory keyed by version). Re-running is a no-op
# once "$1/.installed" exists.
#
# Why the steps: code-server's postinstall runs `npm install` in lib/vscode, whose packages'
# install scripts fetch binaries from GitHub (ripgrep, kerberos prebuilds…). We install with
# --ignore-scripts, point @vscode/ripgrep at Debian's rg, then rebuild the native modules from
# source (node-gyp against the headers npm already has), then redo the postinstall's links.
set -eu

DEST=$1
CODE_SERVER_VERSION=${CODE_SERVER_VERSION:-4.99.4}
PLAYWRIGHT_VERSION=${PLAYWRIGHT_VERSION:-1.52.0}
NPM="npm --no-audit --no-fund --loglevel=error"

if [ -f "$DEST/.installed" ]; then
  exit 0
fi
command -v rg >/dev/null || { echo "install-code-server: needs ripgrep (apt-get install ripgrep)" >&2; exit 1; }

mkdir -p "$DEST"
cd "$DEST"
echo "code-server $CODE_SERVER_VERSION: npm packages"
$NPM install --ignore-scripts --no-save --prefix . \
  "code-server@$CODE_SERVER_VERSION" "playwright-core@$PLAYWRIGHT_VERSION"

# argon2 (password hashing; unused with --auth none but loaded) is hoisted beside code-server.
$NPM rebuild argon2

cd node_modules/code-server/lib/vscode
echo "code-server: VS Code's own packages"
$NPM install --omit=dev --ignore-scripts
mkdir -p node_modules/@vscode/ripgrep/bin
ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
echo "code-server: native modules"
npm_config_yes=true $NPM rebuild
# What postinstall.sh does after its npm install.
rm -rf node_modules.asar && ln -s node_modules node_modules.asar
(cd bin/remote-cli && rm -f code-server && ln -s code-linux.sh code-server)
(cd bin/helpers && rm -f browser.sh && ln -s browser-linux.sh browser.sh)
echo "code-server: built-in extensions"
(cd extensions && $NPM install --omit=dev)

touch "$DEST/.installed"
echo "code-server $CODE_SERVER_VERSION installed in $DEST"
