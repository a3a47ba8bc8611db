"""Root pytest configuration, for tests/ and for the notebooks nbval runs.

The kernels that nbval starts inherit this process's environment: a fixed test
key keeps them from creating a pseudonymization key file anywhere.
"""

import os

os.environ.setdefault("IMPACTLIB_KEY", "test-key-not-secret")
