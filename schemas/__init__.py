"""The published schemas, shipped inside swx as the data package ``services.schemas``.

``pyproject.toml`` maps this folder there, and ``services.kernel.resources`` finds it through
``importlib.resources`` wherever swx is installed. This file holds no code: it only makes the
folder a package an editable install can find too.
"""
