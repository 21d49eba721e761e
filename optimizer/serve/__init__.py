"""``xborder serve``: quotes and plans over HTTP, and a page to use them.

``create_app`` (in :mod:`optimizer.serve.app`) builds the FastAPI app; this
package's ``__init__`` imports nothing, because plan worker processes import
:mod:`optimizer.serve.runner` without wanting the web framework.
"""
