"""Pseudonyms: candidate ids replaced by a keyed hash as soon as data is read.

The pseudonym of an id is ``"C" + HMAC-SHA256(key, normalized id)`` cut to 16
hexadecimal digits. Without the key nobody can go back from a pseudonym to the
id, nor test a guessed id. The key is, in this order:

1. the environment variable ``IMPACTLIB_KEY`` (any text);
2. the file named by ``IMPACTLIB_KEY_FILE``;
3. the file ``data/.pseudonym-key`` under the current folder, created with 32
   random bytes on first use. ``data/`` is git-ignored: the key never enters
   the repository, and is never written into a report.

Keep the key safe and keep it the same between runs: the same ids then get the
same pseudonyms, so successive reports can be linked.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

import pandas as pd

__all__ = ["load_key", "pseudonymize", "DEFAULT_KEY_FILE"]

DEFAULT_KEY_FILE = Path("data") / ".pseudonym-key"
log = logging.getLogger(__name__)


def load_key() -> bytes:
    """Return the pseudonymization key, creating the key file if needed."""
    env = os.environ.get("IMPACTLIB_KEY")
    if env:
        return env.encode("utf-8")
    path = Path(os.environ.get("IMPACTLIB_KEY_FILE") or DEFAULT_KEY_FILE)
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode("ascii")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key + b"\n")
    log.info("created a new pseudonymization key in %s (keep it, never share it)", path)
    return key


def pseudonymize(ids: pd.Series, key: bytes) -> pd.Series:
    """Map normalized ids to pseudonyms (computed once per distinct id).

    Examples
    --------
    >>> s = pseudonymize(pd.Series(["a12", "a12"]), b"k")
    >>> s.iloc[0] == s.iloc[1] and s.iloc[0].startswith("C")
    True
    """
    codes, uniques = pd.factorize(ids, sort=False)
    names = [("C" + hmac.new(key, str(u).encode("utf-8"), hashlib.sha256).hexdigest()[:16])
             for u in uniques]
    if len(set(names)) != len(names):  # 64 bits: practically never; never silent
        raise RuntimeError("pseudonym collision: use a longer pseudonym")
    return pd.Series(pd.Index(names, dtype=object).take(codes), index=ids.index, dtype=object)
