import sys

from gesturekit.cli import main

sys.exit(main())
