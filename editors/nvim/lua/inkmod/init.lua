--- InkMod for Neovim: starts `inkmod lsp` for prose buffers and adds :InkmodTrain, :InkmodTune,
--- :InkmodRewrite and :InkmodStatus. See `:help inkmod`.
---
--- Works on Neovim 0.7 and later:
---   * 0.11+   `vim.lsp.config('inkmod', …)` + `vim.lsp.enable('inkmod')` (base config in lsp/inkmod.lua)
---   * 0.8–0.10 `vim.lsp.start()` on FileType
---   * 0.7     `vim.lsp.start_client()` + `vim.lsp.buf_attach_client()` on FileType
local M = {}

M.name = 'inkmod'

--- Filetype → LSP language id (what the server's `languages` setting names).
M.language_ids = {
  markdown = 'markdown',
  text = 'plaintext',
  rst = 'restructuredtext',
  tex = 'latex',
  plaintex = 'latex',
  asciidoc = 'asciidoc',
  asciidoctor = 'asciidoc',
  gitcommit = 'gitcommit',
}

--- Default options of |inkmod.setup()|.
M.defaults = {
  --- Command line of the server; nil means `{python, '-m', 'inkmod_lsp'}` when `python` is set,
  --- else `{'inkmod', 'lsp'}`.
  cmd = nil,
  --- A Python interpreter with InkMod installed.
  python = nil,
  --- Extra environment for the server (e.g. { INKMOD_HOME = '/tmp/ink' }).
  cmd_env = nil,
  filetypes = { 'markdown', 'text', 'rst', 'tex', 'plaintex', 'asciidoc', 'gitcommit' },
  --- Files or directories marking the workspace root, searched upwards from the buffer.
  root_markers = { '.inkmod.toml', '.git' },
  --- The server's settings (section `inkmod`): samplesFolder, profile, backend, threshold,
  --- languages, debounceMs, candidates, severity, maxReasons, daemon, preloadModel.
  settings = {},
  --- Start the server for matching buffers automatically.
  autostart = true,
  --- Show the server's progress: true (echo in the command line), false, or a function(text).
  progress = true,
  --- Called as on_attach(client, bufnr) when the server attaches to a buffer.
  on_attach = nil,
  --- Neovim 0.11+: register with vim.lsp.config()/vim.lsp.enable(). false starts the server with
  --- vim.lsp.start() on FileType instead, as on 0.8–0.10.
  lsp_config = true,
}

M.config = vim.deepcopy(M.defaults)
local did_setup = false
local told = {}

-- -- compatibility -----------------------------------------------------------------------------

local function has(version)
  return vim.fn.has('nvim-' .. version) == 1
end

local function notify(text, level)
  vim.notify(text, level or vim.log.levels.INFO, { title = 'InkMod' })
end

local function notify_once(key, text, level)
  if told[key] then
    return
  end
  told[key] = true
  notify(text, level)
end

--- Every running InkMod client (optionally only those attached to `bufnr`).
function M.clients(bufnr)
  local all
  if vim.lsp.get_clients then
    all = vim.lsp.get_clients({ name = M.name })
  else
    all = vim.tbl_filter(function(c)
      return c.name == M.name
    end, vim.lsp.get_active_clients())
  end
  if bufnr == nil then
    return all
  end
  if bufnr == 0 then
    bufnr = vim.api.nvim_get_current_buf()
  end
  return vim.tbl_filter(function(c)
    return vim.lsp.buf_is_attached(bufnr, c.id)
  end, all)
end

local function request(client, method, params, handler, bufnr)
  if has('0.11') then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

local function request_sync(client, method, params, timeout, bufnr)
  if has('0.11') then
    return client:request_sync(method, params, timeout, bufnr)
  end
  return client.request_sync(method, params, timeout, bufnr)
end

M._request = request
M._request_sync = request_sync

-- -- configuration -----------------------------------------------------------------------------

--- The server command for the current options.
function M.cmd(opts)
  opts = opts or M.config
  if opts.cmd then
    return opts.cmd
  end
  if opts.python then
    return { vim.fn.expand(opts.python), '-m', 'inkmod_lsp' }
  end
  return { 'inkmod', 'lsp' }
end

--- The `inkmod` command line tool next to the server (for :checkhealth), or nil.
function M.cli(opts)
  local cmd = M.cmd(opts)
  local exe = cmd[1]
  if vim.fn.fnamemodify(exe, ':t') == 'inkmod' then
    return { exe }
  end
  if cmd[2] == '-m' and cmd[3] == 'inkmod_lsp' then
    return { exe, '-c', 'from inkmod.cli import main; main()' }
  end
  return nil
end

--- The settings object sent to the server (samplesFolder expanded).
function M.server_settings(opts)
  local settings = vim.deepcopy((opts or M.config).settings or {})
  if type(settings.samplesFolder) == 'string' then
    settings.samplesFolder = vim.fn.expand(settings.samplesFolder)
  end
  if next(settings) == nil then
    return vim.empty_dict() -- sent as {} (an empty Lua table would be sent as [])
  end
  return settings
end

local function get_language_id(_, filetype)
  return M.language_ids[filetype] or filetype
end

--- The workspace root for a file: the nearest directory with a root marker, else its own.
function M.root_dir(path, markers)
  markers = markers or M.config.root_markers
  local dir = vim.fn.fnamemodify(path ~= '' and path or vim.fn.getcwd(), ':p:h')
  local current = dir
  while true do
    for _, marker in ipairs(markers) do
      if vim.loop.fs_stat(current .. '/' .. marker) then
        return current
      end
    end
    local parent = vim.fn.fnamemodify(current, ':h')
    if parent == current then
      return dir
    end
    current = parent
  end
end

-- -- progress and messages ----------------------------------------------------------------------

M.progress = {}
--- Work the server reports as running (token → {title, message, percentage}).

local function progress_text(item, done)
  local title = (item.title or 'InkMod'):gsub('^InkMod:?%s*', '')
  local text = 'InkMod'
  if title ~= '' then
    text = text .. ': ' .. title
  end
  if item.message and item.message ~= '' then
    text = text .. (title ~= '' and ' – ' or ': ') .. item.message
  end
  if type(item.percentage) == 'number' and item.percentage > 0 and not done then
    text = text .. string.format(' (%d%%)', item.percentage)
  end
  if done then
    text = text .. ' ✓'
  end
  return text
end

local function show_progress(text)
  local how = M.config.progress
  if how == false then
    return
  elseif type(how) == 'function' then
    how(text)
  else
    vim.api.nvim_echo({ { text } }, false, {})
  end
end

local function on_progress(err, result, ctx, config)
  local default = vim.lsp.handlers['$/progress']
  if default then
    pcall(default, err, result, ctx, config) -- LspProgressUpdate / LspProgress for other plugins
  end
  if not result or type(result.value) ~= 'table' then
    return
  end
  local token, value = result.token, result.value
  local item = M.progress[token]
  if value.kind == 'begin' then
    item = { title = value.title, message = value.message, percentage = value.percentage }
    M.progress[token] = item
  elseif item and value.kind == 'report' then
    item.message = value.message or item.message
    item.percentage = value.percentage or item.percentage
  elseif item and value.kind == 'end' then
    item.message = value.message or item.message
    M.progress[token] = nil
    show_progress(progress_text(item, true))
    return
  end
  if item then
    show_progress(progress_text(item, false))
  end
end

local message_levels = { vim.log.levels.ERROR, vim.log.levels.WARN, vim.log.levels.INFO, vim.log.levels.DEBUG }

local function on_show_message(_, result)
  if result and result.message then
    notify(result.message, message_levels[result.type] or vim.log.levels.INFO)
  end
  return vim.NIL
end

M.handlers = {
  ['$/progress'] = on_progress,
  ['window/showMessage'] = on_show_message,
}

local function on_exit(code, signal)
  if code ~= 0 and not M._stopping then
    vim.schedule(function()
      notify(
        string.format(
          "InkMod's language server exited (code %s%s). Check `:checkhealth inkmod` and the log (`:lua vim.cmd('edit ' .. vim.lsp.get_log_path())`).",
          tostring(code),
          signal and signal ~= 0 and (', signal ' .. signal) or ''
        ),
        vim.log.levels.ERROR
      )
    end)
  end
end

--- The client configuration for a buffer (0.7–0.10) or for vim.lsp.config (0.11+).
function M.client_config(bufnr)
  local settings = M.server_settings()
  local config = {
    name = M.name,
    cmd = M.cmd(),
    cmd_env = M.config.cmd_env,
    filetypes = M.config.filetypes,
    root_markers = M.config.root_markers,
    init_options = settings,
    settings = { inkmod = settings },
    get_language_id = get_language_id,
    handlers = M.handlers,
    on_exit = on_exit,
    on_attach = function(client, attached)
      if M.config.on_attach then
        M.config.on_attach(client, attached)
      end
    end,
  }
  if bufnr then
    config.root_dir = M.root_dir(vim.api.nvim_buf_get_name(bufnr))
    config.workspace_folders = {
      { uri = vim.uri_from_fname(config.root_dir), name = vim.fn.fnamemodify(config.root_dir, ':t') },
    }
  end
  if bufnr then -- vim.lsp.start / start_client: the root is decided here
    config.root_markers = nil
    config.filetypes = nil
  end
  return config
end

--- Whether the server's executable can be run; says why not (once) otherwise.
function M.check_executable()
  local cmd = M.cmd()
  if vim.fn.executable(cmd[1]) == 1 then
    return true
  end
  local how = M.config.python and 'the Python interpreter' or 'the command'
  notify_once(
    'missing:' .. cmd[1],
    string.format(
      "InkMod: %s `%s` was not found, so InkMod's language server cannot start. Install InkMod "
        .. "(`pipx install 'inkmod[llama]'`) or pass `cmd` / `python` to require(\"inkmod\").setup(); "
        .. 'see `:checkhealth inkmod`.',
      how,
      cmd[1]
    ),
    vim.log.levels.ERROR
  )
  return false
end

local started_clients = {} -- 0.7: root_dir → client id

--- Start (or reuse) the server for a buffer and attach it.
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if vim.bo[bufnr].buftype ~= '' then
    return nil
  end
  if not M.check_executable() then
    return nil
  end
  local config = M.client_config(bufnr)
  if vim.lsp.start then -- 0.8+
    return vim.lsp.start(config, { bufnr = bufnr })
  end
  local id = started_clients[config.root_dir]
  if id == nil or vim.lsp.get_client_by_id(id) == nil or vim.lsp.client_is_stopped(id) then
    id = vim.lsp.start_client(config)
    started_clients[config.root_dir] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

--- The server's settings (section `inkmod`, docs/lsp.md): accepted inside `settings = {…}` and,
--- as the README writes them, at the top level of setup()'s options.
M.server_setting_keys = {
  'samplesFolder',
  'profile',
  'backend',
  'threshold',
  'languages',
  'debounceMs',
  'candidates',
  'severity',
  'maxReasons',
  'daemon',
  'preloadModel',
}

--- The plugin's own options (|inkmod-setup|).
M.option_keys = {
  'cmd',
  'python',
  'cmd_env',
  'filetypes',
  'root_markers',
  'settings',
  'autostart',
  'progress',
  'on_attach',
  'lsp_config',
}

local function sorted_keys(t)
  local out = vim.tbl_keys(t)
  table.sort(out)
  return out
end

--- setup()'s options with top-level server settings moved into `settings` (a value given in
--- `settings` wins), and the unknown keys (returned as a list of messages).
function M.normalize_options(opts)
  opts = vim.deepcopy(opts or {})
  local problems = {}
  local settings = type(opts.settings) == 'table' and opts.settings or {}
  if opts.settings ~= nil and type(opts.settings) ~= 'table' then
    table.insert(problems, '`settings` must be a table')
  end
  local is_setting = {}
  for _, key in ipairs(M.server_setting_keys) do
    is_setting[key] = true
  end
  local unknown = {}
  for _, key in ipairs(sorted_keys(opts)) do
    if is_setting[key] then
      if settings[key] == nil then
        settings[key] = opts[key]
      end
      opts[key] = nil
    elseif not vim.tbl_contains(M.option_keys, key) then
      table.insert(unknown, key)
      opts[key] = nil
    end
  end
  local unknown_settings = {}
  for _, key in ipairs(sorted_keys(settings)) do
    if not is_setting[key] then
      table.insert(unknown_settings, key)
    end
  end
  if #unknown > 0 then
    table.insert(
      problems,
      string.format(
        'unknown option%s %s (options: %s; server settings: %s)',
        #unknown > 1 and 's' or '',
        table.concat(vim.tbl_map(function(k) return '`' .. k .. '`' end, unknown), ', '),
        table.concat(M.option_keys, ', '),
        table.concat(M.server_setting_keys, ', ')
      )
    )
  end
  if #unknown_settings > 0 then
    table.insert(
      problems,
      string.format(
        'unknown server setting%s %s in `settings` (known: %s)',
        #unknown_settings > 1 and 's' or '',
        table.concat(vim.tbl_map(function(k) return '`' .. k .. '`' end, unknown_settings), ', '),
        table.concat(M.server_setting_keys, ', ')
      )
    )
  end
  opts.settings = settings
  return opts, problems
end

--- Configure InkMod (see `:help inkmod-setup`) and start it for matching buffers.
function M.setup(opts)
  local problems
  opts, problems = M.normalize_options(opts)
  for _, problem in ipairs(problems) do
    notify('InkMod setup(): ' .. problem, vim.log.levels.WARN)
  end
  M.config = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts)
  if opts and opts.filetypes then
    M.config.filetypes = opts.filetypes -- lists replace, not merge
  end
  if opts and opts.root_markers then
    M.config.root_markers = opts.root_markers
  end
  did_setup = true
  local group = vim.api.nvim_create_augroup('inkmod', { clear = true })
  if has('0.11') and M.config.lsp_config then
    local config = M.client_config(nil)
    config.name = nil
    -- The same root as on older versions: a marker's directory, else the file's own.
    config.root_dir = function(bufnr, on_dir)
      on_dir(M.root_dir(vim.api.nvim_buf_get_name(bufnr)))
    end
    vim.lsp.config(M.name, config)
    if M.config.autostart then
      if M.check_executable() then
        vim.lsp.enable(M.name)
      end
    end
    return
  end
  if not M.config.autostart then
    return
  end
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = M.config.filetypes,
    callback = function(args)
      M.attach(args.buf)
    end,
  })
  -- Buffers already open when setup() runs.
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.tbl_contains(M.config.filetypes, vim.bo[buf].filetype) then
      M.attach(buf)
    end
  end
end

-- -- commands ------------------------------------------------------------------------------------

local function client_for(bufnr)
  local client = M.clients(bufnr)[1]
  if client then
    return client
  end
  local cmd = M.cmd()
  local filetype = vim.bo[bufnr == 0 and vim.api.nvim_get_current_buf() or bufnr].filetype
  local hint
  if not did_setup then
    hint = 'call require("inkmod").setup() in your config'
  elseif vim.fn.executable(cmd[1]) ~= 1 then
    hint = string.format(
      "its server command `%s` cannot be run: install InkMod with `pipx install 'inkmod[llama]'` "
        .. 'or pass `cmd` / `python` to setup()',
      cmd[1]
    )
  elseif not vim.tbl_contains(M.config.filetypes, filetype) then
    hint = string.format('filetype `%s` is not in `filetypes`', filetype)
  else
    hint = 'its language server is not running; `:checkhealth inkmod` and `:LspLog` say why'
  end
  notify(string.format('InkMod is not attached to this buffer: %s.', hint), vim.log.levels.WARN)
  return nil
end

local function execute(client, command, arguments, bufnr, callback)
  request(client, 'workspace/executeCommand', { command = command, arguments = arguments }, function(err, result)
    if err then
      notify(string.format('InkMod: %s failed: %s', command, err.message or vim.inspect(err)), vim.log.levels.ERROR)
    elseif callback then
      callback(result)
    end
  end, bufnr)
end

--- :InkmodTrain [folder] — rebuild the style profile (from `folder`, else the samplesFolder setting).
function M.train(folder)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.clients(bufnr)[1] or M.clients()[1]
  if not client then
    client_for(bufnr)
    return
  end
  local arguments = {}
  if folder and folder ~= '' then
    arguments = { { samplesFolder = vim.fn.fnamemodify(vim.fn.expand(folder), ':p') } }
  end
  execute(client, 'inkmod.train', arguments, bufnr, function(result)
    M.last_train = result
  end)
end

--- :InkmodTune [minutes] — train the personal model (a LoRA adapter of the embedded model) on
--- the samples, in the daemon, with progress; rewrites use it as soon as it is complete.
function M.tune(minutes)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.clients(bufnr)[1] or M.clients()[1]
  if not client then
    client_for(bufnr)
    return
  end
  local arguments = {}
  if minutes then
    arguments = { { maxMinutes = minutes } }
  end
  execute(client, 'inkmod.tune', arguments, bufnr, function(result)
    M.last_tune = result
  end)
end

local function utf16_col(bufnr, row, col)
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ''
  col = math.min(col, #line)
  if has('0.11') then
    return vim.str_utfindex(line, 'utf-16', col, false)
  end
  local _, u16 = vim.str_utfindex(line, col)
  return u16
end

--- The LSP range of the command's range (or the cursor), and whether it is a selection.
function M.command_range(bufnr, opts)
  opts = opts or {}
  if opts.range and opts.range > 0 then
    local start_row, end_row = opts.line1 - 1, opts.line2 - 1
    local start_col, end_col = 0, nil
    local vstart, vend = vim.fn.getpos("'<"), vim.fn.getpos("'>")
    -- From a visual selection of these very lines: honour the columns of a charwise selection.
    if vstart[2] == opts.line1 and vend[2] == opts.line2 and vim.fn.visualmode() == 'v' then
      start_col = vstart[3] - 1
      end_col = vend[3] -- inclusive → exclusive
    end
    local last = vim.api.nvim_buf_get_lines(bufnr, end_row, end_row + 1, false)[1] or ''
    if end_col == nil or end_col > #last then
      end_col = #last
    end
    return {
      start = { line = start_row, character = utf16_col(bufnr, start_row, start_col) },
      ['end'] = { line = end_row, character = utf16_col(bufnr, end_row, end_col) },
    }, true
  end
  local cursor = vim.api.nvim_win_get_cursor(0)
  local pos = { line = cursor[1] - 1, character = utf16_col(bufnr, cursor[1] - 1, cursor[2]) }
  return { start = pos, ['end'] = pos }, false
end

--- The drift change of a resolved rewrite, as the daemon worded it (`result.drift_change`):
--- the plugin formats no scores itself, so it shows what was decided.
local function describe_result(data)
  local result = type(data) == 'table' and data.result or nil
  if type(result) ~= 'table' or type(result.drift_change) ~= 'string' or result.drift_change == '' then
    return ''
  end
  return ' (drift ' .. result.drift_change .. ')'
end

local function apply(client, edit, bufnr, what)
  local before = vim.api.nvim_buf_get_changedtick(bufnr)
  vim.lsp.util.apply_workspace_edit(edit, client.offset_encoding or 'utf-16')
  if vim.api.nvim_buf_get_changedtick(bufnr) == before then
    notify('InkMod: the buffer changed while rewriting, so nothing was replaced; run :InkmodRewrite again.', vim.log.levels.WARN)
    return false
  end
  notify('InkMod: rewrote the ' .. what .. '.')
  return true
end

--- :[range]InkmodRewrite — rewrite the selection (with a range) or the paragraph at the cursor,
--- through the server's code action (resolved lazily) or its `inkmod.rewrite` command.
function M.rewrite(opts)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = client_for(bufnr)
  if not client then
    return
  end
  local range, selection = M.command_range(bufnr, opts)
  local wanted = selection and 'Rewrite selection in my style' or 'Rewrite paragraph in my style'
  local what = selection and 'selection' or 'paragraph'
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = range,
    context = { diagnostics = {}, only = { 'refactor.rewrite' } },
  }
  M.last_rewrite = { state = 'listing' }
  request(client, 'textDocument/codeAction', params, function(err, actions)
    if err then
      M.last_rewrite = { state = 'failed', error = err.message }
      notify('InkMod: cannot list the rewrite: ' .. (err.message or ''), vim.log.levels.ERROR)
      return
    end
    local action
    for _, a in ipairs(actions or {}) do
      if a.title and a.title:sub(1, #wanted) == wanted then
        action = a
        break
      end
    end
    if not action then
      M.last_rewrite = { state = 'failed', error = 'no action' }
      notify('InkMod: there is no ' .. what .. ' of prose here to rewrite.', vim.log.levels.WARN)
      return
    end
    local unavailable = action.disabled and action.disabled.reason or action.title:match('%(unavailable: (.*)%)$')
    if unavailable then
      M.last_rewrite = { state = 'failed', error = unavailable }
      notify('InkMod: cannot rewrite: ' .. unavailable, vim.log.levels.WARN)
      return
    end
    if action.edit then
      M.last_rewrite = { state = apply(client, action.edit, bufnr, what) and 'applied' or 'stale' }
    elseif action.data ~= nil then
      M.last_rewrite = { state = 'resolving' }
      show_progress('InkMod: rewriting the ' .. what .. '…')
      request(client, 'codeAction/resolve', action, function(rerr, resolved)
        if rerr or not resolved or not resolved.edit then
          local message = rerr and rerr.message or 'no edit came back'
          if message:find('nothing was changed', 1, true) then
            -- The daemon kept the original (no candidate was closer and faithful): not a failure.
            M.last_rewrite = { state = 'kept', error = message }
            notify('InkMod: ' .. message, vim.log.levels.INFO)
            return
          end
          M.last_rewrite = { state = 'failed', error = message }
          notify('InkMod: the rewrite failed: ' .. message, vim.log.levels.WARN)
          return
        end
        local ok = apply(client, resolved.edit, bufnr, what .. describe_result(resolved.data))
        M.last_rewrite = { state = ok and 'applied' or 'stale', data = resolved.data }
      end, bufnr)
    elseif action.command then
      M.last_rewrite = { state = 'executing' }
      local command = type(action.command) == 'table' and action.command or action
      execute(client, command.command, command.arguments, bufnr, function(result)
        M.last_rewrite = { state = result and result.applied and 'applied' or 'failed', data = result }
      end)
    end
  end, bufnr)
end

--- :InkmodStatus — what the server, its daemon and the model are doing.
function M.status()
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.clients(bufnr)[1] or M.clients()[1]
  if not client then
    client_for(bufnr)
    return
  end
  execute(client, 'inkmod.status', { { quiet = true } }, bufnr, function(result)
    M.last_status = result
    if type(result) ~= 'table' then
      return
    end
    local daemon = result.daemon or {}
    local backend = type(daemon.backend) == 'table' and daemon.backend or {}
    local lines = {
      string.format('InkMod %s (client %d, root %s)', (result.server or {}).version or '?', client.id, client.config.root_dir or '?'),
      string.format('  profile:  %s%s', result.profile or '?', result.profileLoaded and '' or ' (not loaded)'),
      string.format('  daemon:   %s%s', daemon.state or '?', daemon.reason and (' – ' .. daemon.reason) or ''),
      string.format('  model:    %s%s', backend.name or ((result.settings or {}).backend or 'default'),
        backend.loaded and ' (loaded)' or ' (not loaded yet)'),
      string.format('  rewrite:  %s', result.rewrite or '?'),
    }
    if result.problem and result.problem ~= vim.NIL then
      table.insert(lines, '  problem:  ' .. result.problem)
    end
    for _, doc in ipairs(result.documents or {}) do
      table.insert(lines, string.format('  %s: %d paragraphs, %d drifting', vim.uri_to_fname(doc.uri), doc.paragraphs or 0, doc.drifting or 0))
    end
    for _, item in pairs(M.progress) do
      table.insert(lines, '  running:  ' .. progress_text(item, false))
    end
    notify(table.concat(lines, '\n'))
  end)
end

--- A statusline component: the drift of the paragraph at the cursor, or what is running.
function M.statusline()
  for _, item in pairs(M.progress) do
    return progress_text(item, false)
  end
  local bufnr = vim.api.nvim_get_current_buf()
  if #M.clients(bufnr) == 0 then
    return ''
  end
  local row = vim.api.nvim_win_get_cursor(0)[1] - 1
  for _, d in ipairs(vim.diagnostic.get(bufnr, { lnum = row })) do
    local data = d.user_data and d.user_data.lsp and d.user_data.lsp.data
    if d.source == 'inkmod' and type(data) == 'table' and type(data.score) == 'number' then
      return string.format('InkMod drift %.2f', data.score)
    end
  end
  return 'InkMod ✓'
end

--- Stop InkMod's clients (the daemon keeps running for other editors until idle).
function M.stop()
  M._stopping = true
  for _, client in ipairs(M.clients()) do
    if has('0.11') then
      client:stop()
    else
      client.stop()
    end
  end
  started_clients = {}
  vim.defer_fn(function()
    M._stopping = false
  end, 2000)
end

return M
