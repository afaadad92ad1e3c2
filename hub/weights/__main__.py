"""``python -m hub.weights …`` is ``ganhub weights …`` (every installed plugin's weights)."""

import sys

from hub.cli import main

if __name__ == "__main__":
    sys.exit(main(["weights", *sys.argv[1:]]))
