"""InkMod's language server (pygls): protocol in, daemon calls out.

Kept separate from :mod:`inkmod` so that the engine never imports pygls, and the server never
imports a model backend.
"""
