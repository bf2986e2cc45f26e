"""SDG Pinboard: a real-time pinboard for webinars, notes tagged with the UN SDGs."""

__version__ = "0.1.0"
