"""Start GAN Hub: ``python app.py`` serves http://127.0.0.1:7860 with every installed plugin.

Flags: --host, --port, --plugins a,b (allowlist; empty loads none), --device cpu|cuda|mps|auto, --threads N (torch CPU threads),
--share (a public gradio.live link, off by default), --strict (any plugin error is fatal), --mcp (every public
action is also an MCP tool at /gradio_api/mcp/).
Same as ``ganhub serve``.
"""

import sys

from hub.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
