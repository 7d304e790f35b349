-- InkMod's user commands. The language server starts after require('inkmod').setup({...})
-- (or, on Neovim 0.11+, vim.lsp.enable('inkmod') with lsp/inkmod.lua). See :help inkmod.
if vim.g.loaded_inkmod then
  return
end
vim.g.loaded_inkmod = 1

vim.api.nvim_create_user_command('InkmodTrain', function(opts)
  require('inkmod').train(opts.args)
end, { nargs = '?', complete = 'dir', desc = 'InkMod: rebuild the style profile' })

vim.api.nvim_create_user_command('InkmodTune', function(opts)
  require('inkmod').tune(tonumber(opts.args))
end, { nargs = '?', desc = 'InkMod: train your personal model (optional: max minutes)' })

vim.api.nvim_create_user_command('InkmodRewrite', function(opts)
  require('inkmod').rewrite({ range = opts.range, line1 = opts.line1, line2 = opts.line2 })
end, { range = true, desc = 'InkMod: rewrite the selection or the paragraph at the cursor in your style' })

vim.api.nvim_create_user_command('InkmodStatus', function()
  require('inkmod').status()
end, { desc = 'InkMod: profile, daemon, model' })
