"""konfigctl: the ``konfig`` tool that governs a configuration monorepo (a Konfig)."""
__version__ = "0.1.0"
