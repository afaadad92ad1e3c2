"""Built-in plugins: each subpackage is one plugin, declared as a `ganhub` entry point in pyproject.toml."""
