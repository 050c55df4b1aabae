"""Reading PDFs: layout lines from pypdf (layout.py), then structure as a reader sees it (structure.py)."""
