#!/usr/bin/env python
"""Django's manage.py for development; `byline` is the same thing, installed."""

from byline.cli import main

if __name__ == "__main__":
    main()
