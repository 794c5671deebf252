"""CloudTrail Lake: the filter run by Lake's SQL over an event data store (`sync.py`)."""
