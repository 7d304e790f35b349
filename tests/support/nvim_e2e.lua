-- Headless Neovim 0.7 end-to-end run of the InkMod language server (driven by test_lsp_nvim.py).
--
-- Opens a Markdown file, attaches the server with vim.lsp.start_client, waits for drift
-- diagnostics, then runs Neovim's own code-action flow (vim.lsp.buf.code_action ->
-- vim.ui.select -> codeAction/resolve -> apply_workspace_edit), with vim.ui.select replaced
-- by a chooser that picks "Rewrite paragraph in my style". Everything it observes is written
-- as JSON to $INKMOD_NVIM_OUT for the test to assert on; it then quits.
--
-- Inputs (environment): INKMOD_NVIM_OUT, INKMOD_NVIM_DOC, INKMOD_NVIM_ROOT, INKMOD_NVIM_LINE
-- (1-based line of the paragraph to rewrite), INKMOD_NVIM_CMD and INKMOD_NVIM_SETTINGS (JSON).

local out_path = os.getenv("INKMOD_NVIM_OUT")
local result = { messages = {}, offered = {}, errors = {} }

local function finish()
  local handle = io.open(out_path, "w")
  handle:write(vim.fn.json_encode(result))
  handle:close()
  vim.cmd("qall!")
end

local function fail(message)
  table.insert(result.errors, message)
  finish()
end

local ok, err = pcall(function()
  local line = tonumber(os.getenv("INKMOD_NVIM_LINE"))
  vim.cmd("filetype on")
  vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("INKMOD_NVIM_DOC")))
  if vim.bo.filetype == "" then
    vim.bo.filetype = "markdown"
  end
  local bufnr = vim.api.nvim_get_current_buf()
  result.filetype = vim.bo.filetype
  result.before = vim.api.nvim_buf_get_lines(bufnr, line - 1, line, false)[1]

  local client_id = vim.lsp.start_client({
    name = "inkmod",
    cmd = vim.fn.json_decode(os.getenv("INKMOD_NVIM_CMD")),
    root_dir = os.getenv("INKMOD_NVIM_ROOT"),
    init_options = vim.fn.json_decode(os.getenv("INKMOD_NVIM_SETTINGS")),
    handlers = {
      ["window/showMessage"] = function(_, params)
        table.insert(result.messages, params.message)
      end,
    },
  })
  if not client_id then
    return fail("start_client failed")
  end
  vim.lsp.buf_attach_client(bufnr, client_id)

  -- 1. diagnostics arrive
  local got = vim.wait(120000, function()
    return #vim.diagnostic.get(bufnr) >= 3
  end, 100)
  local diagnostics = vim.diagnostic.get(bufnr)
  result.diagnostic_lines = {}
  for _, d in ipairs(diagnostics) do
    table.insert(result.diagnostic_lines, d.lnum)
    result.source = d.source
  end
  if not got then
    return fail("no diagnostics within 120 s")
  end

  -- 2. the rewrite code action, through Neovim's own code-action flow
  vim.notify = function(message)
    table.insert(result.messages, message)
  end
  local chosen = false
  vim.ui.select = function(items, opts, on_choice)
    for _, item in ipairs(items) do
      table.insert(result.offered, (opts.format_item(item)))
    end
    for _, item in ipairs(items) do
      if item[2].title == "Rewrite paragraph in my style" then
        chosen = true
        return on_choice(item)
      end
    end
    on_choice(nil)
  end
  vim.api.nvim_win_set_cursor(0, { line, 5 })
  local tick = vim.api.nvim_buf_get_changedtick(bufnr)
  vim.lsp.buf.code_action()
  local changed = vim.wait(tonumber(os.getenv("INKMOD_NVIM_WAIT") or "300000"), function()
    return vim.api.nvim_buf_get_changedtick(bufnr) ~= tick
  end, 100)
  result.chosen = chosen
  result.changed = changed
  -- let the whole edit land (several text edits may arrive as one apply)
  vim.wait(500, function() return false end, 50)
  result.after = vim.api.nvim_buf_get_lines(bufnr, line - 1, line, false)[1]
  result.line_count_before = line
  result.lines = vim.api.nvim_buf_line_count(bufnr)
  vim.lsp.stop_client(client_id)
  vim.wait(3000, function()
    return vim.lsp.get_client_by_id(client_id) == nil
  end, 50)
end)

if not ok then
  table.insert(result.errors, tostring(err))
end
finish()
