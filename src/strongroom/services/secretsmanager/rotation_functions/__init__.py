"""Built-in rotation functions, packaged as Lambda deployment zips like AWS's published templates.

Each template is one source file whose handler is ``lambda_function.lambda_handler`` (as in AWS's templates);
the functions run on the server's interpreter, where boto3 and psycopg are installed, so the zip needs nothing
else. ``strongroom secrets install-rotation-function`` creates a function from one of them.
"""

from __future__ import annotations

import io
import zipfile
from importlib import resources

TEMPLATES = {
    "postgresql-single-user": "postgresql_single_user.py",
    "postgresql-multi-user": "postgresql_multi_user.py",
}
HANDLER = "lambda_function.lambda_handler"
RUNTIME = "python3.12"


def source(template: str) -> str:
    if template not in TEMPLATES:
        raise ValueError(f"unknown rotation template {template!r}; choose one of {', '.join(TEMPLATES)}")
    return resources.files(__name__).joinpath(TEMPLATES[template]).read_text(encoding="utf-8")


def build_zip(template: str) -> bytes:
    """The deployment package: the template as ``lambda_function.py``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo("lambda_function.py", date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        zf.writestr(info, source(template))
    return buf.getvalue()
