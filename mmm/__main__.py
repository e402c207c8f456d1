"""``python -m mmm`` runs the command line."""

import sys

from mmm.cli import main

sys.exit(main())
