-- InkMod's language server, in nvim-lspconfig's shape for Neovim 0.11+:
--
--   vim.lsp.enable('inkmod')                                   -- with these defaults, or
--   vim.lsp.config('inkmod', { settings = { inkmod = { samplesFolder = '~/writing' } } })
--
-- require('inkmod').setup({...}) does both for you and adds :InkmodTrain/:InkmodRewrite/
-- :InkmodStatus progress and messages. Settings: docs/lsp.md (section `inkmod`).
local language_ids = {
  text = 'plaintext',
  rst = 'restructuredtext',
  tex = 'latex',
  plaintex = 'latex',
  asciidoctor = 'asciidoc',
}

return {
  cmd = { 'inkmod', 'lsp' },
  filetypes = { 'markdown', 'text', 'rst', 'tex', 'plaintex', 'asciidoc', 'gitcommit' },
  root_markers = { '.inkmod.toml', '.git' },
  -- The server reads its settings from `workspace/configuration` (section `inkmod`) and takes
  -- the same object as initialization options.
  settings = { inkmod = vim.empty_dict() },
  init_options = vim.empty_dict(),
  get_language_id = function(_, filetype)
    return language_ids[filetype] or filetype
  end,
}
