"""InkMod: learn a writer's style from their own texts, flag drift, rewrite locally."""

__version__ = "0.1.0"
