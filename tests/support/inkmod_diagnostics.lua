-- InkMod's diagnostics of a buffer as plain tables sorted by line, with the drift score the
-- server puts in each one's data: what the Neovim test drivers report to their pytest side.
-- Loaded with dofile() by tests/support/nvim_driver.lua and tests/e2e/editors/nvim_screenshot.lua.
return function(bufnr)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.source == 'inkmod' then
      local data = d.user_data and d.user_data.lsp and d.user_data.lsp.data or {}
      table.insert(out, {
        lnum = d.lnum,
        end_lnum = d.end_lnum,
        severity = d.severity,
        source = d.source,
        message = d.message,
        score = type(data) == 'table' and data.score or nil,
      })
    end
  end
  table.sort(out, function(a, b)
    return a.lnum < b.lnum
  end)
  return out
end
