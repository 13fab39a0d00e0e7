"""``python -m cli``: the fuzhi command without the installed script."""

import sys

from .main import main

sys.exit(main())
