import sys

from impactlib.cli import main

sys.exit(main())
