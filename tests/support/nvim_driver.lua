-- Drives the InkMod Neovim plugin in a headless Neovim for tests/editors/test_nvim_plugin.py.
--
-- Run as:  nvim --headless --clean --cmd 'set rtp^=editors/nvim' -c 'luafile tests/editors/nvim_driver.lua'
-- with INKMOD_NVIM_TEST pointing at a JSON file {scenario, results, draft, server_cmd, samples, …}.
-- Every scenario writes what it saw to `results` (JSON) and quits, also when a step fails.
local spec = vim.fn.json_decode(table.concat(vim.fn.readfile(os.getenv('INKMOD_NVIM_TEST')), '\n'))
local results = { scenario = spec.scenario, nvim = vim.version(), messages = {}, progress = {}, steps = {} }

local function write_results()
  vim.fn.writefile({ vim.fn.json_encode(results) }, spec.results)
end

-- Record what the plugin tells the user.
vim.notify = function(msg, level)
  table.insert(results.messages, { text = tostring(msg), level = level or vim.log.levels.INFO })
end

-- Neovim's own progress event still fires for other plugins: LspProgress (0.10+) or
-- User LspProgressUpdate (0.7-0.9).
local progress_updates = 0
local function count_progress()
  progress_updates = progress_updates + 1
end
if vim.fn.exists('##LspProgress') == 1 then
  vim.api.nvim_create_autocmd('LspProgress', { callback = count_progress })
else
  vim.api.nvim_create_autocmd('User', { pattern = 'LspProgressUpdate', callback = count_progress })
end

local function step(name, fn)
  local started = vim.loop.hrtime()
  local ok, err = pcall(fn)
  local entry = { name = name, ok = ok, ms = math.floor((vim.loop.hrtime() - started) / 1e6) }
  if not ok then
    entry.error = tostring(err)
  end
  table.insert(results.steps, entry)
  if not ok then
    error(string.format('step %s failed: %s', name, tostring(err)), 0)
  end
end

local function wait(ms, cond, what)
  if not vim.wait(ms, cond, 50) then
    error('timed out waiting for ' .. what, 0)
  end
end

local inkmod_diagnostics =
  dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/inkmod_diagnostics.lua')

local function health_lines()
  vim.cmd('checkhealth inkmod')
  local lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)
  vim.cmd('bwipeout!')
  return lines
end

local function wait_rewrite(inkmod, what)
  wait(spec.rewrite_timeout or 300000, function()
    local s = inkmod.last_rewrite and inkmod.last_rewrite.state
    return s == 'applied' or s == 'kept' or s == 'failed' or s == 'stale'
  end, what)
  return inkmod.last_rewrite
end

local scenarios = {}

-- The whole path: setup, attach on a Markdown buffer, diagnostics, :InkmodRewrite on the
-- paragraph at the cursor and on a line range, :InkmodStatus, :checkhealth inkmod.
function scenarios.full()
  local inkmod
  step('setup', function()
    inkmod = require('inkmod')
    inkmod.setup(vim.tbl_extend('force', {
      cmd = spec.server_cmd,
      settings = { samplesFolder = spec.samples },
      progress = function(text)
        table.insert(results.progress, text)
      end,
    }, spec.setup or {}))
  end)
  local bufnr
  step('attach', function()
    vim.cmd('edit ' .. vim.fn.fnameescape(spec.draft))
    bufnr = vim.api.nvim_get_current_buf()
    results.filetype = vim.bo[bufnr].filetype
    wait(30000, function()
      return #inkmod.clients(bufnr) > 0
    end, 'the client to attach')
    local client = inkmod.clients(bufnr)[1]
    results.client = { name = client.name, root_dir = client.config.root_dir, cmd = client.config.cmd }
  end)
  step('diagnostics', function()
    wait(180000, function()
      return #inkmod_diagnostics(bufnr) >= 3
    end, 'drift diagnostics')
    vim.wait(500) -- a late fourth would show up now
    results.diagnostics = inkmod_diagnostics(bufnr)
    results.lines_before = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  end)
  step('statusline', function()
    vim.api.nvim_win_set_cursor(0, { spec.paragraph_line + 1, 0 })
    results.statusline_on_drift = inkmod.statusline()
    vim.api.nvim_win_set_cursor(0, { 3, 0 })
    results.statusline_in_style = inkmod.statusline()
  end)
  step('rewrite paragraph', function()
    vim.api.nvim_win_set_cursor(0, { spec.paragraph_line + 1, 10 })
    local tick = vim.api.nvim_buf_get_changedtick(bufnr)
    vim.cmd('InkmodRewrite')
    local outcome = wait_rewrite(inkmod, 'the paragraph rewrite')
    results.rewrite = { state = outcome.state, error = outcome.error, data = outcome.data,
      changed = vim.api.nvim_buf_get_changedtick(bufnr) ~= tick }
    results.lines_after_paragraph = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  end)
  step('rewrite range', function()
    inkmod.last_rewrite = nil
    -- The paragraph rewrite may have changed the line count: find the paragraph by its text.
    local row
    for i, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
      if line == spec.range_text then
        row = i
      end
    end
    assert(row, 'the paragraph to rewrite by range is gone')
    results.range_row = row - 1
    vim.cmd(string.format('%d,%dInkmodRewrite', row, row))
    local outcome = wait_rewrite(inkmod, 'the range rewrite')
    results.range_rewrite = { state = outcome.state, error = outcome.error }
    results.lines_after_range = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  end)
  step('status', function()
    vim.cmd('InkmodStatus')
    wait(30000, function()
      return inkmod.last_status ~= nil
    end, ':InkmodStatus')
    results.status = inkmod.last_status
  end)
  step('checkhealth', function()
    results.health = health_lines()
  end)
  results.progress_updates = progress_updates
end

-- Nothing installed where the plugin looks: clear messages, and :checkhealth says why.
function scenarios.missing()
  local inkmod = require('inkmod')
  step('setup', function()
    inkmod.setup({ cmd = { spec.missing_cmd, 'lsp' } })
  end)
  step('open', function()
    vim.cmd('edit ' .. vim.fn.fnameescape(spec.draft))
    vim.wait(200)
    results.clients = #inkmod.clients()
  end)
  step('rewrite', function()
    vim.cmd('InkmodRewrite')
  end)
  step('checkhealth', function()
    results.health = health_lines()
  end)
end

-- The plugin's pieces without a server: lsp/inkmod.lua's shape, commands, ranges, config.
function scenarios.shape()
  local inkmod = require('inkmod')
  step('lsp config', function()
    local files = vim.api.nvim_get_runtime_file('lsp/inkmod.lua', false)
    local config = dofile(files[1])
    results.lsp_config = {
      cmd = config.cmd,
      filetypes = config.filetypes,
      root_markers = config.root_markers,
      settings = config.settings,
      text_id = config.get_language_id(0, 'text'),
      tex_id = config.get_language_id(0, 'tex'),
      markdown_id = config.get_language_id(0, 'markdown'),
    }
  end)
  step('commands', function()
    local commands = vim.api.nvim_get_commands({})
    results.commands = {}
    for _, name in ipairs({ 'InkmodTrain', 'InkmodTune', 'InkmodRewrite', 'InkmodStatus' }) do
      results.commands[name] = commands[name] ~= nil
    end
    results.rewrite_range = commands.InkmodRewrite and commands.InkmodRewrite.range or nil
  end)
  step('config', function()
    results.cmd_default = inkmod.cmd({})
    results.cmd_python = inkmod.cmd({ python = '/opt/py/bin/python' })
    results.cli_default = inkmod.cli({})
    results.cli_python = inkmod.cli({ python = '/opt/py/bin/python' })
    inkmod.setup({ autostart = false, settings = { samplesFolder = '~/writing', profile = 'maya' } })
    results.server_settings = inkmod.server_settings()
    local root = spec.workspace
    results.root_dir = inkmod.root_dir(root .. '/sub/dir/file.md')
    local config = inkmod.client_config(vim.api.nvim_get_current_buf())
    results.client_config = { name = config.name, init_options = config.init_options, settings = config.settings }
  end)
  step('ranges', function()
    vim.cmd('enew')
    vim.api.nvim_buf_set_lines(0, 0, -1, false, { 'héllo wörld', 'second line' })
    vim.api.nvim_win_set_cursor(0, { 1, 7 }) -- the byte after "héllo " (é is two bytes)
    local cursor, selection = inkmod.command_range(0, {})
    results.cursor_range = { range = cursor, selection = selection }
    local lines, sel2 = inkmod.command_range(0, { range = 2, line1 = 1, line2 = 2 })
    results.line_range = { range = lines, selection = sel2 }
  end)
end

local ok, err = pcall(scenarios[spec.scenario])
results.ok = ok
if not ok then
  results.error = tostring(err)
end
write_results()
vim.cmd('qa!')
