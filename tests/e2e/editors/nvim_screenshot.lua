-- Sets up a real, interactive Neovim (not --headless: it draws in a terminal, tmux's pane) the
-- way a user would have it, for tests/e2e/editors/test_nvim_screenshot.py:
--
-- nvim --clean -n --cmd 'set rtp^=editors/nvim' -c 'luafile tests/e2e/editors/nvim_screenshot.lua'
-- with INKMOD_NVIM_TEST naming a JSON file {results, draft, samples, server_cmd, expected}.
--
-- It sets Neovim up as a user would (options, vim.diagnostic.config, require("inkmod").setup())
-- and opens the draft; once InkMod's diagnostics are on `expected` paragraphs it writes what
-- the plugin and the LSP client hold to `results` (JSON). Neovim keeps running: the test types
-- into it (the cursor to a paragraph, <C-w>d for the diagnostic float), captures the screen
-- and quits it.
local spec = vim.fn.json_decode(table.concat(vim.fn.readfile(os.getenv('INKMOD_NVIM_TEST')), '\n'))
local results = { nvim = vim.version() }

local function write_results()
  vim.fn.writefile({ vim.fn.json_encode(results) }, spec.results)
end

-- A user's ordinary settings: true colour, the default dark colour scheme, numbers, signs.
vim.o.termguicolors = true
vim.o.background = 'dark'
vim.o.number = true
vim.o.signcolumn = 'yes'
vim.o.wrap = true
vim.o.linebreak = true
vim.o.breakindent = true
vim.o.laststatus = 2
vim.o.statusline = " %f %m%=%{v:lua.require'inkmod'.statusline()} "
vim.opt.shortmess:append('I')
vim.diagnostic.config({
  virtual_text = true, -- off by default since Neovim 0.11
  signs = true,
  underline = true,
  severity_sort = true,
  float = { border = 'rounded', source = true },
})

local inkmod = require('inkmod')
inkmod.setup({
  cmd = spec.server_cmd,
  samplesFolder = spec.samples,
  profile = 'maya',
  backend = 'lspfake',
})

-- Relative to the working directory (the workspace), as the statusline shows it.
vim.cmd('edit ' .. vim.fn.fnameescape(vim.fn.fnamemodify(spec.draft, ':.')))
local bufnr = vim.api.nvim_get_current_buf()

local inkmod_diagnostics = dofile(
  vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h:h:h') .. '/support/inkmod_diagnostics.lua'
)

local function report()
  results.diagnostics = inkmod_diagnostics(bufnr)
  local client = inkmod.clients(bufnr)[1]
  results.client = client and { name = client.name, cmd = client.config.cmd, root_dir = client.config.root_dir }
  results.filetype = vim.bo[bufnr].filetype
  results.ok = true
  write_results()
end

local uv = vim.uv or vim.loop
local started = uv.now()
local timer = uv.new_timer()
timer:start(
  100,
  100,
  vim.schedule_wrap(function()
    if #inkmod_diagnostics(bufnr) >= spec.expected then
      timer:stop()
      local ok, err = pcall(report)
      if not ok then
        results.ok = false
        results.error = tostring(err)
        write_results()
      end
    elseif uv.now() - started > (spec.timeout_ms or 120000) then
      timer:stop()
      results.ok = false
      results.error = 'timed out waiting for InkMod diagnostics'
      results.diagnostics = inkmod_diagnostics(bufnr)
      write_results()
    end
  end)
)
