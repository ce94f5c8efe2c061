"""Views rebuilt from the log: each a pure fold from events to rows, kept in step per append."""
