"""The ``sekret`` package stays import-light: public API attributes load on first use."""

from __future__ import annotations

import subprocess
import sys


def test_import_sekret_is_light_and_lazy() -> None:
    code = (
        "import sys, sekret\n"
        "assert 'cryptography' not in sys.modules, 'eager cryptography'\n"
        "assert 'sekret.age' not in sys.modules\n"
        "assert 'age' in dir(sekret) and issubclass(sekret.SekretError, Exception)\n"
        "ct = sekret.age.encrypt(b'x', [sekret.age.X25519Identity.generate().recipient()])\n"
        "assert ct.startswith(b'age-encryption.org/v1')\n"
        "try:\n    sekret.nope\nexcept AttributeError:\n    pass\nelse:\n    sys.exit(3)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
    assert proc.returncode == 0, proc.stderr.decode()
