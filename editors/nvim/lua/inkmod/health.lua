--- :checkhealth inkmod — server found (and its version), daemon reachable, backend and model
--- present, samples folder readable.
local M = {}

local function reporter()
  local h = vim.health
  if h and h.start then -- 0.10+
    return { start = h.start, ok = h.ok, info = h.info, warn = h.warn, error = h.error }
  end
  h = (vim.health and vim.health.report_start) and vim.health or require('health') -- 0.7–0.9
  return { start = h.report_start, ok = h.report_ok, info = h.report_info, warn = h.report_warn, error = h.report_error }
end

--- Run a command (with the server's environment); returns exit code, stdout, stderr.
local function run(cmd, env, timeout)
  local out, err = {}, {}
  local ok, job = pcall(vim.fn.jobstart, cmd, {
    env = env,
    stdout_buffered = true,
    stderr_buffered = true,
    on_stdout = function(_, data)
      out = data or {}
    end,
    on_stderr = function(_, data)
      err = data or {}
    end,
  })
  if not ok or job <= 0 then
    return -1, '', 'cannot run ' .. cmd[1]
  end
  local status = vim.fn.jobwait({ job }, timeout or 30000)[1]
  if status == -1 then
    vim.fn.jobstop(job)
    return -1, '', 'timed out'
  end
  return status, vim.trim(table.concat(out, '\n')), vim.trim(table.concat(err, '\n'))
end

local function last_line(text)
  local lines = vim.split(text or '', '\n', { trimempty = true })
  return lines[#lines] or ''
end

function M.check()
  local r = reporter()
  local inkmod = require('inkmod')
  local config = inkmod.config
  local env = config.cmd_env

  r.start('InkMod language server')
  if vim.fn.has('nvim-0.7') == 0 then
    r.error('Neovim 0.7 or later is required')
    return
  end
  local cmd = inkmod.cmd()
  local exe = cmd[1]
  if vim.fn.executable(exe) ~= 1 then
    r.error(
      string.format('`%s` not found (server command: %s)', exe, table.concat(cmd, ' ')),
      { "Install InkMod: pipx install 'inkmod[llama]'", 'Or pass cmd = {...} or python = "..." to require("inkmod").setup()' }
    )
    return
  end
  local cli = inkmod.cli()
  local version
  if cli then
    local code, out, err = run(vim.list_extend(vim.deepcopy(cli), { '--version' }), env)
    if code ~= 0 then
      r.error(string.format('`%s --version` failed: %s', table.concat(cli, ' '), last_line(err ~= '' and err or out)),
        { 'Is InkMod installed for this interpreter? pip install inkmod' })
      return
    end
    version = last_line(out)
    r.ok(string.format('%s (%s)', version, vim.fn.exepath(exe) ~= '' and vim.fn.exepath(exe) or exe))
  else
    r.ok(string.format('server command: %s (version not checked: a custom command)', table.concat(cmd, ' ')))
  end

  local clients = inkmod.clients()
  local client = inkmod.clients(0)[1] or clients[1]
  local status
  if client then
    r.ok(string.format('attached: client %d, root %s', client.id, client.config.root_dir or '?'))
    local response = inkmod._request_sync(client, 'workspace/executeCommand',
      { command = 'inkmod.status', arguments = { { quiet = true } } }, 15000, 0)
    if response and response.result then
      status = response.result
    else
      r.warn('the server did not answer inkmod.status: ' .. vim.inspect(response and response.err or 'timeout'))
    end
  else
    r.info('not attached to any buffer yet (open a Markdown file after require("inkmod").setup())')
  end

  r.start('InkMod daemon')
  local settings = inkmod.server_settings()
  local profile = settings.profile or (status and status.profile) or 'default'
  local backend_name = settings.backend
  if status then
    local daemon = status.daemon or {}
    if daemon.state == 'ready' then
      r.ok(string.format('daemon reachable (pid %s, profile %s)', tostring(daemon.pid), profile))
    elseif daemon.state == 'disabled' then
      r.warn('the daemon is turned off (setting daemon = false): rewriting is unavailable')
    else
      r.error(string.format('daemon %s: %s', tostring(daemon.state), tostring(daemon.reason or status.rewrite)),
        { 'Run :InkmodStatus, or `inkmod daemon logs --profile ' .. profile .. '` in a shell' })
    end
    if type(daemon.backend) == 'table' and daemon.backend.name then
      backend_name = daemon.backend.name
    end
    if status.problem and status.problem ~= vim.NIL then
      r.error('profile: ' .. tostring(status.problem))
    elseif status.profileLoaded then
      r.ok(string.format("style profile '%s' loaded", profile))
    end
  elseif cli then
    local code, out = run(vim.list_extend(vim.deepcopy(cli), { 'daemon', 'status', '--json', '--profile', profile }), env)
    local ok_json, info = pcall(vim.fn.json_decode, out)
    if code == 0 and ok_json and type(info) == 'table' and info.running then
      r.ok(string.format('daemon reachable (pid %s, profile %s)', tostring(info.pid), profile))
      if type(info.backend) == 'table' and info.backend.name then
        backend_name = info.backend.name
      end
    else
      r.info(string.format("no daemon running for profile '%s' (the server starts one when it attaches)", profile))
    end
  end

  r.start('InkMod model')
  if cli then
    local name = backend_name or 'smollm2'
    local code, out, err = run(vim.list_extend(vim.deepcopy(cli), { 'backends', '--info', name }), env, 60000)
    if code == 0 then
      r.ok(string.format("backend '%s': installed, weights present", name))
    else
      r.error(string.format("backend '%s': %s", name, last_line(err ~= '' and err or out)),
        { 'inkmod backends --list shows the installed models; :InkmodStatus the one in use' })
    end
  else
    r.info('model not checked (custom server command)')
  end

  r.start('InkMod samples')
  local folder = settings.samplesFolder
  if not folder or folder == '' then
    if status and status.profileLoaded then
      r.info('samplesFolder not set: the profile keeps the folder it was trained from')
    else
      r.warn('samplesFolder not set and no profile yet',
        { 'require("inkmod").setup({ settings = { samplesFolder = "~/my-writing" } })' })
    end
  elseif vim.fn.isdirectory(folder) ~= 1 then
    r.error('samples folder not found: ' .. folder)
  else
    local ok, entries = pcall(vim.fn.readdir, folder)
    if ok then
      r.ok(string.format('samples folder readable: %s (%d entries)', folder, #entries))
    else
      r.error('samples folder not readable: ' .. folder)
    end
  end
end

return M
